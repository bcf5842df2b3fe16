/* Interactive exec: a TTY in the agent, our terminal in raw mode, window
 * size forwarded (and on SIGWINCH), bytes pumped both ways until the
 * command ends. The container's TTY is its own: nothing it does (TIOCSTI
 * included) reaches the host terminal other than as output bytes. */
#include "bb-docker-api.h"

#include <glib-unix.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "bb-error.h"

typedef struct {
    BbDockerClient *client;
    gchar *exec_id;
    GIOStream *stream;
    GMainLoop *loop;
    gint in_fd;
    gint out_fd;
} BbTtySession;

static void
bb_tty_resize(BbTtySession *session)
{
    struct winsize size;
    if (ioctl(session->out_fd, TIOCGWINSZ, &size) != 0 || size.ws_row == 0)
        return;
    g_autofree gchar *path =
        g_strdup_printf("/exec/%s/resize?h=%u&w=%u", session->exec_id, size.ws_row, size.ws_col);
    /* Best effort: a failed resize only leaves the old window size. */
    JsonNode *reply = bb_docker_client_call(session->client, "POST", path, NULL, NULL, NULL, NULL);
    g_clear_pointer(&reply, json_node_unref);
}

static gboolean
bb_tty_on_winch(gpointer data)
{
    bb_tty_resize(data);
    return G_SOURCE_CONTINUE;
}

static gboolean
bb_tty_on_input(gint fd, GIOCondition condition, gpointer data)
{
    BbTtySession *session = data;
    guint8 buffer[4096];
    gssize got = read(fd, buffer, sizeof buffer);
    GOutputStream *out = g_io_stream_get_output_stream(session->stream);
    /* At the end of our input we only stop reading: half-closing a TTY
     * exec makes the engine drop the output still in flight. */
    if (got <= 0)
        return G_SOURCE_REMOVE;
    if (!g_output_stream_write_all(out, buffer, got, NULL, NULL, NULL))
        return G_SOURCE_REMOVE;
    return G_SOURCE_CONTINUE;
}

static gboolean
bb_tty_quit(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

/* With a TTY the stream is raw (not multiplexed): copy it out as is. */
static gpointer
bb_tty_pump_output(gpointer data)
{
    BbTtySession *session = data;
    GInputStream *in = g_io_stream_get_input_stream(session->stream);
    guint8 buffer[16384];
    for (;;) {
        gssize got = g_input_stream_read(in, buffer, sizeof buffer, NULL, NULL);
        if (got <= 0)
            break;
        for (gssize done = 0; done < got;) {
            gssize written = write(session->out_fd, buffer + done, got - done);
            if (written <= 0)
                break;
            done += written;
        }
    }
    g_main_context_invoke(NULL, bb_tty_quit, session->loop);
    return NULL;
}

static gchar *
bb_tty_exec_create(BbDockerClient *client, const gchar *id, const gchar *const *argv,
                   const gchar *user, GError **error)
{
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_boolean_member(config, "AttachStdin", TRUE);
    json_object_set_boolean_member(config, "AttachStdout", TRUE);
    json_object_set_boolean_member(config, "AttachStderr", TRUE);
    json_object_set_boolean_member(config, "Tty", TRUE);
    if (user != NULL)
        json_object_set_string_member(config, "User", user);
    JsonArray *env = json_array_new();
    g_autofree gchar *term =
        g_strdup_printf("TERM=%s", g_getenv("TERM") != NULL ? g_getenv("TERM") : "xterm-256color");
    json_array_add_string_element(env, term);
    json_object_set_array_member(config, "Env", env);
    JsonArray *cmd = json_array_new();
    for (const gchar *const *arg = argv; *arg != NULL; arg++)
        json_array_add_string_element(cmd, *arg);
    json_object_set_array_member(config, "Cmd", cmd);
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), json_object_ref(config));
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/containers/%s/exec", id_q);
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(client, "POST", path, node, NULL, NULL, error);
    const gchar *exec_id =
        reply != NULL && JSON_NODE_HOLDS_OBJECT(reply)
            ? json_object_get_string_member_with_default(json_node_get_object(reply), "Id", NULL)
            : NULL;
    if (exec_id == NULL && error != NULL && *error == NULL)
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: exec create failed");
    return g_strdup(exec_id);
}

gboolean
bb_docker_exec_tty(BbDockerClient *client, const gchar *id, const gchar *const *argv,
                   const gchar *user, gint in_fd, gint out_fd, gint *status, GError **error)
{
    g_autofree gchar *exec_id = bb_tty_exec_create(client, id, argv, user, error);
    if (exec_id == NULL)
        return FALSE;
    g_autoptr(JsonObject) start = json_object_new();
    json_object_set_boolean_member(start, "Detach", FALSE);
    json_object_set_boolean_member(start, "Tty", TRUE);
    g_autoptr(JsonNode) start_node =
        json_node_init_object(json_node_alloc(), json_object_ref(start));
    g_autofree gchar *start_path = g_strdup_printf("/exec/%s/start", exec_id);
    g_autoptr(GIOStream) stream =
        bb_docker_client_hijack(client, "POST", start_path, start_node, NULL, error);
    if (stream == NULL)
        return FALSE;

    /* Our own context: the pump must not run other sources of the caller. */
    g_autoptr(GMainContext) context = g_main_context_new();
    g_main_context_push_thread_default(context);
    g_autoptr(GMainLoop) loop = g_main_loop_new(context, FALSE);
    BbTtySession session = {client, exec_id, stream, loop, in_fd, out_fd};
    struct termios saved;
    gboolean raw = isatty(in_fd) && tcgetattr(in_fd, &saved) == 0;
    if (raw) {
        struct termios mode = saved;
        cfmakeraw(&mode);
        tcsetattr(in_fd, TCSANOW, &mode);
    }
    bb_tty_resize(&session);
    GSource *input = g_unix_fd_source_new(in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(input, (GSourceFunc)(void (*)(void))bb_tty_on_input, &session, NULL);
    g_source_attach(input, context);
    GSource *winch = g_unix_signal_source_new(SIGWINCH);
    g_source_set_callback(winch, bb_tty_on_winch, &session, NULL);
    g_source_attach(winch, context);
    GThread *pump = g_thread_new("bb-tty-output", bb_tty_pump_output, &session);
    g_main_loop_run(loop);
    g_thread_join(pump);
    g_source_destroy(input);
    g_source_unref(input);
    g_source_destroy(winch);
    g_source_unref(winch);
    if (raw)
        tcsetattr(in_fd, TCSANOW, &saved);
    g_main_context_pop_thread_default(context);
    return bb_docker_exec_status(client, exec_id, status, error);
}
