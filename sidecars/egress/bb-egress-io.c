#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "bb-egress-io.h"
#include "bb-error.h"

void
bb_conn_init(BbConn *conn, gint fd)
{
    gint one = 1;
    memset(conn, 0, sizeof(*conn));
    conn->fd = fd;
    conn->cap = BB_IO_BUF_SIZE;
    conn->buf = g_malloc(conn->cap);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void
bb_conn_close(BbConn *conn)
{
    if (conn->ssl != NULL) {
        /* A quiet shutdown only sets the flags: without it OpenSSL marks
         * the session not resumable and upstream resumption never works. */
        SSL_set_quiet_shutdown(conn->ssl, 1);
        SSL_shutdown(conn->ssl);
        SSL_free(conn->ssl);
        conn->ssl = NULL;
    }
    if (conn->fd >= 0)
        close(conn->fd);
    conn->fd = -1;
    g_clear_pointer(&conn->session_key, g_free);
    g_clear_pointer(&conn->buf, g_free);
    conn->len = 0;
}

void
bb_conn_set_timeout(BbConn *conn, guint timeout_ms)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    if (conn->timeout_ms == timeout_ms)
        return;
    conn->timeout_ms = timeout_ms;
    setsockopt(conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(conn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static gssize
raw_read(BbConn *conn, gchar *dst, gsize len)
{
    if (conn->ssl != NULL) {
        gint n = SSL_read(conn->ssl, dst, (gint)MIN(len, (gsize)G_MAXINT));
        if (n > 0)
            return n;
        return SSL_get_error(conn->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
    for (;;) {
        gssize n = read(conn->fd, dst, len);
        if (n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

gssize
bb_conn_fill(BbConn *conn)
{
    gssize n;
    if (conn->len >= conn->cap)
        return -1;
    n = raw_read(conn, conn->buf + conn->len, conn->cap - conn->len);
    if (n > 0)
        conn->len += (gsize)n;
    else if (n == 0)
        conn->eof = TRUE;
    return n;
}

void
bb_conn_consume(BbConn *conn, gsize n)
{
    g_assert(n <= conn->len);
    if (n < conn->len)
        memmove(conn->buf, conn->buf + n, conn->len - n);
    conn->len -= n;
}

gboolean
bb_conn_write(BbConn *conn, const gchar *data, gsize len)
{
    while (len > 0) {
        gssize n;
        if (conn->ssl != NULL) {
            gint w = SSL_write(conn->ssl, data, (gint)MIN(len, (gsize)G_MAXINT));
            n = w > 0 ? w : -1;
        } else {
            n = send(conn->fd, data, len, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
        }
        if (n <= 0)
            return FALSE;
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

gboolean
bb_conn_is_idle_alive(BbConn *conn)
{
    struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
    if (conn->len > 0 || (conn->ssl != NULL && SSL_pending(conn->ssl) > 0))
        return FALSE;
    return poll(&pfd, 1, 0) == 0;
}

gint
bb_tcp_connect(const struct sockaddr *addr, socklen_t addr_len, guint timeout_ms, GError **error)
{
    gint fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct pollfd pfd;
    gint err = 0;
    socklen_t err_len = sizeof(err);

    if (fd < 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "socket: %s", g_strerror(errno));
        return -1;
    }
    if (connect(fd, addr, addr_len) < 0 && errno != EINPROGRESS) {
        err = errno;
    } else {
        pfd.fd = fd;
        pfd.events = POLLOUT;
        if (poll(&pfd, 1, (gint)timeout_ms) != 1)
            err = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
            err = errno;
    }
    if (err != 0) {
        close(fd);
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE, "connect: %s", g_strerror(err));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}
