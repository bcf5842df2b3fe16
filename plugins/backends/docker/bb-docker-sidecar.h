/* The sidecar container of a bottle and the handshake with it.
 *
 * The sidecar (sidecars/bb-sidecar, `--launch-config -`) makes the bottle
 * CA first and prints it on one stdout line, then reads the launch
 * document (routes, secrets, pins, upstream CA) from its stdin until EOF,
 * then prints its ready line. We talk to it over one attach connection:
 * the CA arrives without polling, the secrets go through the pipe and
 * nowhere else, and a sidecar that dies shows its error at once.
 *
 * A warm bottle's sidecar is started with no stdin attached: it makes and
 * announces its CA, then waits. Claiming the bottle attaches stdin later
 * and sends the document (OpenStdin keeps the pipe open until a stdin
 * client detaches: StdinOnce). */
#pragma once

#include "bb-docker-bottle.h"

G_BEGIN_DECLS

typedef struct _BbSidecarChannel BbSidecarChannel;

void bb_sidecar_channel_free(BbSidecarChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbSidecarChannel, bb_sidecar_channel_free)

/* The create body of @bottle's sidecar container. */
JsonNode *bb_docker_sidecar_config(const BbDockerBottle *bottle, const BbDockerBottleSpec *spec);

/* The launch document for @spec (holds the secrets: wipe after use). */
GBytes *bb_docker_sidecar_launch_document(const BbDockerBottleSpec *spec);
void bb_docker_bytes_wipe(GBytes *bytes);

/* Attaches to the sidecar's output (and stdin when @with_stdin); before
 * its start, or while it runs. */
BbSidecarChannel *bb_sidecar_channel_open(BbDockerClient *client, const gchar *id,
                                          gboolean with_stdin, GError **error);
/* Waits for the CA line; returns the certificate (PEM). */
gchar *bb_sidecar_channel_await_ca(BbSidecarChannel *channel, GError **error);
/* Writes @document to the sidecar's stdin and ends it. */
gboolean bb_sidecar_channel_send(BbSidecarChannel *channel, GBytes *document, GError **error);
/* Waits until the sidecar serves. */
gboolean bb_sidecar_channel_await_ready(BbSidecarChannel *channel, GError **error);

G_END_DECLS
