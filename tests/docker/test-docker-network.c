/* The agent's only way out is its sidecar (SECURITY.md category 1), judged
 * at the destination: the fixture upstream and a listener on the host log
 * what reaches them. Each case has a control that takes the same path
 * from a container that is allowed to. */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include "docker-e2e-fixture.h"

static BbE2e *e2e;
static BbDockerBottle *bottle;
static BbDockerBottle *other;

static gint
agent_sh(BbDockerBottle *b, const gchar *script, gchar **out)
{
    return bb_e2e_sh(e2e, b->agent_id, NULL, script, out);
}

static void
test_control_agent_reaches_sidecar(void)
{
    g_autofree gchar *marker = bb_e2e_marker("via-proxy");
    /* curl honours HTTP_PROXY from the agent's env: the sidecar gets it. */
    g_autofree gchar *script =
        g_strdup_printf("curl -sS --max-time 5 http://%s/%s", e2e->fixture_ip, marker);
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh(bottle, script, &out), ==, 0);
    g_assert_true(bb_e2e_log_contains(e2e, bottle->sidecar_id, marker));
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
}

static void
test_direct_ipv4(void)
{
    g_autofree gchar *marker = bb_e2e_marker("direct");
    g_autofree gchar *attack = g_strdup_printf("curl -sS --noproxy '*' --max-time 3 http://%s/%s",
                                               e2e->fixture_ip, marker);
    g_assert_cmpint(agent_sh(bottle, attack, NULL), !=, 0);
    /* Without any proxy variable at all. */
    g_autofree gchar *bare =
        g_strdup_printf("env -i PATH=/usr/bin:/bin curl -sS --max-time 3 http://%s/%s-bare",
                        e2e->fixture_ip, marker);
    g_assert_cmpint(agent_sh(bottle, bare, NULL), !=, 0);
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
    /* Control: the same request from a container on the fixture's network. */
    g_autofree gchar *control =
        g_strdup_printf("curl -sS --max-time 5 http://%s/%s-control", e2e->fixture_ip, marker);
    g_assert_cmpint(bb_e2e_sh(e2e, e2e->probe_id, NULL, control, NULL), ==, 0);
    g_autofree gchar *control_marker = g_strdup_printf("%s-control", marker);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, control_marker));
}

static void
test_icmp(void)
{
    /* ICMP echo through the unprivileged datagram socket (no raw sockets
     * without CAP_NET_RAW): no path to the fixture, the host or beyond. */
    g_autofree gchar *attack = g_strdup_printf(
        "for a in %s 8.8.8.8 169.254.169.254; do ping -c1 -W1 $a >/dev/null 2>&1 && "
        "echo REACHED $a; done; true",
        e2e->fixture_ip);
    g_autofree gchar *out = NULL;
    agent_sh(bottle, attack, &out);
    g_assert_null(strstr(out, "REACHED"));
    /* Control: the sidecar answers on the same network, and the fixture
     * answers a container on its own network. */
    g_autofree gchar *own = g_strdup_printf("ping -c1 -W2 %s >/dev/null", bottle->sidecar_ip);
    g_assert_cmpint(agent_sh(bottle, own, NULL), ==, 0);
    g_autofree gchar *control = g_strdup_printf("ping -c1 -W2 %s >/dev/null", e2e->fixture_ip);
    g_assert_cmpint(bb_e2e_sh(e2e, e2e->probe_id, NULL, control, NULL), ==, 0);
}

static void
test_direct_udp_dns(void)
{
    g_autofree gchar *marker = bb_e2e_marker("dns-direct");
    g_autofree gchar *attack =
        g_strdup_printf("dig +time=2 +tries=1 @%s %s.example A", e2e->fixture_ip, marker);
    g_autofree gchar *out = NULL;
    agent_sh(bottle, attack, &out);
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
    g_autofree gchar *control =
        g_strdup_printf("dig +time=2 +tries=1 @%s %s-control.example A", e2e->fixture_ip, marker);
    bb_e2e_sh(e2e, e2e->probe_id, NULL, control, NULL);
    g_autofree gchar *control_marker = g_strdup_printf("%s-control", marker);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, control_marker));
}

static void
test_resolver_is_sidecar(void)
{
    g_autofree gchar *marker = bb_e2e_marker("dns-default");
    /* Through the configured resolver (Docker's embedded one, whose only
     * upstream is the sidecar) and through getaddrinfo. */
    g_autofree gchar *script = g_strdup_printf(
        "dig +time=2 +tries=1 %s.example A; getent hosts %s-getent.example", marker, marker);
    agent_sh(bottle, script, NULL);
    g_assert_true(bb_e2e_log_contains(e2e, bottle->sidecar_id, marker));
    g_autofree gchar *getent_marker = g_strdup_printf("%s-getent", marker);
    g_assert_true(bb_e2e_log_contains(e2e, bottle->sidecar_id, getent_marker));
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
}

