/* Integration tests of the egress proxy on loopback: a real proxy, a
 * fixture HTTPS "internet" with its own CA that logs what it receives,
 * and raw clients. Every attack is judged at the destination (the
 * fixture's log and the proxy's name lookups) and has a control: the
 * same request without the trick goes through. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bb-egress-server.h"
#include "bb-route-json.h"
#include "bb-test-auth.h"
#include "bb-test-client.h"
#include "bb-test-upstream.h"

#define SECRET "s3cr3t-T0KEN-abcdef0123456789"
#define AGENT_TOKEN "agent-supplied-token"

static struct {
    BbTestUpstream *https;
    BbTestUpstream *http;
    BbEgressServer *server;
    guint16 port;
    gchar *proxy_ca;
    gchar *audit_path;
    GMutex lock;
    GPtrArray *lookups;
    BbRegistry *registry;
    GHashTable *secrets;
} F;

static void
record_lookup(gpointer data, const gchar *host, guint16 port)
{
    g_mutex_lock(&F.lock);
    g_ptr_array_add(F.lookups, g_strdup(host));
    g_mutex_unlock(&F.lock);
}

static gboolean
was_looked_up(const gchar *host)
{
    gboolean found = FALSE;
    g_mutex_lock(&F.lock);
    for (guint i = 0; i < F.lookups->len; i++)
        found |= g_strcmp0(g_ptr_array_index(F.lookups, i), host) == 0;
    g_mutex_unlock(&F.lock);
    return found;
}

static gchar *
routes_json(void)
{
    guint s = bb_test_upstream_get_port(F.https);
    guint p = bb_test_upstream_get_port(F.http);
    return g_strdup_printf(
        "{\"routes\": ["
        "{\"host\": \"api.test\", \"port\": %u, \"auth_scheme\": \"Bearer\", \"token_ref\": "
        "\"API_TOKEN\", \"matches\": ["
        "  {\"paths\": [{\"type\": \"prefix\", \"value\": \"/v1/\"}], \"methods\": [\"GET\", "
        "\"POST\"]},"
        "  {\"paths\": [{\"type\": \"regex\", \"value\": \"/items/[0-9]+\"}], \"methods\": "
        "[\"GET\"]},"
        "  {\"paths\": [{\"type\": \"prefix\", \"value\": \"/hdr/\"}], \"headers\": [{\"name\": "
        "\"X-Tenant\", \"type\": \"exact\", \"value\": \"acme\"}]}]},"
        "{\"host\": \"keyed.test\", \"port\": %u, \"auth_scheme\": \"ApiKey\", \"token_ref\": "
        "\"API_TOKEN\"},"
        "{\"host\": \"open.test\", \"port\": %u},"
        "{\"host\": \"git.test\", \"port\": %u, \"git_fetch\": true},"
        "{\"host\": \"plain.test\", \"port\": %u},"
        "{\"host\": \"plainauth.test\", \"port\": %u, \"auth_scheme\": \"Bearer\", "
        "\"token_ref\": \"API_TOKEN\"}]}",
        s, s, s, s, p, p);
}

static BbEgressPolicy *
make_policy(gboolean with_extra)
{
    g_autofree gchar *json = routes_json();
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(GError) error = NULL;
    BbEgressPolicy *policy;
    if (with_extra) {
        g_autofree gchar *base = g_steal_pointer(&json);
        json = g_strdup_printf("%.*s, {\"host\": \"new.test\", \"port\": %u}]}",
                               (gint)(strlen(base) - 2), base, bb_test_upstream_get_port(F.https));
    }
    routes = bb_routes_from_json_string(json, -1, &error);
    g_assert_no_error(error);
    policy = bb_egress_policy_new(routes, F.registry, F.secrets, &error);
    g_assert_no_error(error);
    return policy;
}

static const BbEgressScanner test_scanner;

static void
setup_fixture(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbEgressPolicy) policy = NULL;
    g_autoptr(BbEgressCa) ca = NULL;
    BbEgressUpstreams *ups;
    const gchar *hosts[] = {"api.test", "keyed.test", "open.test", "git.test",
                            "new.test", "evil.test",  "other.test"};
    g_autofree gchar *pem = NULL;
    BbEgressLimits limits;
    gint fd;

    g_mutex_init(&F.lock);
    F.lookups = g_ptr_array_new_with_free_func(g_free);
    F.https = bb_test_upstream_new(TRUE, SECRET);
    F.http = bb_test_upstream_new(FALSE, SECRET);
    F.registry = bb_test_auth_registry_new();
    F.secrets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(F.secrets, g_strdup("API_TOKEN"), g_strdup(SECRET));
    policy = make_policy(FALSE);

    ups = bb_egress_upstreams_new(bb_test_upstream_get_ca_file(F.https), &error);
    g_assert_no_error(error);
    /* Every name, allowed or not, is pinned to the fixture: if the proxy
     * ever connected where it should not, the fixture would log it. */
    for (guint i = 0; i < G_N_ELEMENTS(hosts); i++) {
        g_autofree gchar *pin =
            g_strdup_printf("%s:%u:127.0.0.1", hosts[i], bb_test_upstream_get_port(F.https));
        g_assert_true(bb_egress_upstreams_add_pin(ups, pin, NULL));
    }
    for (guint i = 0; i < 2; i++) {
        g_autofree gchar *pin =
            g_strdup_printf("%s:%u:127.0.0.1", i == 0 ? "plain.test" : "plainauth.test",
                            bb_test_upstream_get_port(F.http));
        g_assert_true(bb_egress_upstreams_add_pin(ups, pin, NULL));
    }
    bb_egress_upstreams_set_observer(ups, record_lookup, NULL);
    ca = bb_egress_ca_new("bot-bottle test bottle CA", &error);
    g_assert_no_error(error);
    pem = bb_egress_ca_get_cert_pem(ca);
    fd = g_file_open_tmp("bb-proxy-ca-XXXXXX.pem", &F.proxy_ca, NULL);
    close(fd);
    g_assert_true(g_file_set_contents(F.proxy_ca, pem, -1, NULL));

    F.server = bb_egress_server_new("testbottle", policy, g_steal_pointer(&ca), ups);
    bb_egress_server_get_limits(F.server, &limits);
    limits.header_timeout_ms = 1000;
    limits.idle_timeout_ms = 1500;
    limits.io_timeout_ms = 5000;
    bb_egress_server_set_limits(F.server, &limits);
    fd = g_file_open_tmp("bb-audit-XXXXXX.log", &F.audit_path, NULL);
    bb_egress_server_set_audit_fd(F.server, fd);
    g_assert_true(bb_egress_server_start(F.server, "127.0.0.1:0", &error));
    g_assert_no_error(error);
    F.port = bb_egress_server_get_port(F.server);
    bb_egress_server_set_scanner(F.server, &test_scanner);
}

