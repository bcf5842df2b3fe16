#include "bb-docker-bottle.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "bb-docker-api.h"
#include "bb-docker-pool.h"
#include "bb-docker-sidecar.h"
#include "bb-docker-subnet.h"
#include "bb-docker-tar.h"
#include "bb-error.h"

void
bb_docker_bottle_free(BbDockerBottle *bottle)
{
    if (bottle == NULL)
        return;
    g_free(bottle->slug);
    g_free(bottle->agent_id);
    g_free(bottle->sidecar_id);
    g_free(bottle->internal_network);
    g_free(bottle->egress_network);
    g_free(bottle->sidecar_ip);
    g_free(bottle->ca_pem);
    g_free(bottle->pool_key);
    g_free(bottle);
}

gchar *
bb_docker_slug_new(const gchar *agent_name)
{
    g_autoptr(GString) slug = g_string_new(NULL);
    for (const gchar *c = agent_name; c != NULL && *c != '\0' && slug->len < 24; c++) {
        gchar lower = g_ascii_tolower(*c);
        if (g_ascii_isalnum(lower))
            g_string_append_c(slug, lower);
        else if (slug->len > 0 && slug->str[slug->len - 1] != '-')
            g_string_append_c(slug, '-');
    }
    while (slug->len > 0 && slug->str[slug->len - 1] == '-')
        g_string_truncate(slug, slug->len - 1);
    if (slug->len == 0)
        g_string_append(slug, "bottle");
    g_string_append_printf(slug, "-%08x", g_random_int());
    return g_string_free(g_steal_pointer(&slug), FALSE);
}

JsonArray *
bb_docker_strv_array(const gchar *const *strv)
{
    JsonArray *array = json_array_new();
    for (const gchar *const *s = strv; s != NULL && *s != NULL; s++)
        json_array_add_string_element(array, *s);
    return array;
}

static void
bb_set_strings(JsonObject *object, const gchar *member, const gchar *const *strv)
{
    json_object_set_array_member(object, member, bb_docker_strv_array(strv));
}

JsonObject *
bb_docker_hardened_host_config(const gchar *network_mode, gint64 pids_limit, gint64 memory_bytes,
                               const gchar *runtime)
{
    JsonObject *host = json_object_new();
    json_object_set_string_member(host, "NetworkMode", network_mode);
    const gchar *cap_drop[] = {"ALL", NULL};
    bb_set_strings(host, "CapDrop", cap_drop);
    const gchar *security[] = {"no-new-privileges:true", NULL};
    bb_set_strings(host, "SecurityOpt", security);
    json_object_set_int_member(host, "PidsLimit", pids_limit);
    json_object_set_int_member(host, "Memory", memory_bytes);
    json_object_set_int_member(host, "MemorySwap", memory_bytes);
    json_object_set_boolean_member(host, "Init", TRUE);
    json_object_set_string_member(host, "IpcMode", "private");
    json_object_set_boolean_member(host, "Privileged", FALSE);
    if (runtime != NULL)
        json_object_set_string_member(host, "Runtime", runtime);
    return host;
}

/* The start time of process @pid (clock ticks since boot), which tells a
 * live owner from a later process that reused its PID. */
gchar *
bb_docker_process_start(gint pid)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree gchar *stat = NULL;
    if (!g_file_get_contents(path, &stat, NULL, NULL))
        return NULL;
    const gchar *after_name = strrchr(stat, ')');
    if (after_name == NULL)
        return NULL;
    g_auto(GStrv) fields = g_strsplit(after_name + 2, " ", 0);
    /* Field 22 of stat; after the name, counting starts at field 3. */
    return g_strv_length(fields) > 19 ? g_strdup(fields[19]) : NULL;
}

