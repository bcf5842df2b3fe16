#include <errno.h>
#include <glib/gstdio.h>

#include "bb-catalog-private.h"
#include "bb-error.h"
#include "bb-manifest-schema.h"
#include "bb-resolve.h"

struct _BbCatalog {
    GObject parent_instance;
    gchar *config_dir;
    gchar *repo_dir;
    GHashTable *bottles; /* name → BbBottleManifest */
    GPtrArray *agents;   /* of BbAgentManifest, parallel to agent_entries */
    GPtrArray *agent_entries;
    GPtrArray *bottle_entries;
    GPtrArray *diagnostics;
};

G_DEFINE_FINAL_TYPE(BbCatalog, bb_catalog, G_TYPE_OBJECT)

void
bb_catalog_entry_free(BbCatalogEntry *entry)
{
    if (entry == NULL)
        return;
    g_free(entry->name);
    g_free(entry->path);
    g_free(entry);
}

static void
bb_catalog_finalize(GObject *object)
{
    BbCatalog *self = BB_CATALOG(object);
    g_free(self->config_dir);
    g_free(self->repo_dir);
    g_hash_table_unref(self->bottles);
    g_ptr_array_unref(self->agents);
    g_ptr_array_unref(self->agent_entries);
    g_ptr_array_unref(self->bottle_entries);
    g_ptr_array_unref(self->diagnostics);
    G_OBJECT_CLASS(bb_catalog_parent_class)->finalize(object);
}

static void
bb_catalog_class_init(BbCatalogClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_catalog_finalize;
}

static void
reset(BbCatalog *self)
{
    g_clear_pointer(&self->bottles, g_hash_table_unref);
    g_clear_pointer(&self->agents, g_ptr_array_unref);
    g_clear_pointer(&self->agent_entries, g_ptr_array_unref);
    g_clear_pointer(&self->bottle_entries, g_ptr_array_unref);
    g_clear_pointer(&self->diagnostics, g_ptr_array_unref);
    self->bottles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)bb_bottle_manifest_unref);
    self->agents = g_ptr_array_new_with_free_func((GDestroyNotify)bb_agent_manifest_unref);
    self->agent_entries = g_ptr_array_new_with_free_func((GDestroyNotify)bb_catalog_entry_free);
    self->bottle_entries = g_ptr_array_new_with_free_func((GDestroyNotify)bb_catalog_entry_free);
    self->diagnostics = bb_diagnostics_new();
}

static void
bb_catalog_init(BbCatalog *self)
{
    reset(self);
}

/* A repo whose .bot-bottle is the user's config directory (the home
 * directory itself, or a symlink to it) is not a repo. */
