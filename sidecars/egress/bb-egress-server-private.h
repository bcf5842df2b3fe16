/* Shared between the server (lifecycle, audit) and the per-connection
 * session code. */
#pragma once

#include "bb-egress-server.h"

G_BEGIN_DECLS

struct _BbEgressServer {
    gint ref_count;
    gchar *bottle_name;
    BbEgressCa *ca;
    BbEgressUpstreams *upstreams;
    SSL_CTX *bump_ctx;
    BbEgressLimits limits;
    BbEgressScanner scanner;
    gboolean has_scanner;
    gint audit_fd;
    GMutex lock; /* guards policy and audit writes */
    BbEgressPolicy *policy;
    gint listen_fd;
    guint16 port;
    GThread *accept_thread;
    GThreadPool *sessions; /* reuses finished sessions' threads */
    gint stopping;
    gint active;
};

/* What the audit line says about one request. */
typedef struct {
    const gchar *client;
    const gchar *method;
    const gchar *host;
    guint16 port;
    const gchar *path;
    const gchar *decision; /* "allow", "block", "error" */
    const gchar *reason;   /* block code or error reason, or NULL */
    guint status;
    guint64 bytes_in;    /* request body bytes from the agent */
    guint64 bytes_out;   /* response body bytes to the agent */
    const gchar *detail; /* scanner decisions (rule ids, fingerprints), or NULL */
} BbAuditRecord;

void bb_egress_server_audit(BbEgressServer *self, const BbAuditRecord *record);
/* Runs one agent connection to its end; takes ownership of @fd. */
void bb_egress_session_run(BbEgressServer *self, gint fd, const gchar *peer);

G_END_DECLS
