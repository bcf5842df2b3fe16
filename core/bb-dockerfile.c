#include "bb-dockerfile.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb-error.h"

static gboolean
is_file(const gchar *path)
{
    return path != NULL && g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

gchar *
bb_dockerfile_cascade(const gchar *bottle_manifest, const gchar *manifest_dockerfile,
                      const gchar *config_dir, const gchar *template_name,
                      BbAgentProvider *provider)
{
    if (bottle_manifest != NULL && g_str_has_suffix(bottle_manifest, ".md")) {
        g_autofree gchar *stem = g_strndup(bottle_manifest, strlen(bottle_manifest) - 3);
        g_autofree gchar *override = g_strconcat(stem, ".Dockerfile", NULL);
        if (is_file(override))
            return g_steal_pointer(&override);
    }
    if (is_file(manifest_dockerfile))
        return g_strdup(manifest_dockerfile);
    if (config_dir != NULL && template_name != NULL) {
        g_autofree gchar *contrib =
            g_build_filename(config_dir, "contrib", template_name, "Dockerfile", NULL);
        if (is_file(contrib))
            return g_steal_pointer(&contrib);
    }
    if (provider != NULL) {
        g_autofree gchar *fallback = bb_agent_provider_get_default_dockerfile(provider, NULL);
        if (is_file(fallback))
            return g_steal_pointer(&fallback);
    }
    return NULL;
}

/* The prepare program runs as the user: hold it to the loader's rule for
 * contrib modules, so a file someone else can write never runs. */
static gboolean
check_prepare_trusted(const gchar *path, GError **error)
{
    GStatBuf st;
    if (g_lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s is not a regular file; replace the link with the program itself", path);
        return FALSE;
    }
    if (st.st_uid != getuid() && st.st_uid != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s is owned by another user (uid %u); chown it to yourself", path,
                    (guint)st.st_uid);
        return FALSE;
    }
    if ((st.st_mode & 022) != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s is writable by group or others (mode %04o); run chmod go-w", path,
                    (guint)(st.st_mode & 07777));
        return FALSE;
    }
    return TRUE;
}

static gchar *
cache_path(const gchar *name)
{
    const gchar *override = g_getenv("BOT_BOTTLE_CACHE_DIR");
    if (override != NULL && *override != '\0')
        return g_build_filename(override, name, NULL);
    return g_build_filename(g_get_user_cache_dir(), "bot-bottle", name, NULL);
}

