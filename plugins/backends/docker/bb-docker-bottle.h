/* One bottle on the Docker engine: two networks, a sidecar and an agent,
 * all labelled with the bottle's slug.
 *
 * Topology and the holes it closes (Engine 20.10):
 *  - internal network (agent + sidecar), created `Internal` AND with
 *    `com.docker.network.bridge.inhibit_ipv4`: the bridge gets no host
 *    address, so the agent's default route points at a next hop nobody
 *    answers and the host's listeners (reachable through the gateway of
 *    a plain --internal network) are out of reach. IPv6 is disabled in
 *    the agent (sysctl), so the bridge's link-local address is no path
 *    either. This needs no iptables rules and no root on the host.
 *  - egress network (sidecar only), an ordinary bridge.
 *  - DNS: the agent's resolver is Docker's embedded one (127.0.0.11),
 *    configured with the sidecar as its only upstream, and 20.10
 *    forwards from inside the agent's namespace, so every name the agent
 *    resolves is answered (or refused) by the sidecar.
 *  - Secrets reach the sidecar through its stdin (the launch document,
 *    bb-docker-sidecar.h), never env, argv, labels, files or images.
 *  - The sidecar makes the bottle CA itself (the key never leaves it) and
 *    announces the certificate on its output, from where it is copied
 *    into the agent's trust store. Its state volume (BB_DOCKER_SIDECAR_STATE)
 *    keeps routes.json, upstream-ca.pem and ca.pem.
 *
 * Warm bottles (bb-docker-pool.h) are made the same way, minus the launch
 * document, and wait idle until a launch of the same recipe claims one. */
#pragma once

#include "bb-docker-client.h"

G_BEGIN_DECLS

#define BB_DOCKER_LABEL_SLUG "bot-bottle.slug"
#define BB_DOCKER_LABEL_ROLE "bot-bottle.role"
#define BB_DOCKER_LABEL_OWNER "bot-bottle.owner-pid"
#define BB_DOCKER_LABEL_OWNER_START "bot-bottle.owner-start"
#define BB_DOCKER_LABEL_AGENT "bot-bottle.agent"
/* On every object of a warm bottle: the recipe it was made for. */
#define BB_DOCKER_LABEL_POOL "bot-bottle.pool"
#define BB_DOCKER_PROXY_PORT 9099
/* Where the agent finds the bottle CA (also appended to the system store). */
#define BB_DOCKER_AGENT_CA_PATH "/etc/bot-bottle/ca.pem"
#define BB_DOCKER_SIDECAR_STATE "/run/bot-bottle"
#define BB_DOCKER_LABEL_VOLUME_ROLE "volume"
#define BB_DOCKER_SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

typedef struct {
    const gchar *agent_name;
    const gchar *agent_image;
    const gchar *agent_user;       /* "uid:gid" or a name; NULL = "1000:1000" */
    const gchar *const *agent_env; /* extra "NAME=value" (plan env, placeholders) */
    const gchar *sidecar_image;
    const gchar *routes_json;    /* `{"routes": [...]}` for the sidecar; NULL = none */
    const gchar *const *resolve; /* HOST:PORT:ADDR pins for the proxy; may be NULL */
    GBytes *upstream_ca;         /* extra upstream trust (PEM); may be NULL */
    GHashTable *secrets;         /* name → value, sidecar only; may be NULL */
    const gchar *runtime;        /* NULL = engine default */
    gint64 pids_limit;           /* 0 = 1024 */
    gint64 memory_bytes;         /* 0 = 4 GiB */
} BbDockerBottleSpec;

typedef struct {
    gchar *slug;
    gchar *agent_id;
    gchar *sidecar_id;
    gchar *internal_network; /* name */
    gchar *egress_network;   /* name */
    gchar *sidecar_ip;       /* on the internal network */
    gchar *ca_pem;           /* the bottle CA certificate (public) */
    gchar *pool_key;         /* warm bottles: the recipe's key; else NULL */
} BbDockerBottle;

void bb_docker_bottle_free(BbDockerBottle *bottle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDockerBottle, bb_docker_bottle_free)

/* A fresh slug: the agent name reduced to [a-z0-9-] plus random hex. */
gchar *bb_docker_slug_new(const gchar *agent_name);

/* Creates and starts everything; on failure removes what it made. */
BbDockerBottle *bb_docker_bottle_launch(BbDockerClient *client, const BbDockerBottleSpec *spec,
                                        GError **error);
/* The same; with @pool_key set, a warm bottle: labelled with the key, its
 * sidecar left waiting for the launch document. */
BbDockerBottle *bb_docker_bottle_make(BbDockerClient *client, const BbDockerBottleSpec *spec,
                                      const gchar *pool_key, GError **error);

/* Pieces the sidecar and pool code share. */
JsonObject *bb_docker_bottle_labels(const BbDockerBottle *bottle, const gchar *role,
                                    const gchar *agent);
JsonObject *bb_docker_hardened_host_config(const gchar *network_mode, gint64 pids_limit,
                                           gint64 memory_bytes, const gchar *runtime);
JsonObject *bb_docker_endpoint_config(const gchar *network, const gchar *address);
JsonArray *bb_docker_strv_array(const gchar *const *strv);
gchar *bb_docker_process_start(gint pid);
/* The value of @label on a listed container, network or volume, or NULL. */
const gchar *bb_docker_label_of(JsonObject *object, const gchar *label);
/* Removes every container and network labelled with @slug; idempotent. */
gboolean bb_docker_bottle_remove(BbDockerClient *client, const gchar *slug, GError **error);
/* Removes bottles whose owner process is gone; @removed counts bottles. */
gboolean bb_docker_bottle_cleanup_orphans(BbDockerClient *client, guint *removed, GError **error);
/* Whether the process named by the owner-pid label still runs here (and,
 * given its owner-start label, is the same process, not a PID reuse). */
gboolean bb_docker_owner_alive(const gchar *owner, const gchar *start);
/* The agent container id of @slug. */
gchar *bb_docker_bottle_find_agent(BbDockerClient *client, const gchar *slug, GError **error);

G_END_DECLS
