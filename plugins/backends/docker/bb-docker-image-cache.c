#include "bb-docker-image-cache.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#define BB_IMAGE_CACHE_VERSION 1
/* Slots are one per sidecar program and per Dockerfile; prepared contexts
 * are named by their content, so old ones would otherwise pile up. */
#define BB_IMAGE_CACHE_MAX_SLOTS 64

struct _BbImageStamp {
    GChecksum *checksum;
};

static void
bb_image_stamp_feed(BbImageStamp *stamp, const gchar *tag, const gchar *value)
{
    g_checksum_update(stamp->checksum, (const guchar *)tag, strlen(tag) + 1);
    g_checksum_update(stamp->checksum, (const guchar *)value, strlen(value) + 1);
}

BbImageStamp *
bb_image_stamp_new(const gchar *kind)
{
    BbImageStamp *stamp = g_new0(BbImageStamp, 1);
    stamp->checksum = g_checksum_new(G_CHECKSUM_SHA256);
    bb_image_stamp_feed(stamp, "kind", kind);
    return stamp;
}

void
bb_image_stamp_free(BbImageStamp *stamp)
{
    if (stamp == NULL)
        return;
    g_checksum_free(stamp->checksum);
    g_free(stamp);
}

void
bb_image_stamp_add_text(BbImageStamp *stamp, const gchar *name, const gchar *value)
{
    bb_image_stamp_feed(stamp, name, value != NULL ? value : "(null)");
}

gchar *
bb_image_stamp_line(const gchar *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return g_strdup_printf("%s\tmissing", path);
    return g_strdup_printf("%s\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT
                           ".%09ld\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%o\t%u",
                           path, (gint64)st.st_size, (gint64)st.st_mtim.tv_sec,
                           (long)st.st_mtim.tv_nsec, (guint64)st.st_ino, (guint64)st.st_dev,
                           (guint)st.st_mode, (guint)st.st_uid);
}

void
bb_image_stamp_add_file(BbImageStamp *stamp, const gchar *path)
{
    g_autofree gchar *line = bb_image_stamp_line(path);
    bb_image_stamp_feed(stamp, "file", line);
}

void
bb_image_stamp_add_dir_owner(BbImageStamp *stamp, const gchar *path)
{
    struct stat st;
    g_autofree gchar *line =
        stat(path, &st) == 0
            ? g_strdup_printf("%s\t%o\t%u", path, (guint)st.st_mode, (guint)st.st_uid)
            : g_strdup_printf("%s\tmissing", path);
    bb_image_stamp_feed(stamp, "dir", line);
}