static GStrv
bb_label_list(const BbDockerBottle *bottle, const gchar *role, const gchar *agent)
{
    g_autoptr(GStrvBuilder) labels = g_strv_builder_new();
    g_autofree gchar *owner = g_strdup_printf("%d", (int)getpid());
    g_autofree gchar *start = bb_docker_process_start(getpid());
    const gchar *fixed[] = {BB_DOCKER_LABEL_SLUG,
                            bottle->slug,
                            BB_DOCKER_LABEL_ROLE,
                            role,
                            BB_DOCKER_LABEL_OWNER,
                            owner,
                            BB_DOCKER_LABEL_AGENT,
                            agent,
                            NULL};
    g_strv_builder_addv(labels, fixed);
    if (start != NULL) {
        g_strv_builder_add(labels, BB_DOCKER_LABEL_OWNER_START);
        g_strv_builder_add(labels, start);
    }
    if (bottle->pool_key != NULL) {
        g_strv_builder_add(labels, BB_DOCKER_LABEL_POOL);
        g_strv_builder_add(labels, bottle->pool_key);
    }
    return g_strv_builder_end(labels);
}

JsonObject *
bb_docker_bottle_labels(const BbDockerBottle *bottle, const gchar *role, const gchar *agent)
{
    g_auto(GStrv) labels = bb_label_list(bottle, role, agent);
    g_autoptr(JsonNode) node = bb_docker_labels_node((const gchar *const *)labels);
    return json_object_ref(json_node_get_object(node));
}

static gboolean
bb_create_network(BbDockerClient *client, const BbDockerBottle *bottle, const gchar *name,
                  gboolean internal, const gchar *subnet, const gchar *agent, GError **error)
{
    g_auto(GStrv) labels = bb_label_list(bottle, "network", agent);
    /* The internal bridge gets no host address (inhibit_ipv4): see the header. */
    g_autofree gchar *id = bb_docker_network_create(client, name, internal, internal, subnet,
                                                    (const gchar *const *)labels, error);
    return id != NULL;
}

/* The internal network on a subnet we choose, so the sidecar's address is
 * known before it starts; a subnet taken meanwhile is retried. */
static gboolean
bb_create_internal_network(BbDockerClient *client, BbDockerBottle *bottle, const gchar *agent,
                           GError **error)
{
    g_autoptr(GPtrArray) used = bb_docker_network_subnets(client, error);
    if (used == NULL)
        return FALSE;
    for (guint attempt = 0;; attempt++) {
        g_autofree gchar *subnet = bb_docker_subnet_pick(used, error);
        if (subnet == NULL)
            return FALSE;
        g_autoptr(GError) local_error = NULL;
        if (bb_create_network(client, bottle, bottle->internal_network, TRUE, subnet, agent,
                              &local_error)) {
            bottle->sidecar_ip = bb_docker_subnet_address(subnet, 2);
            return TRUE;
        }
        if (attempt == 4 || strstr(local_error->message, "overlap") == NULL) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        g_ptr_array_add(used, g_steal_pointer(&subnet));
    }
}

/* One launch in progress: what the parallel steps share. The sidecar step
 * publishes the CA (or its failure) under @lock; the agent step waits for
 * it to install it. */
typedef struct {
    BbDockerClient *client;
    BbDockerBottle *bottle;
    const BbDockerBottleSpec *spec;
    gboolean warm; /* leave the sidecar waiting for its launch document */
    GMutex lock;
    GCond published;
    gboolean sidecar_failed;
} BbLaunch;

JsonObject *
bb_docker_endpoint_config(const gchar *network, const gchar *address)
{
    JsonObject *networking = json_object_new();
    JsonObject *endpoints = json_object_new();
    JsonObject *endpoint = json_object_new();
    if (address != NULL) {
        JsonObject *ipam = json_object_new();
        json_object_set_string_member(ipam, "IPv4Address", address);
        json_object_set_object_member(endpoint, "IPAMConfig", ipam);
    }
    json_object_set_object_member(endpoints, network, endpoint);
    json_object_set_object_member(networking, "EndpointsConfig", endpoints);
    return networking;
}

static void
bb_launch_publish_ca(BbLaunch *launch, gchar *ca_pem)
{
    g_mutex_lock(&launch->lock);
    if (ca_pem != NULL)
        launch->bottle->ca_pem = ca_pem;
    else
        launch->sidecar_failed = TRUE;
    g_cond_broadcast(&launch->published);
    g_mutex_unlock(&launch->lock);
}

