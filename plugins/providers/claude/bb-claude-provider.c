/* The Claude Code provider. With `agent_provider.auth_token: ENV_NAME`
 * the proxy injects the host's OAuth token into requests to
 * api.anthropic.com as a Bearer credential; the agent itself only holds a
 * placeholder CLAUDE_CODE_OAUTH_TOKEN so Claude Code starts without
 * prompting for a login. */
#include <bot-bottle.h>

#define CLAUDE_API_HOST "api.anthropic.com"
#define CLAUDE_TOKEN_ENV "CLAUDE_CODE_OAUTH_TOKEN"

#define BB_TYPE_CLAUDE_PROVIDER (bb_claude_provider_get_type())
G_DECLARE_FINAL_TYPE(BbClaudeProvider, bb_claude_provider, BB, CLAUDE_PROVIDER, GObject)

struct _BbClaudeProvider {
    GObject parent_instance;
};

static void bb_claude_provider_iface_init(BbAgentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(BbClaudeProvider, bb_claude_provider, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AGENT_PROVIDER,
                                                    bb_claude_provider_iface_init))

static gchar *
bb_claude_provider_get_default_dockerfile(BbAgentProvider *provider, GError **error)
{
    g_autofree gchar *path = bb_data_path("providers", "claude", "Dockerfile", NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "the claude provider's Dockerfile %s is missing; reinstall bot-bottle", path);
        return NULL;
    }
    return g_steal_pointer(&path);
}

/* Unattended: no permission prompts inside the bottle — the bottle, not
 * the agent's own prompts, is the boundary. */
static GStrv
bb_claude_provider_build_command(BbAgentProvider *provider, BbPlan *plan, const gchar *const *extra)
{
    g_autoptr(GStrvBuilder) argv = g_strv_builder_new();
    g_strv_builder_add_many(argv, "claude", "--dangerously-skip-permissions", NULL);
    if (extra != NULL)
        g_strv_builder_addv(argv, (const gchar **)extra);
    return g_strv_builder_end(argv);
}

static GHashTable *
bb_claude_provider_get_placeholder_env(BbAgentProvider *provider, BbPlan *plan)
{
    GHashTable *env = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (bb_plan_get_provider_auth_token_ref(plan) != NULL)
        g_hash_table_insert(env, g_strdup(CLAUDE_TOKEN_ENV), g_strdup(BB_PLACEHOLDER_TOKEN));
    return env;
}

static GPtrArray *
bb_claude_provider_get_routes(BbAgentProvider *provider, const BbProviderSettings *settings,
                              GError **error)
{
    GPtrArray *routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    g_ptr_array_add(routes, bb_agent_provider_token_route(CLAUDE_API_HOST, "Bearer", settings));
    return routes;
}

static gboolean
bb_claude_provider_validate_settings(BbAgentProvider *provider, const BbProviderSettings *settings,
                                     GError **error)
{
    if (settings->forward_host_credentials) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                            "the claude provider does not forward host credentials; set "
                            "agent_provider.auth_token to the env var holding your Claude "
                            "Code OAuth token (claude setup-token prints one)");
        return FALSE;
    }
    return TRUE;
}

static gboolean
bb_claude_provider_provision_prompt(BbAgentProvider *provider, BbPlan *plan, BbAgentTarget *target,
                                    GError **error)
{
    return bb_agent_provider_write_prompt_to(plan, target, BB_AGENT_HOME "/.claude/CLAUDE.md",
                                             error);
}

static gboolean
bb_claude_provider_provision_skills(BbAgentProvider *provider, BbPlan *plan, BbAgentTarget *target,
                                    GError **error)
{
    return bb_agent_provider_copy_skills_to(plan, target, BB_AGENT_HOME "/.claude/skills", error);
}

static void
bb_claude_provider_iface_init(BbAgentProviderInterface *iface)
{
    iface->get_default_dockerfile = bb_claude_provider_get_default_dockerfile;
    iface->build_command = bb_claude_provider_build_command;
    iface->get_placeholder_env = bb_claude_provider_get_placeholder_env;
    iface->get_routes = bb_claude_provider_get_routes;
    iface->validate_settings = bb_claude_provider_validate_settings;
    iface->provision_prompt = bb_claude_provider_provision_prompt;
    iface->provision_skills = bb_claude_provider_provision_skills;
}

static void
bb_claude_provider_class_init(BbClaudeProviderClass *klass)
{
}

static void
bb_claude_provider_init(BbClaudeProvider *self)
{
}

static gboolean
bb_claude_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_AGENT_PROVIDER, "claude", BB_TYPE_CLAUDE_PROVIDER, 0,
                           error);
}

BB_PLUGIN_DEFINE(.name = "claude", .version = BB_VERSION, .license = "Apache-2.0",
                 .description = "Claude Code, authenticated by the proxy",
                 .register_types = bb_claude_register)
