/* A bottle with the real sidecar (sidecars/bb-sidecar) — the issue's
 * "done when": the agent reaches an allowed fixture host through the proxy
 * with the token injected (seen at the upstream), gets a 403 elsewhere,
 * trusts the bottle CA, resolves only allowed names, holds only the
 * placeholder, and is cut off when the sidecar dies. */
#include <string.h>
#include "bb-docker-backend.h"
#include "bb-plan-private.h"
#include "bb-route.h"
#include "docker-e2e-fixture.h"

#define TOKEN_NAME "BB_TEST_TOKEN"
#define PLACEHOLDER "bb-placeholder-token"
#define ALLOWED "api.fixture.test"

static BbE2e *e2e;
static BbDockerBottle *bottle;
static gchar *token;

static const gchar routes_json[] =
    "{\"routes\": [{\"host\": \"" ALLOWED "\", \"port\": 0, \"auth_scheme\": \"bearer\", "
    "\"token_ref\": \"" TOKEN_NAME "\", \"matches\": [], "
    "\"outbound\": {\"enabled\": false, \"detectors\": null}, "
    "\"inbound\": {\"enabled\": false, \"detectors\": null}, "
    "\"outbound_on_match\": \"block\", \"git_fetch\": false, \"provider_owned\": false}]}";

static gint
agent_sh(const gchar *script, gchar **out)
{
    return bb_e2e_sh(e2e, bottle->agent_id, NULL, script, out);
}

static gchar *
token_hash(const gchar *value)
{
    g_autofree gchar *bearer = g_strdup_printf("Bearer %s", value);
    g_autofree gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, bearer, -1);
    return g_strdup_printf("sha256=%s", hash);
}

static void
test_allowed_with_injected_token(void)
{
    g_autofree gchar *marker = bb_e2e_marker("allowed");
    /* The agent sends its placeholder; the upstream must see the real one. */
    g_autofree gchar *script =
        g_strdup_printf("curl -sS -o /dev/null -w '%%{http_code}' --max-time 10 "
                        "-H 'Authorization: Bearer %s' https://" ALLOWED "/%s",
                        PLACEHOLDER, marker);
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh(script, &out), ==, 0);
    g_assert_cmpstr(out, ==, "200");
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
    g_autofree gchar *real = token_hash(token);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, real));
    g_autofree gchar *fake = token_hash(PLACEHOLDER);
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, fake));
}

static void
test_no_injection_over_plain_http(void)
{
    g_autofree gchar *marker = bb_e2e_marker("plain");
    g_autofree gchar *script = g_strdup_printf(
        "curl -sS -o /dev/null -w '%%{http_code}' --max-time 10 http://" ALLOWED "/%s", marker);
    g_autofree gchar *out = NULL;
    agent_sh(script, &out);
    g_assert_cmpstr(out, ==, "403");
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
}

static void
test_other_host_refused(void)
{
    g_autofree gchar *marker = bb_e2e_marker("refused");
    /* The fixture's address under a name no route allows. */
    g_autofree gchar *script = g_strdup_printf(
        "curl -sS -o /dev/null -w '%%{http_code}' --max-time 10 http://other.fixture.test/%s; "
        "curl -sS -o /dev/null -w ' %%{http_code}' --max-time 10 http://%s/%s-ip; "
        "curl -sS -o /dev/null -w ' %%{http_code}' --max-time 10 https://other.fixture.test/%s",
        marker, e2e->fixture_ip, marker, marker);
    g_autofree gchar *out = NULL;
    agent_sh(script, &out);
    /* curl reports a refused CONNECT as 403 too (-w http_code is the proxy's). */
    g_assert_true(g_str_has_prefix(out, "403 403 "));
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
}

static void
test_agent_trusts_bottle_ca(void)
{
    /* The allowed HTTPS request above verified the bump through the env
     * vars; here the system bundle alone (tools that ignore the vars). */
    g_autofree gchar *out = NULL;
    agent_sh("env -u SSL_CERT_FILE -u CURL_CA_BUNDLE curl -s -o /dev/null "
             "-w '%{http_code}' --max-time 10 https://" ALLOWED "/bundle",
             &out);
    g_assert_cmpstr(out, ==, "200");
    /* Control: with no trust anchor the handshake fails (curl exit 60 or 77). */
    g_autofree gchar *control = NULL;
    agent_sh("env -u SSL_CERT_FILE -u CURL_CA_BUNDLE curl -s -o /dev/null --max-time 10 "
             "--cacert /dev/null --capath /nonexistent https://" ALLOWED "/; echo $?",
             &control);
    g_assert_cmpstr(g_strstrip(control), !=, "0");
}