static const gchar *
bb_launch_wait_ca(BbLaunch *launch)
{
    g_mutex_lock(&launch->lock);
    while (launch->bottle->ca_pem == NULL && !launch->sidecar_failed)
        g_cond_wait(&launch->published, &launch->lock);
    const gchar *ca = launch->bottle->ca_pem;
    g_mutex_unlock(&launch->lock);
    return ca;
}

/* Create, attach, start; the CA as soon as it is announced; then (unless
 * warming) the launch document and the ready line. */
static gboolean
bb_sidecar_bring_up(BbLaunch *launch, GError **error)
{
    BbDockerBottle *bottle = launch->bottle;
    g_autoptr(JsonNode) config = bb_docker_sidecar_config(bottle, launch->spec);
    g_autofree gchar *name = g_strdup_printf("bb-%s-sidecar", bottle->slug);
    bottle->sidecar_id = bb_docker_container_create(launch->client, name, config, error);
    if (bottle->sidecar_id == NULL ||
        !bb_docker_network_connect(launch->client, bottle->egress_network, bottle->sidecar_id,
                                   error))
        return FALSE;
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(BbSidecarChannel) channel =
        bb_sidecar_channel_open(launch->client, bottle->sidecar_id, !launch->warm, error);
    if (channel == NULL || !bb_docker_container_start(launch->client, bottle->sidecar_id, error))
        return FALSE;
    gint64 t1 = g_get_monotonic_time();
    gchar *ca = bb_sidecar_channel_await_ca(channel, error);
    if (ca == NULL)
        return FALSE;
    g_debug("bottle %s: sidecar attached and started in %.1f ms, CA %.1f ms later", bottle->slug,
            (t1 - t0) / 1e3, (g_get_monotonic_time() - t1) / 1e3);
    bb_launch_publish_ca(launch, ca);
    if (launch->warm)
        return TRUE;
    g_autoptr(GBytes) document = bb_docker_sidecar_launch_document(launch->spec);
    gboolean sent = bb_sidecar_channel_send(channel, document, error);
    /* Our copy of the secrets is wiped once handed over. */
    bb_docker_bytes_wipe(document);
    return sent && bb_sidecar_channel_await_ready(channel, error);
}

static gboolean
bb_launch_sidecar(BbLaunch *launch, GError **error)
{
    gint64 started = g_get_monotonic_time();
    gboolean ok = bb_sidecar_bring_up(launch, error);
    if (!ok)
        bb_launch_publish_ca(launch, NULL);
    g_debug("bottle %s: sidecar up in %.1f ms", launch->bottle->slug,
            (g_get_monotonic_time() - started) / 1e3);
    return ok;
}

static GPtrArray *
bb_agent_env(const BbDockerBottle *bottle, const BbDockerBottleSpec *spec)
{
    GPtrArray *env = g_ptr_array_new_with_free_func(g_free);
    g_autofree gchar *proxy =
        g_strdup_printf("http://%s:%u", bottle->sidecar_ip, BB_DOCKER_PROXY_PORT);
    const gchar *proxy_vars[] = {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
                                 "ALL_PROXY",  "all_proxy",   NULL};
    for (const gchar *const *var = proxy_vars; *var != NULL; var++)
        g_ptr_array_add(env, g_strdup_printf("%s=%s", *var, proxy));
    /* Empty on purpose: nothing bypasses the sidecar. */
    g_ptr_array_add(env, g_strdup("NO_PROXY="));
    g_ptr_array_add(env, g_strdup("no_proxy="));
    const gchar *ca_vars[] = {"SSL_CERT_FILE",  "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE",
                              "CURL_CA_BUNDLE", "GIT_SSL_CAINFO",      NULL};
    for (const gchar *const *var = ca_vars; *var != NULL; var++)
        g_ptr_array_add(env, g_strdup_printf("%s=%s", *var, BB_DOCKER_AGENT_CA_PATH));
    for (const gchar *const *extra = spec->agent_env; extra != NULL && *extra != NULL; extra++)
        g_ptr_array_add(env, g_strdup(*extra));
    g_ptr_array_add(env, NULL);
    return env;
}

