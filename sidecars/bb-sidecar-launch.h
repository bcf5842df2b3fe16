/* The launch handshake of the bottle sidecar (`--launch-config`).
 *
 * A sidecar can be started before anyone knows what it will guard: the
 * Docker backend keeps warm bottles whose sidecar is already running.
 * So the sidecar makes its CA first, announces the certificate on one
 * stdout line (BB_SIDECAR_CA_LINE + base64 PEM) and only then reads its
 * launch configuration, one JSON object, from a pipe until EOF:
 *
 *   {"routes":      {"routes": [...]}         the policy (bb-route-json)
 *    "secrets":     {"ENV_NAME": "value"}     what the routes inject
 *    "resolve":     ["HOST:PORT:ADDR", ...]   upstream pins (optional)
 *    "upstream_ca": "-----BEGIN ..."}         extra upstream trust (optional)
 *
 * Routes and the upstream CA are written to the state directory (routes
 * are re-read from there on SIGHUP); secrets stay in memory only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BB_SIDECAR_CA_LINE "bb-sidecar: ca "
/* More than any policy needs; a bound so a confused writer cannot make
 * the sidecar allocate without limit. */
#define BB_SIDECAR_LAUNCH_MAX (8 * 1024 * 1024)

typedef struct {
    GPtrArray *routes;   /* BbRoute */
    GHashTable *secrets; /* name → value, wiped when freed */
    GStrv pins;          /* may be NULL */
    gchar *routes_path;  /* STATE/routes.json */
    gchar *upstream_ca;  /* STATE/upstream-ca.pem, or NULL */
} BbSidecarLaunch;

void bb_sidecar_launch_free(BbSidecarLaunch *launch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbSidecarLaunch, bb_sidecar_launch_free)

/* Parses a launch document (@data is wiped afterwards: it holds secrets)
 * and writes routes and upstream CA into @state_dir. */
BbSidecarLaunch *bb_sidecar_launch_parse(gchar *data, gsize length, const gchar *state_dir,
                                         GError **error);

/* Reads the launch document from @fd until EOF, then parses it. */
BbSidecarLaunch *bb_sidecar_launch_read(gint fd, const gchar *state_dir, GError **error);

G_END_DECLS
