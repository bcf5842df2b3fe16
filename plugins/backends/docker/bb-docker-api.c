#include "bb-docker-api.h"

#include <string.h>
#include <unistd.h>
#include "bb-error.h"

static const guint bb_docker_ok_404[] = {404, 0};

/* How long a removal waits for an object someone else is busy with. */
#define BB_DOCKER_BUSY_WAIT_US (30 * G_USEC_PER_SEC)
/* Commits of a live filesystem the engine could not archive in one go. */
#define BB_DOCKER_COMMIT_TRIES 5

/* DELETE @path until it succeeds or the object is gone (404, or 304).
 * A status in @busy means another party holds the object a moment
 * longer (its removal in progress, a container still leaving a network
 * or a volume): the same DELETE is retried for a bounded time, after
 * which the engine's last answer is the error. Removing what is already
 * being removed or gone is success, so teardowns may race `cleanup`. */
static gboolean
bb_docker_delete(BbDockerClient *client, const gchar *path, const guint *busy, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + BB_DOCKER_BUSY_WAIT_US;
    guint pause_ms = 20;
    for (;;) {
        /* The last try accepts only success, so its error is the engine's. */
        gboolean last = g_get_monotonic_time() >= deadline;
        guint ok[8] = {404, 0};
        for (guint i = 0; !last && busy != NULL && busy[i] != 0 && i + 2 < G_N_ELEMENTS(ok); i++)
            ok[i + 1] = busy[i];
        guint status = 0;
        g_autoptr(GError) local_error = NULL;
        JsonNode *reply =
            bb_docker_client_call(client, "DELETE", path, NULL, ok, &status, &local_error);
        g_clear_pointer(&reply, json_node_unref); /* only the status matters */
        if (local_error != NULL) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        if (status < 400 || status == 404)
            return TRUE;
        g_debug("DELETE %s: busy (%u), trying again", path, status);
        g_usleep(pause_ms * 1000);
        pause_ms = MIN(pause_ms * 2, 250);
    }
}

gboolean
bb_docker_ping(BbDockerClient *client, GError **error)
{
    guint status = 0;
    g_autoptr(GBytes) body =
        bb_docker_client_request(client, "GET", "/_ping", NULL, NULL, &status, NULL, error);
    if (body == NULL)
        return FALSE;
    if (status != 200) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "The Docker engine at %s answered _ping with %u; check `docker info`",
                    bb_docker_client_get_socket_path(client), status);
        return FALSE;
    }
    return TRUE;
}

GStrv
bb_docker_runtimes(BbDockerClient *client, GError **error)
{
    g_autoptr(JsonNode) info =
        bb_docker_client_call(client, "GET", "/info", NULL, NULL, NULL, error);
    if (info == NULL || !JSON_NODE_HOLDS_OBJECT(info)) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: empty /info");
        return NULL;
    }
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();
    JsonObject *object = json_node_get_object(info);
    if (json_object_has_member(object, "Runtimes") &&
        JSON_NODE_HOLDS_OBJECT(json_object_get_member(object, "Runtimes"))) {
        g_autoptr(GList) members =
            json_object_get_members(json_object_get_object_member(object, "Runtimes"));
        for (GList *l = members; l != NULL; l = l->next)
            g_strv_builder_add(names, l->data);
    }
    return g_strv_builder_end(names);
}

gboolean
bb_docker_image_exists(BbDockerClient *client, const gchar *ref, gboolean *exists, GError **error)
{
    g_autofree gchar *escaped = bb_docker_query_escape(ref);
    g_autofree gchar *path = g_strdup_printf("/images/%s/json", escaped);
    guint status = 0;
    g_autoptr(JsonNode) node =
        bb_docker_client_call(client, "GET", path, NULL, bb_docker_ok_404, &status, error);
    if (node == NULL && status == 0)
        return FALSE;
    *exists = status == 200;
    return TRUE;
}