static void
reset(void)
{
    bb_test_upstream_reset(F.https);
    bb_test_upstream_reset(F.http);
    g_mutex_lock(&F.lock);
    g_ptr_array_set_size(F.lookups, 0);
    g_mutex_unlock(&F.lock);
}

static guint
https_port(void)
{
    return bb_test_upstream_get_port(F.https);
}

/* A bumped tunnel to @host on the fixture's port, TLS verified against
 * the bottle CA. */
static BbTestConn *
tunnel(const gchar *host)
{
    BbTestConn *c = bb_test_conn_new(F.port);
    g_autofree gchar *authority = g_strdup_printf("%s:%u", host, https_port());
    g_assert_cmpuint(bb_test_conn_connect(c, authority), ==, 200);
    g_assert_true(bb_test_conn_tls(c, host, F.proxy_ca));
    return c;
}

/* Sends @fmt (with %1$s = "host:port" of @host) through a fresh tunnel. */
static BbTestResponse *
via_tunnel(const gchar *host, const gchar *raw)
{
    g_autoptr(BbTestConn) c = tunnel(host);
    g_assert_true(bb_test_conn_send(c, raw, -1));
    return bb_test_conn_read_response(c);
}

static gchar *
req(const gchar *method, const gchar *host, const gchar *path, const gchar *extra)
{
    return g_strdup_printf("%s %s HTTP/1.1\r\nHost: %s:%u\r\n%s\r\n", method, path, host,
                           https_port(), extra != NULL ? extra : "");
}

static void
assert_blocked(BbTestResponse *r, const gchar *code)
{
    g_autofree gchar *hdr = g_strdup_printf("X-Bot-Bottle-Block: %s\r\n", code);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 403);
    g_assert_nonnull(strstr(r->head, hdr));
    g_assert_nonnull(strstr(r->head, "Content-Type: text/plain"));
    g_assert_nonnull(strstr((const gchar *)r->body->data, "ask the operator"));
}

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
        g_autofree gchar *raw = req("GET", "git.test", "/close", NULL);
        g_autoptr(BbTestResponse) r = via_tunnel("git.test", raw);
        g_assert_cmpuint(r->status, ==, 200);
        g_assert_nonnull(strstr((const gchar *)r->body->data, "until-close body"));
    }
    g_assert_cmpuint(bb_test_upstream_resumed(F.https) - before, >=, 1);
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

/* ---- category 2: policy confusion ---- */

