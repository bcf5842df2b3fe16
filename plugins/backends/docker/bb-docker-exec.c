/* Exec, attach and logs: the calls that read Docker's multiplexed
 * stdout/stderr stream (8-byte frame header: stream, 0, 0, 0, size BE32). */
#include "bb-docker-api.h"
#include "bb-docker-frames.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "bb-error.h"

static gboolean
bb_docker_write_fd(int fd, const guint8 *data, gsize length)
{
    while (length > 0) {
        gssize written = write(fd, data, length);
        if (written < 0)
            return FALSE;
        data += written;
        length -= written;
    }
    return TRUE;
}

/* Reads frames until EOF, routing stdout (1) and stderr (2) payloads. */
static gboolean
bb_docker_demux(GInputStream *in, GByteArray *out, GByteArray *err, GError **error)
{
    g_autoptr(GByteArray) payload = g_byte_array_new();
    guint8 type = 0;
    g_autoptr(GError) local_error = NULL;
    while (bb_docker_frame_read(in, &type, payload, &local_error)) {
        gboolean is_err = type == BB_DOCKER_FRAME_STDERR;
        GByteArray *sink = is_err ? err : out;
        if (sink != NULL)
            g_byte_array_append(sink, payload->data, payload->len);
        else
            bb_docker_write_fd(is_err ? STDERR_FILENO : STDOUT_FILENO, payload->data, payload->len);
    }
    if (local_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    return TRUE;
}

static gboolean
bb_docker_close_write(GIOStream *stream, GError **error)
{
    return g_socket_shutdown(bb_docker_hijacked_socket(stream), FALSE, TRUE, error);
}

gboolean
bb_docker_send_input(GIOStream *stream, GBytes *input, GError **error)
{
    if (input != NULL) {
        gsize length = 0;
        const guint8 *data = g_bytes_get_data(input, &length);
        if (!g_output_stream_write_all(g_io_stream_get_output_stream(stream), data, length, NULL,
                                       NULL, error))
            return FALSE;
    }
    return bb_docker_close_write(stream, error);
}

static JsonNode *
bb_docker_exec_config(const gchar *const *argv, const gchar *user, gboolean with_stdin)
{
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_boolean_member(config, "AttachStdin", with_stdin);
    json_object_set_boolean_member(config, "AttachStdout", TRUE);
    json_object_set_boolean_member(config, "AttachStderr", TRUE);
    json_object_set_boolean_member(config, "Tty", FALSE);
    if (user != NULL)
        json_object_set_string_member(config, "User", user);
    JsonArray *cmd = json_array_new();
    for (const gchar *const *arg = argv; *arg != NULL; arg++)
        json_array_add_string_element(cmd, *arg);
    json_object_set_array_member(config, "Cmd", cmd);
    return json_node_init_object(json_node_alloc(), config);
}

gboolean
bb_docker_exec_status(BbDockerClient *client, const gchar *exec_id, gint *status, GError **error)
{
    g_autofree gchar *path = g_strdup_printf("/exec/%s/json", exec_id);
    /* The exit code lands a moment after the stream closes. */
    for (guint attempt = 0; attempt < 200; attempt++) {
        g_autoptr(JsonNode) reply =
            bb_docker_client_call(client, "GET", path, NULL, NULL, NULL, error);
        if (reply == NULL || !JSON_NODE_HOLDS_OBJECT(reply))
            return FALSE;
        JsonObject *object = json_node_get_object(reply);
        if (!json_object_get_boolean_member_with_default(object, "Running", FALSE)) {
            *status = (gint)json_object_get_int_member_with_default(object, "ExitCode", -1);
            return TRUE;
        }
        g_usleep(10 * 1000);
    }
    g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Exec %s did not report its exit code", exec_id);
    return FALSE;
}

/* Creates the exec and starts it on a hijacked stream; @exec_id is set. */
static GIOStream *
bb_docker_exec_open(BbDockerClient *client, const gchar *id, const gchar *const *argv,
                    const gchar *user, gboolean with_stdin, gchar **exec_id, GError **error)
{
    g_autoptr(JsonNode) config = bb_docker_exec_config(argv, user, with_stdin);
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/containers/%s/exec", id_q);
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(client, "POST", path, config, NULL, NULL, error);
    const gchar *created =
        reply != NULL && JSON_NODE_HOLDS_OBJECT(reply)
            ? json_object_get_string_member_with_default(json_node_get_object(reply), "Id", NULL)
            : NULL;
    if (created == NULL) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: exec create failed");
        return NULL;
    }
    g_autoptr(JsonObject) start = json_object_new();
    json_object_set_boolean_member(start, "Detach", FALSE);
    json_object_set_boolean_member(start, "Tty", FALSE);
    g_autoptr(JsonNode) start_node = json_node_init_object(json_node_alloc(), start);
    g_autofree gchar *start_path = g_strdup_printf("/exec/%s/start", created);
    GIOStream *stream =
        bb_docker_client_hijack(client, "POST", start_path, start_node, NULL, error);
    if (stream != NULL)
        *exec_id = g_strdup(created);
    return stream;
}

