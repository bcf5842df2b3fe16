#include "bb-docker-sidecar.h"

#include <string.h>
#include "bb-docker-api.h"
#include "bb-docker-frames.h"
#include "bb-error.h"

/* "Slow" for a sidecar on a loaded machine is a second or two; past this
 * something is wrong and waiting longer only hides it. */
#define BB_SIDECAR_HANDSHAKE_SECONDS 20
#define BB_SIDECAR_CA_LINE "bb-sidecar: ca "
#define BB_SIDECAR_READY_MARK " ready on port "
/* How much of the sidecar's output an error message quotes. */
#define BB_SIDECAR_OUTPUT_KEEP 4000

struct _BbSidecarChannel {
    GIOStream *stream;
    GString *line;   /* stdout since the last newline */
    GString *output; /* what it printed, for error messages (bounded) */
    GQueue lines;    /* complete stdout lines not yet consumed */
};

void
bb_sidecar_channel_free(BbSidecarChannel *channel)
{
    if (channel == NULL)
        return;
    g_clear_object(&channel->stream);
    g_string_free(channel->line, TRUE);
    g_string_free(channel->output, TRUE);
    g_queue_clear_full(&channel->lines, g_free);
    g_free(channel);
}

static GStrv
bb_sidecar_argv(const BbDockerBottle *bottle)
{
    g_autoptr(GStrvBuilder) argv = g_strv_builder_new();
    g_autofree gchar *listen = g_strdup_printf("0.0.0.0:%u", BB_DOCKER_PROXY_PORT);
    const gchar *fixed[] = {"--bottle",
                            bottle->slug,
                            "--launch-config",
                            "-",
                            "--state-dir",
                            BB_DOCKER_SIDECAR_STATE,
                            "--listen",
                            listen,
                            "--dns",
                            "0.0.0.0:53",
                            "--dns-answer",
                            bottle->sidecar_ip,
                            "--ca-cert",
                            BB_DOCKER_SIDECAR_STATE "/ca.pem",
                            "--audit",
                            "-",
                            NULL};
    g_strv_builder_addv(argv, fixed);
    return g_strv_builder_end(argv);
}

/* The sidecar's state volume: created by the engine on first mount,
 * labelled so cleanup finds it, removed with the bottle. */
static JsonArray *
bb_sidecar_mounts(const BbDockerBottle *bottle, const gchar *agent)
{
    JsonObject *mount = json_object_new();
    json_object_set_string_member(mount, "Type", "volume");
    g_autofree gchar *name = g_strdup_printf("bb-%s-sidecar", bottle->slug);
    json_object_set_string_member(mount, "Source", name);
    json_object_set_string_member(mount, "Target", BB_DOCKER_SIDECAR_STATE);
    JsonObject *options = json_object_new();
    json_object_set_object_member(
        options, "Labels", bb_docker_bottle_labels(bottle, BB_DOCKER_LABEL_VOLUME_ROLE, agent));
    json_object_set_object_member(mount, "VolumeOptions", options);
    JsonArray *mounts = json_array_new();
    json_array_add_object_element(mounts, mount);
    return mounts;
}

JsonNode *
bb_docker_sidecar_config(const BbDockerBottle *bottle, const BbDockerBottleSpec *spec)
{
    JsonObject *config = json_object_new();
    json_object_set_string_member(config, "Image", spec->sidecar_image);
    g_auto(GStrv) argv = bb_sidecar_argv(bottle);
    json_object_set_array_member(config, "Cmd", bb_docker_strv_array((const gchar *const *)argv));
    /* stdin carries the launch document once, then closes. */
    json_object_set_boolean_member(config, "OpenStdin", TRUE);
    json_object_set_boolean_member(config, "StdinOnce", TRUE);
    json_object_set_boolean_member(config, "AttachStdin", TRUE);
    json_object_set_object_member(config, "Labels",
                                  bb_docker_bottle_labels(bottle, "sidecar", spec->agent_name));
    JsonObject *host =
        bb_docker_hardened_host_config(bottle->internal_network, 512, 512 * 1024 * 1024, NULL);
    json_object_set_boolean_member(host, "ReadonlyRootfs", TRUE);
    JsonObject *tmpfs = json_object_new();
    json_object_set_string_member(tmpfs, "/tmp", "rw,noexec,nosuid,size=64m");
    json_object_set_object_member(host, "Tmpfs", tmpfs);
    json_object_set_array_member(host, "Mounts", bb_sidecar_mounts(bottle, spec->agent_name));
    /* Port 53 and 9099 without any capability: the sidecar runs unprivileged. */
    JsonObject *sysctls = json_object_new();
    json_object_set_string_member(sysctls, "net.ipv4.ip_unprivileged_port_start", "0");
    json_object_set_object_member(host, "Sysctls", sysctls);
    json_object_set_object_member(config, "HostConfig", host);
    json_object_set_object_member(
        config, "NetworkingConfig",
        bb_docker_endpoint_config(bottle->internal_network, bottle->sidecar_ip));
    return json_node_init_object(json_node_alloc(), config);
}

