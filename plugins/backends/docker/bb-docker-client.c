#include "bb-docker-client.h"

#include <stdio.h>
#include <string.h>
#include "bb-error.h"

#define BB_DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
/* Header lines and the header block are bounded: the engine is trusted
 * but a wrong socket (DOCKER_HOST pointing elsewhere) must not eat memory. */
#define BB_DOCKER_MAX_HEADER_LINE 16384
#define BB_DOCKER_MAX_HEADERS 200

struct _BbDockerClient {
    GObject parent_instance;
    gchar *socket_path;
    guint timeout;
};

G_DEFINE_TYPE(BbDockerClient, bb_docker_client, G_TYPE_OBJECT)

static void
bb_docker_client_finalize(GObject *object)
{
    BbDockerClient *self = BB_DOCKER_CLIENT(object);
    g_free(self->socket_path);
    G_OBJECT_CLASS(bb_docker_client_parent_class)->finalize(object);
}

static void
bb_docker_client_class_init(BbDockerClientClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_docker_client_finalize;
}

static void
bb_docker_client_init(BbDockerClient *self)
{
    self->timeout = 120;
}

BbDockerClient *
bb_docker_client_new(const gchar *socket_path)
{
    BbDockerClient *self = g_object_new(BB_TYPE_DOCKER_CLIENT, NULL);
    self->socket_path = g_strdup(socket_path);
    return self;
}

BbDockerClient *
bb_docker_client_new_from_env(GError **error)
{
    const gchar *host = g_getenv("DOCKER_HOST");
    if (host == NULL || *host == '\0')
        return bb_docker_client_new(BB_DOCKER_DEFAULT_SOCKET);
    if (!g_str_has_prefix(host, "unix://") || host[7] == '\0') {
        g_set_error(
            error, BB_ERROR, BB_ERROR_UNAVAILABLE,
            "DOCKER_HOST=%s is not supported: bot-bottle talks to the engine over a "
            "local Unix socket only; set DOCKER_HOST=unix:///path/to/docker.sock or unset it",
            host);
        return NULL;
    }
    return bb_docker_client_new(host + 7);
}

const gchar *
bb_docker_client_get_socket_path(BbDockerClient *self)
{
    return self->socket_path;
}

void
bb_docker_client_set_timeout(BbDockerClient *self, guint seconds)
{
    self->timeout = seconds;
}

gchar *
bb_docker_query_escape(const gchar *value)
{
    return g_uri_escape_string(value, NULL, FALSE);
}

static GSocketConnection *
bb_docker_connect(BbDockerClient *self, GCancellable *cancellable, GError **error)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(self->socket_path);
    g_socket_client_set_timeout(client, self->timeout);
    GSocketConnection *connection =
        g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), cancellable, error);
    if (connection == NULL) {
        g_prefix_error(error,
                       "Cannot reach the Docker engine at %s (is dockerd running and is your "
                       "user in the 'docker' group?): ",
                       self->socket_path);
        return NULL;
    }
    return connection;
}

static gboolean
bb_docker_write_head(GOutputStream *out, const gchar *method, const gchar *path,
                     const gchar *content_type, const gchar *framing, const gchar *extra,
                     GCancellable *cancellable, GError **error)
{
    g_autoptr(GString) head = g_string_new(NULL);
    g_string_append_printf(head, "%s /%s%s HTTP/1.1\r\nHost: docker\r\n", method,
                           BB_DOCKER_API_VERSION, path);
    if (content_type != NULL)
        g_string_append_printf(head, "Content-Type: %s\r\n", content_type);
    g_string_append(head, framing);
    if (extra != NULL)
        g_string_append(head, extra);
    g_string_append(head, "\r\n");
    return g_output_stream_write_all(out, head->str, head->len, NULL, cancellable, error);
}

typedef struct {
    guint status;
    gint64 content_length; /* -1 when absent */
    gboolean chunked;
} BbDockerHead;

