/* Whoever can write a module file (or swap it by writing its directory)
 * can run code as the user, so a contrib module is only opened when
 * nobody but the user or root could have put it there. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb-error.h"
#include "bb-plugin-file.h"

static gboolean
owner_is_trusted(uid_t owner)
{
    return owner == getuid() || owner == 0;
}

static gboolean
check_owner_and_mode(const gchar *what, const gchar *path, const struct stat *st, GError **error)
{
    if (!owner_is_trusted(st->st_uid)) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s%s is owned by uid %u, not by you (uid %u) or root; run chown %u %s", what,
                    path, (guint)st->st_uid, (guint)getuid(), (guint)getuid(), path);
        return FALSE;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s%s is writable by group or others (mode %04o); run chmod go-w %s", what,
                    path, (guint)(st->st_mode & 07777), path);
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_plugin_dir_check_trusted(const gchar *dir, GError **error)
{
    struct stat st;

    /* stat, not lstat: a directory reached through a link is judged by
     * what it points to, which is what the module is loaded from. */
    if (stat(dir, &st) != 0) {
        int saved_errno = errno;
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION, "cannot inspect directory %s: %s", dir,
                    g_strerror(saved_errno));
        return FALSE;
    }
    return check_owner_and_mode("directory ", dir, &st, error);
}

gboolean
bb_plugin_file_check_trusted(const gchar *path, GError **error)
{
    struct stat st;
    g_autofree gchar *dir = NULL;

    g_return_val_if_fail(path != NULL, FALSE);

    if (!g_path_is_absolute(path)) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s is not an absolute path; give the full path to the module", path);
        return FALSE;
    }
    if (lstat(path, &st) != 0) {
        int saved_errno = errno;
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION, "cannot inspect %s: %s", path,
                    g_strerror(saved_errno));
        return FALSE;
    }
    if (S_ISLNK(st.st_mode)) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s is a symbolic link; copy the module itself into the contrib directory",
                    path);
        return FALSE;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, BB_ERROR, BB_ERROR_PERMISSION,
                    "%s is not a regular file; remove it or replace it with the module file", path);
        return FALSE;
    }
    if (!check_owner_and_mode("", path, &st, error))
        return FALSE;

    dir = g_path_get_dirname(path);
    return bb_plugin_dir_check_trusted(dir, error);
}

gboolean
bb_plugin_contrib_disabled(void)
{
    const gchar *value = g_getenv("BOT_BOTTLE_NO_CONTRIB");
    return value != NULL && value[0] != '\0' && g_strcmp0(value, "0") != 0;
}
