#include "bb-sidecar-launch.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "bb-egress-runtime.h"
#include "bb-error.h"
#include "bb-route-json.h"

void
bb_sidecar_launch_free(BbSidecarLaunch *launch)
{
    if (launch == NULL)
        return;
    g_clear_pointer(&launch->routes, g_ptr_array_unref);
    g_clear_pointer(&launch->secrets, g_hash_table_unref);
    g_strfreev(launch->pins);
    g_free(launch->routes_path);
    g_free(launch->upstream_ca);
    g_free(launch);
}

static JsonObject *
bb_launch_object(JsonObject *root, const gchar *member, gboolean required, GError **error)
{
    JsonNode *node = json_object_get_member(root, member);
    if (node == NULL && !required)
        return NULL;
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "launch config: \"%s\" must be a JSON object",
                    member);
        return NULL;
    }
    return json_node_get_object(node);
}

/* The routes as received, kept in the state directory: SIGHUP re-reads
 * them from there, and an operator can inspect what the bottle enforces. */
static gboolean
bb_launch_routes(BbSidecarLaunch *launch, JsonObject *root, const gchar *state_dir, GError **error)
{
    JsonObject *doc = bb_launch_object(root, "routes", TRUE, error);
    if (doc == NULL)
        return FALSE;
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), doc);
    g_autofree gchar *text = json_to_string(node, TRUE);
    launch->routes = bb_routes_from_json_string(text, -1, error);
    if (launch->routes == NULL) {
        g_prefix_error(error, "launch config: ");
        return FALSE;
    }
    launch->routes_path = g_build_filename(state_dir, "routes.json", NULL);
    return g_file_set_contents(launch->routes_path, text, -1, error);
}

static gboolean
bb_launch_pins(BbSidecarLaunch *launch, JsonObject *root, GError **error)
{
    JsonNode *node = json_object_get_member(root, "resolve");
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "launch config: \"resolve\" must be an array of HOST:PORT:ADDR strings");
        return FALSE;
    }
    JsonArray *array = json_node_get_array(node);
    g_autoptr(GStrvBuilder) pins = g_strv_builder_new();
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *pin = json_array_get_element(array, i);
        if (!JSON_NODE_HOLDS_VALUE(pin) || json_node_get_value_type(pin) != G_TYPE_STRING) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "launch config: resolve[%u] must be a HOST:PORT:ADDR string", i);
            return FALSE;
        }
        g_strv_builder_add(pins, json_node_get_string(pin));
    }
    launch->pins = g_strv_builder_end(pins);
    return TRUE;
}

static gboolean
bb_launch_upstream_ca(BbSidecarLaunch *launch, JsonObject *root, const gchar *state_dir,
                      GError **error)
{
    JsonNode *node = json_object_get_member(root, "upstream_ca");
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "launch config: \"upstream_ca\" must be a PEM string");
        return FALSE;
    }
    launch->upstream_ca = g_build_filename(state_dir, "upstream-ca.pem", NULL);
    return g_file_set_contents(launch->upstream_ca, json_node_get_string(node), -1, error);
}

BbSidecarLaunch *
bb_sidecar_launch_parse(gchar *data, gsize length, const gchar *state_dir, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    gboolean parsed = json_parser_load_from_data(parser, data, (gssize)length, NULL);
    explicit_bzero(data, length);
    JsonNode *root = parsed ? json_parser_get_root(parser) : NULL;
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        /* Never the parser's message: it may quote secret bytes. */
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "launch config is not a JSON object (%" G_GSIZE_FORMAT " bytes)", length);
        return NULL;
    }
    JsonObject *object = json_node_get_object(root);
    g_autoptr(BbSidecarLaunch) launch = g_new0(BbSidecarLaunch, 1);
    if (!bb_launch_routes(launch, object, state_dir, error) ||
        !bb_launch_pins(launch, object, error) ||
        !bb_launch_upstream_ca(launch, object, state_dir, error))
        return NULL;
    JsonObject *secrets = bb_launch_object(object, "secrets", FALSE, error);
    if (secrets == NULL && error != NULL && *error != NULL)
        return NULL;
    g_autoptr(JsonObject) none = json_object_new();
    launch->secrets = bb_egress_secrets_from_json(secrets != NULL ? secrets : none, error);
    if (launch->secrets == NULL)
        return NULL;
    return g_steal_pointer(&launch);
}

BbSidecarLaunch *
bb_sidecar_launch_read(gint fd, const gchar *state_dir, GError **error)
{
    g_autoptr(GByteArray) data = g_byte_array_sized_new(4096);
    guint8 chunk[4096];
    for (;;) {
        gssize got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "reading the launch config: %s",
                        g_strerror(errno));
            return NULL;
        }
        if (got == 0)
            break;
        if (data->len + (gsize)got > BB_SIDECAR_LAUNCH_MAX) {
            explicit_bzero(data->data, data->len);
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "launch config is larger than %d bytes",
                        BB_SIDECAR_LAUNCH_MAX);
            return NULL;
        }
        g_byte_array_append(data, chunk, (guint)got);
        explicit_bzero(chunk, (gsize)got);
    }
    return bb_sidecar_launch_parse((gchar *)data->data, data->len, state_dir, error);
}
