/* BbAgentProvider: one agent product (Claude Code, Codex, a shell, or a
 * contrib provider). It knows the agent's image recipe, command line,
 * placeholder environment and the egress routes it owns, and how to
 * provision a running agent. Provisioning slots have core defaults a
 * provider overrides only where its agent differs. */
#pragma once

#include "bb-agent-target.h"
#include "bb-plan.h"

G_BEGIN_DECLS

/* The `agent_provider:` block of a bottle, as resolution sees it before
 * the plan exists (provider routes are part of the plan). */
typedef struct {
    const gchar *template_name;
    const gchar *auth_token_ref; /* host env var, or NULL */
    gboolean forward_host_credentials;
} BbProviderSettings;

#define BB_TYPE_AGENT_PROVIDER (bb_agent_provider_get_type())
G_DECLARE_INTERFACE(BbAgentProvider, bb_agent_provider, BB, AGENT_PROVIDER, GObject)

/**
 * BbAgentProviderInterface:
 * @get_default_dockerfile: absolute path of the provider's Dockerfile. Since: 0.1
 * @build_command: the agent's argv for an unattended session; @extra
 *   are user arguments appended where the agent accepts them. Since: 0.1
 * @get_placeholder_env: name → placeholder value the agent sees in place
 *   of each credential the proxy injects. Since: 0.1
 * @get_routes: provider-owned egress routes (as #BbRoute, with
 *   provider_owned set) for @settings. Since: 0.1
 * @validate_settings: reject settings this provider cannot honour
 *   (e.g. forward_host_credentials on a provider without it). Since: 0.1
 * @provision_ca: install the bottle CA in the agent's trust stores. Since: 0.1
 * @provision_git: git identity and git-gate remotes. Since: 0.1
 * @provision_prompt: write the system prompt where the agent reads it. Since: 0.1
 * @provision_skills: copy skills where the agent reads them. Since: 0.1
 */
struct _BbAgentProviderInterface {
    GTypeInterface parent_iface;

    gchar *(*get_default_dockerfile)(BbAgentProvider *self, GError **error);
    GStrv (*build_command)(BbAgentProvider *self, BbPlan *plan, const gchar *const *extra);
    GHashTable *(*get_placeholder_env)(BbAgentProvider *self, BbPlan *plan);
    GPtrArray *(*get_routes)(BbAgentProvider *self, const BbProviderSettings *settings,
                             GError **error);
    gboolean (*validate_settings)(BbAgentProvider *self, const BbProviderSettings *settings,
                                  GError **error);
    gboolean (*provision_ca)(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                             GBytes *ca_pem, GError **error);
    gboolean (*provision_git)(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                              GError **error);
    gboolean (*provision_prompt)(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                                 GError **error);
    gboolean (*provision_skills)(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                                 GError **error);
};

gchar *bb_agent_provider_get_default_dockerfile(BbAgentProvider *self, GError **error);
GStrv bb_agent_provider_build_command(BbAgentProvider *self, BbPlan *plan,
                                      const gchar *const *extra);
GHashTable *bb_agent_provider_get_placeholder_env(BbAgentProvider *self, BbPlan *plan);
GPtrArray *bb_agent_provider_get_routes(BbAgentProvider *self, const BbProviderSettings *settings,
                                        GError **error);
gboolean bb_agent_provider_validate_settings(BbAgentProvider *self,
                                             const BbProviderSettings *settings, GError **error);
gboolean bb_agent_provider_provision_ca(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                                        GBytes *ca_pem, GError **error);
gboolean bb_agent_provider_provision_git(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target,
                                         GError **error);
gboolean bb_agent_provider_provision_prompt(BbAgentProvider *self, BbPlan *plan,
                                            BbAgentTarget *target, GError **error);
gboolean bb_agent_provider_provision_skills(BbAgentProvider *self, BbPlan *plan,
                                            BbAgentTarget *target, GError **error);

/* For providers: a provider-owned route to @host that injects the secret
 * named by @settings->auth_token_ref with @scheme (when a ref is set). */
BbRoute *bb_agent_provider_token_route(const gchar *host, const gchar *scheme,
                                       const BbProviderSettings *settings);

/* Provisioning defaults (core/bb-agent-provision.c) and the helpers a
 * provider's overrides use. Provider images run the agent as uid 1000
 * with this home directory. */
#define BB_AGENT_HOME "/home/agent"
/* Where the sidecar's git-gate serves the bottle's git remotes. */
#define BB_GIT_GATE_BASE "http://git-gate.bot-bottle.internal"

/* ~/.gitconfig text for @plan: identity and git-gate url rewrites. */
gchar *bb_agent_provider_render_gitconfig(BbPlan *plan);
/* Writes the plan's prompt to @path (nothing when the prompt is empty). */
gboolean bb_agent_provider_write_prompt_to(BbPlan *plan, BbAgentTarget *target, const gchar *path,
                                           GError **error);
/* Copies each skill to @skills_dir/<name>/, regular files and directories
 * only: symlinks inside a skill are never followed. */
gboolean bb_agent_provider_copy_skills_to(BbPlan *plan, BbAgentTarget *target,
                                          const gchar *skills_dir, GError **error);
/* Sets the core default provision_* slots in @iface (done for every
 * provider by the interface's default_init). */
void bb_agent_provider_install_provision_defaults(BbAgentProviderInterface *iface);

/* The value agents see in place of a credential the proxy injects.
 * Recognisable in logs, useless to an attacker. */
#define BB_PLACEHOLDER_TOKEN "bot-bottle-placeholder-injected-by-proxy"

G_END_DECLS