static gchar *
bb_docker_read_line(GDataInputStream *in, GCancellable *cancellable, GError **error)
{
    gsize length = 0;
    g_autoptr(GError) local_error = NULL;
    gchar *line = g_data_input_stream_read_line(in, &length, cancellable, &local_error);
    if (line == NULL) {
        if (local_error != NULL)
            g_propagate_error(error, g_steal_pointer(&local_error));
        else
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "The Docker engine closed the connection mid-response");
        return NULL;
    }
    if (length > BB_DOCKER_MAX_HEADER_LINE) {
        g_free(line);
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "The Docker engine sent an oversized header line");
        return NULL;
    }
    if (length > 0 && line[length - 1] == '\r')
        line[length - 1] = '\0';
    return line;
}

static gboolean
bb_docker_read_head(GDataInputStream *in, BbDockerHead *head, GCancellable *cancellable,
                    GError **error)
{
    g_autofree gchar *status_line = bb_docker_read_line(in, cancellable, error);
    if (status_line == NULL)
        return FALSE;
    guint major = 0, minor = 0, status = 0;
    if (sscanf(status_line, "HTTP/%u.%u %u", &major, &minor, &status) != 3 || status < 100 ||
        status > 599) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "The socket did not answer like a Docker engine (bad status line)");
        return FALSE;
    }
    head->status = status;
    head->content_length = -1;
    head->chunked = FALSE;
    for (guint n = 0;; n++) {
        if (n > BB_DOCKER_MAX_HEADERS) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Too many response headers");
            return FALSE;
        }
        g_autofree gchar *line = bb_docker_read_line(in, cancellable, error);
        if (line == NULL)
            return FALSE;
        if (*line == '\0')
            return TRUE;
        gchar *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        const gchar *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        if (g_ascii_strcasecmp(line, "Content-Length") == 0) {
            guint64 parsed = 0;
            if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &parsed, error))
                return FALSE;
            head->content_length = (gint64)parsed;
        } else if (g_ascii_strcasecmp(line, "Transfer-Encoding") == 0) {
            head->chunked = g_ascii_strcasecmp(value, "chunked") == 0;
        }
    }
}

/* Reads the body per its framing; hands each chunk of data to @sink. */
typedef gboolean (*BbDockerSink)(const guint8 *data, gsize length, gpointer user_data,
                                 GError **error);

static gboolean
bb_docker_read_exact(GDataInputStream *in, gsize length, BbDockerSink sink, gpointer user_data,
                     GCancellable *cancellable, GError **error)
{
    guint8 buffer[16384];
    while (length > 0) {
        gsize want = MIN(length, sizeof buffer);
        gsize got = 0;
        if (!g_input_stream_read_all(G_INPUT_STREAM(in), buffer, want, &got, cancellable, error))
            return FALSE;
        if (got != want) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "The Docker engine closed the connection mid-body");
            return FALSE;
        }
        if (!sink(buffer, got, user_data, error))
            return FALSE;
        length -= got;
    }
    return TRUE;
}

static gboolean
bb_docker_read_chunked(GDataInputStream *in, BbDockerSink sink, gpointer user_data,
                       GCancellable *cancellable, GError **error)
{
    for (;;) {
        g_autofree gchar *size_line = bb_docker_read_line(in, cancellable, error);
        if (size_line == NULL)
            return FALSE;
        gchar *end = NULL;
        guint64 size = g_ascii_strtoull(size_line, &end, 16);
        if (end == size_line || (*end != '\0' && *end != ';') || size > G_MAXINT32) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Bad chunk size from the Docker engine");
            return FALSE;
        }
        if (size == 0) {
            /* Trailers (none expected) up to the empty line. */
            for (;;) {
                g_autofree gchar *trailer = bb_docker_read_line(in, cancellable, error);
                if (trailer == NULL)
                    return FALSE;
                if (*trailer == '\0')
                    return TRUE;
            }
        }
        if (!bb_docker_read_exact(in, size, sink, user_data, cancellable, error))
            return FALSE;
        g_autofree gchar *crlf = bb_docker_read_line(in, cancellable, error);
        if (crlf == NULL)
            return FALSE;
    }
}

