#include "bb-agent-provider.h"
#include "bb-agent-provision-private.h"
#include "bb-error.h"

G_DEFINE_INTERFACE(BbAgentProvider, bb_agent_provider, G_TYPE_OBJECT)

static void
bb_agent_provider_default_init(BbAgentProviderInterface *iface)
{
    /* Implementations start from a copy of this vtable, so these are the
     * defaults a provider overrides only where its agent differs. */
    bb_agent_provider_install_provision_defaults(iface);
}

static void
set_not_supported(gpointer self, const gchar *what, GError **error)
{
    g_set_error(error, BB_ERROR, BB_ERROR_NOT_SUPPORTED, "agent provider %s cannot %s",
                G_OBJECT_TYPE_NAME(self), what);
}

gchar *
bb_agent_provider_get_default_dockerfile(BbAgentProvider *self, GError **error)
{
    BbAgentProviderInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_PROVIDER(self), NULL);
    iface = BB_AGENT_PROVIDER_GET_IFACE(self);
    if (iface->get_default_dockerfile == NULL) {
        set_not_supported(self, "supply a Dockerfile", error);
        return NULL;
    }
    return iface->get_default_dockerfile(self, error);
}

GStrv
bb_agent_provider_build_command(BbAgentProvider *self, BbPlan *plan, const gchar *const *extra)
{
    BbAgentProviderInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_PROVIDER(self), NULL);
    g_return_val_if_fail(BB_IS_PLAN(plan), NULL);
    iface = BB_AGENT_PROVIDER_GET_IFACE(self);
    if (iface->build_command == NULL)
        return g_strdupv((gchar **)extra); /* no agent command: run what was asked */
    return iface->build_command(self, plan, extra);
}

GHashTable *
bb_agent_provider_get_placeholder_env(BbAgentProvider *self, BbPlan *plan)
{
    BbAgentProviderInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_PROVIDER(self), NULL);
    iface = BB_AGENT_PROVIDER_GET_IFACE(self);
    if (iface->get_placeholder_env == NULL)
        return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return iface->get_placeholder_env(self, plan);
}

GPtrArray *
bb_agent_provider_get_routes(BbAgentProvider *self, const BbProviderSettings *settings,
                             GError **error)
{
    BbAgentProviderInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_PROVIDER(self), NULL);
    g_return_val_if_fail(settings != NULL, NULL);
    iface = BB_AGENT_PROVIDER_GET_IFACE(self);
    /* A provider that owns no routes contributes none. */
    if (iface->get_routes == NULL)
        return g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    return iface->get_routes(self, settings, error);
}

gboolean
bb_agent_provider_validate_settings(BbAgentProvider *self, const BbProviderSettings *settings,
                                    GError **error)
{
    BbAgentProviderInterface *iface;
    g_return_val_if_fail(BB_IS_AGENT_PROVIDER(self), FALSE);
    g_return_val_if_fail(settings != NULL, FALSE);
    iface = BB_AGENT_PROVIDER_GET_IFACE(self);
    if (iface->validate_settings != NULL)
        return iface->validate_settings(self, settings, error);
    /* Credential plumbing is provider-specific: one that does not validate
     * cannot honour it, and silently ignoring it would surprise. */
    if (settings->auth_token_ref != NULL || settings->forward_host_credentials) {
        g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                    "agent provider '%s' does not support auth_token or "
                    "forward_host_credentials",
                    settings->template_name);
        return FALSE;
    }
    return TRUE;
}

#define PROVISION(slot, what, ...)                                                                 \
    BbAgentProviderInterface *iface;                                                               \
    g_return_val_if_fail(BB_IS_AGENT_PROVIDER(self), FALSE);                                       \
    g_return_val_if_fail(BB_IS_AGENT_TARGET(target), FALSE);                                       \
    iface = BB_AGENT_PROVIDER_GET_IFACE(self);                                                     \
    if (iface->slot == NULL) {                                                                     \
        set_not_supported(self, what, error);                                                      \
        return FALSE;                                                                              \
    }                                                                                              \
    return iface->slot(self, __VA_ARGS__)

/* Slots with a core default (the header's promise): a provider overrides
 * them only where its agent reads these things elsewhere. */
#define PROVISION_OR_DEFAULT(slot, fallback, plan, target, error)                                  \
    BbAgentProviderInterface *iface;                                                               \
    g_return_val_if_fail(BB_IS_AGENT_PROVIDER(self), FALSE);                                       \
    g_return_val_if_fail(BB_IS_AGENT_TARGET(target), FALSE);                                       \
    iface = BB_AGENT_PROVIDER_GET_IFACE(self);                                                     \
    if (iface->slot == NULL)                                                                       \
        return fallback(plan, target, error);                                                      \
    return iface->slot(self, plan, target, error)

gboolean
bb_agent_provider_provision_ca(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                               GBytes *ca_pem, GError **error)
{
    PROVISION(provision_ca, "install the bottle CA", plan, target, ca_pem, error);
}

gboolean
bb_agent_provider_provision_git(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                                GError **error)
{
    PROVISION_OR_DEFAULT(provision_git, bb_agent_provision_default_git, plan, target, error);
}

gboolean
bb_agent_provider_provision_prompt(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                                   GError **error)
{
    PROVISION_OR_DEFAULT(provision_prompt, bb_agent_provision_default_prompt, plan, target, error);
}

gboolean
bb_agent_provider_provision_skills(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                                   GError **error)
{
    PROVISION_OR_DEFAULT(provision_skills, bb_agent_provision_default_skills, plan, target, error);
}

BbRoute *
bb_agent_provider_token_route(const gchar *host, const gchar *scheme,
                              const BbProviderSettings *settings)
{
    BbRoute *route = bb_route_new(host);
    route->provider_owned = TRUE;
    if (settings->auth_token_ref != NULL) {
        route->auth_scheme = g_strdup(scheme);
        route->token_ref = g_strdup(settings->auth_token_ref);
    }
    return route;
}
