#include "bb-docker-bottle.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "bb-docker-api.h"
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

static JsonArray *
bb_strv_array(const gchar *const *strv)
{
    JsonArray *array = json_array_new();
    for (const gchar *const *s = strv; s != NULL && *s != NULL; s++)
        json_array_add_string_element(array, *s);
    return array;
}

static void
bb_set_strings(JsonObject *object, const gchar *member, const gchar *const *strv)
{
    json_object_set_array_member(object, member, bb_strv_array(strv));
}

/* Hardening both containers share. */
static JsonObject *
bb_hardened_host_config(const gchar *network_mode, gint64 pids_limit, gint64 memory_bytes,
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
static gchar *
bb_process_start(gint pid)
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
bb_label_list(const gchar *slug, const gchar *role, const gchar *agent)
{
    g_autoptr(GStrvBuilder) labels = g_strv_builder_new();
    g_autofree gchar *owner = g_strdup_printf("%d", (int)getpid());
    g_autofree gchar *start = bb_process_start(getpid());
    const gchar *fixed[] = {BB_DOCKER_LABEL_SLUG,
                            slug,
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
    return g_strv_builder_end(labels);
}

static JsonObject *
bb_labels(const gchar *slug, const gchar *role, const gchar *agent)
{
    g_auto(GStrv) labels = bb_label_list(slug, role, agent);
    g_autoptr(JsonNode) node = bb_docker_labels_node((const gchar *const *)labels);
    return json_object_ref(json_node_get_object(node));
}

static gboolean
bb_create_network(BbDockerClient *client, const BbDockerBottle *bottle, const gchar *name,
                  gboolean internal, const gchar *subnet, const gchar *agent, GError **error)
{
    g_auto(GStrv) labels = bb_label_list(bottle->slug, "network", agent);
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

/* What the sidecar reads from stdin at start (`--secrets /dev/stdin`):
 * one JSON object, env name → value. */
static GBytes *
bb_sidecar_secrets(GHashTable *secrets)
{
    g_autoptr(JsonObject) root = json_object_new();
    if (secrets != NULL) {
        GHashTableIter iter;
        gpointer key, value;
        g_hash_table_iter_init(&iter, secrets);
        while (g_hash_table_iter_next(&iter, &key, &value))
            json_object_set_string_member(root, key, value);
    }
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), root);
    gchar *text = json_to_string(node, FALSE);
    return g_bytes_new_take(text, strlen(text));
}

GStrv
bb_docker_sidecar_argv(const BbDockerBottle *bottle, const BbDockerBottleSpec *spec)
{
    g_autoptr(GStrvBuilder) argv = g_strv_builder_new();
    g_autofree gchar *listen = g_strdup_printf("0.0.0.0:%u", BB_DOCKER_PROXY_PORT);
    const gchar *fixed[] = {"--bottle",
                            bottle->slug,
                            "--routes",
                            BB_DOCKER_SIDECAR_STATE "/routes.json",
                            "--secrets",
                            "/dev/stdin",
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
    for (const gchar *const *pin = spec->resolve; pin != NULL && *pin != NULL; pin++) {
        g_strv_builder_add(argv, "--resolve");
        g_strv_builder_add(argv, *pin);
    }
    if (spec->upstream_ca != NULL) {
        g_strv_builder_add(argv, "--upstream-ca");
        g_strv_builder_add(argv, BB_DOCKER_SIDECAR_STATE "/upstream-ca.pem");
    }
    return g_strv_builder_end(argv);
}

/* One launch in progress: what the parallel steps share (read-only) and
 * what each fills in (distinct fields). */
typedef struct {
    BbDockerClient *client;
    BbDockerBottle *bottle;
    const BbDockerBottleSpec *spec;
    GBytes *system_bundle; /* the agent image's CA bundle, read while the sidecar starts */
} BbLaunch;

static JsonObject *
bb_endpoint_config(const gchar *network, const gchar *address)
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
    json_object_set_object_member(options, "Labels",
                                  bb_labels(bottle->slug, BB_DOCKER_LABEL_VOLUME_ROLE, agent));
    json_object_set_object_member(mount, "VolumeOptions", options);
    JsonArray *mounts = json_array_new();
    json_array_add_object_element(mounts, mount);
    return mounts;
}

/* routes.json (and the extra upstream CA) into the state volume. */
static gboolean
bb_sidecar_put_config(BbLaunch *launch, GError **error)
{
    const BbDockerBottleSpec *spec = launch->spec;
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    const gchar *routes = spec->routes_json != NULL ? spec->routes_json : "{\"routes\": []}";
    g_autoptr(GBytes) routes_bytes = g_bytes_new(routes, strlen(routes));
    if (!bb_docker_tar_add_file(tar, "routes.json", routes_bytes, 0644, 0, 0, error))
        return FALSE;
    if (spec->upstream_ca != NULL &&
        !bb_docker_tar_add_file(tar, "upstream-ca.pem", spec->upstream_ca, 0644, 0, 0, error))
        return FALSE;
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    return bb_docker_container_put_archive(launch->client, launch->bottle->sidecar_id,
                                           BB_DOCKER_SIDECAR_STATE, archive, error);
}

/* The sidecar writes its CA certificate once it serves; bounded wait. */
static gboolean
bb_sidecar_wait_ca(BbLaunch *launch, GError **error)
{
    BbDockerBottle *bottle = launch->bottle;
    for (guint attempt = 0; attempt < 500; attempt++) {
        g_autoptr(GBytes) archive = bb_docker_container_get_archive(
            launch->client, bottle->sidecar_id, BB_DOCKER_SIDECAR_STATE "/ca.pem", error);
        if (archive == NULL && error != NULL && *error != NULL)
            return FALSE;
        g_autoptr(GBytes) pem =
            archive != NULL ? bb_docker_tar_read_first_file(archive, error) : NULL;
        if (pem != NULL && g_bytes_get_size(pem) > 0) {
            bottle->ca_pem = g_strndup(g_bytes_get_data(pem, NULL), g_bytes_get_size(pem));
            return TRUE;
        }
        g_usleep(20 * 1000);
    }
    g_autofree gchar *logs = bb_docker_container_logs(launch->client, bottle->sidecar_id, NULL);
    g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                "The sidecar did not come up within 10 s; its output: %.2000s",
                logs != NULL ? logs : "(none)");
    return FALSE;
}