static gboolean
bb_docker_read_to_eof(GDataInputStream *in, BbDockerSink sink, gpointer user_data,
                      GCancellable *cancellable, GError **error)
{
    guint8 buffer[16384];
    for (;;) {
        gssize got =
            g_input_stream_read(G_INPUT_STREAM(in), buffer, sizeof buffer, cancellable, error);
        if (got < 0)
            return FALSE;
        if (got == 0)
            return TRUE;
        if (!sink(buffer, got, user_data, error))
            return FALSE;
    }
}

static gboolean
bb_docker_read_body(GDataInputStream *in, const BbDockerHead *head, BbDockerSink sink,
                    gpointer user_data, GCancellable *cancellable, GError **error)
{
    if (head->status == 204 || head->status == 304)
        return TRUE;
    if (head->chunked)
        return bb_docker_read_chunked(in, sink, user_data, cancellable, error);
    if (head->content_length >= 0)
        return bb_docker_read_exact(in, head->content_length, sink, user_data, cancellable, error);
    return bb_docker_read_to_eof(in, sink, user_data, cancellable, error);
}

static gboolean
bb_docker_sink_bytes(const guint8 *data, gsize length, gpointer user_data, GError **error)
{
    g_byte_array_append(user_data, data, length);
    return TRUE;
}

static GDataInputStream *
bb_docker_data_stream(GSocketConnection *connection)
{
    GDataInputStream *in =
        g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
    g_data_input_stream_set_newline_type(in, G_DATA_STREAM_NEWLINE_TYPE_LF);
    return in;
}

GBytes *
bb_docker_client_request(BbDockerClient *self, const gchar *method, const gchar *path,
                         const gchar *content_type, GBytes *body, guint *status,
                         GCancellable *cancellable, GError **error)
{
    g_autoptr(GSocketConnection) connection = bb_docker_connect(self, cancellable, error);
    if (connection == NULL)
        return NULL;
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
    gsize body_length = body != NULL ? g_bytes_get_size(body) : 0;
    g_autofree gchar *framing = g_strdup_printf("Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                                "Connection: close\r\n",
                                                body_length);
    if (!bb_docker_write_head(out, method, path, content_type, framing, NULL, cancellable, error))
        return NULL;
    if (body_length > 0 && !g_output_stream_write_all(out, g_bytes_get_data(body, NULL),
                                                      body_length, NULL, cancellable, error))
        return NULL;

    g_autoptr(GDataInputStream) in = bb_docker_data_stream(connection);
    BbDockerHead head;
    if (!bb_docker_read_head(in, &head, cancellable, error))
        return NULL;
    g_autoptr(GByteArray) data = g_byte_array_new();
    if (!bb_docker_read_body(in, &head, bb_docker_sink_bytes, data, cancellable, error))
        return NULL;
    if (status != NULL)
        *status = head.status;
    return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

static gchar *
bb_docker_error_message(GBytes *body)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    gsize length = 0;
    const gchar *data = g_bytes_get_data(body, &length);
    if (length > 0 && json_parser_load_from_data(parser, data, length, NULL)) {
        JsonNode *root = json_parser_get_root(parser);
        if (JSON_NODE_HOLDS_OBJECT(root)) {
            const gchar *message = json_object_get_string_member_with_default(
                json_node_get_object(root), "message", NULL);
            if (message != NULL)
                return g_strdup(message);
        }
    }
    return g_strndup(data, MIN(length, 512));
}

static gboolean
bb_docker_status_ok(guint status, const guint *ok_statuses)
{
    if (status < 400)
        return TRUE;
    for (const guint *ok = ok_statuses; ok != NULL && *ok != 0; ok++)
        if (*ok == status)
            return TRUE;
    return FALSE;
}