/* The bottle CA joins the agent's trust before launch returns (so before
 * any agent command runs): its own file (the env vars point there) and the
 * system bundle, for tools that ignore the env vars. Through the archive
 * endpoint: no exec, no shell needed in the image. */
static gboolean
bb_install_agent_ca(BbDockerClient *client, BbDockerBottle *bottle, GBytes *system_bundle,
                    GError **error)
{
    g_autoptr(GBytes) ca = g_bytes_new(bottle->ca_pem, strlen(bottle->ca_pem));
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    g_autofree gchar *ca_dir = g_path_get_dirname(BB_DOCKER_AGENT_CA_PATH);
    if (!bb_docker_tar_add_dir(tar, ca_dir, 0755, 0, 0, error) ||
        !bb_docker_tar_add_file(tar, BB_DOCKER_AGENT_CA_PATH, ca, 0644, 0, 0, error))
        return FALSE;
    if (system_bundle != NULL) {
        g_autoptr(GByteArray) joined = g_byte_array_new();
        g_byte_array_append(joined, g_bytes_get_data(system_bundle, NULL),
                            g_bytes_get_size(system_bundle));
        g_byte_array_append(joined, (const guint8 *)"\n", 1);
        g_byte_array_append(joined, (const guint8 *)bottle->ca_pem, strlen(bottle->ca_pem));
        g_autoptr(GBytes) contents = g_byte_array_free_to_bytes(g_steal_pointer(&joined));
        if (!bb_docker_tar_add_file(tar, BB_DOCKER_SYSTEM_BUNDLE, contents, 0644, 0, 0, error))
            return FALSE;
    }
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    return bb_docker_container_put_archive(client, bottle->agent_id, "/", archive, error);
}

static JsonNode *
bb_agent_config(const BbDockerBottle *bottle, const BbDockerBottleSpec *spec)
{
    JsonObject *config = json_object_new();
    json_object_set_string_member(config, "Image", spec->agent_image);
    json_object_set_string_member(config, "User",
                                  spec->agent_user != NULL ? spec->agent_user : "1000:1000");
    /* The agent idles; commands (and the agent product) run through exec. */
    const gchar *idle[] = {"sleep", "infinity", NULL};
    bb_set_strings(config, "Entrypoint", idle);
    const gchar *no_cmd[] = {NULL};
    bb_set_strings(config, "Cmd", no_cmd);
    g_autoptr(GPtrArray) env = bb_agent_env(bottle, spec);
    bb_set_strings(config, "Env", (const gchar *const *)env->pdata);
    json_object_set_object_member(config, "Labels",
                                  bb_docker_bottle_labels(bottle, "agent", spec->agent_name));
    JsonObject *host = bb_docker_hardened_host_config(
        bottle->internal_network, spec->pids_limit > 0 ? spec->pids_limit : 1024,
        spec->memory_bytes > 0 ? spec->memory_bytes : G_GINT64_CONSTANT(4) << 30, spec->runtime);
    const gchar *dns[] = {bottle->sidecar_ip, NULL};
    bb_set_strings(host, "Dns", dns);
    const gchar *none[] = {NULL};
    bb_set_strings(host, "DnsSearch", none);
    JsonObject *sysctls = json_object_new();
    json_object_set_string_member(sysctls, "net.ipv6.conf.all.disable_ipv6", "1");
    json_object_set_string_member(sysctls, "net.ipv6.conf.default.disable_ipv6", "1");
    json_object_set_object_member(host, "Sysctls", sysctls);
    json_object_set_object_member(config, "HostConfig", host);
    /* Both addresses fixed: a dynamic one could take the sidecar's .2 while
     * the two start in parallel. */
    g_autofree gchar *agent_ip = bb_docker_subnet_address(bottle->sidecar_ip, 3);
    json_object_set_object_member(config, "NetworkingConfig",
                                  bb_docker_endpoint_config(bottle->internal_network, agent_ip));
    return json_node_init_object(json_node_alloc(), config);
}