static void
test_public_resolvers(void)
{
    /* No route: these time out or fail at once; nothing may answer. */
    g_autofree gchar *out = NULL;
    gint status = agent_sh(bottle,
                           "for r in 8.8.8.8 1.1.1.1 9.9.9.9; do "
                           "dig +time=1 +tries=1 +short @$r example.com A && echo ANSWER $r; "
                           "done; true",
                           &out);
    g_assert_cmpint(status, ==, 0);
    g_assert_null(strstr(out, "ANSWER"));
}

static void
test_metadata_and_link_local(void)
{
    /* Cloud metadata and other link-local targets: no route, no answer. */
    g_autofree gchar *out = NULL;
    agent_sh(bottle,
             "for a in 169.254.169.254 169.254.170.2 100.100.100.200; do "
             "(curl -s --noproxy '*' --max-time 2 http://$a/ >/dev/null && echo REACHED $a) & "
             "done; wait; true",
             &out);
    g_assert_null(strstr(out, "REACHED"));
    g_autofree gchar *routes = NULL;
    g_assert_cmpint(agent_sh(bottle, "ip -4 route show", &routes), ==, 0);
    /* The only on-link network is the bottle's own /24. */
    g_assert_nonnull(strstr(routes, "/24 dev eth0"));
}

/* A TCP listener on all host addresses, counting connections. */
static gint host_hits;

static gboolean
on_host_connection(GSocketService *service, GSocketConnection *connection, GObject *source,
                   gpointer user_data)
{
    g_atomic_int_inc(&host_hits);
    return FALSE;
}

static GPtrArray *
host_ipv4_addresses(void)
{
    GPtrArray *addresses = g_ptr_array_new_with_free_func(g_free);
    struct ifaddrs *list = NULL;
    g_assert_cmpint(getifaddrs(&list), ==, 0);
    for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET)
            continue;
        gchar text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, text, sizeof text);
        g_ptr_array_add(addresses, g_strdup(text));
    }
    freeifaddrs(list);
    return addresses;
}

static gchar *
network_gateway(const gchar *network)
{
    g_autofree gchar *path = g_strdup_printf("/networks/%s", network);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) info =
        bb_docker_client_call(e2e->client, "GET", path, NULL, NULL, NULL, &error);
    g_assert_no_error(error);
    JsonObject *ipam = json_object_get_object_member(json_node_get_object(info), "IPAM");
    JsonArray *configs = json_object_get_array_member(ipam, "Config");
    JsonObject *config = json_array_get_object_element(configs, 0);
    return g_strdup(json_object_get_string_member_with_default(config, "Gateway", ""));
}

static void
test_host_via_gateway(void)
{
    g_autoptr(GSocketService) service = g_socket_service_new();
    g_autoptr(GError) error = NULL;
    guint16 port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(service), NULL, &error);
    g_assert_no_error(error);
    g_signal_connect(service, "incoming", G_CALLBACK(on_host_connection), NULL);
    g_socket_service_start(service);

    g_autoptr(GPtrArray) targets = host_ipv4_addresses();
    g_ptr_array_add(targets, network_gateway(bottle->internal_network));
    g_ptr_array_add(targets, network_gateway(bottle->egress_network));
    g_autoptr(GString) script = g_string_new("for a in");
    for (guint i = 0; i < targets->len; i++)
        g_string_append_printf(script, " %s", (const gchar *)g_ptr_array_index(targets, i));
    /* In parallel: every probe is bounded, together they take one bound. */
    g_string_append_printf(script,
                           "; do (curl -s --noproxy '*' --max-time 2 http://$a:%u/ && echo "
                           "REACHED $a) & done; wait; true",
                           port);
    /* The listener is served by this thread's main context while we wait. */
    g_atomic_int_set(&host_hits, 0);
    g_autofree gchar *out = NULL;
    agent_sh(bottle, script->str, &out);
    for (guint i = 0; i < 20; i++)
        g_main_context_iteration(NULL, FALSE);
    g_assert_cmpint(g_atomic_int_get(&host_hits), ==, 0);

    /* Control: a container on an ordinary bridge reaches the host listener. */
    g_autofree gchar *gateway = network_gateway(e2e->internet);
    g_autofree gchar *control =
        g_strdup_printf("curl -s --max-time 3 http://%s:%u/ >/dev/null; true", gateway, port);
    bb_e2e_sh(e2e, e2e->probe_id, NULL, control, NULL);
    for (guint i = 0; i < 200 && g_atomic_int_get(&host_hits) == 0; i++) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(10 * 1000);
    }
    g_assert_cmpint(g_atomic_int_get(&host_hits), >, 0);
    g_socket_service_stop(service);
}

