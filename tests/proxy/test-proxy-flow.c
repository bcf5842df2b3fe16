/* Integration: what an allowed request goes through — credential
 * injection and stripping, scrubbing, redirects, streaming, pooling, scan
 * points, and the control plane (introspection, reload, audit). Judged
 * at the fixture upstream. */
#include <openssl/ssl.h>
#include <string.h>

#include "bb-test-proxy-fixture.h"

/* ---- control cases and credential handling ---- */

static void
test_allowed_injects_token(void)
{
    g_autofree gchar *raw = req("GET", "api.test", "/v1/models",
                                "Authorization: Bearer " AGENT_TOKEN "\r\n"
                                "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n");
    g_autoptr(BbTestResponse) r = NULL;
    BbTestRequest *seen;
    reset();
    r = via_tunnel("api.test", raw);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 200);
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_cmpstr(seen->target, ==, "/v1/models");
    g_assert_nonnull(strstr(seen->head, "Authorization: Bearer " SECRET "\r\n"));
    g_assert_null(strstr(seen->head, AGENT_TOKEN));
    g_assert_null(strstr(seen->head, "Proxy-Authorization"));
    g_assert_true(was_looked_up("api.test"));
}

static void
test_injected_header_name_replaced(void)
{
    g_autofree gchar *raw = req("GET", "keyed.test", "/x", "X-Api-Key: " AGENT_TOKEN "\r\n");
    g_autoptr(BbTestResponse) r = NULL;
    BbTestRequest *seen;
    reset();
    r = via_tunnel("keyed.test", raw);
    g_assert_cmpuint(r->status, ==, 200);
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_nonnull(strstr(seen->head, "X-Api-Key: " SECRET "\r\n"));
    g_assert_null(strstr(seen->head, AGENT_TOKEN));
}

static void
test_hop_by_hop_stripped(void)
{
    /* `Connection: close, X-Keep` makes X-Keep hop-by-hop: it must not
     * travel; X-Other (control) must. */
    g_autofree gchar *raw = req("GET", "open.test", "/hop",
                                "Connection: keep-alive, X-Keep\r\nX-Keep: 1\r\nX-Other: 2\r\n"
                                "Keep-Alive: timeout=5\r\nTE: trailers\r\n");
    g_autoptr(BbTestResponse) r = NULL;
    BbTestRequest *seen;
    reset();
    r = via_tunnel("open.test", raw);
    g_assert_cmpuint(r->status, ==, 200);
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_null(strstr(seen->head, "X-Keep"));
    g_assert_null(strstr(seen->head, "Keep-Alive"));
    g_assert_null(strstr(seen->head, "TE:"));
    g_assert_nonnull(strstr(seen->head, "X-Other: 2"));
}