static gboolean
bb_launch_sidecar(BbLaunch *launch, GError **error)
{
    BbDockerBottle *bottle = launch->bottle;
    const BbDockerBottleSpec *spec = launch->spec;
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_string_member(config, "Image", spec->sidecar_image);
    g_auto(GStrv) argv = bb_docker_sidecar_argv(bottle, spec);
    bb_set_strings(config, "Cmd", (const gchar *const *)argv);
    /* stdin carries the secrets once, then closes. */
    json_object_set_boolean_member(config, "OpenStdin", TRUE);
    json_object_set_boolean_member(config, "StdinOnce", TRUE);
    json_object_set_boolean_member(config, "AttachStdin", TRUE);
    json_object_set_object_member(config, "Labels",
                                  bb_labels(bottle->slug, "sidecar", spec->agent_name));
    JsonObject *host =
        bb_hardened_host_config(bottle->internal_network, 512, 512 * 1024 * 1024, NULL);
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
    json_object_set_object_member(config, "NetworkingConfig",
                                  bb_endpoint_config(bottle->internal_network, bottle->sidecar_ip));
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), json_object_ref(config));
    g_autofree gchar *name = g_strdup_printf("bb-%s-sidecar", bottle->slug);
    bottle->sidecar_id = bb_docker_container_create(launch->client, name, node, error);
    if (bottle->sidecar_id == NULL || !bb_sidecar_put_config(launch, error) ||
        !bb_docker_network_connect(launch->client, bottle->egress_network, bottle->sidecar_id,
                                   error))
        return FALSE;
    g_autoptr(GBytes) secrets = bb_sidecar_secrets(spec->secrets);
    gint64 started = g_get_monotonic_time();
    gboolean ok =
        bb_docker_container_start_with_stdin(launch->client, bottle->sidecar_id, secrets, error);
    g_debug("bottle %s: sidecar start %.1f ms", bottle->slug,
            (g_get_monotonic_time() - started) / 1e3);
    /* Our serialised copy of the secrets is wiped once handed over. */
    memset((gpointer)g_bytes_get_data(secrets, NULL), 0, g_bytes_get_size(secrets));
    return ok && bb_sidecar_wait_ca(launch, error);
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

static gboolean
bb_launch_agent(BbLaunch *launch, GError **error)
{
    BbDockerBottle *bottle = launch->bottle;
    const BbDockerBottleSpec *spec = launch->spec;
    g_autoptr(JsonObject) config = json_object_new();
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
                                  bb_labels(bottle->slug, "agent", spec->agent_name));
    JsonObject *host = bb_hardened_host_config(
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
                                  bb_endpoint_config(bottle->internal_network, agent_ip));
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), json_object_ref(config));
    g_autofree gchar *name = g_strdup_printf("bb-%s-agent", bottle->slug);
    bottle->agent_id = bb_docker_container_create(launch->client, name, node, error);
    if (bottle->agent_id == NULL)
        return FALSE;
    g_autoptr(GBytes) system_tar = bb_docker_container_get_archive(launch->client, bottle->agent_id,
                                                                   BB_DOCKER_SYSTEM_BUNDLE, error);
    if (system_tar == NULL && error != NULL && *error != NULL)
        return FALSE;
    if (system_tar != NULL) {
        launch->system_bundle = bb_docker_tar_read_first_file(system_tar, error);
        if (launch->system_bundle == NULL && error != NULL && *error != NULL)
            return FALSE;
    }
    return bb_docker_container_start(launch->client, bottle->agent_id, error);
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
 * connection, and the steps write disjoint fields of the bottle. */
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
    if (!bb_run_parallel(launch, bb_launch_sidecar, bb_launch_agent, error))
        return FALSE;
    gint64 t2 = g_get_monotonic_time();
    gboolean ok = bb_install_agent_ca(launch->client, bottle, launch->system_bundle, error);
    g_debug("bottle %s: networks %.1f ms, sidecar and agent %.1f ms, CA %.1f ms", bottle->slug,
            (t1 - t0) / 1e3, (t2 - t1) / 1e3, (g_get_monotonic_time() - t2) / 1e3);
    return ok;
}

