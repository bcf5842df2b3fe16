/* The DLP scanner of the egress proxy: a BbEgressScanner backed by
 * BbDlpScanner (core/dlp). Per route, the outbound detectors the route
 * selects judge the hostname, target, query values, header values and
 * the whole (held) request body; the inbound detectors judge response
 * bodies as they stream. What a finding does follows the route's
 * outbound_on_match (block, redact, supervise). See README.md. */
#pragma once

#include <glib.h>
#include "bb-egress-scanner.h"
#include "bb-registry.h"
#include "bb-supervise.h"

G_BEGIN_DECLS

#define BB_EGRESS_DLP_DEFAULT_HOLD_CAP (8 * 1024 * 1024)
#define BB_EGRESS_DLP_DEFAULT_MAX_DECODED (64 * 1024 * 1024)
#define BB_EGRESS_DLP_DEFAULT_SUPERVISE_MS 5000

typedef struct {
    const gchar *bottle_name;
    const gchar *data_dir;      /* NULL: bb_data_dir() */
    gsize hold_cap;             /* request bodies held for scanning; 0: default */
    gsize max_decoded;          /* Content-Encoding output cap; 0: default */
    guint supervise_timeout_ms; /* 0: default */
} BbEgressDlpOptions;

typedef struct _BbEgressDlp BbEgressDlp;

/* @secrets (env name -> value) are the bottle's known secrets; copied. */
BbEgressDlp *bb_egress_dlp_new(BbRegistry *registry, GHashTable *secrets,
                               const BbEgressDlpOptions *options);
void bb_egress_dlp_free(BbEgressDlp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbEgressDlp, bb_egress_dlp_free)

/* Builds every detector set @routes select, so a bad name or a rule pack
 * that does not load stops the proxy at start instead of at first use. */
gboolean bb_egress_dlp_prepare(BbEgressDlp *self, GPtrArray *routes, GError **error);

/* The hooks to install with bb_egress_server_set_scanner(); @self must
 * outlive the server. */
void bb_egress_dlp_get_scanner(BbEgressDlp *self, BbEgressScanner *scanner);

/* Where supervise holds wait (for an operator interface). */
BbSuperviseQueue *bb_egress_dlp_get_supervise_queue(BbEgressDlp *self);

G_END_DECLS