static void
test_scrub_response(void)
{
    g_autofree gchar *raw = req("GET", "api.test", "/v1/echo-auth", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    r = via_tunnel("api.test", raw);
    g_assert_cmpuint(r->status, ==, 200);
    /* The upstream did get the secret (control), the agent never sees it. */
    g_assert_nonnull(strstr(bb_test_upstream_get(F.https, 0)->head, SECRET));
    g_assert_null(strstr(r->head, SECRET));
    g_assert_null(g_strstr_len((const gchar *)r->body->data, r->body->len, SECRET));
    g_assert_nonnull(strstr((const gchar *)r->body->data, "[bot-bottle:redacted]"));
    g_assert_nonnull(strstr(r->head, "X-Echo-Auth: Bearer [bot-bottle:redacted]"));
}

static void
test_scrub_across_chunks(void)
{
    g_autofree gchar *raw = req("GET", "api.test", "/v1/split-secret", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    r = via_tunnel("api.test", raw);
    g_assert_cmpuint(r->status, ==, 200);
    g_assert_null(g_strstr_len((const gchar *)r->body->data, r->body->len, SECRET));
    g_assert_nonnull(g_strstr_len((const gchar *)r->body->data, r->body->len, "tok=[bot-bottle"));
    g_assert_nonnull(g_strstr_len((const gchar *)r->body->data, r->body->len, ";end"));
}

static void
test_redirect_not_followed(void)
{
    g_autofree gchar *raw = req("GET", "api.test", "/v1/redirect", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    r = via_tunnel("api.test", raw);
    g_assert_cmpuint(r->status, ==, 302);
    g_assert_nonnull(strstr(r->head, "Location: https://evil.test/steal"));
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);
    g_assert_false(was_looked_up("evil.test"));
}

static void
test_sse_streams(void)
{
    g_autoptr(BbTestConn) c = tunnel("open.test");
    g_autofree gchar *raw = req("GET", "open.test", "/sse", NULL);
    reset();
    g_assert_true(bb_test_conn_send(c, raw, -1));
    /* The first event must arrive while the upstream still holds the
     * second: a buffering proxy would time out here. */
    g_assert_true(bb_test_conn_read_until(c, "data: one"));
    bb_test_upstream_release_sse(F.https);
    g_assert_true(bb_test_conn_read_until(c, "data: two"));
}

static void
test_keepalive_pool(void)
{
    g_autoptr(BbTestConn) c = tunnel("open.test");
    reset();
    for (guint i = 0; i < 5; i++) {
        g_autofree gchar *raw = req("GET", "open.test", "/ka", NULL);
        g_autoptr(BbTestResponse) r = NULL;
        g_assert_true(bb_test_conn_send(c, raw, -1));
        r = bb_test_conn_read_response(c);
        g_assert_nonnull(r);
        g_assert_cmpuint(r->status, ==, 200);
    }
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 5);
    g_assert_cmpuint(bb_test_upstream_connections(F.https), <=, 1);
}

static void
test_upstream_resumption(void)
{
    /* /close makes the upstream drop the connection, so each request
     * needs a new handshake; after the first, sessions resume. */
    guint before = bb_test_upstream_resumed(F.https);
    for (guint i = 0; i < 3; i++) {
        g_autofree gchar *raw = req("GET", "open.test", "/close", NULL);
        g_autoptr(BbTestResponse) r = via_tunnel("open.test", raw);
        g_assert_cmpuint(r->status, ==, 200);
        g_assert_nonnull(strstr((const gchar *)r->body->data, "until-close body"));
    }
    g_assert_cmpuint(bb_test_upstream_resumed(F.https) - before, >=, 1);
}

static void
test_head_then_next(void)
{
    /* A HEAD response carries Content-Length but no body: the next
     * response on the same connection must still frame correctly. */
    g_autoptr(BbTestConn) c = tunnel("open.test");
    g_autofree gchar *head_req = req("HEAD", "open.test", "/h", NULL);
    g_autofree gchar *get_req = req("GET", "open.test", "/after-head", NULL);
    g_autoptr(GString) both = g_string_new(head_req);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_string_append(both, get_req);
    reset();
    g_assert_true(bb_test_conn_send(c, both->str, -1));
    r1 = bb_test_conn_read_bodyless_response(c);
    g_assert_cmpuint(r1->status, ==, 200);
    g_assert_nonnull(strstr(r1->head, "Content-Length: "));
    r2 = bb_test_conn_read_response(c);
    g_assert_nonnull(r2);
    g_assert_cmpuint(r2->status, ==, 200);
    g_assert_nonnull(strstr((const gchar *)r2->body->data, "ok GET /after-head"));
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 2);
}

static void
test_expect_continue(void)
{
    g_autoptr(BbTestConn) c = tunnel("open.test");
    g_autofree gchar *head =
        req("POST", "open.test", "/expect", "Content-Length: 5\r\nExpect: 100-continue\r\n");
    g_autoptr(BbTestResponse) r = NULL;
    BbTestRequest *seen;
    reset();
    g_assert_true(bb_test_conn_send(c, head, -1));
    g_assert_true(bb_test_conn_read_until(c, "HTTP/1.1 100 Continue\r\n\r\n"));
    g_assert_true(bb_test_conn_send(c, "hello", 5));
    r = bb_test_conn_read_response(c); /* the 100 is still buffered: skip it */
    g_assert_nonnull(r);
    if (r->status == 100) {
        bb_test_response_free(g_steal_pointer(&r));
        r = bb_test_conn_read_response(c);
    }
    g_assert_cmpuint(r->status, ==, 200);
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_cmpuint(seen->body->len, ==, 5);
    g_assert_null(strstr(seen->head, "Expect:"));
}

