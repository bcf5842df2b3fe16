/* A raw agent-side client for the proxy tests: plain TCP to the proxy,
 * CONNECT, TLS with any SNI, and byte-exact requests, so malformed input
 * reaches the proxy exactly as written. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BbTestConn BbTestConn;

typedef struct {
    guint status;
    gchar *head;
    GByteArray *body;
} BbTestResponse;

void bb_test_response_free(BbTestResponse *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbTestResponse, bb_test_response_free)

BbTestConn *bb_test_conn_new(guint16 proxy_port);
void bb_test_conn_free(BbTestConn *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbTestConn, bb_test_conn_free)

/* Sends CONNECT @authority; returns the proxy's status (0 on no answer). */
guint bb_test_conn_connect(BbTestConn *c, const gchar *authority);
/* TLS handshake with @sni (NULL: none), trusting only @ca_file. */
gboolean bb_test_conn_tls(BbTestConn *c, const gchar *sni, const gchar *ca_file);
/* The TLS session to resume later (after a response was read, so TLS
 * 1.3 tickets have arrived); free with SSL_SESSION_free(). */
gpointer bb_test_conn_get_session(BbTestConn *c);
/* Like bb_test_conn_tls(), offering @session; *resumed says if it was. */
gboolean bb_test_conn_tls_resume(BbTestConn *c, const gchar *sni, const gchar *ca_file,
                                 gpointer session, gboolean *resumed);
gboolean bb_test_conn_send(BbTestConn *c, const gchar *data, gssize len);
/* NULL when the connection closed or timed out before a full head. */
BbTestResponse *bb_test_conn_read_response(BbTestConn *c);
/* Reads a response head only (the answer to HEAD has no body). */
BbTestResponse *bb_test_conn_read_bodyless_response(BbTestConn *c);
/* Reads raw bytes until @needle arrived; FALSE on close/timeout. */
gboolean bb_test_conn_read_until(BbTestConn *c, const gchar *needle);
/* TRUE when the peer closes within the socket timeout. */
gboolean bb_test_conn_wait_closed(BbTestConn *c);
void bb_test_conn_set_timeout(BbTestConn *c, guint ms);

G_END_DECLS
