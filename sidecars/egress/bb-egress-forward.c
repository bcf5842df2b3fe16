/* Forwarding an allowed request: rewrite the head (client credentials
 * and hop-by-hop headers out, the route's credentials in), stream the
 * body up, stream the response back with secrets scrubbed. Redirects
 * are passed back to the agent, never followed. */
#include <string.h>

#include "bb-egress-session-private.h"

/* Request headers that never travel upstream as the agent sent them. */
static const gchar *const request_drop[] = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
    "authorization",
    "expect",
    NULL,
};

static const gchar *const response_drop[] = {
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
    NULL,
};

static gboolean
name_in(const BbHttpField *f, const gchar *const *names)
{
    for (guint i = 0; names != NULL && names[i] != NULL; i++) {
        if (bb_http_field_name_is(f, names[i]))
            return TRUE;
    }
    return FALSE;
}

/* Every name the Connection header lists is hop-by-hop too: an agent
 * cannot use `Connection: close, X-Api-Key` to smuggle a header past or
 * strip one we add. */
static gboolean
listed_in_connection(const BbHttpHead *head, const BbHttpField *f)
{
    g_autofree gchar *name = g_strndup(f->name, f->name_len);
    for (guint i = 0; i < head->n_fields; i++) {
        const BbHttpField *c = &head->fields[i];
        if (bb_http_field_name_is(c, "connection") &&
            bb_http_list_has_token(c->value, c->value_len, name))
            return TRUE;
    }
    return FALSE;
}

static void
append_field(GString *out, const BbHttpField *f)
{
    g_string_append_len(out, f->name, (gssize)f->name_len);
    g_string_append(out, ": ");
    g_string_append_len(out, f->value, (gssize)f->value_len);
    g_string_append(out, "\r\n");
}

/* @held: the whole body, already read and scanned (NULL: it streams).
 * A scanner may have rewritten the target and header values (redaction). */
static gchar *
build_request_head(Request *rq, GBytes *held)
{
    const BbHttpHead *head = rq->head;
    const BbEgressRouteEntry *entry = rq->entry;
    const BbEgressExchange *ex = &rq->exchange;
    gboolean identity = entry->scrub != NULL;
    GString *out = g_string_sized_new(head->head_len + 256);
    guint16 default_port = rq->tls ? 443 : 80;

    g_string_append_printf(out, "%s %s HTTP/1.1\r\nHost: %s", rq->method,
                           ex->rewritten_target != NULL ? ex->rewritten_target : rq->origin_target,
                           rq->host);
    if (rq->port != default_port)
        g_string_append_printf(out, ":%u", rq->port);
    g_string_append(out, "\r\n");
    for (guint i = 0; i < head->n_fields; i++) {
        const BbHttpField *f = &head->fields[i];
        if (name_in(f, request_drop) || name_in(f, (const gchar *const *)entry->inject_names) ||
            listed_in_connection(head, f))
            continue;
        /* Compressed responses could carry the secret past the scrubber. */
        if (identity && bb_http_field_name_is(f, "accept-encoding"))
            continue;
        if (held != NULL && ex->replacement_is_identity &&
            bb_http_field_name_is(f, "content-encoding"))
            continue;
        if (ex->rewritten_values != NULL && ex->rewritten_values[i] != NULL) {
            g_string_append_len(out, f->name, (gssize)f->name_len);
            g_string_append_printf(out, ": %s\r\n", ex->rewritten_values[i]);
            continue;
        }
        append_field(out, f);
    }
    if (identity)
        g_string_append(out, "Accept-Encoding: identity\r\n");
    if (entry->inject != NULL)
        g_string_append(out, entry->inject);
    if (held != NULL)
        g_string_append_printf(out, "Content-Length: %zu\r\n", g_bytes_get_size(held));
    else if (head->framing == BB_HTTP_BODY_CHUNKED)
        g_string_append(out, "Transfer-Encoding: chunked\r\n");
    else if (head->has_content_length)
        g_string_append_printf(out, "Content-Length: %" G_GUINT64_FORMAT "\r\n",
                               head->content_length);
    g_string_append(out, "\r\n");
    return g_string_free(out, FALSE);
}