JsonNode *
bb_docker_client_call(BbDockerClient *self, const gchar *method, const gchar *path, JsonNode *body,
                      const guint *ok_statuses, guint *status, GError **error)
{
    g_autoptr(GBytes) request_body = NULL;
    if (body != NULL) {
        gsize length = 0;
        gchar *text = json_to_string(body, FALSE);
        length = strlen(text);
        request_body = g_bytes_new_take(text, length);
    }
    guint http_status = 0;
    g_autoptr(GBytes) response =
        bb_docker_client_request(self, method, path, body != NULL ? "application/json" : NULL,
                                 request_body, &http_status, NULL, error);
    if (response == NULL)
        return NULL;
    if (status != NULL)
        *status = http_status;
    if (!bb_docker_status_ok(http_status, ok_statuses)) {
        g_autofree gchar *message = bb_docker_error_message(response);
        g_set_error(error, BB_ERROR, http_status == 404 ? BB_ERROR_NOT_FOUND : BB_ERROR_FAILED,
                    "Docker engine: %s %s: %u %s", method, path, http_status, message);
        return NULL;
    }
    gsize length = 0;
    const gchar *data = g_bytes_get_data(response, &length);
    if (length == 0 || http_status >= 400)
        return NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, data, length, error)) {
        g_prefix_error(error, "Docker engine: %s %s: unreadable JSON: ", method, path);
        return NULL;
    }
    return json_node_copy(json_parser_get_root(parser));
}

typedef struct {
    GString *pending;
    BbDockerLineFunc line_func;
    gpointer user_data;
} BbDockerLineSplitter;