/* The system CA bundle the agent image ships, to append the bottle CA to. */
static gboolean
bb_agent_system_bundle(BbLaunch *launch, GBytes **bundle, GError **error)
{
    g_autoptr(GBytes) tar = bb_docker_container_get_archive(
        launch->client, launch->bottle->agent_id, BB_DOCKER_SYSTEM_BUNDLE, error);
    if (tar == NULL)
        return error == NULL || *error == NULL;
    *bundle = bb_docker_tar_read_first_file(tar, error);
    return *bundle != NULL || error == NULL || *error == NULL;
}

static gboolean
bb_launch_agent(BbLaunch *launch, GError **error)
{
    BbDockerBottle *bottle = launch->bottle;
    g_autoptr(JsonNode) config = bb_agent_config(bottle, launch->spec);
    g_autofree gchar *name = g_strdup_printf("bb-%s-agent", bottle->slug);
    bottle->agent_id = bb_docker_container_create(launch->client, name, config, error);
    g_autoptr(GBytes) system_bundle = NULL;
    if (bottle->agent_id == NULL || !bb_agent_system_bundle(launch, &system_bundle, error) ||
        !bb_docker_container_start(launch->client, bottle->agent_id, error))
        return FALSE;
    /* The sidecar's own error is the one worth reporting. */
    if (bb_launch_wait_ca(launch) == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "the sidecar did not come up");
        return FALSE;
    }
    return bb_install_agent_ca(launch->client, bottle, system_bundle, error);
}

typedef gboolean (*BbLaunchStep)(BbLaunch *launch, GError **error);

typedef struct {
    BbLaunchStep step;
    BbLaunch *launch;
    GError *error;
    gboolean ok;
} BbParallelStep;

static gpointer
bb_parallel_step_run(gpointer data)
{
    BbParallelStep *parallel = data;
    parallel->ok = parallel->step(parallel->launch, &parallel->error);
    return NULL;
}

/* Runs @first on a thread and @second here; each request has its own
 * connection, and the steps write disjoint fields of the bottle. The
 * first step's error wins (the sidecar's, when both fail). */
static gboolean
bb_run_parallel(BbLaunch *launch, BbLaunchStep first, BbLaunchStep second, GError **error)
{
    BbParallelStep parallel = {first, launch, NULL, FALSE};
    GThread *thread = g_thread_new("bb-docker-launch", bb_parallel_step_run, &parallel);
    g_autoptr(GError) second_error = NULL;
    gboolean second_ok = second(launch, &second_error);
    g_thread_join(thread);
    if (!parallel.ok) {
        g_propagate_error(error, parallel.error);
        return FALSE;
    }
    if (!second_ok) {
        g_propagate_error(error, g_steal_pointer(&second_error));
        return FALSE;
    }
    return TRUE;
}

static gboolean
bb_step_egress_network(BbLaunch *launch, GError **error)
{
    return bb_create_network(launch->client, launch->bottle, launch->bottle->egress_network, FALSE,
                             NULL, launch->spec->agent_name, error);
}

static gboolean
bb_step_internal_network(BbLaunch *launch, GError **error)
{
    return bb_create_internal_network(launch->client, launch->bottle, launch->spec->agent_name,
                                      error);
}

static gboolean
bb_launch_all(BbLaunch *launch, GError **error)
{
    BbDockerBottle *bottle = launch->bottle;
    bottle->internal_network = g_strdup_printf("bb-%s-internal", bottle->slug);
    bottle->egress_network = g_strdup_printf("bb-%s-egress", bottle->slug);
    gint64 t0 = g_get_monotonic_time();
    if (!bb_run_parallel(launch, bb_step_egress_network, bb_step_internal_network, error))
        return FALSE;
    gint64 t1 = g_get_monotonic_time();
    gboolean ok = bb_run_parallel(launch, bb_launch_sidecar, bb_launch_agent, error);
    g_debug("bottle %s: networks %.1f ms, sidecar and agent %.1f ms", bottle->slug, (t1 - t0) / 1e3,
            (g_get_monotonic_time() - t1) / 1e3);
    return ok;
}

