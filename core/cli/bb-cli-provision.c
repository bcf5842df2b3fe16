#include "bb-cli-provision.h"

#include "bb-error.h"

gboolean
bb_cli_provision(BbBackend *backend, const gchar *slug, BbAgentProvider *provider, BbPlan *plan,
                 GError **error)
{
    g_autoptr(BbAgentTarget) target = bb_backend_get_target(backend, slug, error);
    if (target == NULL) {
        g_prefix_error(error, "Provisioning the agent: ");
        return FALSE;
    }
    if (!bb_agent_provider_provision_git(provider, plan, target, error) ||
        !bb_agent_provider_provision_prompt(provider, plan, target, error) ||
        !bb_agent_provider_provision_skills(provider, plan, target, error)) {
        g_prefix_error(error, "Provisioning the agent: ");
        return FALSE;
    }
    return TRUE;
}
