/* Provisioning a freshly launched bottle's agent through its provider. */
#pragma once

#include "bb-agent-provider.h"
#include "bb-backend.h"

G_BEGIN_DECLS

/* Runs the provider's git, prompt and skills slots (core defaults unless
 * it overrides them) against the running agent of bottle @slug. The CA is
 * installed by the backend before launch returns. */
gboolean bb_cli_provision(BbBackend *backend, const gchar *slug, BbAgentProvider *provider,
                          BbPlan *plan, GError **error);

G_END_DECLS
