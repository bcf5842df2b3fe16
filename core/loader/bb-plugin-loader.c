/* The loading side of the registry: finds module files, checks them,
 * opens them and lets their plugins register. Modelled on GStreamer's
 * descriptor checks and libpeas' immediate binding; every failure is a
 * GError recorded in the file's BbPluginInfo, never a crash. */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "bb-config-paths.h"
#include "bb-error.h"
#include "bb-plugin-descriptor.h"
#include "bb-plugin-elf.h"
#include "bb-plugin-file.h"
#include "bb-registry-private.h"

#define PLUGIN_PATH_ENV "BOT_BOTTLE_PLUGIN_PATH"
#define NO_CONTRIB_ENV "BOT_BOTTLE_NO_CONTRIB"

static BbPluginInfo *
plugin_info_new(const gchar *path, BbPluginOrigin origin)
{
    BbPluginInfo *info = g_new0(BbPluginInfo, 1);
    info->name = g_path_get_basename(path);
    info->path = g_strdup(path);
    info->origin = origin;
    info->status = BB_PLUGIN_STATUS_FAILED;
    return info;
}

static void
plugin_info_fill(BbPluginInfo *info, const BbPluginDescriptor *descriptor)
{
    g_free(info->name);
    info->name = g_strdup(descriptor->name);
    info->version = g_strdup(descriptor->version);
    info->license = g_strdup(descriptor->license);
    info->description = g_strdup(descriptor->description);
}

/* Calls the module's entry point; the descriptor is not validated yet. */
static const BbPluginDescriptor *
read_descriptor(GModule *module, GError **error)
{
    BbPluginEntryFunc entry = NULL;
    const BbPluginDescriptor *descriptor;

    if (!g_module_symbol(module, BB_PLUGIN_ENTRY_SYMBOL, (gpointer *)&entry) || entry == NULL) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "no " BB_PLUGIN_ENTRY_SYMBOL "() is exported; define the plugin "
                            "with BB_PLUGIN_DEFINE()");
        return NULL;
    }
    descriptor = entry();
    if (descriptor == NULL) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            BB_PLUGIN_ENTRY_SYMBOL "() returned NULL; return the descriptor "
                                                   "BB_PLUGIN_DEFINE() builds");
        return NULL;
    }
    return descriptor;
}

/* Opens @path and returns its (unvalidated) descriptor; on success @module
 * holds the open module, which the caller must close or make resident.
 * (GLib 2.74 has no autoptr for GModule, hence the manual close.) */
static const BbPluginDescriptor *
open_plugin(const gchar *path, GModule **module, GError **error)
{
    GModule *opened;
    const BbPluginDescriptor *descriptor;

    /* Not LAZY: an unresolved symbol fails here, not mid-request. LOCAL:
     * one plugin's symbols never satisfy another's. */
    opened = g_module_open(path, G_MODULE_BIND_LOCAL);
    if (opened == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN, "cannot load: %s", g_module_error());
        return NULL;
    }
    descriptor = read_descriptor(opened, error);
    if (descriptor == NULL) {
        g_module_close(opened);
        return NULL;
    }
    *module = opened;
    return descriptor;
}

/* Runs register_types() so that whatever it added is attributed to
 * @info, and on failure takes all of it back. */
static gboolean
register_plugin(BbRegistry *self, BbPluginInfo *info, const BbPluginDescriptor *descriptor,
                GError **error)
{
    g_autoptr(GError) local_error = NULL;
    gboolean ok;

    bb_registry_begin_plugin(self, info);
    ok = descriptor->register_types(self, &local_error);
    bb_registry_end_plugin(self);
    if (ok && local_error == NULL)
        return TRUE;

    bb_registry_drop_plugin(self, info->name);
    g_clear_pointer(&info->kinds, g_strfreev);
    if (local_error == NULL) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "register_types() failed without saying why");
        return FALSE;
    }
    g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN, "register_types() failed: %s",
                local_error->message);
    return FALSE;
}

