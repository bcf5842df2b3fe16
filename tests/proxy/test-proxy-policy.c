/* Integration, SECURITY.md category 2 (proxy policy confusion): every
 * trick is judged at the destination (the fixture's log and the proxy's
 * name lookups) and has a control that goes through. */
#include <string.h>

#include "bb-test-proxy-fixture.h"

/* ---- category 2: policy confusion ---- */

static void
test_connect_disallowed_host(void)
{
    /* The tunnel opens (so the agent can read why), but every request in
     * it is refused and nothing is resolved or contacted. */
    g_autoptr(BbTestConn) c = NULL;
    g_autofree gchar *raw = req("GET", "evil.test", "/steal", NULL);
    g_autofree gchar *ctl_raw = req("GET", "open.test", "/control", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) ctl = NULL;
    reset();
    c = tunnel("evil.test");
    g_assert_true(bb_test_conn_send(c, raw, -1));
    r = bb_test_conn_read_response(c);
    assert_blocked(r, "no-route");
    g_assert_nonnull(strstr((const gchar *)r->body->data, "evil.test"));
    g_assert_cmpuint(bb_test_upstream_connections(F.https), ==, 0);
    g_assert_false(was_looked_up("evil.test"));
    ctl = via_tunnel("open.test", ctl_raw); /* control */
    g_assert_cmpuint(ctl->status, ==, 200);
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);
}

static void
test_connect_host_spellings(void)
{
    const gchar *refused[] = {
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "017700000001",
        "[::ffff:127.0.0.1]",
        "[::1]",
        "user@api.test",
        "api.test@evil.test",
        "api.test.evil.test",
        "evilapi.test",
        "api.test%2eevil",
        "api..test",
        "-api.test",
        "api.test:80@evil.test",
    };
    reset();
    for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
        g_autofree gchar *authority = g_strdup_printf("%s:%u", refused[i], https_port());
        guint status = bb_test_conn_connect(c, authority);
        if (status == 200) {
            /* A well-formed name without a route: the tunnel only ever
             * answers 403 (the SNI is the canonical route-less name). */
            g_autofree gchar *canonical = g_ascii_strdown(refused[i], -1);
            g_autoptr(BbTestResponse) r = NULL;
            g_autofree gchar *raw = req("GET", canonical, "/v1/x", NULL);
            g_assert_true(bb_test_conn_tls(c, canonical, F.proxy_ca));
            g_assert_true(bb_test_conn_send(c, raw, -1));
            r = bb_test_conn_read_response(c);
            assert_blocked(r, "no-route");
        } else if (status != 403 && status != 400) {
            g_error("CONNECT %s answered %u", authority, status);
        }
    }
    g_assert_cmpuint(bb_test_upstream_connections(F.https), ==, 0);
    g_assert_cmpuint(F.lookups->len, ==, 0);
}

