/* The Codex provider. With `agent_provider.auth_token: ENV_NAME` the proxy
 * injects the host's OpenAI API key into requests to api.openai.com; the
 * agent holds a placeholder OPENAI_API_KEY. Forwarding the host's Codex
 * login (forward_host_credentials) is refused until it can be done
 * without the agent ever holding the token. */
#include <bot-bottle.h>

#define CODEX_API_HOST "api.openai.com"
#define CODEX_TOKEN_ENV "OPENAI_API_KEY"

#define BB_TYPE_CODEX_PROVIDER (bb_codex_provider_get_type())
G_DECLARE_FINAL_TYPE(BbCodexProvider, bb_codex_provider, BB, CODEX_PROVIDER, GObject)

struct _BbCodexProvider {
    GObject parent_instance;
};

static void bb_codex_provider_iface_init(BbAgentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(BbCodexProvider, bb_codex_provider, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AGENT_PROVIDER,
                                                    bb_codex_provider_iface_init))

static gchar *
bb_codex_provider_get_default_dockerfile(BbAgentProvider *provider, GError **error)
{
    g_autofree gchar *path = bb_data_path("providers", "codex", "Dockerfile", NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "the codex provider's Dockerfile %s is missing; reinstall bot-bottle", path);
        return NULL;
    }
    return g_steal_pointer(&path);
}

/* Codex's own sandbox cannot nest inside a container; the bottle is the
 * sandbox, so Codex runs with approvals and its sandbox off. */
static GStrv
bb_codex_provider_build_command(BbAgentProvider *provider, BbPlan *plan, const gchar *const *extra)
{
    g_autoptr(GStrvBuilder) argv = g_strv_builder_new();
    g_strv_builder_add_many(argv, "codex", "--dangerously-bypass-approvals-and-sandbox", NULL);
    if (extra != NULL)
        g_strv_builder_addv(argv, (const gchar **)extra);
    return g_strv_builder_end(argv);
}

static GHashTable *
bb_codex_provider_get_placeholder_env(BbAgentProvider *provider, BbPlan *plan)
{
    GHashTable *env = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (bb_plan_get_provider_auth_token_ref(plan) != NULL)
        g_hash_table_insert(env, g_strdup(CODEX_TOKEN_ENV), g_strdup(BB_PLACEHOLDER_TOKEN));
    return env;
}

static GPtrArray *
bb_codex_provider_get_routes(BbAgentProvider *provider, const BbProviderSettings *settings,
                             GError **error)
{
    GPtrArray *routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    g_ptr_array_add(routes, bb_agent_provider_token_route(CODEX_API_HOST, "Bearer", settings));
    return routes;
}

static gboolean
bb_codex_provider_validate_settings(BbAgentProvider *provider, const BbProviderSettings *settings,
                                    GError **error)
{
    if (settings->forward_host_credentials) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                            "forward_host_credentials is not supported yet for codex: it would "
                            "put your Codex login inside the bottle; set agent_provider."
                            "auth_token to the env var holding an OpenAI API key instead");
        return FALSE;
    }
    return TRUE;
}

static gboolean
bb_codex_provider_provision_prompt(BbAgentProvider *provider, BbPlan *plan, BbAgentTarget *target,
                                   GError **error)
{
    return bb_agent_provider_write_prompt_to(plan, target, BB_AGENT_HOME "/.codex/AGENTS.md",
                                             error);
}

static gboolean
bb_codex_provider_provision_skills(BbAgentProvider *provider, BbPlan *plan, BbAgentTarget *target,
                                   GError **error)
{
    return bb_agent_provider_copy_skills_to(plan, target, BB_AGENT_HOME "/.codex/skills", error);
}

static void
bb_codex_provider_iface_init(BbAgentProviderInterface *iface)
{
    iface->get_default_dockerfile = bb_codex_provider_get_default_dockerfile;
    iface->build_command = bb_codex_provider_build_command;
    iface->get_placeholder_env = bb_codex_provider_get_placeholder_env;
    iface->get_routes = bb_codex_provider_get_routes;
    iface->validate_settings = bb_codex_provider_validate_settings;
    iface->provision_prompt = bb_codex_provider_provision_prompt;
    iface->provision_skills = bb_codex_provider_provision_skills;
}

static void
bb_codex_provider_class_init(BbCodexProviderClass *klass)
{
}

static void
bb_codex_provider_init(BbCodexProvider *self)
{
}

static gboolean
bb_codex_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_AGENT_PROVIDER, "codex", BB_TYPE_CODEX_PROVIDER, 0,
                           error);
}

BB_PLUGIN_DEFINE(.name = "codex", .version = BB_VERSION, .license = "Apache-2.0",
                 .description = "OpenAI Codex CLI, authenticated by the proxy",
                 .register_types = bb_codex_register)