static gboolean
repo_is_config(const gchar *config_dir, const gchar *repo_dir)
{
    g_autofree gchar *repo_config = g_build_filename(repo_dir, ".bot-bottle", NULL);
    g_autofree gchar *a = g_canonicalize_filename(config_dir, NULL);
    g_autofree gchar *b = g_canonicalize_filename(repo_config, NULL);
    GStatBuf sa, sb;
    if (g_strcmp0(a, b) == 0)
        return TRUE;
    return g_stat(a, &sa) == 0 && g_stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

BbCatalog *
bb_catalog_new(const gchar *config_dir, const gchar *repo_dir)
{
    BbCatalog *self;
    g_return_val_if_fail(config_dir != NULL, NULL);
    self = g_object_new(BB_TYPE_CATALOG, NULL);
    self->config_dir = g_strdup(config_dir);
    if (repo_dir != NULL && !repo_is_config(config_dir, repo_dir))
        self->repo_dir = g_strdup(repo_dir);
    return self;
}

static gint
compare_entries(gconstpointer a, gconstpointer b)
{
    const BbCatalogEntry *ea = *(const BbCatalogEntry *const *)a;
    const BbCatalogEntry *eb = *(const BbCatalogEntry *const *)b;
    gint by_name = g_strcmp0(ea->name, eb->name);
    if (by_name != 0)
        return by_name;
    return (gint)ea->origin - (gint)eb->origin; /* home first */
}

static void
add_warning(BbCatalog *self, const gchar *file, const gchar *message)
{
    bb_diagnostics_add(self->diagnostics, file, 0, 0, TRUE, message);
}

/* Reads @path when it is a regular file of acceptable size. Returns
 * NULL (after a diagnostic) otherwise; a FIFO or a device planted in a
 * repo must not hang or flood us. */
static gchar *
read_manifest(BbCatalog *self, const gchar *path, BbManifestOrigin origin, gsize *len)
{
    GStatBuf st;
    g_autoptr(GError) error = NULL;
    gchar *data = NULL;

    /* A repo's symlink could aim us at any file of the user's. */
    if (origin == BB_ORIGIN_REPO && g_lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        add_warning(self, path,
                    "ignored: a symbolic link inside a repository; expected a regular file");
        return NULL;
    }
    if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        add_warning(self, path, "ignored: not a regular file; expected a Markdown manifest");
        return NULL;
    }
    if (st.st_size > BB_MANIFEST_MAX_SIZE) {
        g_autofree gchar *message =
            g_strdup_printf("file: %" G_GINT64_FORMAT " bytes; expected at most %d bytes",
                            (gint64)st.st_size, BB_MANIFEST_MAX_SIZE);
        bb_diagnostics_add(self->diagnostics, path, 1, 1, FALSE, message);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, len, &error)) {
        g_autofree gchar *message =
            g_strdup_printf("file: %s; expected a readable file", error->message);
        bb_diagnostics_add(self->diagnostics, path, 1, 1, FALSE, message);
        return NULL;
    }
    return data;
}

typedef void (*ManifestFunc)(BbCatalog *self, const gchar *path, const gchar *name,
                             BbManifestOrigin origin, const gchar *data, gsize len);

/* Calls @func for every `<name>.md` in @dir; a missing @dir is empty. */
static gboolean
scan_dir(BbCatalog *self, const gchar *dir, BbManifestOrigin origin, ManifestFunc func,
         GError **error)
{
    g_autoptr(GDir) handle = NULL;
    g_autoptr(GError) local_error = NULL;
    const gchar *file;

    handle = g_dir_open(dir, 0, &local_error);
    if (handle == NULL) {
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "cannot read manifest directory %s: %s; check its permissions", dir,
                    local_error->message);
        return FALSE;
    }
    while ((file = g_dir_read_name(handle)) != NULL) {
        g_autofree gchar *path = NULL;
        g_autofree gchar *name = NULL;
        g_autofree gchar *data = NULL;
        gsize len = 0;
        if (file[0] == '.' || !g_str_has_suffix(file, ".md"))
            continue;
        path = g_build_filename(dir, file, NULL);
        name = g_strndup(file, strlen(file) - 3);
        if (!bb_manifest_is_name(name)) {
            add_warning(self, path,
                        "ignored: the file name is not a valid manifest name; expected "
                        "letters, digits, '.', '_' and '-' before .md");
            continue;
        }
        data = read_manifest(self, path, origin, &len);
        if (data != NULL)
            func(self, path, name, origin, data, len);
    }
    return TRUE;
}

static BbCatalogEntry *
entry_new(const gchar *name, const gchar *path, BbManifestOrigin origin)
{
    BbCatalogEntry *entry = g_new0(BbCatalogEntry, 1);
    entry->name = g_strdup(name);
    entry->path = g_strdup(path);
    entry->origin = origin;
    return entry;
}

static void
add_bottle(BbCatalog *self, const gchar *path, const gchar *name, BbManifestOrigin origin,
           const gchar *data, gsize len)
{
    BbBottleManifest *bottle = bb_bottle_manifest_parse(path, name, data, len, self->diagnostics);
    g_hash_table_replace(self->bottles, g_strdup(name), bottle);
    g_ptr_array_add(self->bottle_entries, entry_new(name, path, origin));
}

