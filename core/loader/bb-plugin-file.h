/* Checks a third-party module file must pass before it is opened. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @path is an absolute path to a regular file (not a symlink)
 * owned by the current user or root and writable by neither group nor
 * others, in a directory that passes the same ownership and mode test.
 * Otherwise FALSE with a BB_ERROR_PERMISSION error that says how to fix it. */
gboolean bb_plugin_file_check_trusted(const gchar *path, GError **error);

/* The same ownership and mode test for a directory, e.g. the contrib
 * directory itself: whoever can write it can swap a plugin's directory. */
gboolean bb_plugin_dir_check_trusted(const gchar *dir, GError **error);

/* Whether BOT_BOTTLE_NO_CONTRIB switches contrib modules off (set, not
 * empty, not "0"). */
gboolean bb_plugin_contrib_disabled(void);

G_END_DECLS
