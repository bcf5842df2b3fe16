/* What the sidecar and `bot-bottle proxy` share: building a running
 * proxy (CA, upstreams, policy, server, optional DNS) from routes and
 * secrets, and serving until a signal. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "bb-egress-ca.h"
#include "bb-egress-server.h"
#include "bb-registry.h"

G_BEGIN_DECLS

typedef struct {
    const gchar *bottle_name;
    const gchar *listen;      /* ADDR:PORT */
    const gchar *ca_cert_out; /* write the CA certificate here, or NULL */
    BbEgressCa **ca;          /* a CA made beforehand (the run takes *ca), or NULL */
    const gchar *upstream_ca; /* extra upstream trust, or NULL */
    const gchar *const *pins; /* --resolve HOST:PORT:ADDR, or NULL */
    const gchar *audit_path;  /* append audit lines here, "-" = stderr, or NULL */
    const gchar *dns_listen;  /* ADDR:PORT for the DNS responder, or NULL */
    const gchar *dns_answer;  /* the IPv4 address DNS hands out */
    const gchar *routes_path; /* re-read on SIGHUP when set */
    guint max_connections;    /* 0 = default */
    /* DLP (bb-egress-dlp.h); 0 = defaults */
    guint supervise_timeout_ms;
    gsize dlp_hold_cap;
} BbEgressRunOptions;

/* Secrets for @routes from the host environment (token_ref names). */
GHashTable *bb_egress_secrets_from_env(GPtrArray *routes, GError **error);
/* Secrets from a JSON object {"ENV_NAME": "value", ...}. */
GHashTable *bb_egress_secrets_from_json(JsonObject *object, GError **error);
/* The same from @path (or /dev/fd/N). */
GHashTable *bb_egress_secrets_from_file(const gchar *path, GError **error);
GPtrArray *bb_egress_routes_from_file(const gchar *path, GError **error);

/* Builds and starts everything, prints one ready line on stdout, and
 * serves until SIGINT/SIGTERM. SIGHUP re-reads routes_path (when set)
 * and swaps the policy without dropping connections. */
gboolean bb_egress_run(const BbEgressRunOptions *options, GPtrArray *routes, BbRegistry *registry,
                       GHashTable *secrets, GError **error);

G_END_DECLS
