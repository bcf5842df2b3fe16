#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "bb-egress-upstream.h"
#include "bb-error.h"

#define POOL_MAX_IDLE_PER_KEY 16
#define POOL_MAX_IDLE_US (30 * G_USEC_PER_SEC)

typedef struct {
    BbConn *conn;
    gint64 since;
} IdleConn;

struct _BbEgressUpstreams {
    SSL_CTX *ctx;
    GHashTable *pins; /* "host:port" → struct sockaddr_storage */
    BbEgressLookupObserver observer;
    gpointer observer_data;
    guint connect_ms;
    guint io_ms;
    GMutex lock;
    GHashTable *idle;     /* key → GQueue of IdleConn */
    GHashTable *sessions; /* "host:port" → SSL_SESSION */
};

static gint session_key_index = -1;

static void
idle_queue_free(GQueue *queue)
{
    IdleConn *ic;
    while ((ic = g_queue_pop_head(queue)) != NULL) {
        bb_egress_upstreams_discard(ic->conn);
        g_free(ic);
    }
    g_queue_free(queue);
}

/* TLS 1.3 hands out tickets after the handshake, so sessions are
 * captured by callback and keyed by the host:port stored on the SSL. */
static gint
on_new_session(SSL *ssl, SSL_SESSION *session)
{
    BbEgressUpstreams *self = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const gchar *key = SSL_get_ex_data(ssl, session_key_index);
    if (key == NULL)
        return 0;
    g_mutex_lock(&self->lock);
    g_hash_table_replace(self->sessions, g_strdup(key), session);
    g_mutex_unlock(&self->lock);
    return 1; /* we keep the reference */
}

BbEgressUpstreams *
bb_egress_upstreams_new(const gchar *extra_ca_file, GError **error)
{
    g_autoptr(BbEgressUpstreams) self = g_new0(BbEgressUpstreams, 1);

    if (session_key_index < 0)
        session_key_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    g_mutex_init(&self->lock);
    self->pins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    self->idle =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)idle_queue_free);
    self->sessions =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)SSL_SESSION_free);
    self->connect_ms = 10000;
    self->io_ms = 60000;
    self->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_app_data(self->ctx, self);
    SSL_CTX_set_min_proto_version(self->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(self->ctx, SSL_VERIFY_PEER, NULL);
    /* Many servers close without close_notify; treat that as EOF (what a
     * close-delimited body needs) instead of a fatal alert that would
     * also void the TLS session. */
    SSL_CTX_set_options(self->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_alpn_protos(self->ctx, (const guchar *)"\x08http/1.1", 9);
    SSL_CTX_set_session_cache_mode(self->ctx,
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(self->ctx, on_new_session);
    if (SSL_CTX_set_default_verify_paths(self->ctx) != 1) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_FAILED, "cannot load the system CA store");
        return NULL;
    }
    if (extra_ca_file != NULL &&
        SSL_CTX_load_verify_locations(self->ctx, extra_ca_file, NULL) != 1) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "cannot load upstream CA file %s; check it is a PEM certificate",
                    extra_ca_file);
        return NULL;
    }
    return g_steal_pointer(&self);
}

void
bb_egress_upstreams_free(BbEgressUpstreams *self)
{
    if (self == NULL)
        return;
    g_hash_table_unref(self->idle);
    g_hash_table_unref(self->sessions);
    g_hash_table_unref(self->pins);
    SSL_CTX_free(self->ctx);
    g_mutex_clear(&self->lock);
    g_free(self);
}

gboolean
bb_egress_upstreams_add_pin(BbEgressUpstreams *self, const gchar *spec, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(spec, ":", 3);
    struct sockaddr_storage *ss = g_new0(struct sockaddr_storage, 1);
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    guint64 port = 0;
    const gchar *addr;

    if (g_strv_length(parts) != 3 ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 65535, &port, NULL)) {
        g_free(ss);
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "--resolve %s: expected HOST:PORT:ADDR",
                    spec);
        return FALSE;
    }
    addr = parts[2];
    /* ADDR may name another port, like curl's --connect-to: 10.0.0.5:8443
     * or [fd00::5]:8443 (the demo's upstream listens unprivileged). */
    guint64 to_port = port;
    gchar *last_colon = strrchr(parts[2], ':');
    gboolean bracketed = addr[0] == '[';
    if (last_colon != NULL && (bracketed ? last_colon > addr && last_colon[-1] == ']'
                                         : strchr(addr, ':') == last_colon)) {
        if (!g_ascii_string_to_unsigned(last_colon + 1, 10, 1, 65535, &to_port, NULL)) {
            g_free(ss);
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "--resolve %s: expected HOST:PORT:ADDR[:PORT]", spec);
            return FALSE;
        }
        *last_colon = '\0';
    }
    if (addr[0] == '[' && g_str_has_suffix(addr, "]"))
        parts[2][strlen(addr) - 1] = '\0', addr++;
    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((guint16)to_port);
    } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((guint16)to_port);
    } else {
        g_free(ss);
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "--resolve %s: ADDR is not an IP address",
                    spec);
        return FALSE;
    }
    {
        g_autofree gchar *host = g_ascii_strdown(parts[0], -1);
        g_hash_table_replace(self->pins, g_strdup_printf("%s:%u", host, (guint)port), ss);
    }
    return TRUE;
}

void
bb_egress_upstreams_set_observer(BbEgressUpstreams *self, BbEgressLookupObserver observer,
                                 gpointer user_data)
{
    self->observer = observer;
    self->observer_data = user_data;
}

