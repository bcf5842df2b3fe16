/* Blocking socket I/O with deadlines, over plain TCP or OpenSSL, plus a
 * read buffer. Each proxied connection runs on its own thread; the
 * kernel timeouts (SO_RCVTIMEO/SO_SNDTIMEO) bound every wait. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

G_BEGIN_DECLS

#define BB_IO_BUF_SIZE (64 * 1024 + 16 * 1024)

typedef struct {
    gint fd;
    SSL *ssl;
    gchar *buf;
    gsize len;
    gsize cap;
    gboolean eof;
    guint timeout_ms;   /* what the socket is set to, to skip redundant syscalls */
    gchar *session_key; /* upstream TLS: "host:port" for session tickets */
} BbConn;

void bb_conn_init(BbConn *conn, gint fd);
/* Shuts TLS down quietly, closes the socket, frees the buffer. */
void bb_conn_close(BbConn *conn);
void bb_conn_set_timeout(BbConn *conn, guint timeout_ms);

/* Reads more bytes into the buffer: >0 read, 0 EOF, -1 error/timeout
 * (or a full buffer). */
gssize bb_conn_fill(BbConn *conn);
void bb_conn_consume(BbConn *conn, gsize n);
gboolean bb_conn_write(BbConn *conn, const gchar *data, gsize len);
/* TRUE when an idle kept-alive socket still looks usable: nothing to
 * read (no EOF, no stray bytes). */
gboolean bb_conn_is_idle_alive(BbConn *conn);

/* Connects with a timeout; -1 with @error on failure. */
gint bb_tcp_connect(const struct sockaddr *addr, socklen_t addr_len, guint timeout_ms,
                    GError **error);

G_END_DECLS
