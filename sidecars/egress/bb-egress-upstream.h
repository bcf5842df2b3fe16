/* Upstream connections: name resolution (pins first, then the system
 * resolver; only ever called after policy allowed the host), TLS with
 * verification against the system store plus an optional extra CA, SNI
 * and hostname checks, session resumption and a keep-alive pool. */
#pragma once

#include <glib.h>
#include "bb-egress-io.h"

G_BEGIN_DECLS

typedef struct _BbEgressUpstreams BbEgressUpstreams;

/* Told about every name lookup the proxy makes, before it happens. */
typedef void (*BbEgressLookupObserver)(gpointer user_data, const gchar *host, guint16 port);

BbEgressUpstreams *bb_egress_upstreams_new(const gchar *extra_ca_file, GError **error);
void bb_egress_upstreams_free(BbEgressUpstreams *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbEgressUpstreams, bb_egress_upstreams_free)

/* curl-style --resolve HOST:PORT:ADDR. */
gboolean bb_egress_upstreams_add_pin(BbEgressUpstreams *self, const gchar *spec, GError **error);
void bb_egress_upstreams_set_observer(BbEgressUpstreams *self, BbEgressLookupObserver observer,
                                      gpointer user_data);
void bb_egress_upstreams_set_timeouts(BbEgressUpstreams *self, guint connect_ms, guint io_ms);

/* A connection to @host:@port, pooled or new. Free with put() when it
 * can be reused, else discard(). */
BbConn *bb_egress_upstreams_get(BbEgressUpstreams *self, const gchar *host, guint16 port,
                                gboolean tls, gboolean *reused, GError **error);
void bb_egress_upstreams_put(BbEgressUpstreams *self, const gchar *host, guint16 port, gboolean tls,
                             BbConn *conn);
void bb_egress_upstreams_discard(BbConn *conn);

G_END_DECLS