/* Progress lines carry {"error": "..."} when the engine gives up. */
static gboolean
bb_docker_check_progress_line(const gchar *line, gpointer user_data, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, line, -1, NULL))
        return TRUE;
    JsonNode *root = json_parser_get_root(parser);
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return TRUE;
    JsonObject *object = json_node_get_object(root);
    const gchar *message = json_object_get_string_member_with_default(object, "error", NULL);
    if (message != NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: %s", message);
        return FALSE;
    }
    return TRUE;
}

static gboolean
bb_docker_split_ref(const gchar *ref, gchar **repo, gchar **tag)
{
    const gchar *colon = strrchr(ref, ':');
    if (colon == NULL || strchr(colon, '/') != NULL) {
        *repo = g_strdup(ref);
        *tag = g_strdup("latest");
    } else {
        *repo = g_strndup(ref, colon - ref);
        *tag = g_strdup(colon + 1);
    }
    return TRUE;
}

gboolean
bb_docker_image_import(BbDockerClient *client, GBytes *rootfs_tar, const gchar *ref,
                       const gchar *const *changes, GError **error)
{
    g_autofree gchar *repo = NULL;
    g_autofree gchar *tag = NULL;
    bb_docker_split_ref(ref, &repo, &tag);
    g_autofree gchar *repo_q = bb_docker_query_escape(repo);
    g_autofree gchar *tag_q = bb_docker_query_escape(tag);
    g_autoptr(GString) path = g_string_new(NULL);
    g_string_append_printf(path, "/images/create?fromSrc=-&repo=%s&tag=%s", repo_q, tag_q);
    for (const gchar *const *change = changes; change != NULL && *change != NULL; change++) {
        g_autofree gchar *change_q = bb_docker_query_escape(*change);
        g_string_append_printf(path, "&changes=%s", change_q);
    }
    g_autoptr(GInputStream) upload = g_memory_input_stream_new_from_bytes(rootfs_tar);
    if (!bb_docker_client_stream(client, "POST", path->str, "application/x-tar", upload,
                                 bb_docker_check_progress_line, NULL, NULL, error)) {
        g_prefix_error(error, "Importing image %s: ", ref);
        return FALSE;
    }
    return TRUE;
}

typedef struct {
    BbDockerProgressFunc progress;
    gpointer progress_data;
} BbDockerBuildProgress;

static gboolean
bb_docker_build_line(const gchar *line, gpointer user_data, GError **error)
{
    BbDockerBuildProgress *build = user_data;
    if (!bb_docker_check_progress_line(line, NULL, error))
        return FALSE;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (build->progress == NULL || !json_parser_load_from_data(parser, line, -1, NULL))
        return TRUE;
    JsonNode *root = json_parser_get_root(parser);
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return TRUE;
    const gchar *text =
        json_object_get_string_member_with_default(json_node_get_object(root), "stream", NULL);
    if (text != NULL) {
        g_autofree gchar *trimmed = g_strstrip(g_strdup(text));
        if (*trimmed != '\0')
            build->progress(trimmed, build->progress_data);
    }
    return TRUE;
}

