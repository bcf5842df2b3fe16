/* Integration, SECURITY.md category 3 (HTTP parsing) and the limits:
 * ambiguous or malformed messages are refused and never reach the
 * upstream; slow, idle and surplus clients are cut off. */
#include <string.h>

#include "bb-test-proxy-fixture.h"

/* ---- category 3: HTTP parsing ---- */

typedef struct {
    const gchar *name;
    const gchar *raw; /* %s = host:port */
} RawCase;

static void
test_malformed_requests(void)
{
    const RawCase cases[] = {
        {"CL+TE", "POST /a HTTP/1.1\r\nHost: %s\r\nContent-Length: 4\r\nTransfer-Encoding: "
                  "chunked\r\n\r\n0\r\n\r\n"},
        {"TE+CL", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                  "4\r\n\r\n0\r\n\r\n"},
        {"TE xchunked", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: xchunked\r\n\r\n"},
        {"TE list", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked, "
                    "identity\r\n\r\n0\r\n\r\n"},
        {"TE identity", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: identity\r\n\r\n"},
        {"TE space before colon",
         "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"},
        {"TE twice", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                     "chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"TE vertical tab", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding:\x0b"
                            "chunked\r\n\r\n0\r\n\r\n"},
        {"TE in 1.0",
         "POST /a HTTP/1.0\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"CL twice", "POST /a HTTP/1.1\r\nHost: %s\r\nContent-Length: 1\r\nContent-Length: "
                     "1\r\n\r\nx"},
        {"CL list", "POST /a HTTP/1.1\r\nHost: %s\r\nContent-Length: 1, 1\r\n\r\nx"},
        {"CL sign", "POST /a HTTP/1.1\r\nHost: %s\r\nContent-Length: +1\r\n\r\nx"},
        {"CL huge", "POST /a HTTP/1.1\r\nHost: %s\r\nContent-Length: 99999999999999999999\r\n\r\n"},
        {"Host twice", "GET /a HTTP/1.1\r\nHost: %s\r\nHost: evil.test\r\n\r\n"},
        {"no Host", "GET /a HTTP/1.1\r\nX: %s\r\n\r\n"},
        {"bare LF", "GET /a HTTP/1.1\nHost: %s\n\n"},
        {"bare LF in header", "GET /a HTTP/1.1\r\nHost: %s\r\nX: y\nZ: w\r\n\r\n"},
        {"bare CR", "GET /a HTTP/1.1\r\nHost: %s\r\nX: a\rb\r\n\r\n"},
        {"NUL in value", "GET /a HTTP/1.1\r\nHost: %s\r\nX: a\x01"
                         "b\r\n\r\n"},
        {"CTL in name", "GET /a HTTP/1.1\r\nHost: %s\r\nX\x7f: a\r\n\r\n"},
        {"space in name", "GET /a HTTP/1.1\r\nHost: %s\r\nX Y: a\r\n\r\n"},
        {"folding", "GET /a HTTP/1.1\r\nHost: %s\r\nX: a\r\n b\r\n\r\n"},
        {"folded Host", "GET /a HTTP/1.1\r\nX: 1\r\nHost:\r\n %s\r\n\r\n"},
        {"space in target", "GET /a b HTTP/1.1\r\nHost: %s\r\n\r\n"},
        {"CTL in target", "GET /a\x01 HTTP/1.1\r\nHost: %s\r\n\r\n"},
        {"double space", "GET  /a HTTP/1.1\r\nHost: %s\r\n\r\n"},
        {"HTTP/2.0", "GET /a HTTP/2.0\r\nHost: %s\r\n\r\n"},
        {"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n%s"},
        {"HTTP/1.1 lower", "GET /a http/1.1\r\nHost: %s\r\n\r\n"},
        {"leading CRLF", "\r\nGET /a HTTP/1.1\r\nHost: %s\r\n\r\n"},
        {"chunk size non-hex", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                               "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
        {"chunk size overflow", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                                "chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"},
        {"chunk size space", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                             "chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"},
        {"chunk size sign", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                            "chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"},
        {"chunk bare LF", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                          "chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"},
        {"chunk ext CTL", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                          "chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n"},
        {"chunk too long", "POST /a HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: "
                           "chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree gchar *hostport = g_strdup_printf("open.test:%u", https_port());
        g_auto(GStrv) parts = g_strsplit(cases[i].raw, "%s", -1);
        g_autofree gchar *raw = g_strjoinv(hostport, parts);
        g_autoptr(BbTestConn) c = tunnel("open.test");
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        g_assert_true(bb_test_conn_send(c, raw, -1));
        r = bb_test_conn_read_response(c);
        /* Chunk errors surface after the head was forwarded: the
         * upstream may see the head, never a completed request. */
        if (g_str_has_prefix(cases[i].name, "chunk")) {
            if (r != NULL && r->status == 200)
                g_error("%s: answered 200", cases[i].name);
            g_assert_true(bb_test_upstream_count(F.https) == 0);
        } else {
            if (r == NULL || r->status != 400)
                g_error("%s: answered %u, expected 400", cases[i].name, r != NULL ? r->status : 0);
            g_assert_nonnull(strstr(r->head, "Connection: close"));
            g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
        }
        g_assert_true(bb_test_conn_wait_closed(c));
    }
}

static void
test_smuggled_request_checked(void)
{
    /* TE.CL style: what a CL-reading server would take as a body is, to
     * us, a second request, and it goes through policy like any other. */
    g_autofree gchar *raw = g_strdup_printf(
        "POST /v1/a HTTP/1.1\r\nHost: api.test:%u\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\nDELETE /v1/admin HTTP/1.1\r\nHost: api.test:%u\r\n\r\n",
        https_port(), https_port());
    g_autoptr(BbTestConn) c = tunnel("api.test");
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    reset();
    g_assert_true(bb_test_conn_send(c, raw, -1));
    r1 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r1->status, ==, 200);
    r2 = bb_test_conn_read_response(c);
    assert_blocked(r2, "no-match");
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);
    g_assert_cmpuint(bb_test_upstream_get(F.https, 0)->body->len, ==, 0);
}

static void
test_limits_head_size(void)
{
    g_autoptr(GString) big = g_string_new(NULL);
    g_autoptr(GString) many = g_string_new(NULL);
    g_autoptr(GString) line = g_string_new("GET /");
    const GString *cases[3];
    g_string_printf(big, "GET /a HTTP/1.1\r\nHost: open.test:%u\r\nX: ", https_port());
    for (guint i = 0; i < 70000; i++)
        g_string_append_c(big, 'a');
    g_string_append(big, "\r\n\r\n");
    g_string_printf(many, "GET /a HTTP/1.1\r\nHost: open.test:%u\r\n", https_port());
    for (guint i = 0; i < 150; i++)
        g_string_append_printf(many, "X-%u: y\r\n", i);
    g_string_append(many, "\r\n");
    for (guint i = 0; i < 9000; i++)
        g_string_append_c(line, 'a');
    g_string_append_printf(line, " HTTP/1.1\r\nHost: open.test:%u\r\n\r\n", https_port());
    cases[0] = big;
    cases[1] = many;
    cases[2] = line;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(BbTestConn) c = tunnel("open.test");
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        bb_test_conn_send(c, cases[i]->str, (gssize)cases[i]->len);
        r = bb_test_conn_read_response(c);
        g_assert_nonnull(r);
        g_assert_cmpuint(r->status, ==, 400);
        g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
    }
}

static void
test_slowloris(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    const gchar *partial = "GET http://plain.test/ HTTP/1.1\r\n";
    gint64 start = g_get_monotonic_time();
    gboolean closed = FALSE;
    reset();
    /* One byte every 200 ms: each read succeeds, but the head never
     * completes within the 1 s header timeout. */
    for (guint i = 0; partial[i] != '\0' && !closed; i++) {
        if (!bb_test_conn_send(c, partial + i, 1))
            closed = TRUE;
        g_usleep(200000);
        if (g_get_monotonic_time() - start > 4 * G_USEC_PER_SEC)
            break;
    }
    bb_test_conn_set_timeout(c, 3000);
    g_assert_true(closed || bb_test_conn_wait_closed(c));
    g_assert_cmpint(g_get_monotonic_time() - start, <, 6 * G_USEC_PER_SEC);
    g_assert_cmpuint(bb_test_upstream_count(F.http), ==, 0);
}

static void
test_idle_timeout(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    bb_test_conn_set_timeout(c, 4000);
    g_assert_true(bb_test_conn_wait_closed(c));
}

static void
test_max_connections(void)
{
    BbEgressLimits saved, limits;
    BbTestConn *held[3];
    g_autoptr(BbTestConn) extra = NULL;
    g_autoptr(BbTestResponse) r = NULL;
    bb_egress_server_get_limits(F.server, &saved);
    limits = saved;
    limits.max_connections = 3;
    bb_egress_server_set_limits(F.server, &limits);
    /* let earlier tests' connections wind down */
    for (guint i = 0; i < 500 && bb_egress_server_get_active(F.server) > 0; i++)
        g_usleep(10000);
    g_assert_cmpuint(bb_egress_server_get_active(F.server), ==, 0);
    for (guint i = 0; i < 3; i++)
        held[i] = tunnel("open.test");
    extra = bb_test_conn_new(F.port);
    r = bb_test_conn_read_response(extra);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 503);
    for (guint i = 0; i < 3; i++)
        bb_test_conn_free(held[i]);
    bb_egress_server_set_limits(F.server, &saved);
}

static void
test_bad_upstream_response(void)
{
    /* Smuggling in the other direction: an ambiguous response is never
     * passed on to the agent. */
    g_autofree gchar *raw = req("GET", "open.test", "/bad-response", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    r = via_tunnel("open.test", raw);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 502);
    g_assert_null(strstr(r->head, "Transfer-Encoding"));
}

gint
main(gint argc, gchar **argv)
{
    gint rc;
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    setup_fixture(NULL);
    g_test_add_func("/proxy/parse/malformed", test_malformed_requests);
    g_test_add_func("/proxy/parse/smuggled-second-request", test_smuggled_request_checked);
    g_test_add_func("/proxy/limits/head-size", test_limits_head_size);
    g_test_add_func("/proxy/limits/slowloris", test_slowloris);
    g_test_add_func("/proxy/limits/idle", test_idle_timeout);
    g_test_add_func("/proxy/limits/max-connections", test_max_connections);
    g_test_add_func("/proxy/parse/bad-upstream-response", test_bad_upstream_response);
    rc = g_test_run();
    bb_egress_server_stop(F.server);
    return rc;
}