GBytes *
bb_docker_sidecar_launch_document(const BbDockerBottleSpec *spec)
{
    g_autoptr(JsonObject) root = json_object_new();
    const gchar *routes = spec->routes_json != NULL ? spec->routes_json : "{\"routes\": []}";
    g_autoptr(JsonNode) routes_node = json_from_string(routes, NULL);
    if (routes_node != NULL)
        json_object_set_member(root, "routes", g_steal_pointer(&routes_node));
    JsonObject *secrets = json_object_new();
    if (spec->secrets != NULL) {
        GHashTableIter iter;
        gpointer key, value;
        g_hash_table_iter_init(&iter, spec->secrets);
        while (g_hash_table_iter_next(&iter, &key, &value))
            json_object_set_string_member(secrets, key, value);
    }
    json_object_set_object_member(root, "secrets", secrets);
    if (spec->resolve != NULL)
        json_object_set_array_member(root, "resolve", bb_docker_strv_array(spec->resolve));
    if (spec->upstream_ca != NULL) {
        g_autofree gchar *pem = g_strndup(g_bytes_get_data(spec->upstream_ca, NULL),
                                          g_bytes_get_size(spec->upstream_ca));
        json_object_set_string_member(root, "upstream_ca", pem);
    }
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), root);
    gchar *text = json_to_string(node, FALSE);
    return g_bytes_new_with_free_func(text, strlen(text), g_free, text);
}

void
bb_docker_bytes_wipe(GBytes *bytes)
{
    if (bytes != NULL)
        explicit_bzero((gpointer)g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
}

BbSidecarChannel *
bb_sidecar_channel_open(BbDockerClient *client, const gchar *id, gboolean with_stdin,
                        GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf(
        "/containers/%s/attach?stream=1&stdout=1&stderr=1&stdin=%d", id_q, with_stdin ? 1 : 0);
    GIOStream *stream = bb_docker_client_hijack(client, "POST", path, NULL, NULL, error);
    if (stream == NULL)
        return NULL;
    GSocketConnection *connection = g_object_get_data(G_OBJECT(stream), "bb-connection");
    g_socket_set_timeout(g_socket_connection_get_socket(connection), BB_SIDECAR_HANDSHAKE_SECONDS);
    BbSidecarChannel *channel = g_new0(BbSidecarChannel, 1);
    channel->stream = stream;
    channel->line = g_string_new(NULL);
    channel->output = g_string_new(NULL);
    g_queue_init(&channel->lines);
    return channel;
}

static void
bb_channel_keep_output(BbSidecarChannel *channel, const guint8 *data, gsize length)
{
    gsize room = channel->output->len < BB_SIDECAR_OUTPUT_KEEP
                     ? BB_SIDECAR_OUTPUT_KEEP - channel->output->len
                     : 0;
    g_string_append_len(channel->output, (const gchar *)data, (gssize)MIN(length, room));
}

static void
bb_channel_split_lines(BbSidecarChannel *channel, const guint8 *data, gsize length)
{
    for (gsize i = 0; i < length; i++) {
        if (data[i] != '\n') {
            /* A CA line is ~1 KiB; anything far longer is not ours to keep. */
            if (channel->line->len < 65536)
                g_string_append_c(channel->line, (gchar)data[i]);
            continue;
        }
        /* Errors quote what it said, not the long CA line. */
        if (!g_str_has_prefix(channel->line->str, BB_SIDECAR_CA_LINE)) {
            bb_channel_keep_output(channel, (const guint8 *)channel->line->str, channel->line->len);
            bb_channel_keep_output(channel, (const guint8 *)"\n", 1);
        }
        g_queue_push_tail(&channel->lines, g_strdup(channel->line->str));
        g_string_truncate(channel->line, 0);
    }
}

/* The next complete stdout line; NULL with @error at the end of the
 * stream, a timeout or a broken stream. */
static gchar *
bb_channel_next_line(BbSidecarChannel *channel, GError **error)
{
    g_autoptr(GByteArray) payload = g_byte_array_new();
    while (g_queue_is_empty(&channel->lines)) {
        guint8 type = 0;
        g_autoptr(GError) local_error = NULL;
        if (!bb_docker_frame_read(g_io_stream_get_input_stream(channel->stream), &type, payload,
                                  &local_error)) {
            const gchar *why = local_error == NULL ? "exited"
                               : g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
                                   ? "did not answer in time"
                                   : local_error->message;
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "The sidecar %s; its output: %s", why,
                        channel->output->len > 0 ? channel->output->str : "(none)");
            return NULL;
        }
        if (type == BB_DOCKER_FRAME_STDOUT)
            bb_channel_split_lines(channel, payload->data, payload->len);
        else
            bb_channel_keep_output(channel, payload->data, payload->len);
    }
    return g_queue_pop_head(&channel->lines);
}

gchar *
bb_sidecar_channel_await_ca(BbSidecarChannel *channel, GError **error)
{
    for (;;) {
        g_autofree gchar *line = bb_channel_next_line(channel, error);
        if (line == NULL)
            return NULL;
        if (!g_str_has_prefix(line, BB_SIDECAR_CA_LINE))
            continue;
        gsize length = 0;
        g_autofree guchar *pem = g_base64_decode(line + strlen(BB_SIDECAR_CA_LINE), &length);
        if (length == 0 || strstr((const gchar *)pem, "-----BEGIN CERTIFICATE-----") == NULL) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "The sidecar announced a CA that is not a PEM certificate");
            return NULL;
        }
        return g_strndup((const gchar *)pem, length);
    }
}

gboolean
bb_sidecar_channel_send(BbSidecarChannel *channel, GBytes *document, GError **error)
{
    /* The sidecar reads to EOF (StdinOnce then closes its pipe). */
    return bb_docker_send_input(channel->stream, document, error);
}

gboolean
bb_sidecar_channel_await_ready(BbSidecarChannel *channel, GError **error)
{
    for (;;) {
        g_autofree gchar *line = bb_channel_next_line(channel, error);
        if (line == NULL)
            return FALSE;
        if (strstr(line, BB_SIDECAR_READY_MARK) != NULL)
            return TRUE;
    }
}