gboolean
bb_docker_image_build(BbDockerClient *client, GBytes *context_tar, const gchar *dockerfile,
                      const gchar *ref, BbDockerProgressFunc progress, gpointer progress_data,
                      GCancellable *cancellable, GError **error)
{
    g_autofree gchar *ref_q = bb_docker_query_escape(ref);
    /* pull=0 and no network: builds use only local images (no registry). */
    g_autofree gchar *dockerfile_q = bb_docker_query_escape(dockerfile);
    g_autofree gchar *path = g_strdup_printf(
        "/build?t=%s&dockerfile=%s&rm=1&forcerm=1&networkmode=none&q=0", ref_q, dockerfile_q);
    g_autoptr(GInputStream) upload = g_memory_input_stream_new_from_bytes(context_tar);
    BbDockerBuildProgress build = {progress, progress_data};
    if (!bb_docker_client_stream(client, "POST", path, "application/x-tar", upload,
                                 bb_docker_build_line, &build, cancellable, error)) {
        g_prefix_error(error, "Building image %s: ", ref);
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_docker_image_remove(BbDockerClient *client, const gchar *ref, GError **error)
{
    g_autofree gchar *ref_q = bb_docker_query_escape(ref);
    g_autofree gchar *path = g_strdup_printf("/images/%s?force=1", ref_q);
    g_autoptr(GError) local_error = NULL;
    /* Only success matters; the body, if any, is dropped. */
    JsonNode *node =
        bb_docker_client_call(client, "DELETE", path, NULL, bb_docker_ok_404, NULL, &local_error);
    g_clear_pointer(&node, json_node_unref);
    if (local_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    return TRUE;
}

JsonNode *
bb_docker_labels_node(const gchar *const *labels)
{
    JsonObject *object = json_object_new();
    for (const gchar *const *label = labels; label != NULL && label[0] != NULL && label[1] != NULL;
         label += 2)
        json_object_set_string_member(object, label[0], label[1]);
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, object);
    return node;
}

static const gchar *
bb_docker_string_member(JsonNode *node, const gchar *member)
{
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return NULL;
    return json_object_get_string_member_with_default(json_node_get_object(node), member, NULL);
}

static JsonObject *
bb_docker_ipam(const gchar *subnet)
{
    JsonObject *ipam = json_object_new();
    json_object_set_string_member(ipam, "Driver", "default");
    JsonArray *configs = json_array_new();
    JsonObject *config = json_object_new();
    json_object_set_string_member(config, "Subnet", subnet);
    g_autofree gchar *base = g_strndup(subnet, strcspn(subnet, "/"));
    gchar *last_dot = strrchr(base, '.');
    if (last_dot != NULL) {
        *last_dot = '\0';
        g_autofree gchar *gateway = g_strdup_printf("%s.1", base);
        json_object_set_string_member(config, "Gateway", gateway);
    }
    json_array_add_object_element(configs, config);
    json_object_set_array_member(ipam, "Config", configs);
    return ipam;
}

GPtrArray *
bb_docker_network_subnets(BbDockerClient *client, GError **error)
{
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(client, "GET", "/networks", NULL, NULL, NULL, error);
    if (reply == NULL || !JSON_NODE_HOLDS_ARRAY(reply)) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: no network list");
        return NULL;
    }
    GPtrArray *subnets = g_ptr_array_new_with_free_func(g_free);
    JsonArray *networks = json_node_get_array(reply);
    for (guint i = 0; i < json_array_get_length(networks); i++) {
        JsonObject *network = json_array_get_object_element(networks, i);
        JsonObject *ipam = json_object_has_member(network, "IPAM")
                               ? json_object_get_object_member(network, "IPAM")
                               : NULL;
        JsonArray *configs = ipam != NULL && json_object_has_member(ipam, "Config") &&
                                     JSON_NODE_HOLDS_ARRAY(json_object_get_member(ipam, "Config"))
                                 ? json_object_get_array_member(ipam, "Config")
                                 : NULL;
        for (guint j = 0; configs != NULL && j < json_array_get_length(configs); j++) {
            const gchar *subnet = json_object_get_string_member_with_default(
                json_array_get_object_element(configs, j), "Subnet", NULL);
            if (subnet != NULL && strchr(subnet, ':') == NULL)
                g_ptr_array_add(subnets, g_strdup(subnet));
        }
    }
    return subnets;
}

gchar *
bb_docker_network_create(BbDockerClient *client, const gchar *name, gboolean internal,
                         gboolean inhibit_ipv4, const gchar *subnet, const gchar *const *labels,
                         GError **error)
{
    g_autoptr(JsonObject) request = json_object_new();
    json_object_set_string_member(request, "Name", name);
    json_object_set_string_member(request, "Driver", "bridge");
    json_object_set_boolean_member(request, "Internal", internal);
    json_object_set_boolean_member(request, "CheckDuplicate", TRUE);
    json_object_set_boolean_member(request, "EnableIPv6", FALSE);
    json_object_set_member(request, "Labels", bb_docker_labels_node(labels));
    if (subnet != NULL)
        json_object_set_object_member(request, "IPAM", bb_docker_ipam(subnet));
    JsonObject *options = json_object_new();
    /* No host address on the bridge: the host is not a next hop nor a
     * destination for anything attached (see bb-docker-bottle.c). */
    if (inhibit_ipv4)
        json_object_set_string_member(options, "com.docker.network.bridge.inhibit_ipv4", "true");
    /* Containers on one bottle network talk only through explicit ports
     * anyway; inter-container traffic stays enabled for agent → sidecar. */
    json_object_set_string_member(options, "com.docker.network.bridge.enable_icc", "true");
    json_object_set_object_member(request, "Options", options);
    g_autoptr(JsonNode) body = json_node_init_object(json_node_alloc(), request);
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(client, "POST", "/networks/create", body, NULL, NULL, error);
    const gchar *id = bb_docker_string_member(reply, "Id");
    if (id == NULL) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: no id for network %s",
                        name);
        return NULL;
    }
    return g_strdup(id);
}

