/* The fixture upstream of `bot-bottle demo`: a small HTTPS server on a
 * host address the bottle's sidecar can reach, with a CA of its own
 * (passed to the sidecar as its upstream CA). It records what arrives, so
 * the demo judges each step at the destination. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _BbDemoUpstream BbDemoUpstream;

typedef struct {
    gchar *request_line;
    gchar *authorization; /* the Authorization header as received, or NULL */
    gchar *body;
} BbDemoRequest;

/* Starts serving @host_name on a host IPv4 address (docker0's, else the
 * first non-loopback one), port chosen by the kernel. */
BbDemoUpstream *bb_demo_upstream_start(const gchar *host_name, GError **error);
void bb_demo_upstream_stop(BbDemoUpstream *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDemoUpstream, bb_demo_upstream_stop)

const gchar *bb_demo_upstream_get_address(BbDemoUpstream *self); /* "ADDR:PORT" */
const gchar *bb_demo_upstream_get_ca_pem(BbDemoUpstream *self);
/* A copy of the requests received so far (of BbDemoRequest). */
GPtrArray *bb_demo_upstream_get_requests(BbDemoUpstream *self);

G_END_DECLS