BbDockerBottle *
bb_docker_bottle_launch(BbDockerClient *client, const BbDockerBottleSpec *spec, GError **error)
{
    g_autoptr(BbDockerBottle) bottle = g_new0(BbDockerBottle, 1);
    bottle->slug = bb_docker_slug_new(spec->agent_name);
    BbLaunch launch = {client, bottle, spec, NULL};
    gboolean ok = bb_launch_all(&launch, error);
    g_clear_pointer(&launch.system_bundle, g_bytes_unref);
    if (ok)
        return g_steal_pointer(&bottle);
    g_prefix_error(error, "Launching bottle %s: ", bottle->slug);
    g_autoptr(GError) cleanup_error = NULL;
    if (!bb_docker_bottle_remove(client, bottle->slug, &cleanup_error))
        g_warning("Could not remove the half-made bottle %s (run `bot-bottle cleanup`): %s",
                  bottle->slug, cleanup_error->message);
    return NULL;
}

static const gchar *
bb_json_string(JsonObject *object, const gchar *member)
{
    return json_object_get_string_member_with_default(object, member, NULL);
}

static const gchar *
bb_label_of(JsonObject *object, const gchar *label)
{
    JsonObject *labels = json_object_has_member(object, "Labels") &&
                                 JSON_NODE_HOLDS_OBJECT(json_object_get_member(object, "Labels"))
                             ? json_object_get_object_member(object, "Labels")
                             : NULL;
    return labels != NULL ? bb_json_string(labels, label) : NULL;
}

gboolean
bb_docker_bottle_remove(BbDockerClient *client, const gchar *slug, GError **error)
{
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(client, BB_DOCKER_LABEL_SLUG, slug, error);
    if (containers == NULL)
        return FALSE;
    /* Agent first: with the sidecar gone first it would only lose its way out. */
    for (guint pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < json_array_get_length(containers); i++) {
            JsonObject *container = json_array_get_object_element(containers, i);
            gboolean is_agent =
                g_strcmp0(bb_label_of(container, BB_DOCKER_LABEL_ROLE), "agent") == 0;
            if ((pass == 0) != is_agent)
                continue;
            if (!bb_docker_container_remove(client, bb_json_string(container, "Id"), error))
                return FALSE;
        }
    }
    g_autoptr(JsonArray) networks =
        bb_docker_network_list(client, BB_DOCKER_LABEL_SLUG, slug, error);
    if (networks == NULL)
        return FALSE;
    for (guint i = 0; i < json_array_get_length(networks); i++) {
        JsonObject *network = json_array_get_object_element(networks, i);
        if (!bb_docker_network_remove(client, bb_json_string(network, "Id"), error))
            return FALSE;
    }
    g_autoptr(JsonArray) volumes = bb_docker_volume_list(client, BB_DOCKER_LABEL_SLUG, slug, error);
    if (volumes == NULL)
        return FALSE;
    for (guint i = 0; i < json_array_get_length(volumes); i++) {
        JsonObject *volume = json_array_get_object_element(volumes, i);
        if (!bb_docker_volume_remove(client, bb_json_string(volume, "Name"), error))
            return FALSE;
    }
    return TRUE;
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
    g_autofree gchar *current = bb_process_start((gint)pid);
    return g_strcmp0(current, start) == 0;
}

static void
bb_collect_orphans(JsonArray *objects, GHashTable *orphans)
{
    for (guint i = 0; i < json_array_get_length(objects); i++) {
        JsonObject *object = json_array_get_object_element(objects, i);
        const gchar *slug = bb_label_of(object, BB_DOCKER_LABEL_SLUG);
        if (slug != NULL &&
            !bb_docker_owner_alive(bb_label_of(object, BB_DOCKER_LABEL_OWNER),
                                   bb_label_of(object, BB_DOCKER_LABEL_OWNER_START)))
            g_hash_table_add(orphans, g_strdup(slug));
    }
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
    bb_collect_orphans(containers, orphans);
    bb_collect_orphans(networks, orphans);
    bb_collect_orphans(volumes, orphans);
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
        if (g_strcmp0(bb_label_of(container, BB_DOCKER_LABEL_ROLE), "agent") == 0)
            return g_strdup(bb_json_string(container, "Id"));
    }
    g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                "No bottle %s on this Docker engine; `bot-bottle list` shows the running ones",
                slug);
    return NULL;
}
