#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "bb-engine-ping.h"
#include "bb-error.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"

gchar *
bb_engine_socket_path(GError **error)
{
    const gchar *host = g_getenv("DOCKER_HOST");
    if (host == NULL || host[0] == '\0')
        return g_strdup(DEFAULT_SOCKET);
    if (g_str_has_prefix(host, "unix://"))
        return g_strdup(host + strlen("unix://"));
    g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                "DOCKER_HOST=%s is not a unix:// socket; bot-bottle talks to a local engine "
                "only: unset DOCKER_HOST or point it at unix:///var/run/docker.sock",
                host);
    return NULL;
}

gboolean
bb_engine_ping(const gchar *socket_path, guint timeout_seconds, GError **error)
{
    static const gchar request[] = "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);
    g_autoptr(GSocketConnection) connection = NULL;
    g_autoptr(GError) local_error = NULL;
    gchar reply[64] = {0};
    gsize got = 0;

    g_socket_client_set_timeout(client, timeout_seconds);
    connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &local_error);
    if (connection == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "cannot reach the Docker engine at %s (%s); install it (Debian: apt-get "
                    "install docker.io) and start it (systemctl start docker, or dockerd &)",
                    socket_path, local_error->message);
        return FALSE;
    }
    if (!g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)), request,
                                   sizeof request - 1, NULL, NULL, &local_error) ||
        !g_input_stream_read_all(g_io_stream_get_input_stream(G_IO_STREAM(connection)), reply,
                                 sizeof reply - 1, &got, NULL, &local_error)) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "the Docker engine at %s did not answer (%s)", socket_path,
                    local_error->message);
        return FALSE;
    }
    if (!g_str_has_prefix(reply, "HTTP/1.0 200") && !g_str_has_prefix(reply, "HTTP/1.1 200")) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "the Docker engine at %s answered /_ping with '%.12s'; is it healthy? "
                    "(docker info)",
                    socket_path, reply);
        return FALSE;
    }
    return TRUE;
}
