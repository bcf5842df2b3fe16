/* The bottle's DNS responder: answers A queries for allowed route hosts
 * with the sidecar's own address (so every connection comes to the
 * proxy), NXDOMAIN for every other name, and never forwards anything
 * upstream. Packets are untrusted: parsing is bounded and strict. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BB_DNS_MAX_PACKET 512

/* TRUE when @host (canonical) may resolve. */
typedef gboolean (*BbDnsAllowFunc)(gpointer user_data, const gchar *host);

/* Builds the answer to @query in @out; returns its length, or -1 when
 * the packet is not worth an answer (too short, or itself a response). */
gssize bb_dns_answer(const guint8 *query, gsize len, BbDnsAllowFunc allow, gpointer user_data,
                     const guint8 address[4], guint8 *out, gsize out_cap);

typedef struct _BbDnsServer BbDnsServer;

/* @address: the IPv4 address handed out for allowed names. */
BbDnsServer *bb_dns_server_new(const gchar *address, BbDnsAllowFunc allow, gpointer user_data,
                               GError **error);
/* Binds UDP and TCP on ADDR:PORT (port 0 picks one, the same for both). */
gboolean bb_dns_server_start(BbDnsServer *self, const gchar *listen, GError **error);
guint16 bb_dns_server_get_port(BbDnsServer *self);
void bb_dns_server_free(BbDnsServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDnsServer, bb_dns_server_free)

G_END_DECLS
