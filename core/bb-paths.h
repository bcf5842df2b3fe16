/* Installed data locations, overridable for the build tree and tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $BOT_BOTTLE_DATA_DIR when set and non-empty, else the install's
 * $datadir/bot-bottle: rule packs, Dockerfiles, default bottles. */
gchar *bb_data_dir(void);
/* bb_data_dir()/@first_element/… */
gchar *bb_data_path(const gchar *first_element, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