static void
wipe_free(gchar *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        g_free(s);
    }
}

static BbScanVerdict
run_body_hook(BbScanVerdict (*hook)(gpointer, BbEgressExchange *, const gchar *, gsize, gboolean),
              gpointer user_data, BbEgressExchange *ex, const gchar *data, gsize len, gboolean last,
              GBytes **replacement)
{
    BbScanVerdict verdict = hook(user_data, ex, data, len, last);
    if (verdict == BB_SCAN_REPLACE)
        *replacement = g_steal_pointer(&ex->replacement);
    g_clear_pointer(&ex->replacement, g_bytes_unref);
    return verdict;
}

static BbScanVerdict
request_body_hook(gpointer ctx, const gchar *data, gsize len, gboolean last, GBytes **replacement)
{
    Session *s = ((gpointer *)ctx)[0];
    Request *rq = ((gpointer *)ctx)[1];
    BbEgressScanner *sc = &s->server->scanner;
    return run_body_hook(sc->request_body, sc->user_data, &rq->exchange, data, len, last,
                         replacement);
}

static BbScanVerdict
response_body_hook(gpointer ctx, const gchar *data, gsize len, gboolean last, GBytes **replacement)
{
    Session *s = ((gpointer *)ctx)[0];
    Request *rq = ((gpointer *)ctx)[1];
    BbEgressScanner *sc = &s->server->scanner;
    return run_body_hook(sc->response_body, sc->user_data, &rq->exchange, data, len, last,
                         replacement);
}

typedef enum {
    SEND_OK,
    SEND_STALE, /* a pooled connection died before answering: retry */
    SEND_FAILED,
    SEND_CLIENT_FAILED, /* the agent's body was malformed or cut short */
} SendResult;

/* Reads the response head, skipping interim 1xx responses (the proxy
 * answers Expect itself). */
static SendResult
read_response_head(BbConn *up, Request *rq, BbHttpHead *resp, gboolean reused, const gchar **reason)
{
    for (;;) {
        BbHttpParseResult res = BB_HTTP_PARSE_INCOMPLETE;
        if (up->len > 0)
            res = bb_http_parse_response(up->buf, up->len, rq->method, resp, reason);
        if (res == BB_HTTP_PARSE_ERROR)
            return SEND_FAILED;
        if (res == BB_HTTP_PARSE_OK) {
            if (resp->status == 101) {
                *reason = "upstream switched protocols";
                return SEND_FAILED;
            }
            if (resp->status >= 200)
                return SEND_OK;
            bb_conn_consume(up, resp->head_len);
            continue;
        }
        if (bb_conn_fill(up) <= 0) {
            *reason = "upstream closed or timed out before answering";
            return reused && up->len == 0 && rq->head->framing == BB_HTTP_BODY_NONE ? SEND_STALE
                                                                                    : SEND_FAILED;
        }
    }
}

static gchar *
build_response_head(Request *rq, const BbHttpHead *resp, gboolean close)
{
    GString *out = g_string_sized_new(resp->head_len + 64);
    g_string_append_printf(out, "HTTP/1.1 %u %.*s\r\n", resp->status, (gint)resp->reason_len,
                           resp->reason);
    for (guint i = 0; i < resp->n_fields; i++) {
        const BbHttpField *f = &resp->fields[i];
        if (name_in(f, response_drop) || listed_in_connection(resp, f))
            continue;
        append_field(out, f);
    }
    if (resp->framing == BB_HTTP_BODY_CHUNKED)
        g_string_append(out, "Transfer-Encoding: chunked\r\n");
    else if (resp->has_content_length)
        g_string_append_printf(out, "Content-Length: %" G_GUINT64_FORMAT "\r\n",
                               resp->content_length);
    if (close)
        g_string_append(out, "Connection: close\r\n");
    g_string_append(out, "\r\n");
    if (rq->entry->scrub != NULL)
        bb_scrub_in_place(rq->entry->scrub, out->str, out->len);
    return g_string_free(out, FALSE);
}

