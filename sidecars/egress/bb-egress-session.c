/* One agent connection: read a request head, decide, relay, repeat.
 * Inside a bumped CONNECT tunnel every request is checked against the
 * tunnel's host again, so a kept-alive connection cannot switch hosts. */
#include <string.h>

#include "bb-egress-session-private.h"
#include "bb-host.h"
#include "bb-route-json.h"

static const gchar *
status_text(guint status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 502:
        return "Bad Gateway";
    default:
        return "Error";
    }
}

void
bb_egress_send_plain(Session *s, guint status, const gchar *block_code, const gchar *body,
                     gboolean close)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_string_append_printf(out, "HTTP/1.1 %u %s\r\nContent-Type: text/plain; charset=utf-8\r\n",
                           status, status_text(status));
    if (block_code != NULL)
        g_string_append_printf(out, "X-Bot-Bottle-Block: %s\r\n", block_code);
    g_string_append_printf(out, "Content-Length: %zu\r\n%s\r\n%s", strlen(body),
                           close ? "Connection: close\r\n" : "", body);
    bb_conn_write(&s->conn, out->str, out->len);
}

/* Protocol errors: the connection can no longer be trusted to frame
 * the next request, so it is always closed. */
Step
bb_egress_fail(Session *s, Request *rq, guint status, const gchar *reason)
{
    g_autofree gchar *body = g_strdup_printf("bot-bottle: %s\n", reason);
    bb_egress_send_plain(s, status, NULL, body, TRUE);
    rq->audit.decision = "error";
    g_free(rq->error_reason);
    rq->error_reason = g_strdup(reason);
    rq->audit.reason = rq->error_reason;
    rq->audit.status = status;
    return STEP_CLOSE;
}

Step
bb_egress_block(Session *s, Request *rq, BbBlockCode code, const gchar *rule)
{
    const gchar *host = rq->host != NULL ? rq->host : "(unknown)";
    gboolean close = rq->head->framing != BB_HTTP_BODY_NONE || rq->head->connection_close ||
                     g_strcmp0(rq->method, "CONNECT") == 0;
    /* A scanner may name a finer code (e.g. dlp-secret) than "scanner". */
    const gchar *code_text = code == BB_BLOCK_SCANNER && rq->exchange.block_code != NULL
                                 ? rq->exchange.block_code
                                 : bb_block_code_to_string(code);
    g_autofree gchar *body = g_strdup_printf(
        "bot-bottle blocked this request.\n"
        "  host:   %s:%u\n  method: %s\n  path:   %s\n  rule:   %s (%s)\n\n"
        "This bottle (%s) only reaches the hosts, paths and methods its routes allow.\n"
        "To get access, ask the operator to add or widen the route for %s in bottle %s,\n"
        "or request it through the bot-bottle supervise tool if it is enabled.\n",
        host, rq->port, rq->method,
        rq->exchange.redacted_path != NULL ? rq->exchange.redacted_path
        : rq->path != NULL                 ? rq->path
                                           : "-",
        rule, code_text, s->server->bottle_name, host, s->server->bottle_name);
    bb_egress_send_plain(s, 403, code_text, body, close);
    rq->audit.decision = "block";
    rq->audit.reason = code_text;
    rq->audit.status = 403;
    return close ? STEP_CLOSE : STEP_KEEP;
}

/* Runs inside SSL_accept: the name the client asks for must be the
 * CONNECT authority's, or the handshake fails. */