static void
test_no_route_table_escape(void)
{
    /* Without CAP_NET_ADMIN the agent cannot add a route, and it has no raw sockets. */
    g_autofree gchar *route = NULL;
    g_assert_cmpint(agent_sh(bottle, "ip route add 10.99.0.0/16 dev eth0", &route), !=, 0);
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh(bottle, "cat /proc/sys/net/ipv6/conf/all/disable_ipv6", &out), ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, "1");
    /* A raw socket (AF_INET, SOCK_RAW, ICMP) is refused, even to root in the
     * agent; the control is a default container, where root may open one. */
    const gchar *raw = "perl -e 'socket(S, 2, 3, 1) or exit 1'";
    g_assert_cmpint(agent_sh(bottle, raw, NULL), !=, 0);
    g_assert_cmpint(bb_e2e_sh(e2e, bottle->agent_id, "0:0", raw, NULL), !=, 0);
    g_assert_cmpint(bb_e2e_sh(e2e, e2e->probe_id, NULL, raw, NULL), ==, 0);
}

static void
test_other_bottle(void)
{
    g_autofree gchar *marker = bb_e2e_marker("cross-bottle");
    g_autofree gchar *other_egress =
        bb_docker_container_ip(e2e->client, other->sidecar_id, other->egress_network, NULL);
    g_autofree gchar *attack = g_strdup_printf(
        "for a in %s %s; do curl -s --noproxy '*' --max-time 2 http://$a:9099/%s; done; true",
        other->sidecar_ip, other_egress, marker);
    agent_sh(bottle, attack, NULL);
    g_assert_false(bb_e2e_log_contains(e2e, other->sidecar_id, marker));
    /* Control: the other bottle's own agent reaches its sidecar. */
    g_autofree gchar *control = g_strdup_printf(
        "curl -s --noproxy '*' --max-time 3 http://%s:9099/%s-own", other->sidecar_ip, marker);
    g_assert_cmpint(agent_sh(other, control, NULL), ==, 0);
    g_autofree gchar *own = g_strdup_printf("%s-own", marker);
    g_assert_true(bb_e2e_log_contains(e2e, other->sidecar_id, own));
}

static void
test_runtime_socket_absent(void)
{
    g_autofree gchar *out = NULL;
    agent_sh(bottle,
             "ls /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock "
             "2>/dev/null; true",
             &out);
    g_assert_cmpstr(g_strstrip(out), ==, "");
}

static void
test_fail_closed(void)
{
    /* Last: kills the other bottle's sidecar. Its agent loses its only way out. */
    g_autofree gchar *before = g_strdup_printf(
        "curl -s --max-time 3 http://%s/closed-control >/dev/null", e2e->fixture_ip);
    g_assert_cmpint(agent_sh(other, before, NULL), ==, 0);
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_container_kill(e2e->client, other->sidecar_id, "KILL", &error));
    g_assert_no_error(error);
    g_autofree gchar *marker = bb_e2e_marker("after-kill");
    g_autofree gchar *after = g_strdup_printf(
        "curl -s --max-time 3 http://%s/%s; curl -s --noproxy '*' --max-time 3 http://%s/%s",
        e2e->fixture_ip, marker, e2e->fixture_ip, marker);
    g_assert_cmpint(agent_sh(other, after, NULL), !=, 0);
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
    /* The other bottle keeps working. */
    g_autofree gchar *still =
        g_strdup_printf("curl -s --max-time 5 http://%s/%s-still", e2e->fixture_ip, marker);
    g_assert_cmpint(agent_sh(bottle, still, NULL), ==, 0);
    g_autofree gchar *still_marker = g_strdup_printf("%s-still", marker);
    g_assert_true(bb_e2e_log_contains(e2e, bottle->sidecar_id, still_marker));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_autoptr(GError) error = NULL;
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    bottle = bb_e2e_launch_bottle(e2e, "net-test", NULL, &error);
    g_assert_no_error(error);
    other = bb_e2e_launch_bottle(e2e, "net-other", NULL, &error);
    g_assert_no_error(error);

    g_test_add_func("/docker/network/control-agent-reaches-sidecar",
                    test_control_agent_reaches_sidecar);
    g_test_add_func("/docker/network/direct-ipv4", test_direct_ipv4);
    g_test_add_func("/docker/network/icmp", test_icmp);
    g_test_add_func("/docker/network/direct-udp-dns", test_direct_udp_dns);
    g_test_add_func("/docker/network/resolver-is-sidecar", test_resolver_is_sidecar);
    g_test_add_func("/docker/network/public-resolvers", test_public_resolvers);
    g_test_add_func("/docker/network/metadata-and-link-local", test_metadata_and_link_local);
    g_test_add_func("/docker/network/host-via-gateway", test_host_via_gateway);
    g_test_add_func("/docker/network/no-route-table-escape", test_no_route_table_escape);
    g_test_add_func("/docker/network/runtime-socket-absent", test_runtime_socket_absent);
    g_test_add_func("/docker/network/other-bottle", test_other_bottle);
    g_test_add_func("/docker/network/fail-closed", test_fail_closed);
    int result = g_test_run();

    bb_docker_bottle_remove(e2e->client, bottle->slug, NULL);
    bb_docker_bottle_remove(e2e->client, other->slug, NULL);
    bb_docker_bottle_free(bottle);
    bb_docker_bottle_free(other);
    bb_e2e_teardown(e2e);
    return result;
}