/* When body bytes are already buffered, the head goes out with the
 * first of them in one write; otherwise it goes now, so a slow body (an
 * event stream) never holds the head back. */
static gboolean
prefix_or_write(BbRelay *relay, BbConn *dst, const gchar *head_text, gsize buffered)
{
    if (buffered > 0 || relay->framing == BB_HTTP_BODY_NONE) {
        relay->prefix = head_text;
        relay->prefix_len = strlen(head_text);
        return TRUE;
    }
    return bb_conn_write(dst, head_text, strlen(head_text));
}

/* A held body goes out with the head in one write; resending it after a
 * stale pooled connection is safe because nothing was read from the
 * agent for it. */
static SendResult
send_held(Request *rq, BbConn *up, const gchar *head_text, GBytes *held, gboolean reused,
          BbHttpHead *resp, const gchar **reason)
{
    gsize body_len = 0;
    const gchar *body = g_bytes_get_data(held, &body_len);
    gsize head_len = strlen(head_text);
    g_autofree gchar *both = g_malloc(head_len + body_len + 1);
    gboolean ok;

    memcpy(both, head_text, head_len);
    if (body_len > 0)
        memcpy(both + head_len, body, body_len);
    ok = bb_conn_write(up, both, head_len + body_len);
    explicit_bzero(both, head_len); /* the head holds the injected credential */
    rq->audit.bytes_in = body_len;
    if (!ok) {
        *reason = "cannot write to upstream";
        return reused ? SEND_STALE : SEND_FAILED;
    }
    if (read_response_head(up, rq, resp, FALSE, reason) == SEND_OK)
        return SEND_OK;
    /* a pooled connection that closed without a byte of answer */
    return reused && up->len == 0 ? SEND_STALE : SEND_FAILED;
}

/* Sends the head and body upstream and reads the response head. */
static SendResult
send_request(Session *s, Request *rq, BbConn *up, const gchar *head_text, gboolean reused,
             BbHttpHead *resp, const gchar **reason)
{
    BbEgressScanner *sc = &s->server->scanner;
    gpointer ctx[2] = {s, rq};
    BbRelay relay = {
        .src = &s->conn,
        .dst = up,
        .framing = rq->head->framing,
        .length = rq->head->content_length,
        .hook = s->server->has_scanner && sc->request_body != NULL ? request_body_hook : NULL,
        .hook_ctx = ctx,
    };

    if (!prefix_or_write(&relay, up, head_text, s->conn.len)) {
        *reason = "cannot write to upstream";
        return reused ? SEND_STALE : SEND_FAILED;
    }
    bb_conn_set_timeout(&s->conn, s->server->limits.io_timeout_ms);
    if (!bb_relay_body(&relay)) {
        if (relay.dst_failed && relay.bytes == 0 && reused &&
            rq->head->framing == BB_HTTP_BODY_NONE) {
            *reason = "cannot write to upstream";
            return SEND_STALE;
        }
        *reason = relay.reason != NULL ? relay.reason : "request body relay failed";
        rq->audit.bytes_in = relay.bytes;
        if (relay.blocked)
            rq->audit.reason = "scanner";
        return relay.src_failed ? SEND_CLIENT_FAILED : SEND_FAILED;
    }
    rq->audit.bytes_in = relay.bytes;
    return read_response_head(up, rq, resp, reused, reason);
}

