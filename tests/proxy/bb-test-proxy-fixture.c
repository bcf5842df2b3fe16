/* The shared set-up of the proxy integration tests: an in-process proxy
 * with a fixed route table, a fixture HTTPS and HTTP "internet" that logs
 * what it receives, and a recorder of every name lookup the proxy makes. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bb-route-json.h"
#include "bb-test-auth.h"
#include "bb-test-proxy-fixture.h"

BbTestProxyFixture F;

static void
record_lookup(gpointer data, const gchar *host, guint16 port)
{
    g_mutex_lock(&F.lock);
    g_ptr_array_add(F.lookups, g_strdup(host));
    g_mutex_unlock(&F.lock);
}

gboolean
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
        "{\"host\": \"git.test\", \"port\": %u, \"git_fetch\": true, \"matches\": "
        "[{\"paths\": [{\"type\": \"prefix\", \"value\": \"/docs/\"}], \"methods\": [\"GET\"]}]},"
        "{\"host\": \"plain.test\", \"port\": %u},"
        "{\"host\": \"plainauth.test\", \"port\": %u, \"auth_scheme\": \"Bearer\", "
        "\"token_ref\": \"API_TOKEN\"},"
        "{\"host\": \"untrusted.test\", \"port\": %u},"
        "{\"host\": \"misnamed.test\", \"port\": %u, \"auth_scheme\": \"Bearer\", "
        "\"token_ref\": \"API_TOKEN\"}]}",
        s, s, s, s, p, p, bb_test_upstream_get_port(F.untrusted),
        bb_test_upstream_get_port(F.misnamed));
}

BbEgressPolicy *
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

void
setup_fixture(const BbEgressScanner *scanner)
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
    F.untrusted = bb_test_upstream_new(TRUE, SECRET);
    F.misnamed = bb_test_upstream_new_misnamed(F.https, "other.test");
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
    for (guint i = 0; i < 2; i++) {
        BbTestUpstream *up = i == 0 ? F.untrusted : F.misnamed;
        g_autofree gchar *pin =
            g_strdup_printf("%s:%u:127.0.0.1", i == 0 ? "untrusted.test" : "misnamed.test",
                            bb_test_upstream_get_port(up));
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
    if (scanner != NULL)
        bb_egress_server_set_scanner(F.server, scanner);
}

void
reset(void)
{
    bb_test_upstream_reset(F.https);
    bb_test_upstream_reset(F.http);
    g_mutex_lock(&F.lock);
    g_ptr_array_set_size(F.lookups, 0);
    g_mutex_unlock(&F.lock);
}

guint
https_port(void)
{
    return bb_test_upstream_get_port(F.https);
}

/* A bumped tunnel to @host on the fixture's port, TLS verified against
 * the bottle CA. */
BbTestConn *
tunnel(const gchar *host)
{
    BbTestConn *c = bb_test_conn_new(F.port);
    g_autofree gchar *authority = g_strdup_printf("%s:%u", host, https_port());
    g_assert_cmpuint(bb_test_conn_connect(c, authority), ==, 200);
    g_assert_true(bb_test_conn_tls(c, host, F.proxy_ca));
    return c;
}

/* Sends @fmt (with %1$s = "host:port" of @host) through a fresh tunnel. */
BbTestResponse *
via_tunnel(const gchar *host, const gchar *raw)
{
    g_autoptr(BbTestConn) c = tunnel(host);
    g_assert_true(bb_test_conn_send(c, raw, -1));
    return bb_test_conn_read_response(c);
}

gchar *
req(const gchar *method, const gchar *host, const gchar *path, const gchar *extra)
{
    return g_strdup_printf("%s %s HTTP/1.1\r\nHost: %s:%u\r\n%s\r\n", method, path, host,
                           https_port(), extra != NULL ? extra : "");
}

void
assert_blocked(BbTestResponse *r, const gchar *code)
{
    g_autofree gchar *hdr = g_strdup_printf("X-Bot-Bottle-Block: %s\r\n", code);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 403);
    g_assert_nonnull(strstr(r->head, hdr));
    g_assert_nonnull(strstr(r->head, "Content-Type: text/plain"));
    g_assert_nonnull(strstr((const gchar *)r->body->data, "ask the operator"));
}
