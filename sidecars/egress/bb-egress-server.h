/* The egress proxy server: accepts agent connections, bumps CONNECT
 * tunnels with the bottle's CA, applies the policy to every request and
 * relays allowed ones upstream with the route's credentials. One thread
 * per agent connection, blocking I/O bounded by kernel timeouts. */
#pragma once

#include <glib.h>
#include "bb-egress-ca.h"
#include "bb-egress-policy.h"
#include "bb-egress-scanner.h"
#include "bb-egress-upstream.h"

G_BEGIN_DECLS

/* Plain-HTTP requests to this name are answered by the proxy itself
 * (GET /routes lists the routes, without secrets); it never resolves. */
#define BB_EGRESS_CONTROL_HOST "bot-bottle.internal"

typedef struct {
    guint max_connections;   /* concurrent agent connections */
    guint idle_timeout_ms;   /* between requests on a kept-alive connection */
    guint header_timeout_ms; /* a whole request head must arrive within this */
    guint io_timeout_ms;     /* any single body read or write */
} BbEgressLimits;

typedef struct _BbEgressServer BbEgressServer;

/* Takes references on @policy and ownership of @ca and @upstreams. */
BbEgressServer *bb_egress_server_new(const gchar *bottle_name, BbEgressPolicy *policy,
                                     BbEgressCa *ca, BbEgressUpstreams *upstreams);
BbEgressServer *bb_egress_server_ref(BbEgressServer *self);
void bb_egress_server_unref(BbEgressServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbEgressServer, bb_egress_server_unref)

void bb_egress_server_get_limits(BbEgressServer *self, BbEgressLimits *limits);
void bb_egress_server_set_limits(BbEgressServer *self, const BbEgressLimits *limits);
/* The scanner struct is copied; it must outlive the server. */
void bb_egress_server_set_scanner(BbEgressServer *self, const BbEgressScanner *scanner);
/* One JSON line per request is written to @fd (not closed by us). */
void bb_egress_server_set_audit_fd(BbEgressServer *self, gint fd);

/* Live reload: new requests use @policy; requests in flight finish on
 * the one they started with; established connections stay open. */
void bb_egress_server_set_policy(BbEgressServer *self, BbEgressPolicy *policy);
BbEgressPolicy *bb_egress_server_get_policy(BbEgressServer *self); /* new ref */
BbEgressCa *bb_egress_server_get_ca(BbEgressServer *self);
BbEgressUpstreams *bb_egress_server_get_upstreams(BbEgressServer *self);

/* Binds ADDR:PORT (port 0 picks one) and starts accepting. */
gboolean bb_egress_server_start(BbEgressServer *self, const gchar *listen, GError **error);
guint16 bb_egress_server_get_port(BbEgressServer *self);
/* Agent connections open right now. */
guint bb_egress_server_get_active(BbEgressServer *self);
/* Stops accepting; open connections end on their own. */
void bb_egress_server_stop(BbEgressServer *self);

/* Parses ADDR:PORT / [V6]:PORT into a socket address. */
gboolean bb_egress_parse_listen(const gchar *listen, struct sockaddr_storage *ss, socklen_t *len,
                                GError **error);

G_END_DECLS