gint
bb_egress_session_check_sni(SSL *ssl, gint *alert, gpointer arg)
{
    Session *s = SSL_get_app_data(ssl);
    const gchar *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const gchar *reason = NULL;
    g_autofree gchar *canonical = NULL;

    if (s == NULL || sni == NULL)
        return SSL_TLSEXT_ERR_OK;
    canonical = bb_host_canonicalize(sni, strlen(sni), &reason);
    if (canonical == NULL || g_strcmp0(canonical, s->tunnel_host) != 0) {
        s->sni_mismatch = TRUE;
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

static gboolean
bump(Session *s)
{
    BbEgressServer *server = s->server;
    g_autoptr(GError) error = NULL;
    X509 *leaf = bb_egress_ca_get_leaf(server->ca, s->tunnel_host, &error);
    SSL *ssl;

    if (leaf == NULL) {
        g_warning("%s", error->message);
        return FALSE;
    }
    ssl = SSL_new(server->bump_ctx);
    SSL_set_fd(ssl, s->conn.fd);
    SSL_set_app_data(ssl, s);
    SSL_use_certificate(ssl, leaf);
    SSL_use_PrivateKey(ssl, bb_egress_ca_get_leaf_key(server->ca));
    X509_free(leaf);
    bb_conn_set_timeout(&s->conn, server->limits.header_timeout_ms);
    if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        return FALSE;
    }
    s->conn.ssl = ssl;
    return TRUE;
}

static Step
handle_connect(Session *s, Request *rq)
{
    BbHttpHead *head = rq->head;
    const gchar *reason = NULL;
    gint host_field = head->host_field;
    guint16 want_port;
    BbBlockCode blocked = BB_BLOCK_NONE;
    static const gchar established[] = "HTTP/1.1 200 Connection established\r\n\r\n";

    if (s->tunnel_host != NULL)
        return bb_egress_fail(s, rq, 400, "CONNECT inside a CONNECT tunnel");
    if (head->framing != BB_HTTP_BODY_NONE)
        return bb_egress_fail(s, rq, 400, "CONNECT with a body");
    if (memchr(head->target, ':', head->target_len) == NULL)
        return bb_egress_fail(s, rq, 400, "CONNECT needs host:port");
    if (!bb_authority_parse(head->target, head->target_len, 0, &rq->host, &rq->port, &reason))
        return bb_egress_block(s, rq, BB_BLOCK_BAD_HOST, reason);
    if (host_field >= 0) {
        g_autofree gchar *h = NULL;
        guint16 p = 0;
        const BbHttpField *f = &head->fields[host_field];
        if (!bb_authority_parse(f->value, f->value_len, rq->port, &h, &p, &reason) ||
            g_strcmp0(h, rq->host) != 0 || p != rq->port)
            return bb_egress_block(s, rq, BB_BLOCK_HOST_MISMATCH,
                                   "the Host header differs from CONNECT");
    }
    /* A host without a route still gets its tunnel: every request in it
     * is then answered with the explanatory 403 (check_policy looks the
     * route up again), which an agent sees, unlike a refused CONNECT
     * that HTTP clients report without its body. Nothing is resolved or
     * contacted either way. */
    rq->entry = bb_egress_policy_lookup(rq->policy, rq->host);
    want_port = rq->entry != NULL && rq->entry->route->port != 0 ? rq->entry->route->port : 443;
    if (rq->entry == NULL)
        blocked = BB_BLOCK_NO_ROUTE;
    else if (rq->port != want_port)
        blocked = BB_BLOCK_PORT;
    if (s->conn.len != 0)
        return bb_egress_fail(s, rq, 400, "data sent before the tunnel was established");
    if (!bb_conn_write(&s->conn, established, sizeof(established) - 1))
        return STEP_CLOSE;
    s->tunnel_host = g_strdup(rq->host);
    s->tunnel_port = rq->port;
    rq->audit.status = 200;
    if (!bump(s)) {
        rq->audit.decision = s->sni_mismatch ? "block" : "error";
        rq->audit.reason = s->sni_mismatch ? bb_block_code_to_string(BB_BLOCK_HOST_MISMATCH)
                                           : "TLS handshake with the agent failed";
        return STEP_CLOSE;
    }
    rq->audit.decision = blocked == BB_BLOCK_NONE ? "allow" : "block";
    rq->audit.reason = blocked == BB_BLOCK_NONE ? NULL : bb_block_code_to_string(blocked);
    return STEP_KEEP;
}

static gboolean
has_prefix_ci(const gchar *s, gsize len, const gchar *prefix)
{
    gsize plen = strlen(prefix);
    return len >= plen && g_ascii_strncasecmp(s, prefix, plen) == 0;
}

/* Works out which host and port a request is for, from the tunnel, the
 * absolute URI and the Host header, which must all agree. */
static Step
resolve_target(Session *s, Request *rq)
{
    BbHttpHead *head = rq->head;
    const gchar *t = head->target;
    gsize tl = head->target_len;
    const gchar *reason = NULL;
    guint16 default_port = rq->tls ? 443 : 80;
    g_autofree gchar *uri_host = NULL;
    guint16 uri_port = 0;
    g_autofree gchar *host_hdr = NULL;
    guint16 host_port = 0;
    const BbHttpField *hf = head->host_field >= 0 ? &head->fields[head->host_field] : NULL;
    const gchar *rest;
    gsize rest_len;

    if (memchr(t, '#', tl) != NULL)
        return bb_egress_fail(s, rq, 400, "fragment in request target");
    if (t[0] == '/') {
        rest = t;
        rest_len = tl;
    } else if (has_prefix_ci(t, tl, rq->tls ? "https://" : "http://")) {
        const gchar *auth = t + (rq->tls ? 8 : 7);
        const gchar *auth_end = auth;
        while (auth_end < t + tl && *auth_end != '/' && *auth_end != '?')
            auth_end++;
        if (!bb_authority_parse(auth, (gsize)(auth_end - auth), default_port, &uri_host, &uri_port,
                                &reason))
            return bb_egress_block(s, rq, BB_BLOCK_BAD_HOST, reason);
        rest = auth_end;
        rest_len = (gsize)(t + tl - auth_end);
    } else if (!rq->tls && has_prefix_ci(t, tl, "https://")) {
        return bb_egress_fail(s, rq, 400, "https:// URLs go through CONNECT");
    } else {
        return bb_egress_fail(s, rq, 400, "unsupported request target form");
    }
    if (hf == NULL)
        return bb_egress_fail(s, rq, 400, "missing Host");
    if (!bb_authority_parse(hf->value, hf->value_len, default_port, &host_hdr, &host_port, &reason))
        return bb_egress_block(s, rq, BB_BLOCK_BAD_HOST, reason);
    if (uri_host != NULL && (g_strcmp0(uri_host, host_hdr) != 0 || uri_port != host_port)) {
        rq->host = g_steal_pointer(&uri_host);
        rq->port = uri_port;
        return bb_egress_block(s, rq, BB_BLOCK_HOST_MISMATCH,
                               "the Host header differs from the URL");
    }
    rq->host = g_steal_pointer(&host_hdr);
    rq->port = host_port;
    if (rq->tls && (g_strcmp0(rq->host, s->tunnel_host) != 0 || rq->port != s->tunnel_port))
        return bb_egress_block(s, rq, BB_BLOCK_HOST_MISMATCH,
                               "the request's host differs from the tunnel's");
    if (!rq->tls && t[0] == '/' && g_strcmp0(rq->host, BB_EGRESS_CONTROL_HOST) != 0)
        return bb_egress_fail(s, rq, 400,
                              "a proxy request needs an absolute URL (http://host/path)");
    if (rest_len == 0 || rest[0] == '?')
        rq->origin_target = g_strdup_printf("/%.*s", (gint)rest_len, rest);
    else
        rq->origin_target = g_strndup(rest, rest_len);
    return STEP_CONTINUE;
}

static Step
handle_control(Session *s, Request *rq)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree gchar *json = NULL;
    gboolean close = rq->head->framing != BB_HTTP_BODY_NONE || rq->head->connection_close;

    if (g_strcmp0(rq->method, "GET") != 0 || g_strcmp0(rq->origin_target, "/routes") != 0) {
        bb_egress_send_plain(s, 404, NULL, "bot-bottle: the control endpoint serves GET /routes\n",
                             close);
        rq->audit.decision = "control";
        rq->audit.status = 404;
        return close ? STEP_CLOSE : STEP_KEEP;
    }
    json = bb_routes_to_json_string(bb_egress_policy_get_routes(rq->policy), TRUE);
    g_string_append_printf(out,
                           "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           "Content-Length: %zu\r\n%s\r\n%s",
                           strlen(json), close ? "Connection: close\r\n" : "", json);
    bb_conn_write(&s->conn, out->str, out->len);
    rq->audit.decision = "control";
    rq->audit.status = 200;
    return close ? STEP_CLOSE : STEP_KEEP;
}