static gboolean
load_module(BbRegistry *self, BbPluginInfo *info, GError **error)
{
    GModule *module = NULL;
    const BbPluginDescriptor *descriptor;
    const BbPluginInfo *existing;

    if (!bb_plugin_elf_check(info->path, error))
        return FALSE;
    if (info->origin == BB_PLUGIN_ORIGIN_CONTRIB)
        bb_registry_set_tainted(self); /* its constructors run as we open it */
    descriptor = open_plugin(info->path, &module, error);
    if (descriptor == NULL)
        return FALSE;
    /* Recorded first: `plugins` shows the ABI of a plugin refused for it. */
    info->abi_major = descriptor->abi_major;
    info->abi_minor = descriptor->abi_minor;
    if (!bb_plugin_descriptor_validate(descriptor, error)) {
        g_module_close(module);
        return FALSE;
    }
    plugin_info_fill(info, descriptor);

    existing = bb_registry_find_plugin(self, descriptor->name);
    if (existing != NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                    "a plugin named '%s' is already loaded from %s; remove one of the two",
                    descriptor->name, existing->path);
        g_module_close(module);
        return FALSE;
    }

    /* From here the plugin may have registered GTypes whose classes live
     * in its code: it must never be unloaded, whatever happens next. */
    g_module_make_resident(module);
    if (!register_plugin(self, info, descriptor, error))
        return FALSE;
    info->status = BB_PLUGIN_STATUS_LOADED;
    g_debug("loaded plugin %s %s (ABI %u.%u) from %s", info->name, info->version, info->abi_major,
            info->abi_minor, info->path);
    return TRUE;
}

static gboolean
load_checked_file(BbRegistry *self, BbPluginInfo *info, GError **error)
{
    if (load_module(self, info, error))
        return TRUE;
    g_prefix_error(error, "%s: ", info->path);
    return FALSE;
}

gboolean
bb_registry_load_file(BbRegistry *self, const gchar *path, BbPluginOrigin origin, GError **error)
{
    BbPluginInfo *info;
    g_autoptr(GError) local_error = NULL;
    gboolean ok = TRUE;

    g_return_val_if_fail(BB_IS_REGISTRY(self), FALSE);
    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    info = plugin_info_new(path, origin);
    if (origin == BB_PLUGIN_ORIGIN_CONTRIB)
        ok = bb_plugin_file_check_trusted(path, &local_error);
    if (ok)
        ok = load_checked_file(self, info, &local_error);
    if (!ok) {
        info->status = BB_PLUGIN_STATUS_FAILED;
        info->error = g_error_copy(local_error);
        g_propagate_error(error, g_steal_pointer(&local_error));
    }
    bb_registry_take_plugin_info(self, info);
    return ok;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* The module files (*.so) in @dir, sorted so load order is stable. */
static void
close_dir(DIR *handle)
{
    closedir(handle);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DIR, close_dir)

static GPtrArray *
list_modules(const gchar *dir, GError **error)
{
    g_autoptr(DIR) handle = opendir(dir);
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GPtrArray) paths = NULL;
    struct dirent *entry;

    if (handle == NULL) {
        int saved_errno = errno;
        g_set_error_literal(error, BB_ERROR, BB_ERROR_NOT_FOUND, g_strerror(saved_errno));
        return NULL;
    }
    names = g_ptr_array_new_with_free_func(g_free);
    while ((entry = readdir(handle)) != NULL) {
        if (g_str_has_suffix(entry->d_name, ".so"))
            g_ptr_array_add(names, g_strdup(entry->d_name));
    }
    g_ptr_array_sort(names, compare_strings);
    paths = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(paths, g_build_filename(dir, g_ptr_array_index(names, i), NULL));
    return g_steal_pointer(&paths);
}

