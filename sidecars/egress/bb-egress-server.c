#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bb-egress-session-private.h"
#include "bb-error.h"

static gint
select_http11(SSL *ssl, const guchar **out, guchar *outlen, const guchar *in, guint inlen,
              gpointer arg)
{
    /* Only HTTP/1.1 is spoken inside a tunnel; h2 is declined so the
     * agent falls back instead of failing. */
    for (guint i = 0; i < inlen;) {
        guint len = in[i];
        if (i + 1 + len <= inlen && len == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *outlen = (guchar)len;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static SSL_CTX *
new_bump_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_alpn_select_cb(ctx, select_http11, NULL);
    SSL_CTX_set_tlsext_servername_callback(ctx, bb_egress_session_check_sni);
    SSL_CTX_set_session_id_context(ctx, (const guchar *)"bb-egress", 9);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* One resumption ticket is enough for an agent; the default two cost
     * an extra encryption on every new connection. */
    SSL_CTX_set_num_tickets(ctx, 1);
    return ctx;
}

BbEgressServer *
bb_egress_server_new(const gchar *bottle_name, BbEgressPolicy *policy, BbEgressCa *ca,
                     BbEgressUpstreams *upstreams)
{
    BbEgressServer *self = g_new0(BbEgressServer, 1);
    self->ref_count = 1;
    self->bottle_name = g_strdup(bottle_name);
    self->policy = bb_egress_policy_ref(policy);
    self->ca = ca;
    self->upstreams = upstreams;
    self->bump_ctx = new_bump_ctx();
    self->audit_fd = -1;
    self->listen_fd = -1;
    self->limits.max_connections = 1024;
    self->limits.idle_timeout_ms = 60000;
    self->limits.header_timeout_ms = 10000;
    self->limits.io_timeout_ms = 60000;
    g_mutex_init(&self->lock);
    return self;
}

BbEgressServer *
bb_egress_server_ref(BbEgressServer *self)
{
    g_atomic_int_inc(&self->ref_count);
    return self;
}

void
bb_egress_server_unref(BbEgressServer *self)
{
    if (self == NULL || !g_atomic_int_dec_and_test(&self->ref_count))
        return;
    bb_egress_server_stop(self);
    bb_egress_policy_unref(self->policy);
    bb_egress_ca_free(self->ca);
    bb_egress_upstreams_free(self->upstreams);
    SSL_CTX_free(self->bump_ctx);
    g_mutex_clear(&self->lock);
    g_free(self->bottle_name);
    g_free(self);
}

void
bb_egress_server_get_limits(BbEgressServer *self, BbEgressLimits *limits)
{
    *limits = self->limits;
}

void
bb_egress_server_set_limits(BbEgressServer *self, const BbEgressLimits *limits)
{
    self->limits = *limits;
}

void
bb_egress_server_set_scanner(BbEgressServer *self, const BbEgressScanner *scanner)
{
    self->scanner = *scanner;
    self->has_scanner = TRUE;
}

void
bb_egress_server_set_audit_fd(BbEgressServer *self, gint fd)
{
    self->audit_fd = fd;
}

void
bb_egress_server_set_policy(BbEgressServer *self, BbEgressPolicy *policy)
{
    BbEgressPolicy *old;
    g_mutex_lock(&self->lock);
    old = self->policy;
    self->policy = bb_egress_policy_ref(policy);
    g_mutex_unlock(&self->lock);
    bb_egress_policy_unref(old);
}

BbEgressPolicy *
bb_egress_server_get_policy(BbEgressServer *self)
{
    BbEgressPolicy *policy;
    g_mutex_lock(&self->lock);
    policy = bb_egress_policy_ref(self->policy);
    g_mutex_unlock(&self->lock);
    return policy;
}

BbEgressCa *
bb_egress_server_get_ca(BbEgressServer *self)
{
    return self->ca;
}

BbEgressUpstreams *
bb_egress_server_get_upstreams(BbEgressServer *self)
{
    return self->upstreams;
}

static void
json_escape_into(GString *out, const gchar *s)
{
    g_string_append_c(out, '"');
    for (const guchar *p = (const guchar *)(s != NULL ? s : ""); *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (gchar)*p);
    }
    g_string_append_c(out, '"');
}

/* One line, one write(): concurrent writers never interleave. Values
 * come from the request line and policy only, never header values or
 * bodies, so no credential can land here. */
void
bb_egress_server_audit(BbEgressServer *self, const BbAuditRecord *r)
{
    g_autoptr(GString) line = g_string_new("{\"time\":");
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree gchar *stamp = g_date_time_format_iso8601(now);

    if (self->audit_fd < 0)
        return;
    json_escape_into(line, stamp);
    g_string_append(line, ",\"bottle\":");
    json_escape_into(line, self->bottle_name);
    g_string_append(line, ",\"client\":");
    json_escape_into(line, r->client);
    g_string_append(line, ",\"method\":");
    json_escape_into(line, r->method);
    g_string_append(line, ",\"host\":");
    json_escape_into(line, r->host);
    g_string_append_printf(line, ",\"port\":%u,\"path\":", r->port);
    json_escape_into(line, r->path);
    g_string_append(line, ",\"decision\":");
    json_escape_into(line, r->decision);
    g_string_append(line, ",\"reason\":");
    json_escape_into(line, r->reason);
    g_string_append_printf(line,
                           ",\"status\":%u,\"bytes_in\":%" G_GUINT64_FORMAT
                           ",\"bytes_out\":%" G_GUINT64_FORMAT "}\n",
                           r->status, r->bytes_in, r->bytes_out);
    if (r->detail != NULL) {
        g_string_truncate(line, line->len - 2); /* reopen the object */
        g_string_append(line, ",\"dlp\":");
        json_escape_into(line, r->detail);
        g_string_append(line, "}\n");
    }
    g_mutex_lock(&self->lock);
    if (write(self->audit_fd, line->str, line->len) < 0)
        g_warning("audit log write failed: %s", g_strerror(errno));
    g_mutex_unlock(&self->lock);
}

gboolean
bb_egress_parse_listen(const gchar *listen, struct sockaddr_storage *ss, socklen_t *len,
                       GError **error)
{
    const gchar *colon = strrchr(listen, ':');
    g_autofree gchar *host = NULL;
    guint64 port;
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (colon == NULL || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "'%s': expected ADDR:PORT", listen);
        return FALSE;
    }
    host = g_strndup(listen, (gsize)(colon - listen));
    if (host[0] == '[' && g_str_has_suffix(host, "]")) {
        host[strlen(host) - 1] = '\0';
        memmove(host, host + 1, strlen(host));
    }
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((guint16)port);
        *len = sizeof(*sin);
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((guint16)port);
        *len = sizeof(*sin6);
    } else {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "'%s': ADDR must be an IP address", listen);
        return FALSE;
    }
    return TRUE;
}