static Step
check_policy(Session *s, Request *rq)
{
    BbHttpHead *head = rq->head;
    const gchar *reason = NULL;
    g_autofree gchar *rule = NULL;
    BbBlockCode code;
    const gchar *q = strchr(rq->origin_target, '?');
    guint16 want_port;

    rq->entry = bb_egress_policy_lookup(rq->policy, rq->host);
    if (rq->entry == NULL)
        return bb_egress_block(s, rq, BB_BLOCK_NO_ROUTE, "no route for this host");
    want_port = rq->entry->route->port != 0 ? rq->entry->route->port : (rq->tls ? 443 : 80);
    if (rq->port != want_port)
        return bb_egress_block(s, rq, BB_BLOCK_PORT, "the route allows another port");
    rq->path = bb_egress_normalize_path(
        rq->origin_target, q != NULL ? (gsize)(q - rq->origin_target) : strlen(rq->origin_target),
        &reason);
    if (rq->path == NULL)
        return bb_egress_block(s, rq, BB_BLOCK_BAD_PATH, reason);
    rq->audit.path = rq->path;
    rq->query = q != NULL ? g_strdup(q + 1) : NULL;
    if (!rq->tls && rq->entry->inject != NULL)
        return bb_egress_block(s, rq, BB_BLOCK_PLAINTEXT_CREDENTIAL,
                               "this route injects a credential, which is only sent over https");
    code = bb_egress_policy_check(rq->entry, rq->method, rq->path, rq->query, head, &rule);
    if (code != BB_BLOCK_NONE)
        return bb_egress_block(s, rq, code, rule);
    return STEP_CONTINUE;
}

