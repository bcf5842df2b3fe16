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

/* What the last bb_dockerfile_prepare() of @dockerfile returned, without
 * running anything, when none of the prepare program's inputs changed
 * since: the files beside @dockerfile and in the two directories above
 * it (its scripts), and the BB_* / BOT_BOTTLE_* environment (package
 * specs, refresh switches), and the Dockerfile it printed still exists.
 * NULL otherwise (never with BB_NPM_REFRESH=1); a copy of @dockerfile
 * when it has no prepare program. The caller runs bb_dockerfile_prepare()
 * before it builds anything, so the memo only ever picks an image. */
gchar *bb_dockerfile_prepared_cached(const gchar *dockerfile);

G_END_DECLS