BbDockerBottle *
bb_docker_bottle_make(BbDockerClient *client, const BbDockerBottleSpec *spec, const gchar *pool_key,
                      GError **error)
{
    g_autoptr(BbDockerBottle) bottle = g_new0(BbDockerBottle, 1);
    bottle->slug = bb_docker_slug_new(spec->agent_name);
    bottle->pool_key = g_strdup(pool_key);
    BbLaunch launch = {.client = client, .bottle = bottle, .spec = spec, .warm = pool_key != NULL};
    g_mutex_init(&launch.lock);
    g_cond_init(&launch.published);
    gboolean ok = bb_launch_all(&launch, error);
    g_mutex_clear(&launch.lock);
    g_cond_clear(&launch.published);
    if (ok)
        return g_steal_pointer(&bottle);
    g_prefix_error(error, "Launching bottle %s: ", bottle->slug);
    g_autoptr(GError) cleanup_error = NULL;
    if (!bb_docker_bottle_remove(client, bottle->slug, &cleanup_error))
        g_warning("Could not remove the half-made bottle %s (run `bot-bottle cleanup`): %s",
                  bottle->slug, cleanup_error->message);
    return NULL;
}

BbDockerBottle *
bb_docker_bottle_launch(BbDockerClient *client, const BbDockerBottleSpec *spec, GError **error)
{
    return bb_docker_bottle_make(client, spec, NULL, error);
}

static const gchar *
bb_json_string(JsonObject *object, const gchar *member)
{
    return json_object_get_string_member_with_default(object, member, NULL);
}

const gchar *
bb_docker_label_of(JsonObject *object, const gchar *label)
{
    JsonObject *labels = json_object_has_member(object, "Labels") &&
                                 JSON_NODE_HOLDS_OBJECT(json_object_get_member(object, "Labels"))
                             ? json_object_get_object_member(object, "Labels")
                             : NULL;
    return labels != NULL ? bb_json_string(labels, label) : NULL;
}

typedef gboolean (*BbRemoveFunc)(BbDockerClient *client, const gchar *id, GError **error);

typedef struct {
    BbDockerClient *client;
    BbRemoveFunc remove;
    const gchar *id;
    GError *error;
} BbRemoval;

static gpointer
bb_removal_run(gpointer data)
{
    BbRemoval *removal = data;
    removal->remove(removal->client, removal->id, &removal->error);
    return NULL;
}

/* Removes the @member ids of @objects at once (each on its own
 * connection): a bottle's teardown is what a `run` waits for last. */
static gboolean
bb_remove_all(BbDockerClient *client, JsonArray *objects, const gchar *member, BbRemoveFunc remove,
              GError **error)
{
    guint n = json_array_get_length(objects);
    g_autofree BbRemoval *removals = g_new0(BbRemoval, n);
    g_autofree GThread **threads = g_new0(GThread *, n);
    for (guint i = 0; i < n; i++) {
        JsonObject *object = json_array_get_object_element(objects, i);
        removals[i] = (BbRemoval){client, remove, bb_json_string(object, member), NULL};
        threads[i] = g_thread_new("bb-docker-remove", bb_removal_run, &removals[i]);
    }
    gboolean ok = TRUE;
    for (guint i = 0; i < n; i++) {
        g_thread_join(threads[i]);
        if (removals[i].error != NULL && ok) {
            g_propagate_error(error, removals[i].error);
            ok = FALSE;
        } else {
            g_clear_error(&removals[i].error);
        }
    }
    return ok;
}

gboolean
bb_docker_bottle_remove(BbDockerClient *client, const gchar *slug, GError **error)
{
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(client, BB_DOCKER_LABEL_SLUG, slug, error);
    if (containers == NULL ||
        !bb_remove_all(client, containers, "Id", bb_docker_container_remove, error))
        return FALSE;
    /* Networks once no container is attached; the volume once the sidecar is gone. */
    g_autoptr(JsonArray) networks =
        bb_docker_network_list(client, BB_DOCKER_LABEL_SLUG, slug, error);
    if (networks == NULL || !bb_remove_all(client, networks, "Id", bb_docker_network_remove, error))
        return FALSE;
    g_autoptr(JsonArray) volumes = bb_docker_volume_list(client, BB_DOCKER_LABEL_SLUG, slug, error);
    return volumes != NULL &&
           bb_remove_all(client, volumes, "Name", bb_docker_volume_remove, error);
}