static Step
scan_request_head(Session *s, Request *rq)
{
    BbEgressServer *server = s->server;
    BbEgressExchange *ex = &rq->exchange;
    ex->route = rq->entry->route;
    ex->host = rq->host;
    ex->method = rq->method;
    ex->path = rq->path;
    ex->query = rq->query;
    ex->request = rq->head;
    if (!server->has_scanner || server->scanner.request_head == NULL)
        return STEP_CONTINUE;
    rq->exchange_started = TRUE;
    if (server->scanner.request_head(server->scanner.user_data, ex) == BB_SCAN_BLOCK)
        return bb_egress_block(s, rq, BB_BLOCK_SCANNER,
                               ex->block_rule != NULL ? ex->block_rule : "content scanner");
    return STEP_CONTINUE;
}

static Step
dispatch(Session *s, Request *rq)
{
    Step step;
    if (rq->head->method_len == 7 && memcmp(rq->head->method, "CONNECT", 7) == 0)
        return handle_connect(s, rq);
    step = resolve_target(s, rq);
    if (step != STEP_CONTINUE)
        return step;
    rq->audit.host = rq->host;
    rq->audit.port = rq->port;
    if (!rq->tls && g_strcmp0(rq->host, BB_EGRESS_CONTROL_HOST) == 0)
        return handle_control(s, rq);
    step = check_policy(s, rq);
    if (step == STEP_CONTINUE)
        step = scan_request_head(s, rq);
    if (step == STEP_CONTINUE)
        step = bb_egress_forward(s, rq);
    return step;
}

static void
request_clear(BbEgressServer *server, Request *rq)
{
    if (rq->exchange_started && server->scanner.exchange_done != NULL)
        server->scanner.exchange_done(server->scanner.user_data, &rq->exchange);
    g_free(rq->exchange.block_rule);
    g_clear_pointer(&rq->exchange.replacement, g_bytes_unref);
    g_free(rq->exchange.audit_detail);
    g_free(rq->exchange.redacted_path);
    g_free(rq->exchange.rewritten_target);
    if (rq->exchange.rewritten_values != NULL) {
        for (guint i = 0; i < rq->head->n_fields; i++)
            g_free(rq->exchange.rewritten_values[i]);
        g_free(rq->exchange.rewritten_values);
    }
    g_free(rq->method);
    g_free(rq->host);
    g_free(rq->origin_target);
    g_free(rq->path);
    g_free(rq->query);
    g_free(rq->error_reason);
    bb_egress_policy_unref(rq->policy);
}