static void
test_connect_case_and_dot(void)
{
    /* Control for the spellings: case and a trailing dot are the same
     * host, and the upstream sees the canonical name. */
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    g_autofree gchar *authority = g_strdup_printf("OPEN.Test.:%u", https_port());
    g_autofree gchar *raw = req("GET", "open.test", "/case", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    g_assert_cmpuint(bb_test_conn_connect(c, authority), ==, 200);
    g_assert_true(bb_test_conn_tls(c, "open.test", F.proxy_ca));
    g_assert_true(bb_test_conn_send(c, raw, -1));
    r = bb_test_conn_read_response(c);
    g_assert_cmpuint(r->status, ==, 200);
    g_assert_nonnull(strstr(bb_test_upstream_get(F.https, 0)->head, "Host: open.test:"));
}

static void
test_connect_wrong_port(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    g_assert_cmpuint(bb_test_conn_connect(c, "api.test:443"), ==, 200);
    g_assert_true(bb_test_conn_tls(c, "api.test", F.proxy_ca));
    g_assert_true(bb_test_conn_send(c, "GET /v1/x HTTP/1.1\r\nHost: api.test\r\n\r\n", -1));
    r = bb_test_conn_read_response(c);
    assert_blocked(r, "port-not-allowed");
    g_assert_cmpuint(bb_test_upstream_connections(F.https), ==, 0);
    g_assert_cmpuint(F.lookups->len, ==, 0);
}

static void
test_sni_mismatch(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    g_autofree gchar *authority = g_strdup_printf("open.test:%u", https_port());
    reset();
    g_assert_cmpuint(bb_test_conn_connect(c, authority), ==, 200);
    g_assert_false(bb_test_conn_tls(c, "evil.test", F.proxy_ca));
    g_assert_cmpuint(bb_test_upstream_connections(F.https), ==, 0);
}

static void
test_host_header_mismatch(void)
{
    g_autoptr(BbTestConn) c = tunnel("open.test");
    g_autofree gchar *bad = req("GET", "evil.test", "/x", NULL);
    g_autofree gchar *bad_port = g_strdup_printf("GET /x HTTP/1.1\r\nHost: open.test:1\r\n\r\n");
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    reset();
    g_assert_true(bb_test_conn_send(c, bad, -1));
    r = bb_test_conn_read_response(c);
    assert_blocked(r, "host-mismatch");
    g_assert_true(bb_test_conn_send(c, bad_port, -1));
    r2 = bb_test_conn_read_response(c);
    assert_blocked(r2, "host-mismatch");
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
}

static void
test_host_switch_keepalive(void)
{
    g_autoptr(BbTestConn) c = tunnel("open.test");
    g_autofree gchar *first = req("GET", "open.test", "/first", NULL);
    g_autofree gchar *second = req("GET", "api.test", "/v1/second", NULL);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    reset();
    g_assert_true(bb_test_conn_send(c, first, -1));
    r1 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r1->status, ==, 200);
    g_assert_true(bb_test_conn_send(c, second, -1));
    r2 = bb_test_conn_read_response(c);
    assert_blocked(r2, "host-mismatch");
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);
}

static void
test_absolute_uri_mismatch(void)
{
    g_autoptr(BbTestConn) c = tunnel("open.test");
    g_autofree gchar *raw =
        g_strdup_printf("GET https://evil.test:%u/x HTTP/1.1\r\nHost: open.test:%u\r\n\r\n",
                        https_port(), https_port());
    g_autofree gchar *ok =
        g_strdup_printf("GET https://open.test:%u/abs HTTP/1.1\r\nHost: open.test:%u\r\n\r\n",
                        https_port(), https_port());
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    reset();
    g_assert_true(bb_test_conn_send(c, raw, -1));
    r = bb_test_conn_read_response(c);
    assert_blocked(r, "host-mismatch");
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
    g_assert_true(bb_test_conn_send(c, ok, -1));
    r2 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r2->status, ==, 200);
    g_assert_cmpstr(bb_test_upstream_get(F.https, 0)->target, ==, "/abs");
}

static void
test_plain_absolute_uri_mismatch(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    guint p = bb_test_upstream_get_port(F.http);
    g_autofree gchar *raw =
        g_strdup_printf("GET http://plain.test:%u/x HTTP/1.1\r\nHost: evil.test:%u\r\n\r\n", p, p);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    g_assert_true(bb_test_conn_send(c, raw, -1));
    r = bb_test_conn_read_response(c);
    assert_blocked(r, "host-mismatch");
    g_assert_cmpuint(bb_test_upstream_count(F.http), ==, 0);
}

static void
test_path_tricks(void)
{
    const gchar *paths[] = {
        "/v1/../admin",
        "/v1/%2e%2e/admin",
        "/v1/%2E%2E/admin",
        "/v1%2fadmin",
        "/v1/x%2Fy",
        "//v1/x",
        "/v1//x",
        "/v1/x;admin",
        "/v1/x\\..\\y",
        "/v1/%252e%252e/",
        "/v1/.",
        "/v1/./x",
        "/v1/%00",
        "/v1/%5c",
        "/v1/%zz",
        "/v1/x%",
        "/v1/%2",
        "/v1/%0d%0aX-Evil:%201",
        "/v1/%E2%80%AE/../x",
    };
    reset();
    for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autofree gchar *raw = req("GET", "api.test", paths[i], NULL);
        g_autoptr(BbTestResponse) r = via_tunnel("api.test", raw);
        g_assert_nonnull(r);
        if (r->status != 403 && r->status != 400)
            g_error("path %s answered %u", paths[i], r->status);
    }
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
}

