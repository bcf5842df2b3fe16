/* The real Claude Code and Codex images, built offline (the host's npm
 * fetches the package, the build has no network), each started in a real
 * bottle: `--version` runs, and the agent's first request to its API host
 * reaches a fixture upstream through the proxy with the real token
 * injected, while the agent's env holds only the placeholder.
 * If the npm package cannot be fetched the test FAILS, naming why. */
#include <bot-bottle.h>
#include <string.h>
#include "bb-docker-backend.h"
#include "bb-plan-private.h"
#include "docker-e2e-fixture.h"

#define TOKEN_NAME "BB_TEST_AGENT_TOKEN"

static BbE2e *e2e;

static GBytes *
fixture_certificate(void)
{
    g_autoptr(GError) error = NULL;
    GBytes *pem = bb_e2e_fixture_ca(e2e, &error);
    g_assert_no_error(error);
    return pem;
}

static gchar *
auth_hash(const gchar *value)
{
    g_autofree gchar *bearer = g_strdup_printf("Bearer %s", value);
    g_autofree gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, bearer, -1);
    return g_strdup_printf("sha256=%s", hash);
}

/* The plan `start` would make for a bottle with agent_provider.template
 * @provider and auth_token: TOKEN_NAME. */
static BbPlan *
provider_plan(const gchar *provider_name)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_registry_load_all(registry, NULL, &error));
    g_autoptr(BbAgentProvider) provider =
        bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER, provider_name, &error);
    g_assert_no_error(error);
    BbProviderSettings settings = {.template_name = provider_name, .auth_token_ref = TOKEN_NAME};
    g_autofree gchar *dockerfile = bb_agent_provider_get_default_dockerfile(provider, &error);
    g_assert_no_error(error);

    BbPlan *plan = bb_plan_new();
    bb_plan_set_agent(plan, provider_name, "/nonexistent/agent.md", BB_ORIGIN_HOME);
    bb_plan_set_provider(plan, provider_name, dockerfile, TOKEN_NAME, FALSE);
    g_autoptr(GPtrArray) routes = bb_agent_provider_get_routes(provider, &settings, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < routes->len; i++) {
        BbRoute *route = g_ptr_array_index(routes, i);
        route->outbound.enabled = FALSE;
        route->inbound.enabled = FALSE;
        bb_plan_add_route(plan, route);
    }
    g_autoptr(GHashTable) env = bb_agent_provider_get_placeholder_env(provider, plan);
    GHashTableIter iter;
    gpointer name, value;
    g_hash_table_iter_init(&iter, env);
    while (g_hash_table_iter_next(&iter, &name, &value))
        bb_plan_set_env(plan, name, value);
    bb_plan_seal(plan);
    return plan;
}

static gchar *
agent_container(const gchar *slug)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < json_array_get_length(containers); i++) {
        JsonObject *container = json_array_get_object_element(containers, i);
        JsonObject *labels = json_object_get_object_member(container, "Labels");
        const gchar *role = json_object_get_string_member(labels, BB_DOCKER_LABEL_ROLE);
        if (g_str_equal(role, "agent"))
            return g_strdup(json_object_get_string_member(container, "Id"));
    }
    return NULL;
}

static void
connect_sidecar(const gchar *slug)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    for (guint i = 0; i < json_array_get_length(containers); i++) {
        JsonObject *container = json_array_get_object_element(containers, i);
        JsonObject *labels = json_object_get_object_member(container, "Labels");
        if (g_str_equal(json_object_get_string_member(labels, BB_DOCKER_LABEL_ROLE), "sidecar"))
            g_assert_true(bb_docker_network_connect(e2e->client, e2e->internet,
                                                    json_object_get_string_member(container, "Id"),
                                                    &error));
    }
    g_assert_no_error(error);
}

static void
progress(const gchar *step, gdouble fraction, gpointer data)
{
    g_test_message("build: %s", step);
}

typedef struct {
    const gchar *provider;
    const gchar *host;
    const gchar *version_cmd;
    const gchar *version_expect;
    const gchar *first_request; /* shell: makes the agent call its API */
    const gchar *placeholder_env;
} AgentCase;

