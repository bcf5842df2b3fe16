/* BbBackend: one isolation technology (Docker, Apple Container, smolvm).
 * The registry picks one by BOT_BOTTLE_BACKEND or, failing that, the
 * highest-priority backend whose is_available() succeeds. */
#pragma once

#include <gio/gio.h>
#include "bb-agent-target.h"
#include "bb-plan.h"

G_BEGIN_DECLS

/* Progress of long work (image builds): @fraction is 0..1 or -1 when unknown. */
typedef void (*BbProgressFunc)(const gchar *step, gdouble fraction, gpointer user_data);

typedef struct {
    GStrv command;        /* run: argv to execute; NULL = the provider's command */
    gboolean interactive; /* attach a TTY */
    GStrv resolve;        /* curl-style HOST:PORT:ADDR pins for the proxy */
    gchar *upstream_ca;   /* extra upstream trust, PEM file */
    gchar *image;         /* resume: boot this committed image */
    GHashTable *secrets;  /* env name → value; delivered to the sidecar only */
} BbLaunchOptions;

typedef struct {
    gchar *slug;
    gchar *agent;
    gchar *backend;
    gchar *state; /* "running", "exited", "orphaned", ... */
    gchar *image;
    gint64 created; /* unix seconds */
} BbBottleInfo;

void bb_bottle_info_free(BbBottleInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbBottleInfo, bb_bottle_info_free)

#define BB_TYPE_BACKEND (bb_backend_get_type())
G_DECLARE_INTERFACE(BbBackend, bb_backend, BB, BACKEND, GObject)

/**
 * BbBackendInterface:
 * @is_available: can this backend run bottles here? On FALSE, @error
 *   says what is missing and how to fix it. Since: 0.1
 * @prepare_images: build or reuse the sidecar and agent images. Since: 0.1
 * @launch: create networks, sidecar and agent; returns the bottle slug. Since: 0.1
 * @exec: run @argv in the bottle's agent; returns the exit status in @status. Since: 0.1
 * @list: bottles this backend knows, as #BbBottleInfo. Since: 0.1
 * @stop: tear one bottle down; idempotent. Since: 0.1
 * @cleanup: remove everything labelled as ours whose owner is gone
 *   (@slug NULL) or one bottle's leftovers. Since: 0.1
 * @commit: snapshot the agent to an image; returns the image reference. Since: 0.1
 * @get_target: the running agent of bottle @slug as a provisioning target
 *   (git config, prompt, skills). Since: 0.1 (ABI 1.1)
 * @warm: keep @count idle bottles for @plan made ahead, so the next launch
 *   of the same plan claims one instead of creating everything (0 removes
 *   them); @made and @removed report what changed. Since: 0.1 (ABI 1.1)
 * @prune_images: remove this backend's images no container uses, except
 *   the current ones; returns the references removed. Optional (NULL:
 *   nothing to prune). Since: 0.1
 */
struct _BbBackendInterface {
    GTypeInterface parent_iface;

    gboolean (*is_available)(BbBackend *self, GError **error);
    gboolean (*prepare_images)(BbBackend *self, BbPlan *plan, BbProgressFunc progress,
                               gpointer progress_data, GCancellable *cancellable, GError **error);
    gchar *(*launch)(BbBackend *self, BbPlan *plan, const BbLaunchOptions *options,
                     GCancellable *cancellable, GError **error);
    gboolean (*exec)(BbBackend *self, const gchar *slug, const gchar *const *argv,
                     gboolean interactive, gint *status, GError **error);
    GPtrArray *(*list)(BbBackend *self, GError **error);
    gboolean (*stop)(BbBackend *self, const gchar *slug, GError **error);
    gboolean (*cleanup)(BbBackend *self, const gchar *slug, GError **error);
    gchar *(*commit)(BbBackend *self, const gchar *slug, GError **error);
    BbAgentTarget *(*get_target)(BbBackend *self, const gchar *slug, GError **error);
    gboolean (*warm)(BbBackend *self, BbPlan *plan, guint count, guint *made, guint *removed,
                     GError **error);
    GPtrArray *(*prune_images)(BbBackend *self, GError **error);
};

gboolean bb_backend_is_available(BbBackend *self, GError **error);
gboolean bb_backend_prepare_images(BbBackend *self, BbPlan *plan, BbProgressFunc progress,
                                   gpointer progress_data, GCancellable *cancellable,
                                   GError **error);
gchar *bb_backend_launch(BbBackend *self, BbPlan *plan, const BbLaunchOptions *options,
                         GCancellable *cancellable, GError **error);
gboolean bb_backend_exec(BbBackend *self, const gchar *slug, const gchar *const *argv,
                         gboolean interactive, gint *status, GError **error);
GPtrArray *bb_backend_list(BbBackend *self, GError **error);
gboolean bb_backend_stop(BbBackend *self, const gchar *slug, GError **error);
gboolean bb_backend_cleanup(BbBackend *self, const gchar *slug, GError **error);
gchar *bb_backend_commit(BbBackend *self, const gchar *slug, GError **error);
BbAgentTarget *bb_backend_get_target(BbBackend *self, const gchar *slug, GError **error);
gboolean bb_backend_warm(BbBackend *self, BbPlan *plan, guint count, guint *made, guint *removed,
                         GError **error);
/* Array of removed image references (strings); empty when the backend
 * keeps no images of its own. */
GPtrArray *bb_backend_prune_images(BbBackend *self, GError **error);

G_END_DECLS
