/* Where manifests live: the user's config directory and the repository
 * the command runs in. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $BOT_BOTTLE_CONFIG_DIR when set and non-empty, else ~/.bot-bottle. */
gchar *bb_config_dir(void);
/* The nearest ancestor of @start_dir (inclusive) holding `.git` or
 * `.bot-bottle`, or NULL. The home directory is never a repository: its
 * `.bot-bottle` is the trusted user config, not a repo's. */
gchar *bb_find_repo_root(const gchar *start_dir);

G_END_DECLS
