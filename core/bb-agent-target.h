/* BbAgentTarget: the running agent container/VM as a provisioning target.
 * Backends implement it; providers use it to install the CA, git config,
 * prompt and skills without knowing which backend runs the agent. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BB_TYPE_AGENT_TARGET (bb_agent_target_get_type())
G_DECLARE_INTERFACE(BbAgentTarget, bb_agent_target, BB, AGENT_TARGET, GObject)

struct _BbAgentTargetInterface {
    GTypeInterface parent_iface;

    /* Since: 0.1 */
    gboolean (*write_file)(BbAgentTarget *self, const gchar *path, GBytes *contents, guint mode,
                           gboolean as_root, GError **error);
    /* Copies a host directory tree to @target_dir. Since: 0.1 */
    gboolean (*copy_dir)(BbAgentTarget *self, const gchar *host_dir, const gchar *target_dir,
                         GError **error);
    /* Runs @argv to completion; returns its exit status in @status. Since: 0.1 */
    gboolean (*exec)(BbAgentTarget *self, const gchar *const *argv, gboolean as_root, gint *status,
                     GError **error);
};

gboolean bb_agent_target_write_file(BbAgentTarget *self, const gchar *path, GBytes *contents,
                                    guint mode, gboolean as_root, GError **error);
gboolean bb_agent_target_copy_dir(BbAgentTarget *self, const gchar *host_dir,
                                  const gchar *target_dir, GError **error);
gboolean bb_agent_target_exec(BbAgentTarget *self, const gchar *const *argv, gboolean as_root,
                              gint *status, GError **error);

G_END_DECLS