static gboolean
handle_request(Session *s, BbHttpHead *head)
{
    Request rq = {0};
    Step step;

    rq.head = head;
    rq.method = g_strndup(head->method, head->method_len);
    rq.tls = s->tunnel_host != NULL;
    rq.port = rq.tls ? s->tunnel_port : 0;
    rq.policy = bb_egress_server_get_policy(s->server);
    rq.audit.client = s->peer;
    rq.audit.method = rq.method;
    rq.audit.decision = "allow";
    step = dispatch(s, &rq);
    rq.audit.host = rq.host;
    rq.audit.port = rq.port;
    rq.audit.detail = rq.exchange.audit_detail;
    if (rq.exchange.redacted_path != NULL)
        rq.audit.path = rq.exchange.redacted_path;
    bb_egress_server_audit(s->server, &rq.audit);
    request_clear(s->server, &rq);
    return step == STEP_KEEP;
}

/* Copies the parsed head out of the connection buffer (rebasing its
 * slices) so the buffer can move on to the body. */
static void
take_head(Session *s, BbHttpHead *head)
{
    const gchar *base = s->conn.buf;
    memcpy(s->head_buf, base, head->head_len);
#define REBASE(p) ((p) = (p) != NULL ? s->head_buf + ((p)-base) : NULL)
    REBASE(head->method);
    REBASE(head->target);
    REBASE(head->reason);
    for (guint i = 0; i < head->n_fields; i++) {
        REBASE(head->fields[i].name);
        REBASE(head->fields[i].value);
    }
#undef REBASE
    bb_conn_consume(&s->conn, head->head_len);
}

static void
audit_error(Session *s, const gchar *reason, guint status)
{
    BbAuditRecord r = {.client = s->peer, .decision = "error", .reason = reason, .status = status};
    bb_egress_server_audit(s->server, &r);
}

/* Reads the next request head. The idle timeout applies until its first
 * byte; then the whole head must arrive within the header timeout, so a
 * client trickling bytes (slowloris) is cut off. */
static gboolean
read_head(Session *s, BbHttpHead *head)
{
    const BbEgressLimits *limits = &s->server->limits;
    gint64 deadline = 0;
    gsize scanned = 0;
    const gchar *reason = NULL;

    bb_conn_set_timeout(&s->conn, limits->idle_timeout_ms);
    for (;;) {
        gssize n;
        if (s->conn.len > 0) {
            gsize from = scanned > 3 ? scanned - 3 : 0;
            if (deadline == 0) {
                deadline = g_get_monotonic_time() + (gint64)limits->header_timeout_ms * 1000;
                bb_conn_set_timeout(&s->conn, limits->header_timeout_ms);
            }
            if (memmem(s->conn.buf + from, s->conn.len - from, "\r\n\r\n", 4) != NULL ||
                memchr(s->conn.buf + from, '\n', s->conn.len - from) != NULL ||
                s->conn.len >= BB_HTTP_MAX_HEAD) {
                BbHttpParseResult res =
                    bb_http_parse_request(s->conn.buf, s->conn.len, head, &reason);
                if (res == BB_HTTP_PARSE_OK) {
                    take_head(s, head);
                    return TRUE;
                }
                if (res == BB_HTTP_PARSE_ERROR) {
                    g_autofree gchar *body = g_strdup_printf("bot-bottle: %s\n", reason);
                    bb_egress_send_plain(s, 400, NULL, body, TRUE);
                    audit_error(s, reason, 400);
                    return FALSE;
                }
            }
            scanned = s->conn.len;
            if (g_get_monotonic_time() > deadline) {
                bb_egress_send_plain(s, 408, NULL, "bot-bottle: request head too slow\n", TRUE);
                audit_error(s, "header timeout", 408);
                return FALSE;
            }
        }
        n = bb_conn_fill(&s->conn);
        if (n <= 0) {
            if (s->conn.len > 0 && n < 0) {
                bb_egress_send_plain(s, 408, NULL, "bot-bottle: request head too slow\n", TRUE);
                audit_error(s, "header timeout", 408);
            }
            return FALSE;
        }
    }
}

void
bb_egress_session_run(BbEgressServer *server, gint fd, const gchar *peer)
{
    Session s = {0};
    s.server = server;
    s.peer = peer;
    s.head_buf = g_malloc(BB_HTTP_MAX_HEAD);
    bb_conn_init(&s.conn, fd);
    for (;;) {
        BbHttpHead head;
        if (!read_head(&s, &head) || !handle_request(&s, &head))
            break;
    }
    bb_conn_close(&s.conn);
    g_free(s.head_buf);
    g_free(s.tunnel_host);
}