static gchar *
contexts_dir(void)
{
    return cache_path("contexts");
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* Metadata of the regular files directly in @dir, in name order. */
static void
stamp_dir_files(GChecksum *checksum, const gchar *dir)
{
    g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const gchar *name;
    while (handle != NULL && (name = g_dir_read_name(handle)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_strings);
    for (guint i = 0; i < names->len; i++) {
        g_autofree gchar *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        GStatBuf st;
        if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        g_autofree gchar *line = g_strdup_printf(
            "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT ".%09ld %" G_GUINT64_FORMAT " %o %u\n",
            path, (gint64)st.st_size, (gint64)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
            (guint64)st.st_ino, (guint)st.st_mode, (guint)st.st_uid);
        g_checksum_update(checksum, (const guchar *)line, (gssize)strlen(line));
    }
}

/* The prepare program's inputs: its own directory (Dockerfile, prepare),
 * the shared scripts in the two above (prepare-context.sh,
 * make-base-image.sh), and the settings it reads from the environment
 * (package spec, cache location). */
static gchar *
prepare_key(const gchar *dockerfile)
{
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree gchar *dir = g_path_get_dirname(dockerfile);
    g_autofree gchar *parent = g_path_get_dirname(dir);
    g_autofree gchar *grandparent = g_path_get_dirname(parent);
    stamp_dir_files(checksum, dir);
    stamp_dir_files(checksum, parent);
    stamp_dir_files(checksum, grandparent);
    g_auto(GStrv) environment = g_get_environ();
    g_autoptr(GPtrArray) settings = g_ptr_array_new();
    for (gchar **entry = environment; *entry != NULL; entry++)
        if (g_str_has_prefix(*entry, "BB_") || g_str_has_prefix(*entry, "BOT_BOTTLE_") ||
            g_str_has_prefix(*entry, "HOME=") || g_str_has_prefix(*entry, "XDG_CACHE_HOME=") ||
            g_str_has_prefix(*entry, "PATH="))
            g_ptr_array_add(settings, *entry);
    g_ptr_array_sort(settings, compare_strings);
    for (guint i = 0; i < settings->len; i++) {
        const gchar *entry = g_ptr_array_index(settings, i);
        g_checksum_update(checksum, (const guchar *)entry, (gssize)strlen(entry) + 1);
    }
    return g_strdup(g_checksum_get_string(checksum));
}

static GKeyFile *
load_memo(void)
{
    g_autofree gchar *path = cache_path("prepared.ini");
    GKeyFile *memo = g_key_file_new();
    /* Missing or corrupt: an empty memo, i.e. prepare runs. */
    if (!g_key_file_load_from_file(memo, path, G_KEY_FILE_NONE, NULL)) {
        g_key_file_free(memo);
        memo = g_key_file_new();
    }
    return memo;
}

/* A key-file group name for any path (groups cannot hold '[' or ']'). */
static gchar *
memo_group(const gchar *dockerfile)
{
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, dockerfile, -1);
}

static void
store_memo(const gchar *dockerfile, const gchar *key, const gchar *prepared)
{
    g_autoptr(GKeyFile) memo = load_memo();
    g_autofree gchar *group = memo_group(dockerfile);
    g_key_file_set_string(memo, group, "dockerfile", dockerfile);
    g_key_file_set_string(memo, group, "key", key);
    g_key_file_set_string(memo, group, "prepared", prepared);
    g_autofree gchar *path = cache_path("prepared.ini");
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_autoptr(GError) error = NULL;
    gsize length = 0;
    g_autofree gchar *text = g_key_file_to_data(memo, &length, NULL);
    if (g_mkdir_with_parents(dir, 0700) != 0 ||
        !g_file_set_contents(path, text, (gssize)length, &error))
        g_debug("prepare memo %s not written: %s", path,
                error != NULL ? error->message : g_strerror(errno));
}

static gboolean
refresh_requested(void)
{
    return g_strcmp0(g_getenv("BB_NPM_REFRESH"), "1") == 0;
}

gchar *
bb_dockerfile_prepared_cached(const gchar *dockerfile)
{
    g_autofree gchar *dir = g_path_get_dirname(dockerfile);
    g_autofree gchar *prepare = g_build_filename(dir, "prepare", NULL);
    if (!g_file_test(prepare, G_FILE_TEST_EXISTS))
        return g_strdup(dockerfile);
    if (refresh_requested() || !check_prepare_trusted(prepare, NULL))
        return NULL;
    g_autoptr(GKeyFile) memo = load_memo();
    g_autofree gchar *group = memo_group(dockerfile);
    g_autofree gchar *recorded = g_key_file_get_string(memo, group, "key", NULL);
    g_autofree gchar *prepared = g_key_file_get_string(memo, group, "prepared", NULL);
    g_autofree gchar *key = recorded != NULL ? prepare_key(dockerfile) : NULL;
    if (g_strcmp0(recorded, key) != 0 || prepared == NULL || !g_path_is_absolute(prepared) ||
        !is_file(prepared))
        return NULL;
    return g_steal_pointer(&prepared);
}

gchar *
bb_dockerfile_prepare(const gchar *dockerfile, GCancellable *cancellable, GError **error)
{
    g_autofree gchar *dir = g_path_get_dirname(dockerfile);
    g_autofree gchar *prepare = g_build_filename(dir, "prepare", NULL);
    if (!g_file_test(prepare, G_FILE_TEST_EXISTS))
        return g_strdup(dockerfile);
    if (!check_prepare_trusted(prepare, error))
        return NULL;
    /* Keyed before it runs: an input changed meanwhile makes the next start run it again. */
    g_autofree gchar *key = prepare_key(dockerfile);
    g_autofree gchar *out_dir = contexts_dir();
    if (g_mkdir_with_parents(out_dir, 0700) != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot create %s: %s", out_dir,
                    g_strerror(errno));
        return NULL;
    }
    /* stderr is inherited: the user watches the npm install and base build. */
    g_autoptr(GSubprocess) child =
        g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, error, prepare, out_dir, NULL);
    if (child == NULL) {
        g_prefix_error(error, "Running %s: ", prepare);
        return NULL;
    }
    g_autofree gchar *out = NULL;
    if (!g_subprocess_communicate_utf8(child, NULL, cancellable, &out, NULL, error))
        return NULL;
    if (!g_subprocess_get_successful(child)) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "preparing the image context failed (%s, exit %d); its messages above say "
                    "what is missing",
                    prepare,
                    g_subprocess_get_if_exited(child) ? g_subprocess_get_exit_status(child) : -1);
        return NULL;
    }
    g_strstrip(out);
    const gchar *last = strrchr(out, '\n');
    g_autofree gchar *prepared = g_strdup(last != NULL ? last + 1 : out);
    if (!g_path_is_absolute(prepared) || !is_file(prepared)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "%s printed '%s', not the path of a Dockerfile; fix the prepare program",
                    prepare, prepared);
        return NULL;
    }
    store_memo(dockerfile, key, prepared);
    return g_steal_pointer(&prepared);
}