gboolean
bb_docker_network_remove(BbDockerClient *client, const gchar *id, GError **error)
{
    /* 403 (409 on newer engines): containers still attached, likely
     * being removed by a teardown running beside us. */
    static const guint busy[] = {403, 409, 0};
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/networks/%s", id_q);
    return bb_docker_delete(client, path, busy, error);
}

gboolean
bb_docker_network_connect(BbDockerClient *client, const gchar *network, const gchar *container,
                          GError **error)
{
    g_autoptr(JsonObject) request = json_object_new();
    json_object_set_string_member(request, "Container", container);
    g_autoptr(JsonNode) body = json_node_init_object(json_node_alloc(), request);
    g_autofree gchar *network_q = bb_docker_query_escape(network);
    g_autofree gchar *path = g_strdup_printf("/networks/%s/connect", network_q);
    g_autoptr(GError) local_error = NULL;
    JsonNode *reply = bb_docker_client_call(client, "POST", path, body, NULL, NULL, &local_error);
    g_clear_pointer(&reply, json_node_unref); /* only success matters */
    if (local_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    return TRUE;
}

static gchar *
bb_docker_label_filter(const gchar *key, const gchar *value)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "label");
    json_builder_begin_array(builder);
    g_autofree gchar *label = value != NULL ? g_strdup_printf("%s=%s", key, value) : g_strdup(key);
    json_builder_add_string_value(builder, label);
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    g_autofree gchar *text = json_to_string(root, FALSE);
    return bb_docker_query_escape(text);
}

static JsonArray *
bb_docker_list(BbDockerClient *client, const gchar *endpoint, const gchar *key, const gchar *value,
               GError **error)
{
    g_autofree gchar *filter = bb_docker_label_filter(key, value);
    g_autofree gchar *path = g_strdup_printf("%s%sfilters=%s", endpoint,
                                             strchr(endpoint, '?') != NULL ? "&" : "?", filter);
    g_autoptr(JsonNode) reply = bb_docker_client_call(client, "GET", path, NULL, NULL, NULL, error);
    if (reply == NULL && error != NULL && *error != NULL)
        return NULL;
    if (reply == NULL || !JSON_NODE_HOLDS_ARRAY(reply))
        return json_array_new();
    return json_array_ref(json_node_get_array(reply));
}

JsonArray *
bb_docker_network_list(BbDockerClient *client, const gchar *key, const gchar *value, GError **error)
{
    return bb_docker_list(client, "/networks", key, value, error);
}

JsonArray *
bb_docker_container_list(BbDockerClient *client, const gchar *key, const gchar *value,
                         GError **error)
{
    return bb_docker_list(client, "/containers/json?all=1", key, value, error);
}