static void
format_peer(const struct sockaddr_storage *ss, gchar *out, gsize out_len)
{
    gchar addr[INET6_ADDRSTRLEN] = "?";
    guint port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
        port = ntohs(sin->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
        port = ntohs(sin6->sin6_port);
    }
    g_snprintf(out, out_len, "%s:%u", addr, port);
}

typedef struct {
    BbEgressServer *server;
    gint fd;
    gchar peer[64];
} SessionStart;

static void
session_thread(gpointer data, gpointer unused)
{
    SessionStart *start = data;
    bb_egress_session_run(start->server, start->fd, start->peer);
    ERR_clear_error();
    g_atomic_int_add(&start->server->active, -1);
    bb_egress_server_unref(start->server);
    g_free(start);
}

static const gchar busy_response[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                     "Content-Type: text/plain\r\n"
                                     "X-Bot-Bottle-Block: too-many-connections\r\n"
                                     "Connection: close\r\nContent-Length: 37\r\n\r\n"
                                     "bot-bottle: too many open connections";

static void
accept_one(BbEgressServer *self, gint fd, const struct sockaddr_storage *ss)
{
    SessionStart *start;
    g_autoptr(GError) error = NULL;

    if ((guint)g_atomic_int_add(&self->active, 1) >= self->limits.max_connections) {
        g_atomic_int_add(&self->active, -1);
        if (send(fd, busy_response, sizeof(busy_response) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            /* the agent will see the reset instead */
        }
        close(fd);
        return;
    }
    start = g_new0(SessionStart, 1);
    start->server = bb_egress_server_ref(self);
    start->fd = fd;
    format_peer(ss, start->peer, sizeof(start->peer));
    if (!g_thread_pool_push(self->sessions, start, &error)) {
        g_warning("cannot start a connection thread: %s", error->message);
        close(fd);
        g_atomic_int_add(&self->active, -1);
        bb_egress_server_unref(self);
        g_free(start);
    }
}

static gpointer
accept_thread(gpointer data)
{
    BbEgressServer *self = data;
    while (!g_atomic_int_get(&self->stopping)) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        gint fd = accept4(self->listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                g_usleep(10000);
                continue;
            }
            break;
        }
        accept_one(self, fd, &ss);
    }
    return NULL;
}

gboolean
bb_egress_server_start(BbEgressServer *self, const gchar *listen_spec, GError **error)
{
    struct sockaddr_storage ss;
    socklen_t len;
    gint one = 1;
    gint fd;

    if (!bb_egress_parse_listen(listen_spec, &ss, &len, error))
        return FALSE;
    /* OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a peer that
     * hangs up mid-response must cost a connection, not the process. */
    signal(SIGPIPE, SIG_IGN);
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "socket: %s", g_strerror(errno));
        return FALSE;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot listen on %s: %s", listen_spec,
                    g_strerror(errno));
        close(fd);
        return FALSE;
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    self->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                               : ((struct sockaddr_in6 *)&ss)->sin6_port);
    self->listen_fd = fd;
    /* One thread per connection for its lifetime; the pool only saves
     * creating a thread for each new connection. */
    self->sessions = g_thread_pool_new(session_thread, NULL, -1, FALSE, error);
    if (self->sessions == NULL) {
        close(fd);
        return FALSE;
    }
    g_thread_pool_set_max_unused_threads(64);
    self->accept_thread = g_thread_new("bb-egress-accept", accept_thread, self);
    return TRUE;
}

guint16
bb_egress_server_get_port(BbEgressServer *self)
{
    return self->port;
}

guint
bb_egress_server_get_active(BbEgressServer *self)
{
    return (guint)g_atomic_int_get(&self->active);
}

void
bb_egress_server_stop(BbEgressServer *self)
{
    if (self->accept_thread == NULL)
        return;
    g_atomic_int_set(&self->stopping, 1);
    shutdown(self->listen_fd, SHUT_RDWR);
    g_thread_join(self->accept_thread);
    self->accept_thread = NULL;
    close(self->listen_fd);
    self->listen_fd = -1;
    /* Sessions hold their own server reference; let them finish alone. */
    g_thread_pool_free(self->sessions, FALSE, FALSE);
    self->sessions = NULL;
}