static void
run_case(gconstpointer data)
{
    const AgentCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(BbPlan) plan = provider_plan(c->provider);
    g_autoptr(BbDockerBackend) docker = bb_docker_backend_new();
    BbBackend *backend = BB_BACKEND(docker);
    g_assert_true(bb_backend_is_available(backend, &error));
    if (!bb_backend_prepare_images(backend, plan, progress, NULL, NULL, &error))
        g_error("building the %s image offline failed: %s (the host's npm must reach the "
                "npm registry; CI installs npm and caches the package)",
                c->provider, error->message);

    g_autoptr(GBytes) certificate = fixture_certificate();
    g_autofree gchar *ca_path = g_build_filename(g_get_tmp_dir(), "upstream-ca.pem", NULL);
    g_assert_true(g_file_set_contents(ca_path, g_bytes_get_data(certificate, NULL),
                                      g_bytes_get_size(certificate), &error));
    g_autofree gchar *pin = g_strdup_printf("%s:443:%s", c->host, e2e->fixture_ip);
    gchar *resolve[] = {pin, NULL};
    g_autofree gchar *token = bb_e2e_marker("real-agent-token");
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(secrets, TOKEN_NAME, token);
    BbLaunchOptions options = {.resolve = resolve, .upstream_ca = ca_path, .secrets = secrets};
    g_autofree gchar *slug = bb_backend_launch(backend, plan, &options, NULL, &error);
    g_assert_no_error(error);
    connect_sidecar(slug);
    g_autofree gchar *agent = agent_container(slug);
    g_assert_nonnull(agent);

    /* It starts. */
    g_autofree gchar *version = NULL;
    gint status = bb_e2e_sh(e2e, agent, NULL, c->version_cmd, &version);
    g_test_message("%s: %s", c->version_cmd, version);
    g_assert_cmpint(status, ==, 0);
    g_assert_nonnull(strstr(version, c->version_expect));

    /* Its env holds the placeholder, never the token. */
    g_autofree gchar *env_out = NULL;
    g_assert_cmpint(bb_e2e_sh(e2e, agent, NULL, "env", &env_out), ==, 0);
    g_autofree gchar *placeholder_line =
        g_strdup_printf("%s=%s", c->placeholder_env, BB_PLACEHOLDER_TOKEN);
    g_assert_nonnull(strstr(env_out, placeholder_line));
    g_assert_null(strstr(env_out, token));

    /* Its first request reaches the fixture with the real token injected
     * (the fixture's reply is no API answer, so the agent then gives up:
     * only what arrived at the destination is judged). */
    g_autofree gchar *request_out = NULL;
    bb_e2e_sh(e2e, agent, NULL, c->first_request, &request_out);
    g_test_message("first request: %s", request_out);
    g_autofree gchar *real = auth_hash(token);
    g_autofree gchar *fake = auth_hash(BB_PLACEHOLDER_TOKEN);
    g_autofree gchar *logs = bb_docker_container_logs(e2e->client, e2e->fixture_id, NULL);
    g_assert_nonnull(strstr(logs, real));
    g_assert_null(strstr(logs, fake));
    g_assert_true(bb_backend_stop(backend, slug, &error));
}

static const AgentCase claude = {
    .provider = "claude",
    .host = "api.anthropic.com",
    .version_cmd = "claude --version",
    .version_expect = "Claude Code",
    .first_request = "cd /tmp && timeout 15 claude -p 'say hi' --max-turns 1 --verbose "
                     "--output-format stream-json 2>&1 | tail -c 600",
    .placeholder_env = "CLAUDE_CODE_OAUTH_TOKEN",
};

static const AgentCase codex = {
    .provider = "codex",
    .host = "api.openai.com",
    .version_cmd = "codex --version",
    .version_expect = "codex",
    .first_request = "cd /tmp && timeout 15 codex exec --skip-git-repo-check 'say hi' 2>&1 | "
                     "tail -5",
    .placeholder_env = "OPENAI_API_KEY",
};

/* Keep npm's download cache and the prepared contexts between runs (the
 * test's own HOME is a fresh temp dir), and npm's own configuration. */
static void
keep_caches_across_runs(void)
{
    const gchar *home = g_getenv("HOME");
    if (home == NULL)
        return;
    g_autofree gchar *npmrc = g_build_filename(home, ".npmrc", NULL);
    g_autofree gchar *npm_cache = g_build_filename(home, ".npm", NULL);
    g_autofree gchar *bb_cache = g_build_filename(home, ".cache", "bot-bottle", NULL);
    if (g_file_test(npmrc, G_FILE_TEST_EXISTS))
        g_setenv("NPM_CONFIG_USERCONFIG", npmrc, FALSE);
    g_setenv("npm_config_cache", npm_cache, FALSE);
    g_setenv("BOT_BOTTLE_CACHE_DIR", bb_cache, FALSE);
    g_setenv("BB_NPM_TIMEOUT", "300", FALSE);
}

int
main(int argc, char **argv)
{
    keep_caches_across_runs();
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_autoptr(GError) error = NULL;
    g_setenv("BOT_BOTTLE_SIDECAR", g_getenv("BB_TEST_SIDECAR"), TRUE);
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    g_test_add_data_func("/provider-images/claude", &claude, run_case);
    g_test_add_data_func("/provider-images/codex", &codex, run_case);
    int result = g_test_run();
    bb_e2e_teardown(e2e);
    return result;
}