static gboolean
bb_docker_sink_lines(const guint8 *data, gsize length, gpointer user_data, GError **error)
{
    BbDockerLineSplitter *splitter = user_data;
    g_string_append_len(splitter->pending, (const gchar *)data, length);
    gchar *newline;
    while ((newline = memchr(splitter->pending->str, '\n', splitter->pending->len)) != NULL) {
        gsize line_length = newline - splitter->pending->str;
        g_autofree gchar *line = g_strndup(splitter->pending->str, line_length);
        g_string_erase(splitter->pending, 0, line_length + 1);
        g_strchomp(line);
        if (*line != '\0' && !splitter->line_func(line, splitter->user_data, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
bb_docker_write_chunked(GOutputStream *out, GInputStream *upload, GCancellable *cancellable,
                        GError **error)
{
    guint8 buffer[65536];
    for (;;) {
        gssize got = g_input_stream_read(upload, buffer, sizeof buffer, cancellable, error);
        if (got < 0)
            return FALSE;
        g_autofree gchar *size = g_strdup_printf("%" G_GSSIZE_MODIFIER "x\r\n", got);
        if (!g_output_stream_write_all(out, size, strlen(size), NULL, cancellable, error))
            return FALSE;
        if (got == 0)
            return g_output_stream_write_all(out, "\r\n", 2, NULL, cancellable, error);
        if (!g_output_stream_write_all(out, buffer, got, NULL, cancellable, error) ||
            !g_output_stream_write_all(out, "\r\n", 2, NULL, cancellable, error))
            return FALSE;
    }
}

gboolean
bb_docker_client_stream(BbDockerClient *self, const gchar *method, const gchar *path,
                        const gchar *content_type, GInputStream *upload, BbDockerLineFunc line_func,
                        gpointer user_data, GCancellable *cancellable, GError **error)
{
    g_autoptr(GSocketConnection) connection = bb_docker_connect(self, cancellable, error);
    if (connection == NULL)
        return FALSE;
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
    const gchar *framing = upload != NULL ? "Transfer-Encoding: chunked\r\nConnection: close\r\n"
                                          : "Content-Length: 0\r\nConnection: close\r\n";
    if (!bb_docker_write_head(out, method, path, content_type, framing, NULL, cancellable, error))
        return FALSE;
    g_autoptr(GError) upload_error = NULL;
    if (upload != NULL && !bb_docker_write_chunked(out, upload, cancellable, &upload_error)) {
        /* The engine stops reading when it rejects a body: its answer,
         * if it sent one, says why better than EPIPE does. */
        g_autoptr(GDataInputStream) in = bb_docker_data_stream(connection);
        BbDockerHead head;
        g_autoptr(GByteArray) data = g_byte_array_new();
        if (bb_docker_read_head(in, &head, cancellable, NULL) && head.status >= 400 &&
            bb_docker_read_body(in, &head, bb_docker_sink_bytes, data, cancellable, NULL)) {
            g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(g_steal_pointer(&data));
            g_autofree gchar *message = bb_docker_error_message(bytes);
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: %s %s: %u %s", method,
                        path, head.status, message);
        } else {
            g_propagate_error(error, g_steal_pointer(&upload_error));
        }
        return FALSE;
    }

    g_autoptr(GDataInputStream) in = bb_docker_data_stream(connection);
    BbDockerHead head;
    if (!bb_docker_read_head(in, &head, cancellable, error))
        return FALSE;
    if (head.status >= 400) {
        g_autoptr(GByteArray) data = g_byte_array_new();
        if (!bb_docker_read_body(in, &head, bb_docker_sink_bytes, data, cancellable, error))
            return FALSE;
        g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(g_steal_pointer(&data));
        g_autofree gchar *message = bb_docker_error_message(bytes);
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: %s %s: %u %s", method, path,
                    head.status, message);
        return FALSE;
    }
    BbDockerLineSplitter splitter = {g_string_new(NULL), line_func, user_data};
    gboolean ok =
        bb_docker_read_body(in, &head, bb_docker_sink_lines, &splitter, cancellable, error);
    if (ok && splitter.pending->len > 0) {
        g_autofree gchar *rest = g_strdup(splitter.pending->str);
        g_strchomp(rest);
        if (*rest != '\0')
            ok = line_func(rest, user_data, error);
    }
    g_string_free(splitter.pending, TRUE);
    return ok;
}

GIOStream *
bb_docker_client_hijack(BbDockerClient *self, const gchar *method, const gchar *path,
                        JsonNode *body, GCancellable *cancellable, GError **error)
{
    g_autoptr(GSocketConnection) connection = bb_docker_connect(self, cancellable, error);
    if (connection == NULL)
        return NULL;
    /* The hijacked stream lives as long as the command runs. */
    g_socket_set_timeout(g_socket_connection_get_socket(connection), 0);
    g_autofree gchar *text = body != NULL ? json_to_string(body, FALSE) : g_strdup("");
    gsize length = strlen(text);
    g_autofree gchar *framing = g_strdup_printf("Content-Length: %" G_GSIZE_FORMAT "\r\n", length);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
    if (!bb_docker_write_head(out, method, path, "application/json", framing,
                              "Connection: Upgrade\r\nUpgrade: tcp\r\n", cancellable, error) ||
        !g_output_stream_write_all(out, text, length, NULL, cancellable, error))
        return NULL;

    g_autoptr(GDataInputStream) in = bb_docker_data_stream(connection);
    BbDockerHead head;
    if (!bb_docker_read_head(in, &head, cancellable, error))
        return NULL;
    if (head.status != 101 && head.status != 200) {
        g_autoptr(GByteArray) data = g_byte_array_new();
        g_autoptr(GError) ignored = NULL;
        bb_docker_read_body(in, &head, bb_docker_sink_bytes, data, cancellable, &ignored);
        g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(g_steal_pointer(&data));
        g_autofree gchar *message = bb_docker_error_message(bytes);
        g_set_error(error, BB_ERROR, head.status == 404 ? BB_ERROR_NOT_FOUND : BB_ERROR_FAILED,
                    "Docker engine: %s %s: %u %s", method, path, head.status, message);
        return NULL;
    }
    /* Bytes already buffered past the headers belong to the stream, so the
     * caller reads through the same buffered input. */
    GIOStream *stream = g_simple_io_stream_new(G_INPUT_STREAM(in), out);
    /* Disposing the connection would close the socket under the stream. */
    g_object_set_data_full(G_OBJECT(stream), "bb-connection", g_steal_pointer(&connection),
                           g_object_unref);
    return stream;
}

GSocket *
bb_docker_hijacked_socket(GIOStream *stream)
{
    GSocketConnection *connection = g_object_get_data(G_OBJECT(stream), "bb-connection");
    return g_socket_connection_get_socket(connection);
}