static void
test_dns_answers_only_routes(void)
{
    g_autofree gchar *out = NULL;
    agent_sh("getent hosts " ALLOWED " || echo none; getent hosts evil.example || echo none", &out);
    g_autofree gchar *allowed = g_strdup_printf("%s ", bottle->sidecar_ip);
    g_assert_true(g_str_has_prefix(out, allowed));
    g_assert_true(g_str_has_suffix(g_strstrip(out), "none"));
}

static void
test_placeholder_only(void)
{
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh("printenv " TOKEN_NAME, &out), ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, PLACEHOLDER);
    g_autofree gchar *all = NULL;
    agent_sh("printenv; cat /proc/1/environ", &all);
    g_assert_null(strstr(all, token));
}

static void
test_fail_closed(void)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_container_kill(e2e->client, bottle->sidecar_id, "KILL", &error));
    g_autofree gchar *marker = bb_e2e_marker("after-kill");
    g_autofree gchar *script = g_strdup_printf(
        "curl -s -o /dev/null -w '%%{http_code}' --max-time 5 http://" ALLOWED "/%s; echo \" $?\"",
        marker);
    g_autofree gchar *out = NULL;
    agent_sh(script, &out);
    g_assert_true(g_str_has_prefix(out, "000"));
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
}

/* The fixture prints its self-signed certificate between markers. */
static GBytes *
fixture_certificate(void)
{
    g_autoptr(GError) error = NULL;
    GBytes *pem = bb_e2e_fixture_ca(e2e, &error);
    g_assert_no_error(error);
    return pem;
}

/* The same path through BbBackend alone, as the CLI drives it: a plan
 * with a route, images prepared (the sidecar assembled from the build
 * tree), launch options with pins, upstream CA and the secret. */