static void
test_agent_resumption(void)
{
    /* An agent reconnecting with its ticket skips the full handshake. */
    g_autoptr(BbTestConn) first = tunnel("open.test");
    g_autofree gchar *raw = req("GET", "open.test", "/resume", NULL);
    g_autofree gchar *authority = g_strdup_printf("open.test:%u", https_port());
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autoptr(BbTestConn) second = bb_test_conn_new(F.port);
    SSL_SESSION *session;
    gboolean resumed = FALSE;
    g_assert_true(bb_test_conn_send(first, raw, -1));
    r1 = bb_test_conn_read_response(first);
    g_assert_cmpuint(r1->status, ==, 200);
    session = bb_test_conn_get_session(first);
    g_assert_cmpuint(bb_test_conn_connect(second, authority), ==, 200);
    g_assert_true(bb_test_conn_tls_resume(second, "open.test", F.proxy_ca, session, &resumed));
    SSL_SESSION_free(session);
    g_assert_true(resumed);
    g_assert_true(bb_test_conn_send(second, raw, -1));
    r2 = bb_test_conn_read_response(second);
    g_assert_cmpuint(r2->status, ==, 200);
}

static void
test_chunked_post_control(void)
{
    g_autofree gchar *raw = req("POST", "open.test", "/upload", "Transfer-Encoding: chunked\r\n");
    g_autofree gchar *full = g_strconcat(raw, "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    BbTestRequest *seen;
    reset();
    r = via_tunnel("open.test", full);
    g_assert_cmpuint(r->status, ==, 200);
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_cmpuint(seen->body->len, ==, 11);
    g_assert_cmpint(memcmp(seen->body->data, "hello world", 11), ==, 0);
}

static void
test_plain_http(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    guint p = bb_test_upstream_get_port(F.http);
    g_autofree gchar *ok = g_strdup_printf(
        "GET http://plain.test:%u/hello HTTP/1.1\r\nHost: plain.test:%u\r\n\r\n", p, p);
    g_autofree gchar *cred = g_strdup_printf(
        "GET http://plainauth.test:%u/x HTTP/1.1\r\nHost: plainauth.test:%u\r\n\r\n", p, p);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    reset();
    g_assert_true(bb_test_conn_send(c, ok, -1));
    r1 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r1->status, ==, 200);
    g_assert_cmpuint(bb_test_upstream_count(F.http), ==, 1);
    g_assert_cmpstr(bb_test_upstream_get(F.http, 0)->target, ==, "/hello");
    /* A credential is never sent in clear text. */
    g_assert_true(bb_test_conn_send(c, cred, -1));
    r2 = bb_test_conn_read_response(c);
    assert_blocked(r2, "plaintext-credential");
    g_assert_cmpuint(bb_test_upstream_count(F.http), ==, 1);
}

/* ---- scan points ---- */

typedef struct {
    gint request_heads;
    gint request_bodies;
    gint response_heads;
    gint response_bodies;
    gint done;
} ScanCounts;

static ScanCounts scan_counts;

static gboolean
is_scan_path(BbEgressExchange *ex)
{
    return g_str_has_prefix(ex->path, "/scan");
}

static BbScanVerdict
scan_request_head(gpointer data, BbEgressExchange *ex)
{
    if (!is_scan_path(ex))
        return BB_SCAN_ALLOW;
    g_atomic_int_inc(&scan_counts.request_heads);
    if (bb_http_head_find(ex->request, "x-scan-block") >= 0) {
        ex->block_rule = g_strdup("test scanner: header");
        return BB_SCAN_BLOCK;
    }
    return BB_SCAN_ALLOW;
}

static BbScanVerdict
scan_request_body(gpointer data, BbEgressExchange *ex, const gchar *buf, gsize len, gboolean last)
{
    if (!is_scan_path(ex))
        return BB_SCAN_ALLOW;
    g_atomic_int_inc(&scan_counts.request_bodies);
    if (g_str_has_prefix(ex->path, "/scan/redact") && g_strstr_len(buf, (gssize)len, "hello")) {
        /* same length on /scan/redact-same, longer elsewhere */
        const gchar *with =
            g_str_has_prefix(ex->path, "/scan/redact-same") ? "HELLO" : "[redacted]";
        ex->replacement = g_bytes_new(with, strlen(with));
        return BB_SCAN_REPLACE;
    }
    if (g_strstr_len(buf, (gssize)len, "BLOCKME") != NULL) {
        ex->block_rule = g_strdup("test scanner: body");
        return BB_SCAN_BLOCK;
    }
    return BB_SCAN_ALLOW;
}

static BbScanVerdict
scan_response_head(gpointer data, BbEgressExchange *ex)
{
    if (is_scan_path(ex))
        g_atomic_int_inc(&scan_counts.response_heads);
    return BB_SCAN_ALLOW;
}

static BbScanVerdict
scan_response_body(gpointer data, BbEgressExchange *ex, const gchar *buf, gsize len, gboolean last)
{
    if (is_scan_path(ex))
        g_atomic_int_inc(&scan_counts.response_bodies);
    return BB_SCAN_ALLOW;
}

