/* Resolution: an agent plus its bottle chain, merged into one plan.
 *
 * Merge rules, applied from the root ancestor down to the named bottle
 * (later wins): scalars replace; `env` and `git.remotes` merge key by
 * key; `git.user` and `agent_provider` merge field by field; routes
 * merge by host, a child's route replacing its parent's whole; bodies
 * are concatenated root first, then the agent's body last. Provider
 * routes (from the registry) replace a manifest route for the same
 * host: the provider owns its API endpoint and its credential. */
#pragma once

#include "bb-catalog-private.h"

G_BEGIN_DECLS

/* Checks @bottle_name's chain and merged settings. Problems are
 * appended to @diagnostics; TRUE when none is an error. */
gboolean bb_resolve_bottle(BbCatalog *catalog, const gchar *bottle_name, BbRegistry *registry,
                           GPtrArray *diagnostics);
/* A sealed plan, or NULL when an error was appended to @diagnostics. */
BbPlan *bb_resolve_agent(BbCatalog *catalog, BbAgentManifest *agent, BbRegistry *registry,
                         GPtrArray *diagnostics);

G_END_DECLS
