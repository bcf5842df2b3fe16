#include "bb-backend.h"
#include "bb-error.h"

G_DEFINE_INTERFACE(BbBackend, bb_backend, G_TYPE_OBJECT)

static void
bb_backend_default_init(BbBackendInterface *iface)
{
}

void
bb_bottle_info_free(BbBottleInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->slug);
    g_free(info->agent);
    g_free(info->backend);
    g_free(info->state);
    g_free(info->image);
    g_free(info);
}

static void
set_not_supported(gpointer self, const gchar *what, GError **error)
{
    g_set_error(error, BB_ERROR, BB_ERROR_NOT_SUPPORTED, "backend %s cannot %s",
                G_OBJECT_TYPE_NAME(self), what);
}

#define BACKEND_IFACE_OR_FAIL(self, slot, what, failval)                                           \
    BbBackendInterface *iface;                                                                     \
    g_return_val_if_fail(BB_IS_BACKEND(self), failval);                                            \
    iface = BB_BACKEND_GET_IFACE(self);                                                            \
    if (iface->slot == NULL) {                                                                     \
        set_not_supported(self, what, error);                                                      \
        return failval;                                                                            \
    }

gboolean
bb_backend_is_available(BbBackend *self, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, is_available, "report availability", FALSE);
    return iface->is_available(self, error);
}

gboolean
bb_backend_prepare_images(BbBackend *self, BbPlan *plan, BbProgressFunc progress,
                          gpointer progress_data, GCancellable *cancellable, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, prepare_images, "prepare images", FALSE);
    g_return_val_if_fail(BB_IS_PLAN(plan), FALSE);
    return iface->prepare_images(self, plan, progress, progress_data, cancellable, error);
}

gchar *
bb_backend_launch(BbBackend *self, BbPlan *plan, const BbLaunchOptions *options,
                  GCancellable *cancellable, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, launch, "launch bottles", NULL);
    g_return_val_if_fail(BB_IS_PLAN(plan), NULL);
    g_return_val_if_fail(options != NULL, NULL);
    return iface->launch(self, plan, options, cancellable, error);
}

gboolean
bb_backend_exec(BbBackend *self, const gchar *slug, const gchar *const *argv, gboolean interactive,
                gint *status, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, exec, "run commands in bottles", FALSE);
    g_return_val_if_fail(slug != NULL && argv != NULL, FALSE);
    return iface->exec(self, slug, argv, interactive, status, error);
}

GPtrArray *
bb_backend_list(BbBackend *self, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, list, "list bottles", NULL);
    return iface->list(self, error);
}

gboolean
bb_backend_stop(BbBackend *self, const gchar *slug, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, stop, "stop bottles", FALSE);
    g_return_val_if_fail(slug != NULL, FALSE);
    return iface->stop(self, slug, error);
}

gboolean
bb_backend_cleanup(BbBackend *self, const gchar *slug, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, cleanup, "clean up bottles", FALSE);
    return iface->cleanup(self, slug, error);
}

gchar *
bb_backend_commit(BbBackend *self, const gchar *slug, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, commit, "commit bottles", NULL);
    g_return_val_if_fail(slug != NULL, NULL);
    return iface->commit(self, slug, error);
}

BbAgentTarget *
bb_backend_get_target(BbBackend *self, const gchar *slug, GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, get_target, "provision bottles", NULL);
    g_return_val_if_fail(slug != NULL, NULL);
    return iface->get_target(self, slug, error);
}

gboolean
bb_backend_warm(BbBackend *self, BbPlan *plan, guint count, guint *made, guint *removed,
                GError **error)
{
    BACKEND_IFACE_OR_FAIL(self, warm, "keep warm bottles", FALSE);
    g_return_val_if_fail(BB_IS_PLAN(plan), FALSE);
    return iface->warm(self, plan, count, made, removed, error);
}

GPtrArray *
bb_backend_prune_images(BbBackend *self, GError **error)
{
    g_return_val_if_fail(BB_IS_BACKEND(self), NULL);
    BbBackendInterface *iface = BB_BACKEND_GET_IFACE(self);
    if (iface->prune_images == NULL)
        return g_ptr_array_new_with_free_func(g_free);
    return iface->prune_images(self, error);
}