static void
add_agent(BbCatalog *self, const gchar *path, const gchar *name, BbManifestOrigin origin,
          const gchar *data, gsize len)
{
    g_ptr_array_add(self->agents,
                    bb_agent_manifest_parse(path, name, origin, data, len, self->diagnostics));
    g_ptr_array_add(self->agent_entries, entry_new(name, path, origin));
}

static void
mark_shadowed_agents(BbCatalog *self)
{
    for (guint i = 0; i < self->agent_entries->len; i++) {
        BbCatalogEntry *repo = g_ptr_array_index(self->agent_entries, i);
        if (repo->origin != BB_ORIGIN_REPO)
            continue;
        for (guint j = 0; j < self->agent_entries->len; j++) {
            BbCatalogEntry *home = g_ptr_array_index(self->agent_entries, j);
            g_autofree gchar *message = NULL;
            if (home->origin != BB_ORIGIN_HOME || g_strcmp0(home->name, repo->name) != 0)
                continue;
            repo->shadowed = TRUE;
            message = g_strdup_printf("ignored: agent '%s' is also defined in %s, which wins; "
                                      "expected a repo agent name not used by your own agents",
                                      repo->name, home->path);
            add_warning(self, repo->path, message);
        }
    }
}

static void
warn_repo_bottles(BbCatalog *self)
{
    g_autofree gchar *dir = g_build_filename(self->repo_dir, ".bot-bottle", "bottles", NULL);
    g_autofree gchar *message = NULL;
    if (!g_file_test(dir, G_FILE_TEST_EXISTS))
        return;
    message = g_strdup_printf(
        "ignored: a repository cannot define bottles, because bottles grant egress, secrets and "
        "git remotes; expected bottles only in %s/bottles (copy one there if you trust it)",
        self->config_dir);
    add_warning(self, dir, message);
}

gboolean
bb_catalog_load(BbCatalog *self, GError **error)
{
    g_autofree gchar *bottles = NULL;
    g_autofree gchar *agents = NULL;

    g_return_val_if_fail(BB_IS_CATALOG(self), FALSE);
    reset(self);
    bottles = g_build_filename(self->config_dir, "bottles", NULL);
    agents = g_build_filename(self->config_dir, "agents", NULL);
    if (!scan_dir(self, bottles, BB_ORIGIN_HOME, add_bottle, error) ||
        !scan_dir(self, agents, BB_ORIGIN_HOME, add_agent, error))
        return FALSE;
    if (self->repo_dir != NULL) {
        g_autofree gchar *repo_agents =
            g_build_filename(self->repo_dir, ".bot-bottle", "agents", NULL);
        warn_repo_bottles(self);
        if (!scan_dir(self, repo_agents, BB_ORIGIN_REPO, add_agent, error))
            return FALSE;
    }
    mark_shadowed_agents(self);
    return TRUE;
}

static GPtrArray *
sorted_copy(GPtrArray *entries)
{
    GPtrArray *copy = g_ptr_array_new_with_free_func((GDestroyNotify)bb_catalog_entry_free);
    for (guint i = 0; i < entries->len; i++) {
        const BbCatalogEntry *entry = g_ptr_array_index(entries, i);
        BbCatalogEntry *dup = entry_new(entry->name, entry->path, entry->origin);
        dup->shadowed = entry->shadowed;
        g_ptr_array_add(copy, dup);
    }
    g_ptr_array_sort(copy, compare_entries);
    return copy;
}

GPtrArray *
bb_catalog_get_agents(BbCatalog *self)
{
    g_return_val_if_fail(BB_IS_CATALOG(self), NULL);
    return sorted_copy(self->agent_entries);
}

GPtrArray *
bb_catalog_get_bottles(BbCatalog *self)
{
    g_return_val_if_fail(BB_IS_CATALOG(self), NULL);
    return sorted_copy(self->bottle_entries);
}

GPtrArray *
bb_catalog_get_diagnostics(BbCatalog *self)
{
    g_return_val_if_fail(BB_IS_CATALOG(self), NULL);
    return self->diagnostics;
}

const gchar *
bb_catalog_get_config_dir(BbCatalog *self)
{
    return self->config_dir;
}

