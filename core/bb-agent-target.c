#include "bb-agent-target.h"
#include "bb-error.h"

G_DEFINE_INTERFACE(BbAgentTarget, bb_agent_target, G_TYPE_OBJECT)

static void
bb_agent_target_default_init(BbAgentTargetInterface *iface)
{
}

static gboolean
slot_missing(gpointer self, const gchar *what, GError **error)
{
    g_set_error(error, BB_ERROR, BB_ERROR_NOT_SUPPORTED, "%s cannot %s", G_OBJECT_TYPE_NAME(self),
                what);
    return FALSE;
}

gboolean
bb_agent_target_write_file(BbAgentTarget *self, const gchar *path, GBytes *contents, guint mode,
                           gboolean as_root, GError **error)
{
    BbAgentTargetInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_TARGET(self), FALSE);
    g_return_val_if_fail(path != NULL && contents != NULL, FALSE);
    iface = BB_AGENT_TARGET_GET_IFACE(self);
    if (iface->write_file == NULL)
        return slot_missing(self, "write files", error);
    return iface->write_file(self, path, contents, mode, as_root, error);
}

gboolean
bb_agent_target_copy_dir(BbAgentTarget *self, const gchar *host_dir, const gchar *target_dir,
                         GError **error)
{
    BbAgentTargetInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_TARGET(self), FALSE);
    g_return_val_if_fail(host_dir != NULL && target_dir != NULL, FALSE);
    iface = BB_AGENT_TARGET_GET_IFACE(self);
    if (iface->copy_dir == NULL)
        return slot_missing(self, "copy directories", error);
    return iface->copy_dir(self, host_dir, target_dir, error);
}

gboolean
bb_agent_target_exec(BbAgentTarget *self, const gchar *const *argv, gboolean as_root, gint *status,
                     GError **error)
{
    BbAgentTargetInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_TARGET(self), FALSE);
    g_return_val_if_fail(argv != NULL && argv[0] != NULL, FALSE);
    iface = BB_AGENT_TARGET_GET_IFACE(self);
    if (iface->exec == NULL)
        return slot_missing(self, "run commands", error);
    return iface->exec(self, argv, as_root, status, error);
}
