#include "bb-docker-image.h"

#include <string.h>
#include "bb-docker-api.h"
#include "bb-docker-image-cache.h"
#include "bb-docker-tar.h"
#include "bb-error.h"

GPtrArray *
bb_docker_shared_libraries(const gchar *path, gchar **interpreter, GError **error)
{
    const gchar *argv[] = {"ldd", path, NULL};
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    gint wait_status = 0;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                      &wait_status, error)) {
        g_prefix_error(error, "Listing the libraries of %s (is ldd installed?): ", path);
        return NULL;
    }
    g_autoptr(GPtrArray) libraries = g_ptr_array_new_with_free_func(g_free);
    /* "statically linked"/"not a dynamic executable" exit non-zero. */
    if (!g_spawn_check_wait_status(wait_status, NULL))
        return g_steal_pointer(&libraries);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (gchar **line = lines; *line != NULL; line++) {
        if (strstr(*line, "not found") != NULL) {
            g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND, "%s needs a missing library: %s", path,
                        g_strstrip(*line));
            return NULL;
        }
        /* "libx.so.1 => /lib/.../libx.so.1 (0x…)" or "/lib64/ld-linux….so.2 (0x…)" */
        const gchar *arrow = strstr(*line, "=> ");
        const gchar *start = arrow != NULL ? arrow + 3 : g_strchug(*line);
        if (*start != '/')
            continue;
        const gchar *end = strstr(start, " (");
        g_autofree gchar *library = end != NULL ? g_strndup(start, end - start) : g_strdup(start);
        /* RUNPATHs like $ORIGIN/../core leave ".." in the path. */
        gchar *canonical = g_canonicalize_filename(library, "/");
        if (arrow == NULL && interpreter != NULL) {
            g_free(*interpreter);
            *interpreter = canonical;
        } else if (arrow == NULL) {
            g_free(canonical);
        } else {
            g_ptr_array_add(libraries, canonical);
        }
    }
    return g_steal_pointer(&libraries);
}

typedef struct {
    BbDockerTar *tar;
    GChecksum *checksum;
    GPtrArray *host_files; /* every host file read: the cache re-stats them */
} BbImageBuilder;

