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
contexts_dir(void)
{
    const gchar *override = g_getenv("BOT_BOTTLE_CACHE_DIR");
    if (override != NULL && *override != '\0')
        return g_build_filename(override, "contexts", NULL);
    return g_build_filename(g_get_user_cache_dir(), "bot-bottle", "contexts", NULL);
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
    return g_steal_pointer(&prepared);
}