const gchar *
bb_catalog_get_repo_dir(BbCatalog *self)
{
    return self->repo_dir;
}

BbBottleManifest *
bb_catalog_lookup_bottle(BbCatalog *self, const gchar *name)
{
    return g_hash_table_lookup(self->bottles, name);
}

gchar *
bb_catalog_describe_bottles(BbCatalog *self)
{
    g_autoptr(GPtrArray) entries = sorted_copy(self->bottle_entries);
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < entries->len; i++) {
        const BbCatalogEntry *entry = g_ptr_array_index(entries, i);
        g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", entry->name);
    }
    return g_string_free(g_steal_pointer(&names), FALSE);
}

void
bb_catalog_copy_file_diagnostics(BbCatalog *self, const gchar *file, GPtrArray *out)
{
    /* Diagnostics hold the file name as printed, so compare like with like. */
    g_autoptr(BbDiagnostic) probe = bb_diagnostic_new(file, 0, 0, FALSE, "");
    for (guint i = 0; i < self->diagnostics->len; i++) {
        const BbDiagnostic *diagnostic = g_ptr_array_index(self->diagnostics, i);
        if (!diagnostic->is_warning && g_strcmp0(diagnostic->file, probe->file) == 0)
            bb_diagnostics_add_copy(out, diagnostic);
    }
}

static BbAgentManifest *
lookup_agent(BbCatalog *self, const gchar *name)
{
    for (guint i = 0; i < self->agent_entries->len; i++) {
        const BbCatalogEntry *entry = g_ptr_array_index(self->agent_entries, i);
        if (!entry->shadowed && g_strcmp0(entry->name, name) == 0)
            return g_ptr_array_index(self->agents, i);
    }
    return NULL;
}

gboolean
bb_catalog_check(BbCatalog *self, BbRegistry *registry)
{
    g_autoptr(GPtrArray) found = bb_diagnostics_new();
    g_autoptr(GList) names = NULL;

    g_return_val_if_fail(BB_IS_CATALOG(self), FALSE);
    names = g_list_sort(g_hash_table_get_keys(self->bottles), (GCompareFunc)g_strcmp0);
    for (GList *l = names; l != NULL; l = l->next)
        bb_resolve_bottle(self, l->data, registry, found);
    for (guint i = 0; i < self->agent_entries->len; i++) {
        const BbCatalogEntry *entry = g_ptr_array_index(self->agent_entries, i);
        g_autoptr(BbPlan) plan = NULL;
        if (!entry->shadowed)
            plan = bb_resolve_agent(self, g_ptr_array_index(self->agents, i), registry, found);
    }
    for (guint i = 0; i < found->len; i++)
        bb_diagnostics_add_copy(self->diagnostics, g_ptr_array_index(found, i));
    return bb_diagnostics_count_errors(self->diagnostics) == 0;
}

static gchar *
join_diagnostics(GPtrArray *diagnostics)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint i = 0; i < diagnostics->len; i++) {
        g_autofree gchar *line = bb_diagnostic_to_string(g_ptr_array_index(diagnostics, i));
        g_string_append_printf(text, "%s%s", i > 0 ? "\n" : "", line);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

BbPlan *
bb_catalog_resolve(BbCatalog *self, const gchar *agent_name, BbRegistry *registry, GError **error)
{
    g_autoptr(GPtrArray) diagnostics = bb_diagnostics_new();
    BbAgentManifest *agent;
    BbPlan *plan;

    g_return_val_if_fail(BB_IS_CATALOG(self), NULL);
    g_return_val_if_fail(agent_name != NULL, NULL);
    agent = lookup_agent(self, agent_name);
    if (agent == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "no agent named '%s'; create %s/agents/%s.md or run `bot-bottle list` to "
                    "see the agents there are",
                    agent_name, self->config_dir, agent_name);
        return NULL;
    }
    plan = bb_resolve_agent(self, agent, registry, diagnostics);
    if (plan == NULL) {
        g_autofree gchar *text = join_diagnostics(diagnostics);
        g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST, "%s", text);
    }
    return plan;
}