static gboolean
load_builtin_dir(BbRegistry *self, const gchar *dir, GError **error)
{
    g_autoptr(GError) list_error = NULL; /* its message is strerror() */
    g_autoptr(GPtrArray) paths = list_modules(dir, &list_error);

    if (paths == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                    "cannot read the built-in plugin directory %s (%s); set " PLUGIN_PATH_ENV
                    " or reinstall bot-bottle",
                    dir, list_error->message);
        return FALSE;
    }
    for (guint i = 0; i < paths->len; i++) {
        if (!bb_registry_load_file(self, g_ptr_array_index(paths, i), BB_PLUGIN_ORIGIN_BUILTIN,
                                   error)) {
            g_prefix_error(error, "a built-in plugin is broken (reinstall bot-bottle): ");
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
load_builtins(BbRegistry *self, GError **error)
{
    const gchar *search_path = g_getenv(PLUGIN_PATH_ENV);
    g_auto(GStrv) dirs = NULL;

    if (search_path == NULL || search_path[0] == '\0')
        return load_builtin_dir(self, BB_PLUGINDIR, error);
    dirs = g_strsplit(search_path, ":", -1);
    for (guint i = 0; dirs[i] != NULL; i++) {
        if (dirs[i][0] == '\0')
            continue;
        if (!load_builtin_dir(self, dirs[i], error))
            return FALSE;
    }
    return TRUE;
}

/* Contrib modules are listed, not opened, so `plugins` can show what
 * BOT_BOTTLE_NO_CONTRIB switched off. */
static void
record_disabled(BbRegistry *self, const gchar *path)
{
    BbPluginInfo *info = plugin_info_new(path, BB_PLUGIN_ORIGIN_CONTRIB);
    info->status = BB_PLUGIN_STATUS_DISABLED;
    bb_registry_take_plugin_info(self, info);
}

static void
record_misplaced(BbRegistry *self, const gchar *contrib_dir, const gchar *path)
{
    BbPluginInfo *info = plugin_info_new(path, BB_PLUGIN_ORIGIN_CONTRIB);
    g_autofree gchar *stem = g_path_get_basename(path);

    stem[strlen(stem) - strlen(".so")] = '\0';
    info->error = g_error_new(BB_ERROR, BB_ERROR_PLUGIN,
                              "%s is not loaded: contrib modules go in a directory of their own; "
                              "move it to %s/%s/",
                              path, contrib_dir, stem);
    bb_registry_take_plugin_info(self, info);
}

static void
load_contrib_plugin_dir(BbRegistry *self, const gchar *dir, gboolean disabled)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) paths = list_modules(dir, &error);

    /* A directory we cannot read holds nothing we could load. */
    if (paths == NULL) {
        g_debug("skipping contrib directory %s: %s", dir, error->message);
        return;
    }
    for (guint i = 0; i < paths->len; i++) {
        const gchar *path = g_ptr_array_index(paths, i);
        g_autoptr(GError) load_error = NULL;

        if (disabled) {
            record_disabled(self, path);
        } else if (!bb_registry_load_file(self, path, BB_PLUGIN_ORIGIN_CONTRIB, &load_error)) {
            g_debug("contrib plugin not loaded: %s", load_error->message);
        }
    }
}

/* Recorded as one failed entry for the directory: `plugins` then says
 * why nothing from contrib was loaded. */
static gboolean
contrib_dir_is_trusted(BbRegistry *self, const gchar *contrib_dir)
{
    g_autoptr(GError) error = NULL;
    BbPluginInfo *info;

    if (bb_plugin_dir_check_trusted(contrib_dir, &error))
        return TRUE;
    info = plugin_info_new(contrib_dir, BB_PLUGIN_ORIGIN_CONTRIB);
    g_prefix_error(&error, "no contrib plugin is loaded: ");
    info->error = g_steal_pointer(&error);
    bb_registry_take_plugin_info(self, info);
    return FALSE;
}

static void
load_contrib(BbRegistry *self, const gchar *contrib_dir, gboolean disabled)
{
    g_autoptr(GDir) handle = g_dir_open(contrib_dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const gchar *name;

    if (handle == NULL)
        return; /* no contrib directory: nothing installed */
    if (!disabled && !contrib_dir_is_trusted(self, contrib_dir))
        return;
    while ((name = g_dir_read_name(handle)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_strings);

    for (guint i = 0; i < names->len; i++) {
        g_autofree gchar *path = g_build_filename(contrib_dir, g_ptr_array_index(names, i), NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            load_contrib_plugin_dir(self, path, disabled);
        else if (g_str_has_suffix(path, ".so") && !disabled)
            record_misplaced(self, contrib_dir, path);
    }
}

gboolean
bb_registry_load_all(BbRegistry *self, const gchar *contrib_dir, GError **error)
{
    gboolean disabled = bb_plugin_contrib_disabled();

    g_return_val_if_fail(BB_IS_REGISTRY(self), FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!load_builtins(self, error))
        return FALSE;
    bb_registry_set_contrib_disabled(self, disabled);
    if (contrib_dir != NULL)
        load_contrib(self, contrib_dir, disabled);
    return TRUE;
}
