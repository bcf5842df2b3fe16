/* The built-in providers, loaded through the real loader from the build
 * tree: routes they own, placeholders, commands, settings they refuse. */
#include <bot-bottle.h>
#include <string.h>

#include "bb-plan-private.h"

static BbRegistry *
load_registry(void)
{
    BbRegistry *registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_registry_load_all(registry, NULL, &error));
    g_assert_no_error(error);
    return registry;
}

static BbAgentProvider *
create_provider(BbRegistry *registry, const gchar *name)
{
    g_autoptr(GError) error = NULL;
    BbAgentProvider *provider = bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER, name, &error);
    g_assert_no_error(error);
    g_assert_true(BB_IS_AGENT_PROVIDER(provider));
    return provider;
}

static BbPlan *
plan_with_token_ref(const gchar *provider, const gchar *token_ref)
{
    BbPlan *plan = bb_plan_new();
    bb_plan_set_provider(plan, provider, NULL, token_ref, FALSE);
    bb_plan_seal(plan);
    return plan;
}

static void
assert_token_route(const gchar *provider_name, const gchar *host, const gchar *placeholder_env)
{
    g_autoptr(BbRegistry) registry = load_registry();
    g_autoptr(BbAgentProvider) provider = create_provider(registry, provider_name);
    BbProviderSettings with_token = {.template_name = provider_name,
                                     .auth_token_ref = "HOST_TOKEN_VAR"};
    BbProviderSettings without_token = {.template_name = provider_name};
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(GPtrArray) bare_routes = NULL;
    g_autoptr(BbPlan) plan = plan_with_token_ref(provider_name, "HOST_TOKEN_VAR");
    g_autoptr(BbPlan) bare_plan = plan_with_token_ref(provider_name, NULL);
    g_autoptr(GHashTable) env = NULL;
    g_autoptr(GHashTable) bare_env = NULL;
    BbRoute *route;

    g_assert_true(bb_agent_provider_validate_settings(provider, &with_token, &error));
    routes = bb_agent_provider_get_routes(provider, &with_token, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(routes->len, ==, 1);
    route = g_ptr_array_index(routes, 0);
    g_assert_cmpstr(route->host, ==, host);
    g_assert_true(route->provider_owned);
    g_assert_cmpstr(route->auth_scheme, ==, "Bearer");
    g_assert_cmpstr(route->token_ref, ==, "HOST_TOKEN_VAR");

    /* Without a token the host stays reachable, with nothing injected. */
    bare_routes = bb_agent_provider_get_routes(provider, &without_token, &error);
    g_assert_no_error(error);
    route = g_ptr_array_index(bare_routes, 0);
    g_assert_null(route->auth_scheme);
    g_assert_null(route->token_ref);

    /* The agent sees a placeholder, only when a token is injected. */
    env = bb_agent_provider_get_placeholder_env(provider, plan);
    g_assert_cmpstr(g_hash_table_lookup(env, placeholder_env), ==, BB_PLACEHOLDER_TOKEN);
    bare_env = bb_agent_provider_get_placeholder_env(provider, bare_plan);
    g_assert_null(g_hash_table_lookup(bare_env, placeholder_env));
}

static void
test_claude_routes(void)
{
    assert_token_route("claude", "api.anthropic.com", "CLAUDE_CODE_OAUTH_TOKEN");
}

static void
test_codex_routes(void)
{
    assert_token_route("codex", "api.openai.com", "OPENAI_API_KEY");
}

static void
test_forwarding_refused(void)
{
    g_autoptr(BbRegistry) registry = load_registry();
    const gchar *names[] = {"claude", "codex", NULL};
    for (guint i = 0; names[i] != NULL; i++) {
        g_autoptr(BbAgentProvider) provider = create_provider(registry, names[i]);
        BbProviderSettings settings = {.template_name = names[i], .forward_host_credentials = TRUE};
        g_autoptr(GError) error = NULL;
        g_assert_false(bb_agent_provider_validate_settings(provider, &settings, &error));
        g_assert_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST);
        g_assert_nonnull(strstr(error->message, "auth_token"));
    }
}

/* The shell provider owns no credentials, so it refuses auth settings. */
static void
test_shell(void)
{
    g_autoptr(BbRegistry) registry = load_registry();
    g_autoptr(BbAgentProvider) provider = create_provider(registry, "shell");
    BbProviderSettings token = {.template_name = "shell", .auth_token_ref = "X"};
    BbProviderSettings plain = {.template_name = "shell"};
    g_autoptr(BbPlan) plan = plan_with_token_ref("shell", NULL);
    const gchar *extra[] = {"curl", "-s", "https://example.com", NULL};
    g_auto(GStrv) default_argv = bb_agent_provider_build_command(provider, plan, NULL);
    g_auto(GStrv) run_argv = bb_agent_provider_build_command(provider, plan, extra);
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpstr(default_argv[0], ==, "/bin/bash");
    g_assert_cmpstrv(run_argv, extra);
    g_assert_true(bb_agent_provider_validate_settings(provider, &plain, &error));
    g_assert_false(bb_agent_provider_validate_settings(provider, &token, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST);
    g_clear_error(&error);
    routes = bb_agent_provider_get_routes(provider, &plain, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(routes->len, ==, 0);
}

static void
test_agent_commands(void)
{
    g_autoptr(BbRegistry) registry = load_registry();
    g_autoptr(BbAgentProvider) claude = create_provider(registry, "claude");
    g_autoptr(BbPlan) plan = plan_with_token_ref("claude", NULL);
    const gchar *extra[] = {"-p", "hello", NULL};
    g_auto(GStrv) argv = bb_agent_provider_build_command(claude, plan, extra);
    const gchar *expected[] = {"claude", "--dangerously-skip-permissions", "-p", "hello", NULL};
    g_assert_cmpstrv(argv, expected);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/providers/claude/routes", test_claude_routes);
    g_test_add_func("/providers/codex/routes", test_codex_routes);
    g_test_add_func("/providers/forwarding-refused", test_forwarding_refused);
    g_test_add_func("/providers/shell", test_shell);
    g_test_add_func("/providers/claude/command", test_agent_commands);
    return g_test_run();
}
