/* BbDockerBackend: bottles on a Docker engine (BbBackend). Besides the
 * interface, the functions below let the CLI and tests choose images. */
#pragma once

#include "bb-backend.h"
#include "bb-docker-client.h"

G_BEGIN_DECLS

#define BB_TYPE_DOCKER_BACKEND (bb_docker_backend_get_type())
G_DECLARE_FINAL_TYPE(BbDockerBackend, bb_docker_backend, BB, DOCKER_BACKEND, GObject)

BbDockerBackend *bb_docker_backend_new(void);
/* The engine client; NULL until is_available() succeeded. */
BbDockerClient *bb_docker_backend_get_client(BbDockerBackend *self);
/* Use an existing image for agents (tests, resume) instead of building. */
void bb_docker_backend_set_agent_image(BbDockerBackend *self, const gchar *ref);
/* Use an existing sidecar image instead of assembling one; it must speak
 * the sidecar contract (see bb-docker-bottle.h). */
void bb_docker_backend_set_sidecar_image(BbDockerBackend *self, const gchar *image);
/* Builds the agent image from @dockerfile (its directory is the build
 * context), tagged by the hash of the context. */
gchar *bb_docker_backend_build_agent_image(BbDockerBackend *self, const gchar *dockerfile,
                                           BbProgressFunc progress, gpointer progress_data,
                                           GCancellable *cancellable, GError **error);
/* Assembles the sidecar image from @program and the plugin modules in
 * @plugin_dirs (':'-separated, like BOT_BOTTLE_PLUGIN_PATH). */
gchar *bb_docker_backend_assemble_sidecar(BbDockerBackend *self, const gchar *program,
                                          const gchar *plugin_dirs, GError **error);
/* "runsc" when the engine has gVisor registered, else NULL (engine default). */
const gchar *bb_docker_backend_get_runtime(BbDockerBackend *self);
/* The bottle CA certificate of a bottle this backend launched. */
const gchar *bb_docker_backend_get_ca(BbDockerBackend *self, const gchar *slug);

G_END_DECLS