static void
test_path_encoded_unreserved_control(void)
{
    /* %76 is 'v': the normalised path /v1/x matches the route. */
    g_autofree gchar *raw = req("GET", "api.test", "/%761/x", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    r = via_tunnel("api.test", raw);
    g_assert_cmpuint(r->status, ==, 200);
    g_assert_cmpstr(bb_test_upstream_get(F.https, 0)->target, ==, "/%761/x");
}

static void
test_matches(void)
{
    struct {
        const gchar *method;
        const gchar *path;
        const gchar *extra;
        guint status;
    } cases[] = {
        {"GET", "/v1/ok", NULL, 200},
        {"POST", "/v1/ok", "Content-Length: 0\r\n", 200},
        {"DELETE", "/v1/ok", NULL, 403},
        {"PUT", "/v1/ok", "Content-Length: 0\r\n", 403},
        {"GET", "/v2/ok", NULL, 403},
        {"GET", "/v1", NULL, 403},
        {"GET", "/items/42", NULL, 200},
        {"GET", "/items/42x", NULL, 403},
        {"GET", "/x/items/42", NULL, 403},
        {"POST", "/items/42", "Content-Length: 0\r\n", 403},
        {"GET", "/hdr/a", "X-Tenant: acme\r\n", 200},
        {"GET", "/hdr/a", "X-Tenant: other\r\n", 403},
        {"GET", "/hdr/a", NULL, 403},
        {"GET", "/hdr/a", "X-Tenant: acme\r\nX-Tenant: other\r\n", 403},
        {"GET", "/v1/ok", "X-HTTP-Method-Override: DELETE\r\n", 403},
        {"GET", "/v1/ok", "X-Method-Override: DELETE\r\n", 403},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree gchar *raw = req(cases[i].method, "api.test", cases[i].path, cases[i].extra);
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        r = via_tunnel("api.test", raw);
        g_assert_nonnull(r);
        if (r->status != cases[i].status)
            g_error("%s %s answered %u, expected %u", cases[i].method, cases[i].path, r->status,
                    cases[i].status);
        g_assert_cmpuint(bb_test_upstream_count(F.https), ==, cases[i].status == 200 ? 1 : 0);
        if (cases[i].status == 403) {
            g_assert_nonnull(strstr((const gchar *)r->body->data, cases[i].path));
            g_assert_cmpuint(F.lookups->len, ==, 0); /* refused before any lookup */
        }
    }
}

static void
test_doh_refused(void)
{
    const gchar *extras[] = {"Accept: application/dns-message\r\n",
                             "Content-Type: application/dns-message\r\nContent-Length: 0\r\n"};
    g_autofree gchar *path_raw = req("GET", "open.test", "/dns-query?dns=AAABAAABAAAAAAAAA", NULL);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    r = via_tunnel("open.test", path_raw);
    assert_blocked(r, "doh");
    for (guint i = 0; i < G_N_ELEMENTS(extras); i++) {
        g_autofree gchar *raw = req("POST", "open.test", "/resolve", extras[i]);
        g_autoptr(BbTestResponse) r2 = via_tunnel("open.test", raw);
        assert_blocked(r2, "doh");
    }
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
}

static void
test_upgrades_refused(void)
{
    const gchar *extras[] = {
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n",
        "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: "
        "AAMAAABkAAQAAP__\r\n",
        "Upgrade: anything\r\n",
        "Connection: upgrade\r\n",
    };
    reset();
    for (guint i = 0; i < G_N_ELEMENTS(extras); i++) {
        g_autofree gchar *raw = req("GET", "open.test", "/ws", extras[i]);
        g_autoptr(BbTestResponse) r = via_tunnel("open.test", raw);
        assert_blocked(r, "upgrade");
    }
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
}

/* Via a tunnel to @host on @up's port. */
static BbTestResponse *
via_tunnel_port(const gchar *host, BbTestUpstream *up, const gchar *path)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    guint port = bb_test_upstream_get_port(up);
    g_autofree gchar *authority = g_strdup_printf("%s:%u", host, port);
    g_autofree gchar *raw =
        g_strdup_printf("GET %s HTTP/1.1\r\nHost: %s:%u\r\n\r\n", path, host, port);
    g_assert_cmpuint(bb_test_conn_connect(c, authority), ==, 200);
    g_assert_true(bb_test_conn_tls(c, host, F.proxy_ca));
    g_assert_true(bb_test_conn_send(c, raw, -1));
    return bb_test_conn_read_response(c);
}