/* The parent directories of @image_path, root-owned 0755. */
static gboolean
bb_image_add_parents(BbImageBuilder *builder, const gchar *image_path, GError **error)
{
    g_autofree gchar *dir = g_path_get_dirname(image_path);
    g_auto(GStrv) parts = g_strsplit(dir, "/", -1);
    g_autoptr(GString) prefix = g_string_new(NULL);
    for (gchar **part = parts; *part != NULL; part++) {
        if (**part == '\0')
            continue;
        g_string_append_printf(prefix, "/%s", *part);
        if (!bb_docker_tar_contains(builder->tar, prefix->str) &&
            !bb_docker_tar_add_dir(builder->tar, prefix->str, 0755, 0, 0, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
bb_image_add_host_file(BbImageBuilder *builder, const gchar *host_path, const gchar *image_path,
                       GError **error)
{
    if (bb_docker_tar_contains(builder->tar, image_path))
        return TRUE;
    if (!bb_image_add_parents(builder, image_path, error))
        return FALSE;
    g_autofree gchar *contents = NULL;
    gsize length = 0;
    if (!g_file_get_contents(host_path, &contents, &length, error))
        return FALSE;
    g_checksum_update(builder->checksum, (const guchar *)image_path, strlen(image_path) + 1);
    g_checksum_update(builder->checksum, (const guchar *)contents, length);
    g_ptr_array_add(builder->host_files, g_strdup(host_path));
    return bb_docker_tar_add_host_file(builder->tar, host_path, image_path, 0, 0, error);
}

/* The shared libraries ldd resolves for @host_path, and its interpreter. */
static gboolean
bb_image_add_libraries(BbImageBuilder *builder, const gchar *host_path, GError **error)
{
    g_autofree gchar *interpreter = NULL;
    g_autoptr(GPtrArray) libraries = bb_docker_shared_libraries(host_path, &interpreter, error);
    if (libraries == NULL)
        return FALSE;
    /* The interpreter must sit at the path the program names (PT_INTERP). */
    if (interpreter != NULL && !bb_image_add_host_file(builder, interpreter, interpreter, error))
        return FALSE;
    for (guint i = 0; i < libraries->len; i++) {
        const gchar *library = g_ptr_array_index(libraries, i);
        g_autofree gchar *name = g_path_get_basename(library);
        g_autofree gchar *library_path = g_build_filename(BB_DOCKER_IMAGE_LIBDIR, name, NULL);
        if (!bb_image_add_host_file(builder, library, library_path, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
bb_image_add_with_libraries(BbImageBuilder *builder, const gchar *host_path,
                            const gchar *image_path, GError **error)
{
    return bb_image_add_host_file(builder, host_path, image_path, error) &&
           bb_image_add_libraries(builder, host_path, error);
}

/* A contrib module at @contrib_dir/<its directory's name>/<file>: root
 * owned, 0644, in 0755 root directories, so the sidecar's loader (which
 * runs as an unprivileged user) trusts it exactly as the host's did. */
static gboolean
bb_image_add_contrib(BbImageBuilder *builder, const gchar *host_path, const gchar *contrib_dir,
                     GError **error)
{
    g_autofree gchar *host_dir = g_path_get_dirname(host_path);
    g_autofree gchar *dir_name = g_path_get_basename(host_dir);
    g_autofree gchar *file_name = g_path_get_basename(host_path);
    g_autofree gchar *image_path = g_build_filename(contrib_dir, dir_name, file_name, NULL);
    if (bb_docker_tar_contains(builder->tar, image_path))
        return TRUE;
    g_autofree gchar *contents = NULL;
    gsize length = 0;
    if (!bb_image_add_parents(builder, image_path, error) ||
        !g_file_get_contents(host_path, &contents, &length, error))
        return FALSE;
    g_checksum_update(builder->checksum, (const guchar *)image_path, strlen(image_path) + 1);
    g_checksum_update(builder->checksum, (const guchar *)contents, length);
    g_ptr_array_add(builder->host_files, g_strdup(host_path));
    g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&contents), length);
    return bb_docker_tar_add_file(builder->tar, image_path, bytes, 0644, 0, 0, error) &&
           bb_image_add_libraries(builder, host_path, error);
}

static gint
bb_image_compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gboolean
bb_image_add_tree(BbImageBuilder *builder, const gchar *host_dir, const gchar *image_dir,
                  GError **error)
{
    g_autoptr(GDir) dir = g_dir_open(host_dir, 0, error);
    if (dir == NULL)
        return FALSE;
    /* Sorted so the hash does not depend on directory order. */
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const gchar *entry;
    while ((entry = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(names, g_strdup(entry));
    g_ptr_array_sort(names, bb_image_compare_names);
    for (guint i = 0; i < names->len; i++) {
        const gchar *name = g_ptr_array_index(names, i);
        g_autofree gchar *host_child = g_build_filename(host_dir, name, NULL);
        g_autofree gchar *image_child = g_build_filename(image_dir, name, NULL);
        gboolean ok = TRUE;
        if (g_file_test(host_child, G_FILE_TEST_IS_DIR))
            ok = bb_image_add_tree(builder, host_child, image_child, error);
        else if (g_str_has_suffix(name, ".so"))
            ok = bb_image_add_with_libraries(builder, host_child, image_child, error);
        else if (g_file_test(host_child, G_FILE_TEST_IS_REGULAR))
            ok = bb_image_add_host_file(builder, host_child, image_child, error);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static gboolean
bb_image_add_text(BbImageBuilder *builder, const gchar *path, const gchar *text, guint mode,
                  GError **error)
{
    g_autoptr(GBytes) contents = g_bytes_new(text, strlen(text));
    g_checksum_update(builder->checksum, (const guchar *)path, strlen(path) + 1);
    g_checksum_update(builder->checksum, (const guchar *)text, strlen(text));
    return bb_docker_tar_add_file(builder->tar, path, contents, mode, 0, 0, error);
}

static gboolean
bb_image_add_skeleton(BbImageBuilder *builder, const BbDockerImageRecipe *recipe, GError **error)
{
    g_autofree gchar *passwd =
        g_strdup_printf("root:x:0:0:root:/:/sbin/nologin\n"
                        "%s:x:%u:%u:%s:/tmp:/sbin/nologin\n",
                        recipe->user_name, recipe->uid, recipe->uid, recipe->user_name);
    g_autofree gchar *group =
        g_strdup_printf("root:x:0:\n%s:x:%u:\n", recipe->user_name, recipe->uid);
    if (!bb_docker_tar_add_dir(builder->tar, "etc", 0755, 0, 0, error) ||
        !bb_image_add_text(builder, "etc/passwd", passwd, 0644, error) ||
        !bb_image_add_text(builder, "etc/group", group, 0644, error) ||
        !bb_docker_tar_add_dir(builder->tar, "tmp", 01777, 0, 0, error))
        return FALSE;
    for (const gchar *const *dir = recipe->dirs; dir != NULL && *dir != NULL; dir++) {
        g_autofree gchar *parent = g_path_get_dirname(*dir);
        if (g_strcmp0(parent, "/") != 0 && !bb_docker_tar_contains(builder->tar, parent) &&
            !bb_docker_tar_add_dir(builder->tar, parent, 0755, 0, 0, error))
            return FALSE;
        if (!bb_docker_tar_add_dir(builder->tar, *dir, 0700, recipe->uid, recipe->uid, error))
            return FALSE;
        g_checksum_update(builder->checksum, (const guchar *)*dir, strlen(*dir) + 1);
    }
    return TRUE;
}

static gchar *
bb_image_program_path(const gchar *host_path)
{
    g_autofree gchar *name = g_path_get_basename(host_path);
    return g_build_filename(BB_DOCKER_IMAGE_BINDIR, name, NULL);
}

static GPtrArray *
bb_image_changes(const BbDockerImageRecipe *recipe)
{
    GPtrArray *changes = g_ptr_array_new_with_free_func(g_free);
    if (recipe->programs != NULL && recipe->programs[0] != NULL) {
        g_autofree gchar *program = bb_image_program_path(recipe->programs[0]);
        g_autoptr(JsonArray) array = json_array_new();
        json_array_add_string_element(array, program);
        g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), array);
        g_autofree gchar *json = json_to_string(node, FALSE);
        g_ptr_array_add(changes, g_strdup_printf("ENTRYPOINT %s", json));
    }
    for (const gchar *const *env = recipe->env; env != NULL && *env != NULL; env++)
        g_ptr_array_add(changes, g_strdup_printf("ENV %s", *env));
    g_ptr_array_add(changes, g_strdup("ENV LD_LIBRARY_PATH=" BB_DOCKER_IMAGE_LIBDIR));
    g_ptr_array_add(changes, g_strdup_printf("USER %u:%u", recipe->uid, recipe->uid));
    g_ptr_array_add(changes, g_strdup("WORKDIR /tmp"));
    g_ptr_array_add(changes, NULL);
    return changes;
}

/* Builds the rootfs of @recipe and imports it unless an image of the same
 * content exists; every host file read goes to @host_files. */
static gchar *
bb_image_assemble(BbDockerClient *client, const BbDockerImageRecipe *recipe, GPtrArray *host_files,
                  GError **error)
{
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    BbImageBuilder builder = {tar, checksum, host_files};
    if (!bb_image_add_skeleton(&builder, recipe, error))
        return NULL;
    for (const gchar *const *program = recipe->programs; program != NULL && *program != NULL;
         program++) {
        g_autofree gchar *image_path = bb_image_program_path(*program);
        if (!bb_image_add_with_libraries(&builder, *program, image_path, error))
            return NULL;
    }
    for (const gchar *const *tree = recipe->trees;
         tree != NULL && tree[0] != NULL && tree[1] != NULL; tree += 2)
        if (!bb_image_add_tree(&builder, tree[0], tree[1], error))
            return NULL;
    for (const gchar *const *plugin = recipe->plugins; plugin != NULL && *plugin != NULL;
         plugin++) {
        g_autofree gchar *name = g_path_get_basename(*plugin);
        g_autofree gchar *image_path = g_build_filename(recipe->plugin_dir, name, NULL);
        if (!bb_image_add_with_libraries(&builder, *plugin, image_path, error))
            return NULL;
    }
    for (const gchar *const *plugin = recipe->contrib_plugins; plugin != NULL && *plugin != NULL;
         plugin++)
        if (!bb_image_add_contrib(&builder, *plugin, recipe->contrib_dir, error))
            return NULL;
    g_autoptr(GPtrArray) changes = bb_image_changes(recipe);
    for (guint i = 0; i + 1 < changes->len; i++) {
        const gchar *change = g_ptr_array_index(changes, i);
        g_checksum_update(checksum, (const guchar *)change, strlen(change) + 1);
    }
    g_autofree gchar *hash = g_strndup(g_checksum_get_string(checksum), 16);
    g_autofree gchar *ref = g_strdup_printf("%s:%s", recipe->repository, hash);

    gboolean exists = FALSE;
    if (!bb_docker_image_exists(client, ref, &exists, error))
        return NULL;
    if (exists)
        return g_steal_pointer(&ref);
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    if (!bb_docker_image_import(client, archive, ref, (const gchar *const *)changes->pdata, error))
        return NULL;
    return g_steal_pointer(&ref);
}

gchar *
bb_docker_image_assemble(BbDockerClient *client, const BbDockerImageRecipe *recipe, GError **error)
{
    g_autoptr(GPtrArray) host_files = g_ptr_array_new_with_free_func(g_free);
    return bb_image_assemble(client, recipe, host_files, error);
}

static void
bb_image_stamp_list(BbImageStamp *stamp, const gchar *what, const gchar *const *list)
{
    for (const gchar *const *item = list; item != NULL && *item != NULL; item++)
        bb_image_stamp_add_text(stamp, what, *item);
}

/* The key: the recipe itself and the metadata of every input it names.
 * Libraries are not here (finding them takes ldd): the cache entry
 * records them and re-stats them on a hit. */
static gchar *
bb_image_recipe_key(const BbDockerImageRecipe *recipe)
{
    g_autoptr(BbImageStamp) stamp = bb_image_stamp_new("assembled-image/1");
    bb_image_stamp_add_text(stamp, "repository", recipe->repository);
    bb_image_stamp_add_text(stamp, "plugin-dir", recipe->plugin_dir);
    bb_image_stamp_add_text(stamp, "contrib-dir", recipe->contrib_dir);
    g_autofree gchar *uid = g_strdup_printf("%u", recipe->uid);
    bb_image_stamp_add_text(stamp, "uid", uid);
    bb_image_stamp_add_text(stamp, "user", recipe->user_name);
    bb_image_stamp_list(stamp, "env", recipe->env);
    bb_image_stamp_list(stamp, "dir", recipe->dirs);
    for (const gchar *const *program = recipe->programs; program != NULL && *program != NULL;
         program++)
        bb_image_stamp_add_file(stamp, *program);
    for (const gchar *const *tree = recipe->trees;
         tree != NULL && tree[0] != NULL && tree[1] != NULL; tree += 2) {
        bb_image_stamp_add_text(stamp, "tree", tree[1]);
        bb_image_stamp_add_tree(stamp, tree[0]);
    }
    for (const gchar *const *plugin = recipe->plugins; plugin != NULL && *plugin != NULL; plugin++)
        bb_image_stamp_add_file(stamp, *plugin);
    /* Contrib candidates with their directories' owner and mode: the
     * host loader's verdict on them depends on both. */
    for (const gchar *const *plugin = recipe->contrib_plugins; plugin != NULL && *plugin != NULL;
         plugin++) {
        g_autofree gchar *dir = g_path_get_dirname(*plugin);
        g_autofree gchar *parent = g_path_get_dirname(dir);
        bb_image_stamp_add_dir_owner(stamp, parent);
        bb_image_stamp_add_dir_owner(stamp, dir);
        bb_image_stamp_add_file(stamp, *plugin);
    }
    return bb_image_stamp_get_key(stamp);
}

gchar *
bb_docker_image_assemble_cached(BbDockerClient *client, const BbDockerImageRecipe *recipe,
                                BbDockerContribFilter filter, gpointer filter_data, GError **error)
{
    g_autofree gchar *key = bb_image_recipe_key(recipe);
    g_autofree gchar *slot = g_strdup_printf(
        "assembled %s %s", recipe->repository,
        recipe->programs != NULL && recipe->programs[0] != NULL ? recipe->programs[0] : "");
    g_autofree gchar *cached = bb_image_cache_lookup(slot, key);
    gboolean exists = FALSE;
    if (cached != NULL && !bb_docker_image_exists(client, cached, &exists, error))
        return NULL;
    if (exists) {
        g_debug("image cache hit: %s", cached);
        return g_steal_pointer(&cached);
    }
    g_autoptr(GPtrArray) contrib = NULL;
    BbDockerImageRecipe chosen = *recipe;
    if (filter != NULL && recipe->contrib_plugins != NULL && recipe->contrib_plugins[0] != NULL) {
        contrib = filter(recipe->contrib_plugins, filter_data);
        g_ptr_array_add(contrib, NULL);
        chosen.contrib_plugins = (const gchar *const *)contrib->pdata;
    }
    g_autoptr(GPtrArray) trees = g_ptr_array_new();
    if (recipe->derived_trees != NULL) {
        if (recipe->derive != NULL && !recipe->derive(recipe->derive_data, error))
            return NULL;
        for (const gchar *const *tree = recipe->trees; tree != NULL && *tree != NULL; tree++)
            g_ptr_array_add(trees, (gpointer)*tree);
        for (const gchar *const *tree = recipe->derived_trees; *tree != NULL; tree++)
            g_ptr_array_add(trees, (gpointer)*tree);
        g_ptr_array_add(trees, NULL);
        chosen.trees = (const gchar *const *)trees->pdata;
    }
    /* Derived files are recorded with the rest: deleting them is a miss. */
    g_autoptr(GPtrArray) host_files = g_ptr_array_new_with_free_func(g_free);
    g_autofree gchar *ref = bb_image_assemble(client, &chosen, host_files, error);
    if (ref == NULL)
        return NULL;
    g_ptr_array_add(host_files, NULL);
    bb_image_cache_store(slot, key, ref, (const gchar *const *)host_files->pdata);
    return g_steal_pointer(&ref);
}

static gboolean
bb_image_in(const gchar *const *list, const gchar *value)
{
    return list != NULL && g_strv_contains(list, value);
}

/* Image ids some container (running or not) was created from. */
static GHashTable *
bb_image_ids_in_use(BbDockerClient *client, GError **error)
{
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(client, "GET", "/containers/json?all=1", NULL, NULL, NULL, error);
    if (reply == NULL || !JSON_NODE_HOLDS_ARRAY(reply)) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: no container list");
        return NULL;
    }
    GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    JsonArray *containers = json_node_get_array(reply);
    for (guint i = 0; i < json_array_get_length(containers); i++) {
        JsonObject *container = json_array_get_object_element(containers, i);
        const gchar *id =
            container != NULL
                ? json_object_get_string_member_with_default(container, "ImageID", NULL)
                : NULL;
        if (id != NULL)
            g_hash_table_add(ids, g_strdup(id));
    }
    return ids;
}

static JsonArray *
bb_image_list(BbDockerClient *client, const gchar *repository, GError **error)
{
    g_autofree gchar *filter = g_strdup_printf("{\"reference\":[\"%s\"]}", repository);
    g_autofree gchar *filter_q = bb_docker_query_escape(filter);
    g_autofree gchar *path = g_strdup_printf("/images/json?filters=%s", filter_q);
    g_autoptr(JsonNode) reply = bb_docker_client_call(client, "GET", path, NULL, NULL, NULL, error);
    if (reply == NULL || !JSON_NODE_HOLDS_ARRAY(reply)) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: no image list");
        return NULL;
    }
    return json_array_ref(json_node_get_array(reply));
}

/* Untags @tag without force: the engine refuses (409) while any
 * container, even a stopped one, still uses it, and we let it. */
static gboolean
bb_image_untag(BbDockerClient *client, const gchar *tag, gboolean *removed, GError **error)
{
    static const guint ok_statuses[] = {404, 409, 0};
    g_autofree gchar *tag_q = bb_docker_query_escape(tag);
    g_autofree gchar *path = g_strdup_printf("/images/%s", tag_q);
    guint status = 0;
    g_autoptr(GError) local_error = NULL;
    JsonNode *node =
        bb_docker_client_call(client, "DELETE", path, NULL, ok_statuses, &status, &local_error);
    g_clear_pointer(&node, json_node_unref);
    if (local_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    *removed = status == 200;
    return TRUE;
}

GPtrArray *
bb_docker_image_prune(BbDockerClient *client, const gchar *const *repositories,
                      const gchar *const *keep, GError **error)
{
    g_autoptr(GHashTable) in_use = bb_image_ids_in_use(client, error);
    if (in_use == NULL)
        return NULL;
    g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
    for (const gchar *const *repository = repositories; *repository != NULL; repository++) {
        g_autoptr(JsonArray) images = bb_image_list(client, *repository, error);
        if (images == NULL)
            return NULL;
        g_autofree gchar *prefix = g_strconcat(*repository, ":", NULL);
        for (guint i = 0; i < json_array_get_length(images); i++) {
            JsonObject *image = json_array_get_object_element(images, i);
            const gchar *id = json_object_get_string_member_with_default(image, "Id", "");
            JsonNode *tags = json_object_get_member(image, "RepoTags");
            if (g_hash_table_contains(in_use, id) || tags == NULL || !JSON_NODE_HOLDS_ARRAY(tags))
                continue;
            JsonArray *list = json_node_get_array(tags);
            for (guint t = 0; t < json_array_get_length(list); t++) {
                const gchar *tag = json_array_get_string_element(list, t);
                gboolean gone = FALSE;
                if (tag == NULL || !g_str_has_prefix(tag, prefix) || bb_image_in(keep, tag))
                    continue;
                if (!bb_image_untag(client, tag, &gone, error))
                    return NULL;
                if (gone)
                    g_ptr_array_add(removed, g_strdup(tag));
            }
        }
    }
    return g_steal_pointer(&removed);
}
