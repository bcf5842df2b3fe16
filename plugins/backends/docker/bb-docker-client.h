/* BbDockerClient: a small HTTP/1.1 client for the Docker Engine API over
 * its Unix socket. One connection per request keeps it simple and robust
 * (the engine answers in well under a millisecond per connect); attach and
 * exec use the hijacked raw stream of that same connection. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The API version we speak: Docker 20.10 (Debian bookworm) and newer. */
#define BB_DOCKER_API_VERSION "v1.41"

#define BB_TYPE_DOCKER_CLIENT (bb_docker_client_get_type())
G_DECLARE_FINAL_TYPE(BbDockerClient, bb_docker_client, BB, DOCKER_CLIENT, GObject)

/* Socket path from DOCKER_HOST (unix:// only) or /var/run/docker.sock. */
BbDockerClient *bb_docker_client_new_from_env(GError **error);
BbDockerClient *bb_docker_client_new(const gchar *socket_path);
const gchar *bb_docker_client_get_socket_path(BbDockerClient *self);
/* Bounds every socket read/write; 0 = no bound. Default 120 s. */
void bb_docker_client_set_timeout(BbDockerClient *self, guint seconds);

/* Called once per complete line of a streamed response body (progress
 * JSON of import/build/pull). Return FALSE with @error set to abort. */
typedef gboolean (*BbDockerLineFunc)(const gchar *line, gpointer user_data, GError **error);

/* Sends one request; @body may be NULL. Returns the response body, with
 * the HTTP status in @status. Transport failures set @error; HTTP errors
 * do not (callers decide which statuses are fine). */
GBytes *bb_docker_client_request(BbDockerClient *self, const gchar *method, const gchar *path,
                                 const gchar *content_type, GBytes *body, guint *status,
                                 GCancellable *cancellable, GError **error);

/* JSON in, JSON out. A status >= 400 becomes a BB_ERROR with the
 * engine's message, unless it is listed in @ok_statuses (0-terminated).
 * Returns NULL (without error) on an empty body. */
JsonNode *bb_docker_client_call(BbDockerClient *self, const gchar *method, const gchar *path,
                                JsonNode *body, const guint *ok_statuses, guint *status,
                                GError **error);

/* Streams @upload (may be NULL) as a chunked request body and hands each
 * line of the response to @line_func. For /images/create and /build. */
gboolean bb_docker_client_stream(BbDockerClient *self, const gchar *method, const gchar *path,
                                 const gchar *content_type, GInputStream *upload,
                                 BbDockerLineFunc line_func, gpointer user_data,
                                 GCancellable *cancellable, GError **error);

/* Opens a hijacked connection (exec start, attach): sends the request
 * with `Upgrade: tcp`, checks for 101/200 and returns the raw duplex
 * connection positioned after the response headers. */
GIOStream *bb_docker_client_hijack(BbDockerClient *self, const gchar *method, const gchar *path,
                                   JsonNode *body, GCancellable *cancellable, GError **error);
/* The socket under a hijacked stream (timeouts, half-close). */
GSocket *bb_docker_hijacked_socket(GIOStream *stream);

/* Percent-encodes @value for a query string. */
gchar *bb_docker_query_escape(const gchar *value);

G_END_DECLS
