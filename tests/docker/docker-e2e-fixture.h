/* Shared set-up of the Docker end-to-end tests: the images (offline), a
 * "fake internet" network with a logging upstream, and helpers that run
 * commands in containers. Everything made here is labelled
 * bot-bottle.test=<pid> and removed at exit. */
#pragma once

#include "bb-docker-api.h"
#include "bb-docker-bottle.h"

typedef struct {
    BbDockerClient *client;
    gchar *base_image;    /* debootstrap'ed bookworm: curl, dig, iproute2 */
    gchar *fixture_image; /* bb-test-fixture assembled from the build tree */
    gchar *internet;      /* the "fake internet" network name */
    gchar *fixture_id;    /* logging upstream on it */
    gchar *fixture_ip;
    gchar *probe_id; /* a plain container on the internet network: the controls */
} BbE2e;

/* Builds or reuses the images and starts the fixture network. */
BbE2e *bb_e2e_setup(GError **error);
void bb_e2e_teardown(BbE2e *e2e);

/* A bottle whose sidecar is the logging stand-in, attached to the fake internet. */
BbDockerBottle *bb_e2e_launch_bottle(BbE2e *e2e, const gchar *agent, GHashTable *secrets,
                                     GError **error);

/* Runs `sh -c @script` in @container; returns the exit status, output in @out. */
gint bb_e2e_sh(BbE2e *e2e, const gchar *container, const gchar *user, const gchar *script,
               gchar **out);
/* Whether @container's log holds @needle. */
gboolean bb_e2e_log_contains(BbE2e *e2e, const gchar *container, const gchar *needle);
/* The fixture upstream's CA certificate (PEM), from its log. */
GBytes *bb_e2e_fixture_ca(BbE2e *e2e, GError **error);
/* The same, written to @dir/upstream-ca.pem; returns the path. */
gchar *bb_e2e_fixture_ca_file(BbE2e *e2e, const gchar *dir, GError **error);
/* A random marker so each probe is recognisable at its destination. */
gchar *bb_e2e_marker(const gchar *prefix);