static void
scan_done(gpointer data, BbEgressExchange *ex)
{
    if (is_scan_path(ex))
        g_atomic_int_inc(&scan_counts.done);
}

static const BbEgressScanner test_scanner = {
    .request_head = scan_request_head,
    .request_body = scan_request_body,
    .response_head = scan_response_head,
    .response_body = scan_response_body,
    .exchange_done = scan_done,
};

static void
test_scan_points(void)
{
    g_autofree gchar *ok = req("POST", "open.test", "/scan/ok", "Content-Length: 5\r\n");
    g_autofree gchar *ok_full = g_strconcat(ok, "hello", NULL);
    g_autofree gchar *by_head = req("GET", "open.test", "/scan/h", "X-Scan-Block: 1\r\n");
    g_autofree gchar *by_body = req("POST", "open.test", "/scan/b", "Content-Length: 12\r\n");
    g_autofree gchar *by_body_full = g_strconcat(by_body, "xxBLOCKMExxx", NULL);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autoptr(BbTestResponse) r3 = NULL;

    memset(&scan_counts, 0, sizeof(scan_counts));
    reset();
    r1 = via_tunnel("open.test", ok_full);
    g_assert_cmpuint(r1->status, ==, 200);
    g_assert_cmpint(scan_counts.request_heads, ==, 1);
    g_assert_cmpint(scan_counts.request_bodies, >=, 1);
    g_assert_cmpint(scan_counts.response_heads, ==, 1);
    g_assert_cmpint(scan_counts.response_bodies, >=, 1);
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);

    r2 = via_tunnel("open.test", by_head);
    assert_blocked(r2, "scanner");
    g_assert_nonnull(strstr((const gchar *)r2->body->data, "test scanner: header"));
    r3 = via_tunnel("open.test", by_body_full);
    assert_blocked(r3, "scanner");
    /* The blocked body never completed a request upstream. */
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);
    /* exchange_done runs after the response is on the wire */
    for (guint i = 0; i < 200 && g_atomic_int_get(&scan_counts.done) < 3; i++)
        g_usleep(10000);
    g_assert_cmpint(g_atomic_int_get(&scan_counts.done), ==, 3);
}

static void
test_scan_redaction(void)
{
    g_autofree gchar *same = req("POST", "open.test", "/scan/redact-same", "Content-Length: 5\r\n");
    g_autofree gchar *same_full = g_strconcat(same, "hello", NULL);
    g_autofree gchar *chunked =
        req("POST", "open.test", "/scan/redact-chunked", "Transfer-Encoding: chunked\r\n");
    g_autofree gchar *chunked_full = g_strconcat(chunked, "5\r\nhello\r\n0\r\n\r\n", NULL);
    g_autofree gchar *longer = req("POST", "open.test", "/scan/redact-cl", "Content-Length: 5\r\n");
    g_autofree gchar *longer_full = g_strconcat(longer, "hello", NULL);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autoptr(BbTestResponse) r3 = NULL;
    BbTestRequest *seen;

    reset();
    r1 = via_tunnel("open.test", same_full);
    g_assert_cmpuint(r1->status, ==, 200);
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_cmpint(memcmp(seen->body->data, "HELLO", 5), ==, 0);
    r2 = via_tunnel("open.test", chunked_full);
    g_assert_cmpuint(r2->status, ==, 200);
    seen = bb_test_upstream_get(F.https, 1);
    g_assert_cmpuint(seen->body->len, ==, 10);
    g_assert_cmpint(memcmp(seen->body->data, "[redacted]", 10), ==, 0);
    /* a fixed-length body cannot grow: refused, nothing completes upstream */
    r3 = via_tunnel("open.test", longer_full);
    assert_blocked(r3, "scanner");
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 2);
}

/* ---- control plane ---- */

static void
test_introspection(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    g_autoptr(BbTestResponse) r = NULL;
    g_assert_true(bb_test_conn_send(
        c, "GET http://bot-bottle.internal/routes HTTP/1.1\r\nHost: bot-bottle.internal\r\n\r\n",
        -1));
    r = bb_test_conn_read_response(c);
    g_assert_cmpuint(r->status, ==, 200);
    g_assert_nonnull(strstr((const gchar *)r->body->data, "\"api.test\""));
    g_assert_nonnull(strstr((const gchar *)r->body->data, "/items/[0-9]+"));
    g_assert_null(g_strstr_len((const gchar *)r->body->data, r->body->len, SECRET));
}

