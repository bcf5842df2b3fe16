/* Warm bottles: bottles made ahead of time for one recipe (images, user,
 * environment, limits, runtime), claimed by the next launch of the same
 * recipe, so that launch costs an attach and a handshake instead of two
 * networks and two container starts.
 *
 * A warm bottle is complete except for its policy and secrets: networks,
 * agent (CA installed, idling) and a sidecar that has made its CA and
 * waits for the launch document on stdin. Nothing of the user's runs in
 * it until it is claimed, and no secret exists in it before.
 *
 * Ownership lives in the agent container's name, the one thing of a
 * container that can change atomically after creation:
 *   bb-SLUG-agent              being made (labels name the maker process)
 *   bb-SLUG-warm               idle in the pool (no owner: kept by cleanup)
 *   bb-SLUG-agent.PID.START    claimed by process PID (started at START)
 * Claiming is a rename from -warm to the claimer's name: of two launches
 * racing for one bottle, the engine lets exactly one rename succeed. */
#pragma once

#include "bb-docker-bottle.h"

G_BEGIN_DECLS

#define BB_DOCKER_WARM_SUFFIX "-warm"

/* The recipe key of @spec: what a warm bottle must match to be claimed. */
gchar *bb_docker_pool_key(const BbDockerBottleSpec *spec);

/* Keeps @count idle warm bottles for @spec's recipe (making or removing
 * some), and removes idle ones of the same agent made for another recipe
 * (stale after a manifest or image change). @made/@removed may be NULL. */
gboolean bb_docker_pool_fill(BbDockerClient *client, const BbDockerBottleSpec *spec, guint count,
                             guint *made, guint *removed, GError **error);

/* Claims an idle warm bottle for @spec and hands its sidecar the launch
 * document. NULL without @error when there is none to claim. @idle is
 * set to how many idle bottles of the recipe there were before. */
BbDockerBottle *bb_docker_pool_claim(BbDockerClient *client, const BbDockerBottleSpec *spec,
                                     guint *idle, GError **error);

/* Tops the pool of @spec's recipe back up to @count on a thread (the
 * recipe is copied; no secret is in it). Join the thread before leaving:
 * a bottle half-made when the process dies is left for `cleanup`. */
GThread *bb_docker_pool_refill(BbDockerClient *client, const BbDockerBottleSpec *spec, guint count);

/* Whether the bottle of @container (an entry of a container list) has a
 * live owner; @warm is set when it is an idle warm bottle (owned by the
 * pool, so alive). Falls back to the owner labels. */
gboolean bb_docker_container_owner_alive(JsonObject *container, gboolean *warm);

G_END_DECLS