JsonArray *
bb_docker_volume_list(BbDockerClient *client, const gchar *key, const gchar *value, GError **error)
{
    g_autofree gchar *filter = bb_docker_label_filter(key, value);
    g_autofree gchar *path = g_strdup_printf("/volumes?filters=%s", filter);
    g_autoptr(JsonNode) reply = bb_docker_client_call(client, "GET", path, NULL, NULL, NULL, error);
    if (reply == NULL || !JSON_NODE_HOLDS_OBJECT(reply)) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: no volume list");
        return NULL;
    }
    JsonObject *object = json_node_get_object(reply);
    if (!json_object_has_member(object, "Volumes") ||
        !JSON_NODE_HOLDS_ARRAY(json_object_get_member(object, "Volumes")))
        return json_array_new();
    return json_array_ref(json_object_get_array_member(object, "Volumes"));
}

gboolean
bb_docker_volume_remove(BbDockerClient *client, const gchar *name, GError **error)
{
    /* 409: still mounted by a container on its way out. */
    static const guint busy[] = {409, 0};
    g_autofree gchar *name_q = bb_docker_query_escape(name);
    g_autofree gchar *path = g_strdup_printf("/volumes/%s?force=1", name_q);
    return bb_docker_delete(client, path, busy, error);
}

gchar *
bb_docker_container_create(BbDockerClient *client, const gchar *name, JsonNode *config,
                           GError **error)
{
    g_autofree gchar *name_q = bb_docker_query_escape(name);
    g_autofree gchar *path = g_strdup_printf("/containers/create?name=%s", name_q);
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(client, "POST", path, config, NULL, NULL, error);
    const gchar *id = bb_docker_string_member(reply, "Id");
    if (id == NULL) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: no id for container %s",
                        name);
        return NULL;
    }
    return g_strdup(id);
}

static gboolean
bb_docker_container_post(BbDockerClient *client, const gchar *id, const gchar *action,
                         const guint *ok_statuses, GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/containers/%s/%s", id_q, action);
    g_autoptr(GError) local_error = NULL;
    JsonNode *reply =
        bb_docker_client_call(client, "POST", path, NULL, ok_statuses, NULL, &local_error);
    g_clear_pointer(&reply, json_node_unref); /* only success matters */
    if (local_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_docker_container_start(BbDockerClient *client, const gchar *id, GError **error)
{
    static const guint ok_304[] = {304, 0};
    return bb_docker_container_post(client, id, "start", ok_304, error);
}

gboolean
bb_docker_container_kill(BbDockerClient *client, const gchar *id, const gchar *signal,
                         GError **error)
{
    /* 409: not running, which is what we wanted. */
    static const guint ok_404_409[] = {404, 409, 0};
    g_autofree gchar *action = g_strdup_printf("kill?signal=%s", signal);
    return bb_docker_container_post(client, id, action, ok_404_409, error);
}

gboolean
bb_docker_container_remove(BbDockerClient *client, const gchar *id, GError **error)
{
    /* 409: someone else's removal is in progress; ours ends when theirs
     * has (404), so a caller may go on to the networks. */
    static const guint busy[] = {409, 0};
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/containers/%s?force=1&v=1", id_q);
    return bb_docker_delete(client, path, busy, error);
}

JsonObject *
bb_docker_container_inspect(BbDockerClient *client, const gchar *id, GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path = g_strdup_printf("/containers/%s/json", id_q);
    g_autoptr(JsonNode) reply = bb_docker_client_call(client, "GET", path, NULL, NULL, NULL, error);
    if (reply == NULL || !JSON_NODE_HOLDS_OBJECT(reply)) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: empty inspect of %s", id);
        return NULL;
    }
    return json_object_ref(json_node_get_object(reply));
}

gchar *
bb_docker_container_ip(BbDockerClient *client, const gchar *id, const gchar *network,
                       GError **error)
{
    g_autoptr(JsonObject) info = bb_docker_container_inspect(client, id, error);
    if (info == NULL)
        return NULL;
    JsonObject *settings = json_object_get_object_member(info, "NetworkSettings");
    JsonObject *networks =
        settings != NULL ? json_object_get_object_member(settings, "Networks") : NULL;
    JsonObject *endpoint = networks != NULL && json_object_has_member(networks, network)
                               ? json_object_get_object_member(networks, network)
                               : NULL;
    const gchar *address =
        endpoint != NULL ? json_object_get_string_member_with_default(endpoint, "IPAddress", NULL)
                         : NULL;
    if (address == NULL || *address == '\0') {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Container %s has no address on network %s",
                    id, network);
        return NULL;
    }
    return g_strdup(address);
}