gboolean
bb_docker_exec(BbDockerClient *client, const gchar *id, const gchar *const *argv, const gchar *user,
               GBytes *input, GByteArray *out, GByteArray *err, gint *status, GError **error)
{
    g_autofree gchar *exec_id = NULL;
    g_autoptr(GIOStream) stream =
        bb_docker_exec_open(client, id, argv, user, input != NULL, &exec_id, error);
    if (stream == NULL)
        return FALSE;
    if (input != NULL && !bb_docker_send_input(stream, input, error))
        return FALSE;
    if (!bb_docker_demux(g_io_stream_get_input_stream(stream), out, err, error))
        return FALSE;
    return bb_docker_exec_status(client, exec_id, status, error);
}

typedef struct {
    GIOStream *stream;
    gint in_fd;
    GCancellable *ended; /* the command is over: stop pumping */
} BbStdinPump;

/* Copies @in_fd to the command's stdin. At our EOF the connection is
 * half-closed: without a TTY the engine then closes the command's stdin
 * (it reads EOF) and keeps streaming its output until it exits. */
static gpointer
bb_docker_pump_stdin(gpointer data)
{
    BbStdinPump *pump = data;
    GOutputStream *out = g_io_stream_get_output_stream(pump->stream);
    GPollFD fds[2] = {{pump->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, 0}, {-1, 0, 0}};
    /* Without a wake-up fd (none left), look at the cancellable often. */
    gint timeout_ms = g_cancellable_make_pollfd(pump->ended, &fds[1]) ? -1 : 200;
    guint8 buffer[16384];
    while (!g_cancellable_is_cancelled(pump->ended)) {
        if (g_poll(fds, G_N_ELEMENTS(fds), timeout_ms) <= 0 || fds[0].revents == 0)
            continue;
        gssize got = read(pump->in_fd, buffer, sizeof buffer);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            bb_docker_close_write(pump->stream, NULL);
            break;
        }
        if (!g_output_stream_write_all(out, buffer, got, NULL, pump->ended, NULL))
            break;
    }
    if (timeout_ms < 0)
        g_cancellable_release_fd(pump->ended);
    return NULL;
}

gboolean
bb_docker_exec_stream(BbDockerClient *client, const gchar *id, const gchar *const *argv,
                      const gchar *user, gint in_fd, gint *status, GError **error)
{
    g_autofree gchar *exec_id = NULL;
    g_autoptr(GIOStream) stream =
        bb_docker_exec_open(client, id, argv, user, TRUE, &exec_id, error);
    if (stream == NULL)
        return FALSE;
    g_autoptr(GCancellable) ended = g_cancellable_new();
    BbStdinPump pump = {stream, in_fd, ended};
    GThread *thread = g_thread_new("bb-exec-stdin", bb_docker_pump_stdin, &pump);
    gboolean ok = bb_docker_demux(g_io_stream_get_input_stream(stream), NULL, NULL, error);
    /* Our input may never end (a pipe held open): the command's has. */
    g_cancellable_cancel(ended);
    g_thread_join(thread);
    return ok && bb_docker_exec_status(client, exec_id, status, error);
}

gboolean
bb_docker_container_start_with_stdin(BbDockerClient *client, const gchar *id, GBytes *input,
                                     GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/containers/%s/attach?stream=1&stdin=1", id_q);
    g_autoptr(GIOStream) stream = bb_docker_client_hijack(client, "POST", path, NULL, NULL, error);
    if (stream == NULL)
        return FALSE;
    if (!bb_docker_container_start(client, id, error))
        return FALSE;
    if (!bb_docker_send_input(stream, input, error))
        return FALSE;
    /* No need to wait for the engine's side: on a Unix socket the bytes
     * written before our FIN are read by the engine after we close, and
     * it ends the container's stdin at that EOF (StdinOnce). */
    return TRUE;
}

gchar *
bb_docker_container_logs(BbDockerClient *client, const gchar *id, GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/containers/%s/logs?stdout=1&stderr=1", id_q);
    guint status = 0;
    g_autoptr(GBytes) body =
        bb_docker_client_request(client, "GET", path, NULL, NULL, &status, NULL, error);
    if (body == NULL)
        return NULL;
    if (status != 200) {
        g_set_error(error, BB_ERROR, status == 404 ? BB_ERROR_NOT_FOUND : BB_ERROR_FAILED,
                    "Docker engine: logs of %s: %u", id, status);
        return NULL;
    }
    g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes(body);
    g_autoptr(GByteArray) text = g_byte_array_new();
    if (!bb_docker_demux(in, text, text, error))
        return NULL;
    g_byte_array_append(text, (const guint8 *)"", 1);
    return (gchar *)g_byte_array_free(g_steal_pointer(&text), FALSE);
}