static gint
bb_image_stamp_compare(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* Bounded depth: a symlink loop must not recurse forever. */
static void
bb_image_stamp_walk(BbImageStamp *stamp, const gchar *dir, guint depth)
{
    g_autoptr(GDir) handle = depth < 32 ? g_dir_open(dir, 0, NULL) : NULL;
    if (handle == NULL) {
        bb_image_stamp_feed(stamp, "unreadable", dir);
        return;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const gchar *name;
    while ((name = g_dir_read_name(handle)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, bb_image_stamp_compare);
    for (guint i = 0; i < names->len; i++) {
        g_autofree gchar *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            bb_image_stamp_add_dir_owner(stamp, path);
            bb_image_stamp_walk(stamp, path, depth + 1);
        } else {
            bb_image_stamp_add_file(stamp, path);
        }
    }
}

void
bb_image_stamp_add_tree(BbImageStamp *stamp, const gchar *dir)
{
    bb_image_stamp_add_dir_owner(stamp, dir);
    bb_image_stamp_walk(stamp, dir, 0);
}

gchar *
bb_image_stamp_get_key(BbImageStamp *stamp)
{
    return g_strdup(g_checksum_get_string(stamp->checksum));
}

gchar *
bb_image_cache_path(void)
{
    const gchar *override = g_getenv("BOT_BOTTLE_CACHE_DIR");
    if (override != NULL && *override != '\0')
        return g_build_filename(override, "images.json", NULL);
    return g_build_filename(g_get_user_cache_dir(), "bot-bottle", "images.json", NULL);
}

/* The "slots" object of the cache file, or a new empty one: anything
 * unreadable or of another shape is as good as no cache. */
static JsonObject *
bb_image_cache_load(void)
{
    g_autofree gchar *path = bb_image_cache_path();
    g_autofree gchar *contents = NULL;
    gsize length = 0;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!g_file_get_contents(path, &contents, &length, NULL) ||
        !json_parser_load_from_data(parser, contents, (gssize)length, NULL))
        return json_object_new();
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *object =
        root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *slots = object != NULL ? json_object_get_member(object, "slots") : NULL;
    if (object == NULL ||
        json_object_get_int_member_with_default(object, "version", 0) != BB_IMAGE_CACHE_VERSION ||
        slots == NULL || !JSON_NODE_HOLDS_OBJECT(slots))
        return json_object_new();
    return json_object_ref(json_node_get_object(slots));
}

static const gchar *
bb_image_cache_string(JsonObject *entry, const gchar *member)
{
    JsonNode *node = json_object_get_member(entry, member);
    if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static JsonObject *
bb_image_cache_entry(JsonObject *slots, const gchar *slot)
{
    JsonNode *node = json_object_get_member(slots, slot);
    return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static gboolean
bb_image_cache_deps_unchanged(JsonObject *entry)
{
    JsonNode *node = json_object_get_member(entry, "deps");
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return FALSE;
    JsonObject *deps = json_node_get_object(node);
    g_autoptr(GList) paths = json_object_get_members(deps);
    for (GList *l = paths; l != NULL; l = l->next) {
        const gchar *recorded = bb_image_cache_string(deps, l->data);
        g_autofree gchar *now = bb_image_stamp_line(l->data);
        if (g_strcmp0(recorded, now) != 0)
            return FALSE;
    }
    return TRUE;
}

gchar *
bb_image_cache_lookup(const gchar *slot, const gchar *key)
{
    g_autoptr(JsonObject) slots = bb_image_cache_load();
    JsonObject *entry = bb_image_cache_entry(slots, slot);
    if (entry == NULL || g_strcmp0(bb_image_cache_string(entry, "key"), key) != 0)
        return NULL;
    const gchar *ref = bb_image_cache_string(entry, "ref");
    if (ref == NULL || *ref == '\0' || !bb_image_cache_deps_unchanged(entry))
        return NULL;
    return g_strdup(ref);
}

/* Drops the oldest entries beyond the bound. */
static void
bb_image_cache_trim(JsonObject *slots)
{
    while (json_object_get_size(slots) > BB_IMAGE_CACHE_MAX_SLOTS) {
        g_autoptr(GList) names = json_object_get_members(slots);
        const gchar *oldest = NULL;
        gint64 oldest_time = G_MAXINT64;
        for (GList *l = names; l != NULL; l = l->next) {
            JsonObject *entry = bb_image_cache_entry(slots, l->data);
            gint64 stored =
                entry != NULL ? json_object_get_int_member_with_default(entry, "stored", 0) : 0;
            if (stored < oldest_time) {
                oldest_time = stored;
                oldest = l->data;
            }
        }
        g_autofree gchar *victim = g_strdup(oldest); /* the object owns @oldest */
        json_object_remove_member(slots, victim);
    }
}

void
bb_image_cache_store(const gchar *slot, const gchar *key, const gchar *ref,
                     const gchar *const *deps)
{
    g_autoptr(JsonObject) slots = bb_image_cache_load();
    JsonObject *entry = json_object_new();
    json_object_set_string_member(entry, "key", key);
    json_object_set_string_member(entry, "ref", ref);
    json_object_set_int_member(entry, "stored", g_get_real_time());
    JsonObject *stamps = json_object_new();
    for (const gchar *const *dep = deps; dep != NULL && *dep != NULL; dep++) {
        g_autofree gchar *line = bb_image_stamp_line(*dep);
        json_object_set_string_member(stamps, *dep, line);
    }
    json_object_set_object_member(entry, "deps", stamps);
    json_object_set_object_member(slots, slot, entry);
    bb_image_cache_trim(slots);

    g_autoptr(JsonObject) root = json_object_new();
    json_object_set_int_member(root, "version", BB_IMAGE_CACHE_VERSION);
    json_object_set_object_member(root, "slots", json_object_ref(slots));
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), root);
    g_autofree gchar *text = json_to_string(node, FALSE);
    g_autofree gchar *path = bb_image_cache_path();
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_autoptr(GError) error = NULL;
    if (g_mkdir_with_parents(dir, 0700) != 0 ||
        !g_file_set_contents(path, text, (gssize)strlen(text), &error))
        g_debug("image cache %s not written: %s", path,
                error != NULL ? error->message : g_strerror(errno));
}

GPtrArray *
bb_image_cache_refs(void)
{
    g_autoptr(JsonObject) slots = bb_image_cache_load();
    GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GList) names = json_object_get_members(slots);
    for (GList *l = names; l != NULL; l = l->next) {
        JsonObject *entry = bb_image_cache_entry(slots, l->data);
        const gchar *ref = entry != NULL ? bb_image_cache_string(entry, "ref") : NULL;
        if (ref != NULL)
            g_ptr_array_add(refs, g_strdup(ref));
    }
    return refs;
}