gboolean
bb_docker_container_put_archive(BbDockerClient *client, const gchar *id, const gchar *path,
                                GBytes *tar, GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path_q = bb_docker_query_escape(path);
    g_autofree gchar *request_path =
        g_strdup_printf("/containers/%s/archive?path=%s", id_q, path_q);
    guint status = 0;
    g_autoptr(GBytes) reply = bb_docker_client_request(
        client, "PUT", request_path, "application/x-tar", tar, &status, NULL, error);
    if (reply == NULL)
        return FALSE;
    if (status != 200) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "Docker engine: copying files to %s in container %s failed (%u): %.*s", path,
                    id, status, (int)MIN(g_bytes_get_size(reply), 300),
                    (const gchar *)g_bytes_get_data(reply, NULL));
        return FALSE;
    }
    return TRUE;
}

GBytes *
bb_docker_container_get_archive(BbDockerClient *client, const gchar *id, const gchar *path,
                                GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *path_q = bb_docker_query_escape(path);
    g_autofree gchar *request_path =
        g_strdup_printf("/containers/%s/archive?path=%s", id_q, path_q);
    guint status = 0;
    g_autoptr(GBytes) reply =
        bb_docker_client_request(client, "GET", request_path, NULL, NULL, &status, NULL, error);
    if (reply == NULL || status == 404)
        return NULL;
    if (status != 200) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "Docker engine: reading %s from container %s failed (%u)", path, id, status);
        return NULL;
    }
    return g_steal_pointer(&reply);
}

gchar *
bb_docker_container_commit(BbDockerClient *client, const gchar *id, const gchar *repo,
                           const gchar *tag, const gchar *const *labels, GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *repo_q = bb_docker_query_escape(repo);
    g_autofree gchar *tag_q = bb_docker_query_escape(tag);
    g_autofree gchar *path =
        g_strdup_printf("/commit?container=%s&repo=%s&tag=%s&pause=0", id_q, repo_q, tag_q);
    /* pause=0: the snapshot is of the live filesystem, taken while the
     * agent runs. Pausing froze the agent (its execs fail with 409 while
     * paused) and, racing an exec, could leave it paused for good. The
     * body is the new image's config: only labels change. */
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_member(config, "Labels", bb_docker_labels_node(labels));
    g_autoptr(JsonNode) body = json_node_init_object(json_node_alloc(), config);
    g_autoptr(JsonNode) reply = NULL;
    /* A file the agent rewrites while the engine archives it breaks the
     * engine's tar ("unexpected EOF", 500): a new try usually finds it
     * settled. Other errors, and the last try's, are the caller's. */
    for (guint attempt = 1; reply == NULL; attempt++) {
        guint status = 0;
        g_autoptr(GError) local_error = NULL;
        reply = bb_docker_client_call(client, "POST", path, body, NULL, &status, &local_error);
        if (local_error == NULL)
            break;
        if (status != 500 || attempt == BB_DOCKER_COMMIT_TRIES) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return NULL;
        }
        g_debug("commit of %s: %s; trying again", id, local_error->message);
    }
    const gchar *image = bb_docker_string_member(reply, "Id");
    if (image == NULL) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Docker engine: commit returned no id");
        return NULL;
    }
    return g_strdup(image);
}