static gboolean
client_wants_continue(const BbHttpHead *head)
{
    gint i = bb_http_head_find(head, "expect");
    return i >= 0 && head->framing != BB_HTTP_BODY_NONE &&
           bb_http_list_has_token(head->fields[i].value, head->fields[i].value_len, "100-continue");
}

static Step
scanner_block(Session *s, Request *rq, const gchar *fallback)
{
    return bb_egress_block(s, rq, BB_BLOCK_SCANNER,
                           rq->exchange.block_rule != NULL ? rq->exchange.block_rule : fallback);
}

static Step
relay_response(Session *s, Request *rq, BbConn *up, BbHttpHead *resp)
{
    BbEgressServer *server = s->server;
    BbEgressScanner *sc = &server->scanner;
    gpointer ctx[2] = {s, rq};
    BbScrubber scrubber;
    gboolean close = rq->head->connection_close || resp->framing == BB_HTTP_BODY_UNTIL_CLOSE;
    g_autofree gchar *head_text = NULL;
    BbRelay relay = {
        .src = up,
        .dst = &s->conn,
        .framing = resp->framing,
        .length = resp->content_length,
        .hook = server->has_scanner && sc->response_body != NULL ? response_body_hook : NULL,
        .hook_ctx = ctx,
    };
    gboolean ok;

    rq->exchange.response = resp;
    if (server->has_scanner && sc->response_head != NULL &&
        sc->response_head(sc->user_data, &rq->exchange) == BB_SCAN_BLOCK) {
        bb_egress_upstreams_discard(up);
        return bb_egress_block(s, rq, BB_BLOCK_SCANNER,
                               rq->exchange.block_rule != NULL ? rq->exchange.block_rule
                                                               : "content scanner (response)");
    }
    head_text = build_response_head(rq, resp, close);
    bb_conn_consume(up, resp->head_len);
    rq->audit.status = resp->status;
    /* With a body scanner the head waits for the first judged body bytes,
     * so a finding there can still become a clean 403 for the agent. */
    if (!prefix_or_write(&relay, &s->conn, head_text, up->len + (relay.hook != NULL))) {
        bb_egress_upstreams_discard(up);
        return STEP_CLOSE;
    }
    if (rq->entry->scrub != NULL) {
        bb_scrubber_init(&scrubber, rq->entry->scrub);
        relay.scrubber = &scrubber;
    }
    ok = bb_relay_body(&relay);
    if (relay.scrubber != NULL)
        bb_scrubber_clear(&scrubber);
    rq->audit.bytes_out = relay.bytes;
    if (!ok && relay.blocked && relay.prefix != NULL) {
        /* nothing reached the agent yet */
        bb_egress_upstreams_discard(up);
        rq->audit.bytes_out = 0;
        return scanner_block(s, rq, "content scanner (response)");
    }
    if (!ok) {
        rq->audit.decision = relay.blocked ? "block" : "error";
        rq->audit.reason =
            relay.blocked ? (rq->exchange.block_code != NULL ? rq->exchange.block_code : "scanner")
                          : relay.reason;
        bb_egress_upstreams_discard(up);
        return STEP_CLOSE;
    }
    if (resp->connection_close || resp->framing == BB_HTTP_BODY_UNTIL_CLOSE)
        bb_egress_upstreams_discard(up);
    else
        bb_egress_upstreams_put(server->upstreams, rq->host, rq->port, rq->tls, up);
    return close ? STEP_CLOSE : STEP_KEEP;
}

