/* A fixture "internet" server for the proxy tests: HTTPS with its own
 * test CA (or plain HTTP), one thread per connection, keep-alive, and a
 * log of every request it receives. Its parser is deliberately lenient
 * so that a request the proxy should have refused shows up in the log. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *method;
    gchar *target;
    gchar *head; /* raw request head as received */
    GByteArray *body;
} BbTestRequest;

typedef struct _BbTestUpstream BbTestUpstream;

BbTestUpstream *bb_test_upstream_new(gboolean tls, const gchar *secret);
/* A TLS fixture signed by @trusted's CA that always presents a
 * certificate for @name, whatever name the client asks for. */
BbTestUpstream *bb_test_upstream_new_misnamed(BbTestUpstream *trusted, const gchar *name);
guint16 bb_test_upstream_get_port(BbTestUpstream *self);
/* PEM file of the fixture's CA (TLS fixtures only). */
const gchar *bb_test_upstream_get_ca_file(BbTestUpstream *self);
void bb_test_upstream_reset(BbTestUpstream *self);
guint bb_test_upstream_count(BbTestUpstream *self);
/* The n-th logged request (a copy of the pointer; valid until reset). */
BbTestRequest *bb_test_upstream_get(BbTestUpstream *self, guint n);
/* Lets a waiting /sse response send its second event. */
void bb_test_upstream_release_sse(BbTestUpstream *self);
guint bb_test_upstream_connections(BbTestUpstream *self);
/* Request bytes received since the last reset, also of requests never
 * completed (a head whose body was withheld still counts). */
guint64 bb_test_upstream_bytes_in(BbTestUpstream *self);
/* Handshakes that resumed a TLS session. */
guint bb_test_upstream_resumed(BbTestUpstream *self);

G_END_DECLS
