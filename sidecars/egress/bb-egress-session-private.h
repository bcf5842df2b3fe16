/* Types shared by the session (request intake and policy) and the
 * forwarding code. */
#pragma once

#include "bb-egress-relay.h"
#include "bb-egress-server-private.h"

G_BEGIN_DECLS

typedef enum {
    STEP_CONTINUE,
    STEP_KEEP,  /* response sent; read the next request */
    STEP_CLOSE, /* response sent (or impossible); close */
} Step;

typedef struct {
    BbEgressServer *server;
    const gchar *peer;
    BbConn conn;
    gchar *head_buf; /* the current request head, copied out of conn */
    gchar *tunnel_host;
    guint16 tunnel_port;
    gboolean sni_mismatch;
} Session;

typedef struct {
    BbHttpHead *head;
    gchar *method;
    gchar *host;
    guint16 port;
    gboolean tls;
    gchar *origin_target; /* what goes on the upstream request line */
    gchar *path;          /* normalised, no query */
    gchar *query;
    BbEgressPolicy *policy;
    const BbEgressRouteEntry *entry;
    BbEgressExchange exchange;
    gboolean exchange_started;
    BbAuditRecord audit;
    gchar *error_reason; /* owned copy behind audit.reason */
} Request;

void bb_egress_send_plain(Session *s, guint status, const gchar *block_code, const gchar *body,
                          gboolean close);
Step bb_egress_fail(Session *s, Request *rq, guint status, const gchar *reason);
Step bb_egress_block(Session *s, Request *rq, BbBlockCode code, const gchar *rule);
Step bb_egress_forward(Session *s, Request *rq);
gint bb_egress_session_check_sni(SSL *ssl, gint *alert, gpointer arg);

G_END_DECLS
