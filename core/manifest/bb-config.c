#include "bb-config.h"

gchar *
bb_config_dir(void)
{
    const gchar *override = g_getenv("BOT_BOTTLE_CONFIG_DIR");
    if (override != NULL && override[0] != '\0')
        return g_strdup(override);
    return g_build_filename(g_get_home_dir(), ".bot-bottle", NULL);
}

static gboolean
is_home(const gchar *dir)
{
    g_autofree gchar *home = g_canonicalize_filename(g_get_home_dir(), "/");
    return g_strcmp0(dir, home) == 0;
}

static gboolean
has_repo_marker(const gchar *dir)
{
    g_autofree gchar *git = g_build_filename(dir, ".git", NULL);
    g_autofree gchar *bb = g_build_filename(dir, ".bot-bottle", NULL);
    return g_file_test(git, G_FILE_TEST_EXISTS) || g_file_test(bb, G_FILE_TEST_IS_DIR);
}

gchar *
bb_find_repo_root(const gchar *start_dir)
{
    g_autofree gchar *dir = NULL;

    g_return_val_if_fail(start_dir != NULL, NULL);
    dir = g_canonicalize_filename(start_dir, NULL);
    for (;;) {
        g_autofree gchar *parent = NULL;
        if (!is_home(dir) && has_repo_marker(dir))
            return g_steal_pointer(&dir);
        parent = g_path_get_dirname(dir);
        if (g_strcmp0(parent, dir) == 0)
            return NULL;
        g_free(dir);
        dir = g_steal_pointer(&parent);
    }
}