static void
test_connect_disallowed_host(void)
{
    g_autoptr(BbTestConn) c = bb_test_conn_new(F.port);
    g_autofree gchar *authority = g_strdup_printf("evil.test:%u", https_port());
    g_autoptr(BbTestConn) ctl = NULL;
    reset();
    g_assert_cmpuint(bb_test_conn_connect(c, authority), ==, 403);
    g_assert_cmpuint(bb_test_upstream_connections(F.https), ==, 0);
    g_assert_false(was_looked_up("evil.test"));
    ctl = tunnel("open.test"); /* control */
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
        if (status != 403 && status != 400)
            g_error("CONNECT %s answered %u", authority, status);
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
    reset();
    g_assert_cmpuint(bb_test_conn_connect(c, "api.test:443"), ==, 403);
    g_assert_cmpuint(bb_test_upstream_connections(F.https), ==, 0);
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
        "/v1/../admin", "/v1/%2e%2e/admin", "/v1/%2E%2E/admin", "/v1%2fadmin",  "/v1/x%2Fy",
        "//v1/x",       "/v1//x",           "/v1/x;admin",      "/v1/x\\..\\y", "/v1/%252e%252e/",
        "/v1/.",        "/v1/./x",          "/v1/%00",          "/v1/%5c",      "/v1/%zz",
        "/v1/x%",       "/v1/%2",
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
    g_usleep(200000); /* let earlier tests' connections wind down */
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
    g_assert_cmpint(scan_counts.done, ==, 3);
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
    g_autofree gchar *raw = req("GET", "open.test", "/before", NULL);
    g_autofree gchar *raw2 = req("GET", "open.test", "/after", NULL);
    g_autofree gchar *newreq = req("GET", "new.test", "/x", NULL);
    g_autoptr(BbEgressPolicy) extended = make_policy(TRUE);
    g_autoptr(BbEgressPolicy) original = make_policy(FALSE);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autoptr(BbTestConn) blocked = bb_test_conn_new(F.port);
    g_autofree gchar *authority = g_strdup_printf("new.test:%u", https_port());

    reset();
    g_assert_cmpuint(bb_test_conn_connect(blocked, authority), ==, 403);
    g_assert_true(bb_test_conn_send(c, raw, -1));
    r1 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r1->status, ==, 200);
    bb_egress_server_set_policy(F.server, extended);
    g_assert_true(bb_test_conn_send(c, raw2, -1));
    r2 = bb_test_conn_read_response(c);
    g_assert_cmpuint(r2->status, ==, 200);
    {
        g_autoptr(BbTestResponse) r3 = via_tunnel("new.test", newreq);
        g_assert_cmpuint(r3->status, ==, 200);
    }
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
    g_usleep(100000);
    g_assert_true(g_file_get_contents(F.audit_path, &log, NULL, NULL));
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
    setup_fixture();
    g_test_add_func("/proxy/inject/token", test_allowed_injects_token);
    g_test_add_func("/proxy/inject/header-name-replaced", test_injected_header_name_replaced);
    g_test_add_func("/proxy/inject/hop-by-hop", test_hop_by_hop_stripped);
    g_test_add_func("/proxy/scrub/response", test_scrub_response);
    g_test_add_func("/proxy/scrub/across-chunks", test_scrub_across_chunks);
    g_test_add_func("/proxy/redirect/not-followed", test_redirect_not_followed);
    g_test_add_func("/proxy/stream/sse", test_sse_streams);
    g_test_add_func("/proxy/stream/keepalive-pool", test_keepalive_pool);
    g_test_add_func("/proxy/stream/chunked-post", test_chunked_post_control);
    g_test_add_func("/proxy/stream/upstream-resumption", test_upstream_resumption);
    g_test_add_func("/proxy/plain-http", test_plain_http);
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
    g_test_add_func("/proxy/parse/malformed", test_malformed_requests);
    g_test_add_func("/proxy/parse/bad-upstream-response", test_bad_upstream_response);
    g_test_add_func("/proxy/parse/smuggled-second-request", test_smuggled_request_checked);
    g_test_add_func("/proxy/limits/head-size", test_limits_head_size);
    g_test_add_func("/proxy/limits/slowloris", test_slowloris);
    g_test_add_func("/proxy/limits/idle", test_idle_timeout);
    g_test_add_func("/proxy/limits/max-connections", test_max_connections);
    g_test_add_func("/proxy/scan/points", test_scan_points);
    g_test_add_func("/proxy/control/routes", test_introspection);
    g_test_add_func("/proxy/control/reload", test_reload_keeps_connections);
    g_test_add_func("/proxy/control/audit", test_audit_log);
    rc = g_test_run();
    bb_egress_server_stop(F.server);
    return rc;
}
