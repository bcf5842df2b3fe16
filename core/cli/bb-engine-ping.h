/* A one-request probe of the Docker Engine API, for `doctor`. */
#pragma once

#include <glib.h>

/* The Unix socket DOCKER_HOST names (unix://PATH), or the default. Sets
 * @error for other schemes, which bot-bottle does not speak. */
gchar *bb_engine_socket_path(GError **error);

/* GET /_ping on @socket_path; TRUE when the engine answers 200 OK. */
gboolean bb_engine_ping(const gchar *socket_path, guint timeout_seconds, GError **error);