gboolean
bb_docker_owner_alive(const gchar *owner, const gchar *start)
{
    guint64 pid = 0;
    if (owner == NULL || !g_ascii_string_to_unsigned(owner, 10, 1, G_MAXINT, &pid, NULL))
        return FALSE;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return FALSE;
    if (start == NULL)
        return TRUE;
    g_autofree gchar *current = bb_docker_process_start((gint)pid);
    return g_strcmp0(current, start) == 0;
}

/* Records the slug of every object in @seen, and in @alive when its
 * owner lives. A bottle is orphaned when none of its objects has a live
 * owner: a claimed warm bottle's networks name the process that made
 * them, while its agent names the process that claimed it. */
static void
bb_collect_owners(JsonArray *objects, gboolean are_containers, GHashTable *seen, GHashTable *alive)
{
    for (guint i = 0; i < json_array_get_length(objects); i++) {
        JsonObject *object = json_array_get_object_element(objects, i);
        const gchar *slug = bb_docker_label_of(object, BB_DOCKER_LABEL_SLUG);
        if (slug == NULL)
            continue;
        g_hash_table_add(seen, g_strdup(slug));
        gboolean lives =
            are_containers
                ? bb_docker_container_owner_alive(object, NULL)
                : bb_docker_owner_alive(bb_docker_label_of(object, BB_DOCKER_LABEL_OWNER),
                                        bb_docker_label_of(object, BB_DOCKER_LABEL_OWNER_START));
        if (lives)
            g_hash_table_add(alive, g_strdup(slug));
    }
}

static void
bb_collect_orphans(JsonArray *containers, JsonArray *networks, JsonArray *volumes,
                   GHashTable *orphans)
{
    g_autoptr(GHashTable) alive = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bb_collect_owners(containers, TRUE, orphans, alive);
    bb_collect_owners(networks, FALSE, orphans, alive);
    bb_collect_owners(volumes, FALSE, orphans, alive);
    GHashTableIter iter;
    gpointer slug;
    g_hash_table_iter_init(&iter, alive);
    while (g_hash_table_iter_next(&iter, &slug, NULL))
        g_hash_table_remove(orphans, slug);
}

gboolean
bb_docker_bottle_cleanup_orphans(BbDockerClient *client, guint *removed, GError **error)
{
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(client, BB_DOCKER_LABEL_SLUG, NULL, error);
    if (containers == NULL)
        return FALSE;
    g_autoptr(JsonArray) networks =
        bb_docker_network_list(client, BB_DOCKER_LABEL_SLUG, NULL, error);
    if (networks == NULL)
        return FALSE;
    g_autoptr(GHashTable) orphans = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(JsonArray) volumes = bb_docker_volume_list(client, BB_DOCKER_LABEL_SLUG, NULL, error);
    if (volumes == NULL)
        return FALSE;
    bb_collect_orphans(containers, networks, volumes, orphans);
    GHashTableIter iter;
    gpointer slug;
    g_hash_table_iter_init(&iter, orphans);
    while (g_hash_table_iter_next(&iter, &slug, NULL))
        if (!bb_docker_bottle_remove(client, slug, error))
            return FALSE;
    if (removed != NULL)
        *removed = g_hash_table_size(orphans);
    return TRUE;
}

gchar *
bb_docker_bottle_find_agent(BbDockerClient *client, const gchar *slug, GError **error)
{
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(client, BB_DOCKER_LABEL_SLUG, slug, error);
    if (containers == NULL)
        return NULL;
    for (guint i = 0; i < json_array_get_length(containers); i++) {
        JsonObject *container = json_array_get_object_element(containers, i);
        if (g_strcmp0(bb_docker_label_of(container, BB_DOCKER_LABEL_ROLE), "agent") == 0)
            return g_strdup(bb_json_string(container, "Id"));
    }
    g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                "No bottle %s on this Docker engine; `bot-bottle list` shows the running ones",
                slug);
    return NULL;
}
