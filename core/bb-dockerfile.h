/* Which Dockerfile builds a bottle's agent image, and the host-side
 * preparation of its build context. */
#pragma once

#include "bb-agent-provider.h"

G_BEGIN_DECLS

/* The Dockerfile cascade, first existing file wins:
 *   1. bottle override: <bottle>.Dockerfile beside the named bottle's manifest
 *   2. the manifest's agent_provider.dockerfile (@manifest_dockerfile)
 *   3. contrib: <config_dir>/contrib/<template>/Dockerfile
 *   4. the provider's default (@provider may be NULL)
 * Returns NULL when none exists. */
gchar *bb_dockerfile_cascade(const gchar *bottle_manifest, const gchar *manifest_dockerfile,
                             const gchar *config_dir, const gchar *template_name,
                             BbAgentProvider *provider);

/* Images are built with no network, so what an image needs from a
 * registry is fetched on the host first: when an executable `prepare`
 * sits beside @dockerfile (owned by the user or root, not writable by
 * others), it runs as `prepare OUT_DIR` (its stderr is the user's
 * progress) and prints the Dockerfile of the context it assembled.
 * Returns that path, or a copy of @dockerfile when there is no prepare. */
gchar *bb_dockerfile_prepare(const gchar *dockerfile, GCancellable *cancellable, GError **error);

G_END_DECLS
