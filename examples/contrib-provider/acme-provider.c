/* An out-of-tree agent provider: the "acme" agent, whose API lives at
 * api.acme.test. It owns that route (the proxy injects the host's token
 * as Bearer), gives the agent a placeholder ACME_API_KEY, and overrides
 * one provisioning slot (the prompt) while keeping the core defaults for
 * the CA, git and skills. Its image comes from the Dockerfile installed
 * beside the module, ~/.bot-bottle/contrib/acme/Dockerfile. */
#include <bot-bottle.h>

#define ACME_API_HOST "api.acme.test"
#define ACME_TOKEN_ENV "ACME_API_KEY"

#define ACME_TYPE_PROVIDER (acme_provider_get_type())
G_DECLARE_FINAL_TYPE(AcmeProvider, acme_provider, ACME, PROVIDER, GObject)

struct _AcmeProvider {
    GObject parent_instance;
};

static void acme_provider_iface_init(BbAgentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(AcmeProvider, acme_provider, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AGENT_PROVIDER,
                                                    acme_provider_iface_init))

static GStrv
acme_provider_build_command(BbAgentProvider *provider, BbPlan *plan, const gchar *const *extra)
{
    g_autoptr(GStrvBuilder) argv = g_strv_builder_new();
    if (extra != NULL && extra[0] != NULL)
        g_strv_builder_addv(argv, (const gchar **)extra);
    else
        g_strv_builder_add_many(argv, "acme-agent", "--unattended", NULL);
    return g_strv_builder_end(argv);
}

static GHashTable *
acme_provider_get_placeholder_env(BbAgentProvider *provider, BbPlan *plan)
{
    GHashTable *env = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (bb_plan_get_provider_auth_token_ref(plan) != NULL)
        g_hash_table_insert(env, g_strdup(ACME_TOKEN_ENV), g_strdup(BB_PLACEHOLDER_TOKEN));
    return env;
}

static GPtrArray *
acme_provider_get_routes(BbAgentProvider *provider, const BbProviderSettings *settings,
                         GError **error)
{
    GPtrArray *routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    g_ptr_array_add(routes, bb_agent_provider_token_route(ACME_API_HOST, "Bearer", settings));
    return routes;
}

static gboolean
acme_provider_validate_settings(BbAgentProvider *provider, const BbProviderSettings *settings,
                                GError **error)
{
    if (settings->forward_host_credentials) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                            "the acme provider does not forward host credentials; set "
                            "agent_provider.auth_token to the env var holding your acme key");
        return FALSE;
    }
    return TRUE;
}

/* The acme agent reads its instructions from ~/.acme/PROMPT.md. */
static gboolean
acme_provider_provision_prompt(BbAgentProvider *provider, BbPlan *plan, BbAgentTarget *target,
                               GError **error)
{
    return bb_agent_provider_write_prompt_to(plan, target, BB_AGENT_HOME "/.acme/PROMPT.md", error);
}

static void
acme_provider_iface_init(BbAgentProviderInterface *iface)
{
    iface->build_command = acme_provider_build_command;
    iface->get_placeholder_env = acme_provider_get_placeholder_env;
    iface->get_routes = acme_provider_get_routes;
    iface->validate_settings = acme_provider_validate_settings;
    iface->provision_prompt = acme_provider_provision_prompt;
}

static void
acme_provider_class_init(AcmeProviderClass *klass)
{
}

static void
acme_provider_init(AcmeProvider *self)
{
}

static gboolean
acme_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_AGENT_PROVIDER, "acme", ACME_TYPE_PROVIDER, 0, error);
}

BB_PLUGIN_DEFINE(.name = "acme", .version = "1.0", .license = "Apache-2.0",
                 .description = "the acme agent, authenticated by the proxy",
                 .register_types = acme_register)
