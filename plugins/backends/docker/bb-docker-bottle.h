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
 *  - Secrets reach the sidecar through its stdin (attach before start,
 *    `--secrets /dev/stdin`), never env, argv, labels, files or images.
 *  - The sidecar makes the bottle CA itself (the key never leaves it) and
 *    writes the certificate to its state volume, from where it is copied
 *    into the agent's trust store.
 *
 * The sidecar contract (sidecars/bb-sidecar): the argv built by
 * bb_docker_sidecar_argv(), a volume at BB_DOCKER_SIDECAR_STATE holding
 * routes.json (and upstream-ca.pem) on entry and ca.pem once ready. */
#pragma once

#include "bb-docker-client.h"

G_BEGIN_DECLS

#define BB_DOCKER_LABEL_SLUG "bot-bottle.slug"
#define BB_DOCKER_LABEL_ROLE "bot-bottle.role"
#define BB_DOCKER_LABEL_OWNER "bot-bottle.owner-pid"
#define BB_DOCKER_LABEL_OWNER_START "bot-bottle.owner-start"
#define BB_DOCKER_LABEL_AGENT "bot-bottle.agent"
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
} BbDockerBottle;

void bb_docker_bottle_free(BbDockerBottle *bottle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDockerBottle, bb_docker_bottle_free)

/* The sidecar's command line for @bottle (no secret in it). */
GStrv bb_docker_sidecar_argv(const BbDockerBottle *bottle, const BbDockerBottleSpec *spec);

/* A fresh slug: the agent name reduced to [a-z0-9-] plus random hex. */
gchar *bb_docker_slug_new(const gchar *agent_name);

/* Creates and starts everything; on failure removes what it made. */
BbDockerBottle *bb_docker_bottle_launch(BbDockerClient *client, const BbDockerBottleSpec *spec,
                                        GError **error);
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