void
bb_egress_upstreams_set_timeouts(BbEgressUpstreams *self, guint connect_ms, guint io_ms)
{
    self->connect_ms = connect_ms;
    self->io_ms = io_ms;
}

static gint
connect_host(BbEgressUpstreams *self, const gchar *host, guint16 port, GError **error)
{
    g_autofree gchar *key = g_strdup_printf("%s:%u", host, port);
    const struct sockaddr_storage *pin;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    g_autofree gchar *service = g_strdup_printf("%u", port);
    gint fd = -1;
    gint rc;

    if (self->observer != NULL)
        self->observer(self->observer_data, host, port);
    pin = g_hash_table_lookup(self->pins, key);
    if (pin != NULL)
        return bb_tcp_connect((const struct sockaddr *)pin,
                              pin->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                        : sizeof(struct sockaddr_in6),
                              self->connect_ms, error);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE, "cannot resolve %s: %s", host,
                    gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        g_clear_error(error);
        fd = bb_tcp_connect(ai->ai_addr, ai->ai_addrlen, self->connect_ms, error);
    }
    freeaddrinfo(res);
    return fd;
}

static gboolean
start_tls(BbEgressUpstreams *self, BbConn *conn, const gchar *host, guint16 port, GError **error)
{
    SSL_SESSION *session;
    gint rc;

    conn->session_key = g_strdup_printf("%s:%u", host, port);
    conn->ssl = SSL_new(self->ctx);
    SSL_set_fd(conn->ssl, conn->fd);
    SSL_set_tlsext_host_name(conn->ssl, host);
    SSL_set1_host(conn->ssl, host);
    X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(conn->ssl),
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    /* TLS 1.3 tickets arrive after the handshake, during reads: the key
     * lives as long as the connection. */
    SSL_set_ex_data(conn->ssl, session_key_index, conn->session_key);
    g_mutex_lock(&self->lock);
    session = g_hash_table_lookup(self->sessions, conn->session_key);
    if (session != NULL)
        SSL_set_session(conn->ssl, session);
    g_mutex_unlock(&self->lock);
    rc = SSL_connect(conn->ssl);
    if (rc != 1) {
        glong verify = SSL_get_verify_result(conn->ssl);
        if (verify != X509_V_OK)
            g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                        "upstream %s failed certificate verification: %s", host,
                        X509_verify_cert_error_string(verify));
        else
            g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE, "TLS handshake with %s failed",
                        host);
        ERR_clear_error();
        return FALSE;
    }
    return TRUE;
}

static gchar *
pool_key(const gchar *host, guint16 port, gboolean tls)
{
    return g_strdup_printf("%s:%u:%c", host, port, tls ? 's' : 'p');
}

static BbConn *
pool_take(BbEgressUpstreams *self, const gchar *key)
{
    GQueue *queue;
    IdleConn *ic;
    BbConn *conn = NULL;
    gint64 now = g_get_monotonic_time();

    g_mutex_lock(&self->lock);
    queue = g_hash_table_lookup(self->idle, key);
    while (conn == NULL && queue != NULL && (ic = g_queue_pop_tail(queue)) != NULL) {
        if (now - ic->since < POOL_MAX_IDLE_US && bb_conn_is_idle_alive(ic->conn))
            conn = ic->conn;
        else
            bb_egress_upstreams_discard(ic->conn);
        g_free(ic);
    }
    g_mutex_unlock(&self->lock);
    return conn;
}

BbConn *
bb_egress_upstreams_get(BbEgressUpstreams *self, const gchar *host, guint16 port, gboolean tls,
                        gboolean *reused, GError **error)
{
    g_autofree gchar *key = pool_key(host, port, tls);
    BbConn *conn = pool_take(self, key);
    gint fd;

    *reused = conn != NULL;
    if (conn != NULL)
        return conn;
    fd = connect_host(self, host, port, error);
    if (fd < 0) {
        g_prefix_error(error, "upstream %s:%u: ", host, port);
        return NULL;
    }
    conn = g_new0(BbConn, 1);
    bb_conn_init(conn, fd);
    bb_conn_set_timeout(conn, self->io_ms);
    if (tls && !start_tls(self, conn, host, port, error)) {
        bb_egress_upstreams_discard(conn);
        return NULL;
    }
    return conn;
}

void
bb_egress_upstreams_put(BbEgressUpstreams *self, const gchar *host, guint16 port, gboolean tls,
                        BbConn *conn)
{
    gchar *key = pool_key(host, port, tls);
    GQueue *queue;
    IdleConn *ic;

    if (conn->len > 0) {
        g_free(key);
        bb_egress_upstreams_discard(conn);
        return;
    }
    g_mutex_lock(&self->lock);
    queue = g_hash_table_lookup(self->idle, key);
    if (queue == NULL) {
        queue = g_queue_new();
        g_hash_table_insert(self->idle, key, queue);
    } else {
        g_free(key);
    }
    if (g_queue_get_length(queue) >= POOL_MAX_IDLE_PER_KEY) {
        ic = g_queue_pop_head(queue);
        bb_egress_upstreams_discard(ic->conn);
        g_free(ic);
    }
    ic = g_new0(IdleConn, 1);
    ic->conn = conn;
    ic->since = g_get_monotonic_time();
    g_queue_push_tail(queue, ic);
    g_mutex_unlock(&self->lock);
}

void
bb_egress_upstreams_discard(BbConn *conn)
{
    if (conn == NULL)
        return;
    bb_conn_close(conn);
    g_free(conn);
}