static Step
forward_with_head(Session *s, Request *rq, const gchar *head_text, GBytes *held)
{
    BbEgressServer *server = s->server;
    BbHttpHead resp;
    const gchar *reason = NULL;

    for (guint attempt = 0; attempt < 2; attempt++) {
        g_autoptr(GError) error = NULL;
        gboolean reused = FALSE;
        BbConn *up = bb_egress_upstreams_get(server->upstreams, rq->host, rq->port, rq->tls,
                                             &reused, &error);
        SendResult res;
        if (up == NULL)
            return bb_egress_fail(s, rq, 502, error->message);
        res = held != NULL ? send_held(rq, up, head_text, held, reused, &resp, &reason)
                           : send_request(s, rq, up, head_text, reused, &resp, &reason);
        if (res == SEND_OK)
            return relay_response(s, rq, up, &resp);
        bb_egress_upstreams_discard(up);
        if (res == SEND_CLIENT_FAILED)
            return bb_egress_fail(s, rq, 400, reason);
        if (res == SEND_FAILED) {
            if (g_strcmp0(rq->audit.reason, "scanner") == 0)
                return bb_egress_block(s, rq, BB_BLOCK_SCANNER,
                                       rq->exchange.block_rule != NULL ? rq->exchange.block_rule
                                                                       : "content scanner");
            return bb_egress_fail(s, rq, 502, reason);
        }
    }
    return bb_egress_fail(s, rq, 502, reason);
}

/* Reads the whole request body (at most hold_cap bytes) and lets the
 * scanner judge it once; NULL after a block or error answered the agent. */
static GBytes *
hold_request_body(Session *s, Request *rq, Step *step)
{
    BbEgressScanner *sc = &s->server->scanner;
    BbEgressExchange *ex = &rq->exchange;
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GBytes) whole = NULL;
    BbRelay relay = {
        .src = &s->conn,
        .framing = rq->head->framing,
        .length = rq->head->content_length,
        .sink = body,
        .sink_cap = ex->hold_cap,
    };
    BbScanVerdict verdict;
    /* A declared length over the cap is refused before reading it. */
    gboolean too_large =
        rq->head->framing == BB_HTTP_BODY_LENGTH && rq->head->content_length > ex->hold_cap;

    bb_conn_set_timeout(&s->conn, s->server->limits.io_timeout_ms);
    if (too_large || !bb_relay_body(&relay)) {
        rq->audit.bytes_in = relay.bytes;
        if (too_large || relay.blocked) {
            ex->block_code = "dlp-too-large";
            g_free(ex->block_rule);
            ex->block_rule = g_strdup_printf(
                "the request body is larger than the %zu bytes the content scanner holds; "
                "nothing was sent",
                ex->hold_cap);
            *step = scanner_block(s, rq, relay.reason);
        } else {
            *step = bb_egress_fail(s, rq, 400, relay.reason);
        }
        return NULL;
    }
    whole = g_byte_array_free_to_bytes(g_steal_pointer(&body));
    verdict = sc->request_body(sc->user_data, ex, g_bytes_get_data(whole, NULL),
                               g_bytes_get_size(whole), TRUE);
    if (verdict == BB_SCAN_REPLACE && ex->replacement != NULL)
        return g_steal_pointer(&ex->replacement);
    g_clear_pointer(&ex->replacement, g_bytes_unref);
    if (verdict != BB_SCAN_ALLOW) {
        *step = scanner_block(s, rq, "content scanner");
        return NULL;
    }
    return g_steal_pointer(&whole);
}

/* The rendered head holds the injected credential: wipe it after use. */
Step
bb_egress_forward(Session *s, Request *rq)
{
    static const gchar continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    BbEgressScanner *sc = &s->server->scanner;
    g_autoptr(GBytes) held = NULL;
    gchar *head_text;
    Step step = STEP_CLOSE;

    if (client_wants_continue(rq->head) &&
        !bb_conn_write(&s->conn, continue_line, sizeof(continue_line) - 1))
        return STEP_CLOSE;
    if (s->server->has_scanner && sc->request_body != NULL && rq->exchange.hold_request_body &&
        rq->head->framing != BB_HTTP_BODY_NONE) {
        held = hold_request_body(s, rq, &step);
        if (held == NULL)
            return step;
    }
    head_text = build_request_head(rq, held);
    step = forward_with_head(s, rq, head_text, held);
    wipe_free(head_text);
    return step;
}
