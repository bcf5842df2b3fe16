#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bb-test-client.h"

struct _BbTestConn {
    gint fd;
    SSL_CTX *ctx;
    SSL *ssl;
    GByteArray *in;
};

void
bb_test_response_free(BbTestResponse *r)
{
    if (r == NULL)
        return;
    g_free(r->head);
    g_byte_array_unref(r->body);
    g_free(r);
}

void
bb_test_conn_set_timeout(BbTestConn *c, guint ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

BbTestConn *
bb_test_conn_new(guint16 proxy_port)
{
    BbTestConn *c = g_new0(BbTestConn, 1);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(proxy_port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    c->in = g_byte_array_new();
    g_assert_cmpint(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    bb_test_conn_set_timeout(c, 5000);
    return c;
}

void
bb_test_conn_free(BbTestConn *c)
{
    if (c == NULL)
        return;
    if (c->ssl != NULL)
        SSL_free(c->ssl);
    if (c->ctx != NULL)
        SSL_CTX_free(c->ctx);
    close(c->fd);
    g_byte_array_unref(c->in);
    g_free(c);
    ERR_clear_error();
}

static gssize
conn_read(BbTestConn *c)
{
    gchar buf[16384];
    gssize n = c->ssl != NULL ? SSL_read(c->ssl, buf, sizeof(buf)) : read(c->fd, buf, sizeof(buf));
    if (n > 0)
        g_byte_array_append(c->in, (const guint8 *)buf, (guint)n);
    return n;
}

gboolean
bb_test_conn_send(BbTestConn *c, const gchar *data, gssize len)
{
    gsize n = len < 0 ? strlen(data) : (gsize)len;
    if (c->ssl != NULL)
        return SSL_write(c->ssl, data, (gint)n) == (gint)n;
    return send(c->fd, data, n, MSG_NOSIGNAL) == (gssize)n;
}

static gchar *
find_header(const gchar *head, const gchar *name)
{
    g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
    for (guint i = 1; lines[i] != NULL; i++) {
        gchar *colon = strchr(lines[i], ':');
        if (colon != NULL && (gsize)(colon - lines[i]) == strlen(name) &&
            g_ascii_strncasecmp(lines[i], name, strlen(name)) == 0)
            return g_strstrip(g_strdup(colon + 1));
    }
    return NULL;
}

static gboolean
need(BbTestConn *c, gsize n)
{
    while (c->in->len < n) {
        if (conn_read(c) <= 0)
            return FALSE;
    }
    return TRUE;
}

static gboolean
read_chunked(BbTestConn *c, GByteArray *body)
{
    for (;;) {
        guint8 *nl;
        gsize size;
        while ((nl = memchr(c->in->data, '\n', c->in->len)) == NULL) {
            if (conn_read(c) <= 0)
                return FALSE;
        }
        size = strtoul((const gchar *)c->in->data, NULL, 16);
        g_byte_array_remove_range(c->in, 0, (guint)(nl - c->in->data + 1));
        if (!need(c, size + 2))
            return FALSE;
        g_byte_array_append(body, c->in->data, (guint)size);
        g_byte_array_remove_range(c->in, 0, (guint)size + 2);
        if (size == 0)
            return TRUE;
    }
}

static BbTestResponse *
read_response(BbTestConn *c, gboolean bodyless)
{
    BbTestResponse *r;
    guint8 *end;
    gsize head_len;
    g_autofree gchar *cl = NULL;
    g_autofree gchar *te = NULL;

    for (;;) {
        end = c->in->len > 0 ? memmem(c->in->data, c->in->len, "\r\n\r\n", 4) : NULL;
        if (end != NULL)
            break;
        if (conn_read(c) <= 0)
            return NULL;
    }
    head_len = (gsize)(end - c->in->data) + 4;
    r = g_new0(BbTestResponse, 1);
    r->head = g_strndup((const gchar *)c->in->data, head_len);
    r->body = g_byte_array_new();
    g_byte_array_remove_range(c->in, 0, (guint)head_len);
    if (strlen(r->head) > 12)
        r->status = (guint)g_ascii_strtoull(r->head + 9, NULL, 10);
    cl = find_header(r->head, "content-length");
    te = find_header(r->head, "transfer-encoding");
    if (bodyless) {
        /* nothing follows the head */
    } else if (te != NULL) {
        read_chunked(c, r->body);
    } else if (cl != NULL) {
        gsize n = strtoul(cl, NULL, 10);
        if (need(c, n)) {
            g_byte_array_append(r->body, c->in->data, (guint)n);
            g_byte_array_remove_range(c->in, 0, (guint)n);
        }
    } else if (r->status >= 200 && r->status != 204 && r->status != 304 &&
               strstr(r->head, "Connection: close") != NULL) {
        while (conn_read(c) > 0)
            ;
        g_byte_array_append(r->body, c->in->data, c->in->len);
        g_byte_array_set_size(c->in, 0);
    }
    g_byte_array_append(r->body, (const guint8 *)"", 1); /* NUL for string asserts */
    g_byte_array_set_size(r->body, r->body->len - 1);
    return r;
}

BbTestResponse *
bb_test_conn_read_response(BbTestConn *c)
{
    return read_response(c, FALSE);
}

BbTestResponse *
bb_test_conn_read_bodyless_response(BbTestConn *c)
{
    return read_response(c, TRUE);
}

guint
bb_test_conn_connect(BbTestConn *c, const gchar *authority)
{
    g_autofree gchar *req =
        g_strdup_printf("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", authority, authority);
    g_autoptr(BbTestResponse) r = NULL;
    guint8 *end;
    if (!bb_test_conn_send(c, req, -1))
        return 0;
    /* A 200 to CONNECT has no body; read exactly its head. */
    for (;;) {
        end = c->in->len > 0 ? memmem(c->in->data, c->in->len, "\r\n\r\n", 4) : NULL;
        if (end != NULL)
            break;
        if (conn_read(c) <= 0)
            return 0;
    }
    if (memcmp(c->in->data, "HTTP/1.1 200", 12) == 0) {
        g_byte_array_remove_range(c->in, 0, (guint)(end - c->in->data) + 4);
        return 200;
    }
    r = bb_test_conn_read_response(c);
    return r != NULL ? r->status : 0;
}

gpointer
bb_test_conn_get_session(BbTestConn *c)
{
    return SSL_get1_session(c->ssl);
}

static gboolean tls_handshake(BbTestConn *c, const gchar *sni, const gchar *ca_file,
                              SSL_SESSION *session);

gboolean
bb_test_conn_tls_resume(BbTestConn *c, const gchar *sni, const gchar *ca_file, gpointer session,
                        gboolean *resumed)
{
    gboolean ok = tls_handshake(c, sni, ca_file, session);
    *resumed = ok && SSL_session_reused(c->ssl);
    return ok;
}

gboolean
bb_test_conn_tls(BbTestConn *c, const gchar *sni, const gchar *ca_file)
{
    return tls_handshake(c, sni, ca_file, NULL);
}

static gboolean
tls_handshake(BbTestConn *c, const gchar *sni, const gchar *ca_file, SSL_SESSION *session)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    g_assert_cmpint(SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL), ==, 1);
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    if (sni != NULL) {
        SSL_set_tlsext_host_name(c->ssl, sni);
        SSL_set1_host(c->ssl, sni);
    }
    if (session != NULL)
        SSL_set_session(c->ssl, session);
    if (SSL_connect(c->ssl) != 1) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_test_conn_read_until(BbTestConn *c, const gchar *needle)
{
    while (c->in->len == 0 || memmem(c->in->data, c->in->len, needle, strlen(needle)) == NULL) {
        if (conn_read(c) <= 0)
            return FALSE;
    }
    return TRUE;
}

gboolean
bb_test_conn_wait_closed(BbTestConn *c)
{
    for (guint i = 0; i < 1000; i++) {
        gssize n = conn_read(c);
        if (n == 0)
            return TRUE;
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK; /* a reset, not a timeout */
    }
    return FALSE;
}