static void
test_reload_keeps_connections(void)
{
    g_autoptr(BbTestConn) c = tunnel("open.test");
    g_autoptr(BbTestConn) early = tunnel("new.test"); /* opened before the route exists */
    g_autofree gchar *raw = req("GET", "open.test", "/before", NULL);
    g_autofree gchar *raw2 = req("GET", "open.test", "/after", NULL);
    g_autofree gchar *newreq = req("GET", "new.test", "/x", NULL);
    g_autoptr(BbEgressPolicy) extended = make_policy(TRUE);
    g_autoptr(BbEgressPolicy) original = make_policy(FALSE);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autoptr(BbTestResponse) n1 = NULL;
    g_autoptr(BbTestResponse) n2 = NULL;

    reset();
    g_assert_true(bb_test_conn_send(early, newreq, -1));
    n1 = bb_test_conn_read_response(early);
    assert_blocked(n1, "no-route");
    g_assert_true(bb_test_conn_send(c, raw, -1));
    r1 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r1->status, ==, 200);

    bb_egress_server_set_policy(F.server, extended);
    /* Both connections survive the reload; each request sees the new
     * policy. */
    g_assert_true(bb_test_conn_send(c, raw2, -1));
    r2 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r2->status, ==, 200);
    g_assert_true(bb_test_conn_send(early, newreq, -1));
    n2 = bb_test_conn_read_response(early);
    g_assert_cmpuint(n2->status, ==, 200);
    bb_egress_server_set_policy(F.server, original);
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 3);
}

static void
test_audit_log(void)
{
    g_autofree gchar *raw = req("GET", "api.test", "/v1/audited?q=" SECRET, NULL);
    g_autofree gchar *blocked = req("DELETE", "api.test", "/v1/audited-block", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autofree gchar *log = NULL;
    reset();
    r = via_tunnel("api.test", raw);
    r2 = via_tunnel("api.test", blocked);
    /* audit lines are written after the response: wait for the last one */
    for (guint i = 0; i < 200; i++) {
        g_clear_pointer(&log, g_free);
        g_assert_true(g_file_get_contents(F.audit_path, &log, NULL, NULL));
        if (strstr(log, "/v1/audited-block") != NULL)
            break;
        g_usleep(10000);
    }
    g_assert_nonnull(strstr(log, "\"method\":\"GET\",\"host\":\"api.test\""));
    g_assert_nonnull(strstr(log, "\"path\":\"/v1/audited\",\"decision\":\"allow\""));
    g_assert_nonnull(strstr(log, "\"path\":\"/v1/audited-block\",\"decision\":\"block\","
                                 "\"reason\":\"no-match\",\"status\":403"));
    g_assert_null(strstr(log, SECRET));
    g_assert_null(strstr(log, AGENT_TOKEN));
}

gint
main(gint argc, gchar **argv)
{
    gint rc;
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    setup_fixture(&test_scanner);
    g_test_add_func("/proxy/inject/token", test_allowed_injects_token);
    g_test_add_func("/proxy/inject/header-name-replaced", test_injected_header_name_replaced);
    g_test_add_func("/proxy/inject/hop-by-hop", test_hop_by_hop_stripped);
    g_test_add_func("/proxy/scrub/response", test_scrub_response);
    g_test_add_func("/proxy/scrub/across-chunks", test_scrub_across_chunks);
    g_test_add_func("/proxy/redirect/not-followed", test_redirect_not_followed);
    g_test_add_func("/proxy/stream/sse", test_sse_streams);
    g_test_add_func("/proxy/stream/keepalive-pool", test_keepalive_pool);
    g_test_add_func("/proxy/stream/chunked-post", test_chunked_post_control);
    g_test_add_func("/proxy/stream/expect-continue", test_expect_continue);
    g_test_add_func("/proxy/stream/head-then-next", test_head_then_next);
    g_test_add_func("/proxy/stream/upstream-resumption", test_upstream_resumption);
    g_test_add_func("/proxy/stream/agent-resumption", test_agent_resumption);
    g_test_add_func("/proxy/plain-http", test_plain_http);
    g_test_add_func("/proxy/scan/points", test_scan_points);
    g_test_add_func("/proxy/scan/redaction", test_scan_redaction);
    g_test_add_func("/proxy/control/routes", test_introspection);
    g_test_add_func("/proxy/control/reload", test_reload_keeps_connections);
    g_test_add_func("/proxy/control/audit", test_audit_log);
    rc = g_test_run();
    bb_egress_server_stop(F.server);
    return rc;
}