static void
test_through_backend(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbPlan) plan = bb_plan_new();
    bb_plan_set_agent(plan, "backend-e2e", "/nonexistent/agent.md", BB_ORIGIN_HOME);
    bb_plan_set_env(plan, TOKEN_NAME, PLACEHOLDER);
    g_autoptr(BbRoute) route = bb_route_new(ALLOWED);
    route->auth_scheme = g_strdup("bearer");
    route->token_ref = g_strdup(TOKEN_NAME);
    route->outbound.enabled = FALSE;
    route->inbound.enabled = FALSE;
    bb_plan_add_route(plan, route);
    bb_plan_seal(plan);

    g_setenv("BOT_BOTTLE_SIDECAR", g_getenv("BB_TEST_SIDECAR"), TRUE);
    g_autoptr(BbDockerBackend) docker = bb_docker_backend_new();
    BbBackend *backend = BB_BACKEND(docker);
    bb_docker_backend_set_agent_image(docker, e2e->base_image);
    g_assert_true(bb_backend_is_available(backend, &error));
    g_assert_true(bb_backend_prepare_images(backend, plan, NULL, NULL, NULL, &error));
    g_assert_no_error(error);

    g_autoptr(GBytes) certificate = fixture_certificate();
    g_autofree gchar *ca_path = g_build_filename(g_get_tmp_dir(), "upstream-ca.pem", NULL);
    g_assert_true(g_file_set_contents(ca_path, g_bytes_get_data(certificate, NULL),
                                      g_bytes_get_size(certificate), &error));
    g_autofree gchar *pin = g_strdup_printf(ALLOWED ":443:%s", e2e->fixture_ip);
    gchar *resolve[] = {pin, NULL};
    g_autofree gchar *other_token = bb_e2e_marker("backend-token");
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(secrets, TOKEN_NAME, other_token);
    BbLaunchOptions options = {.resolve = resolve, .upstream_ca = ca_path, .secrets = secrets};
    g_autofree gchar *slug = bb_backend_launch(backend, plan, &options, NULL, &error);
    g_assert_no_error(error);
    /* The test's stand-in for the egress network's way to the internet. */
    g_autofree gchar *sidecar = NULL;
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    for (guint i = 0; i < json_array_get_length(containers); i++) {
        JsonObject *container = json_array_get_object_element(containers, i);
        JsonObject *labels = json_object_get_object_member(container, "Labels");
        if (g_str_equal(json_object_get_string_member(labels, BB_DOCKER_LABEL_ROLE), "sidecar"))
            sidecar = g_strdup(json_object_get_string_member(container, "Id"));
    }
    g_assert_nonnull(sidecar);
    g_assert_true(bb_docker_network_connect(e2e->client, e2e->internet, sidecar, &error));

    g_autofree gchar *marker = bb_e2e_marker("via-backend");
    g_autofree gchar *script = g_strdup_printf(
        "test \"$(curl -sS -o /dev/null -w '%%{http_code}' --max-time 10 "
        "https://" ALLOWED "/%s)\" = 200 && test \"$" TOKEN_NAME "\" = " PLACEHOLDER,
        marker);
    const gchar *argv[] = {"sh", "-c", script, NULL};
    gint status = -1;
    g_assert_true(bb_backend_exec(backend, slug, argv, FALSE, &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 0);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, marker));
    g_autofree gchar *real = token_hash(other_token);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, real));
    g_assert_true(bb_backend_stop(backend, slug, &error));
    g_assert_no_error(error);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_autoptr(GError) error = NULL;
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    const gchar *plugins = g_getenv("BB_TEST_SIDECAR_PLUGINS");
    g_autoptr(BbDockerBackend) backend = bb_docker_backend_new();
    g_autofree gchar *image = bb_docker_backend_assemble_sidecar(
        backend, g_getenv("BB_TEST_SIDECAR"),
        plugins != NULL ? plugins : g_getenv("BOT_BOTTLE_PLUGIN_PATH"), &error);
    g_assert_no_error(error);

    token = bb_e2e_marker("real-upstream-token");
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(secrets, TOKEN_NAME, token);
    g_autofree gchar *pin = g_strdup_printf(ALLOWED ":443:%s", e2e->fixture_ip);
    g_autofree gchar *pin_plain = g_strdup_printf(ALLOWED ":80:%s", e2e->fixture_ip);
    g_autofree gchar *pin_other = g_strdup_printf("other.fixture.test:80:%s", e2e->fixture_ip);
    const gchar *resolve[] = {pin, pin_plain, pin_other, NULL};
    g_autoptr(GBytes) upstream_ca = fixture_certificate();
    const gchar *env[] = {TOKEN_NAME "=" PLACEHOLDER, NULL};
    BbDockerBottleSpec spec = {
        .agent_name = "sidecar-e2e",
        .agent_image = e2e->base_image,
        .agent_env = env,
        .sidecar_image = image,
        .routes_json = routes_json,
        .resolve = resolve,
        .upstream_ca = upstream_ca,
        .secrets = secrets,
    };
    bottle = bb_docker_bottle_launch(e2e->client, &spec, &error);
    g_assert_no_error(error);
    g_assert_true(
        bb_docker_network_connect(e2e->client, e2e->internet, bottle->sidecar_id, &error));
    g_assert_no_error(error);

    g_test_add_func("/docker/sidecar/allowed-with-injected-token",
                    test_allowed_with_injected_token);
    g_test_add_func("/docker/sidecar/no-injection-over-plain-http",
                    test_no_injection_over_plain_http);
    g_test_add_func("/docker/sidecar/other-host-refused", test_other_host_refused);
    g_test_add_func("/docker/sidecar/agent-trusts-bottle-ca", test_agent_trusts_bottle_ca);
    g_test_add_func("/docker/sidecar/dns-answers-only-routes", test_dns_answers_only_routes);
    g_test_add_func("/docker/sidecar/placeholder-only", test_placeholder_only);
    g_test_add_func("/docker/sidecar/fail-closed", test_fail_closed);
    g_test_add_func("/docker/sidecar/through-backend", test_through_backend);
    int result = g_test_run();

    g_autofree gchar *logs = bb_docker_container_logs(e2e->client, bottle->sidecar_id, NULL);
    g_test_message("sidecar output:\n%s", logs);
    bb_docker_bottle_remove(e2e->client, bottle->slug, NULL);
    bb_docker_bottle_free(bottle);
    bb_e2e_teardown(e2e);
    g_free(token);
    return result;
}