static void
test_upstream_verification(void)
{
    /* An upstream whose certificate does not chain to a trusted CA, or
     * names another host, gets no request (and no credential). */
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    reset();
    bb_test_upstream_reset(F.untrusted);
    bb_test_upstream_reset(F.misnamed);
    r1 = via_tunnel_port("untrusted.test", F.untrusted, "/x");
    g_assert_cmpuint(r1->status, ==, 502);
    g_assert_nonnull(strstr((const gchar *)r1->body->data, "certificate verification"));
    r2 = via_tunnel_port("misnamed.test", F.misnamed, "/x");
    g_assert_cmpuint(r2->status, ==, 502);
    g_assert_nonnull(strstr((const gchar *)r2->body->data, "certificate verification"));
    g_assert_cmpuint(bb_test_upstream_count(F.untrusted), ==, 0);
    g_assert_cmpuint(bb_test_upstream_count(F.misnamed), ==, 0);
    g_assert_cmpuint(bb_test_upstream_connections(F.misnamed), ==, 1); /* it was tried */
}

static void
test_git(void)
{
    struct {
        const gchar *host;
        const gchar *method;
        const gchar *path;
        const gchar *extra;
        guint status;
    } cases[] = {
        {"git.test", "GET", "/r.git/info/refs?service=git-upload-pack", NULL, 200},
        {"git.test", "POST", "/r.git/git-upload-pack",
         "Content-Type: application/x-git-upload-pack-request\r\nContent-Length: 0\r\n", 200},
        {"git.test", "GET", "/r.git/info/refs?service=git-receive-pack", NULL, 403},
        {"git.test", "POST", "/r.git/git-receive-pack",
         "Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 0\r\n", 403},
        {"open.test", "GET", "/r.git/info/refs?service=git-upload-pack", NULL, 403},
        {"open.test", "POST", "/r.git/git-receive-pack", "Content-Length: 0\r\n", 403},
        /* git.fetch grants exactly the fetch requests, not their look-alikes */
        {"git.test", "POST", "/admin/delete",
         "Content-Type: application/x-git-upload-pack-request\r\nContent-Length: 0\r\n", 403},
        {"git.test", "GET", "/r.git/git-upload-pack", NULL, 403},
        {"git.test", "GET", "/docs/readme", NULL, 200},
        {"git.test", "GET", "/other", NULL, 403},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree gchar *raw = req(cases[i].method, cases[i].host, cases[i].path, cases[i].extra);
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        r = via_tunnel(cases[i].host, raw);
        if (r->status != cases[i].status)
            g_error("%s %s %s answered %u", cases[i].host, cases[i].method, cases[i].path,
                    r->status);
        g_assert_cmpuint(bb_test_upstream_count(F.https), ==, cases[i].status == 200 ? 1 : 0);
    }
}

gint
main(gint argc, gchar **argv)
{
    gint rc;
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    setup_fixture(NULL);
    g_test_add_func("/proxy/policy/connect-disallowed", test_connect_disallowed_host);
    g_test_add_func("/proxy/policy/host-spellings", test_connect_host_spellings);
    g_test_add_func("/proxy/policy/case-and-dot", test_connect_case_and_dot);
    g_test_add_func("/proxy/policy/wrong-port", test_connect_wrong_port);
    g_test_add_func("/proxy/policy/sni-mismatch", test_sni_mismatch);
    g_test_add_func("/proxy/policy/host-mismatch", test_host_header_mismatch);
    g_test_add_func("/proxy/policy/host-switch", test_host_switch_keepalive);
    g_test_add_func("/proxy/policy/absolute-uri", test_absolute_uri_mismatch);
    g_test_add_func("/proxy/policy/plain-absolute-uri", test_plain_absolute_uri_mismatch);
    g_test_add_func("/proxy/policy/path-tricks", test_path_tricks);
    g_test_add_func("/proxy/policy/path-unreserved", test_path_encoded_unreserved_control);
    g_test_add_func("/proxy/policy/matches", test_matches);
    g_test_add_func("/proxy/policy/doh", test_doh_refused);
    g_test_add_func("/proxy/policy/upgrades", test_upgrades_refused);
    g_test_add_func("/proxy/policy/git", test_git);
    g_test_add_func("/proxy/upstream/verification", test_upstream_verification);
    rc = g_test_run();
    bb_egress_server_stop(F.server);
    return rc;
}
