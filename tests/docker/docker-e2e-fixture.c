#include "docker-e2e-fixture.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "bb-docker-image.h"

static gchar *
bb_e2e_base_image(GError **error)
{
    const gchar *script = g_getenv("BB_TEST_MAKE_BASE_IMAGE");
    g_assert_nonnull(script);
    const gchar *argv[] = {script, NULL};
    g_autofree gchar *out = NULL;
    gint status = 0;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                      error) ||
        !g_spawn_check_wait_status(status, error))
        return NULL;
    return g_strdup(g_strstrip(out));
}

static gchar *
bb_e2e_run_container(BbE2e *e2e, const gchar *name, const gchar *image, const gchar *const *cmd,
                     GError **error)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "Image");
    json_builder_add_string_value(builder, image);
    if (cmd != NULL) {
        json_builder_set_member_name(builder, "Cmd");
        json_builder_begin_array(builder);
        for (const gchar *const *arg = cmd; *arg != NULL; arg++)
            json_builder_add_string_value(builder, *arg);
        json_builder_end_array(builder);
        json_builder_set_member_name(builder, "Entrypoint");
        json_builder_begin_array(builder);
        json_builder_end_array(builder);
    }
    json_builder_set_member_name(builder, "User");
    json_builder_add_string_value(builder, "0:0");
    json_builder_set_member_name(builder, "Labels");
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "bot-bottle.test");
    g_autofree gchar *pid = g_strdup_printf("%d", (int)getpid());
    json_builder_add_string_value(builder, pid);
    json_builder_end_object(builder);
    json_builder_set_member_name(builder, "HostConfig");
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "NetworkMode");
    json_builder_add_string_value(builder, e2e->internet);
    json_builder_end_object(builder);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) config = json_builder_get_root(builder);
    g_autofree gchar *id = bb_docker_container_create(e2e->client, name, config, error);
    if (id == NULL || !bb_docker_container_start(e2e->client, id, error))
        return NULL;
    return g_steal_pointer(&id);
}

static gboolean
bb_e2e_wait_ready(BbE2e *e2e, const gchar *container)
{
    for (guint i = 0; i < 100; i++) {
        if (bb_e2e_log_contains(e2e, container, "READY"))
            return TRUE;
        g_usleep(50 * 1000);
    }
    return FALSE;
}

static gboolean
bb_e2e_pid_alive(const gchar *pid)
{
    guint64 value = 0;
    return pid != NULL && g_ascii_string_to_unsigned(pid, 10, 1, G_MAXINT, &value, NULL) &&
           kill((pid_t)value, 0) == 0;
}

/* A test run that aborted leaves its fixtures; the next run removes them. */
static gboolean
bb_e2e_remove_stale(BbDockerClient *client, GError **error)
{
    if (!bb_docker_bottle_cleanup_orphans(client, NULL, error))
        return FALSE;
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(client, "bot-bottle.test", NULL, error);
    g_autoptr(JsonArray) networks =
        containers != NULL ? bb_docker_network_list(client, "bot-bottle.test", NULL, error) : NULL;
    if (networks == NULL)
        return FALSE;
    JsonArray *lists[] = {containers, networks};
    for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
        for (guint i = 0; i < json_array_get_length(lists[l]); i++) {
            JsonObject *object = json_array_get_object_element(lists[l], i);
            JsonObject *labels = json_object_get_object_member(object, "Labels");
            if (bb_e2e_pid_alive(json_object_get_string_member(labels, "bot-bottle.test")))
                continue;
            const gchar *id = json_object_get_string_member(object, "Id");
            gboolean ok = l == 0 ? bb_docker_container_remove(client, id, error)
                                 : bb_docker_network_remove(client, id, error);
            if (!ok)
                return FALSE;
        }
    }
    return TRUE;
}

BbE2e *
bb_e2e_setup(GError **error)
{
    g_autofree BbE2e *e2e = g_new0(BbE2e, 1);
    e2e->client = bb_docker_client_new_from_env(error);
    if (e2e->client == NULL || !bb_docker_ping(e2e->client, error) ||
        !bb_e2e_remove_stale(e2e->client, error))
        return NULL;
    e2e->base_image = bb_e2e_base_image(error);
    if (e2e->base_image == NULL)
        return NULL;
    const gchar *fixture = g_getenv("BB_TEST_FIXTURE");
    g_assert_nonnull(fixture);
    const gchar *programs[] = {fixture, NULL};
    const gchar *dirs[] = {BB_DOCKER_SIDECAR_STATE, NULL};
    BbDockerImageRecipe recipe = {.repository = "bot-bottle-test-fixture",
                                  .programs = programs,
                                  .uid = 65532,
                                  .user_name = "fixture",
                                  .dirs = dirs};
    e2e->fixture_image = bb_docker_image_assemble(e2e->client, &recipe, error);
    if (e2e->fixture_image == NULL)
        return NULL;
    e2e->internet = g_strdup_printf("bb-test-internet-%d", (int)getpid());
    g_autofree gchar *pid = g_strdup_printf("%d", (int)getpid());
    const gchar *labels[] = {"bot-bottle.test", pid, NULL};
    g_autofree gchar *net_id =
        bb_docker_network_create(e2e->client, e2e->internet, FALSE, FALSE, NULL, labels, error);
    if (net_id == NULL)
        return NULL;
    g_autofree gchar *fixture_name = g_strdup_printf("%s-upstream", e2e->internet);
    /* The upstream binds 53 and 80 as root; it is our fixture, not the agent. */
    e2e->fixture_id = bb_e2e_run_container(e2e, fixture_name, e2e->fixture_image, NULL, error);
    if (e2e->fixture_id == NULL)
        return NULL;
    e2e->fixture_ip = bb_docker_container_ip(e2e->client, e2e->fixture_id, e2e->internet, error);
    g_autofree gchar *probe_name = g_strdup_printf("%s-probe", e2e->internet);
    const gchar *idle[] = {"sleep", "infinity", NULL};
    e2e->probe_id = bb_e2e_run_container(e2e, probe_name, e2e->base_image, idle, error);
    if (e2e->fixture_ip == NULL || e2e->probe_id == NULL)
        return NULL;
    if (!bb_e2e_wait_ready(e2e, e2e->fixture_id)) {
        g_autofree gchar *logs = bb_docker_container_logs(e2e->client, e2e->fixture_id, NULL);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "fixture not ready: %s", logs);
        return NULL;
    }
    return g_steal_pointer(&e2e);
}

void
bb_e2e_teardown(BbE2e *e2e)
{
    if (e2e == NULL)
        return;
    if (e2e->probe_id != NULL)
        bb_docker_container_remove(e2e->client, e2e->probe_id, NULL);
    if (e2e->fixture_id != NULL)
        bb_docker_container_remove(e2e->client, e2e->fixture_id, NULL);
    if (e2e->internet != NULL)
        bb_docker_network_remove(e2e->client, e2e->internet, NULL);
    g_clear_object(&e2e->client);
    g_free(e2e->base_image);
    g_free(e2e->fixture_image);
    g_free(e2e->internet);
    g_free(e2e->fixture_id);
    g_free(e2e->fixture_ip);
    g_free(e2e->probe_id);
    g_free(e2e);
}

BbDockerBottle *
bb_e2e_launch_bottle(BbE2e *e2e, const gchar *agent, GHashTable *secrets, GError **error)
{
    BbDockerBottleSpec spec = {
        .agent_name = agent,
        .agent_image = e2e->base_image,
        .sidecar_image = e2e->fixture_image,
        .secrets = secrets,
    };
    g_autoptr(BbDockerBottle) bottle = bb_docker_bottle_launch(e2e->client, &spec, error);
    if (bottle == NULL)
        return NULL;
    /* The sidecar's way to the fake internet, like the egress network's to the real one. */
    if (!bb_docker_network_connect(e2e->client, e2e->internet, bottle->sidecar_id, error))
        return NULL;
    if (!bb_e2e_wait_ready(e2e, bottle->sidecar_id)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "stand-in sidecar not ready");
        return NULL;
    }
    return g_steal_pointer(&bottle);
}

gint
bb_e2e_sh(BbE2e *e2e, const gchar *container, const gchar *user, const gchar *script, gchar **out)
{
    const gchar *argv[] = {"sh", "-c", script, NULL};
    g_autoptr(GByteArray) stdout_data = g_byte_array_new();
    g_autoptr(GByteArray) stderr_data = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    gint status = -1;
    gboolean ok = bb_docker_exec(e2e->client, container, argv, user, NULL, stdout_data, stderr_data,
                                 &status, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    if (out != NULL) {
        g_byte_array_append(stdout_data, (const guint8 *)"", 1);
        *out = (gchar *)g_byte_array_free(g_steal_pointer(&stdout_data), FALSE);
    }
    return status;
}

gboolean
bb_e2e_log_contains(BbE2e *e2e, const gchar *container, const gchar *needle)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *logs = bb_docker_container_logs(e2e->client, container, &error);
    g_assert_no_error(error);
    return strstr(logs, needle) != NULL;
}

gchar *
bb_e2e_marker(const gchar *prefix)
{
    return g_strdup_printf("%s-%08x", prefix, g_random_int());
}

GBytes *
bb_e2e_fixture_ca(BbE2e *e2e, GError **error)
{
    g_autofree gchar *logs = bb_docker_container_logs(e2e->client, e2e->fixture_id, error);
    if (logs == NULL)
        return NULL;
    const gchar *begin = strstr(logs, "UPSTREAM-CA-BEGIN\n");
    const gchar *end = begin != NULL ? strstr(begin, "UPSTREAM-CA-END") : NULL;
    if (end == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no CA in the fixture's log");
        return NULL;
    }
    begin += strlen("UPSTREAM-CA-BEGIN\n");
    return g_bytes_new(begin, end - begin);
}

gchar *
bb_e2e_fixture_ca_file(BbE2e *e2e, const gchar *dir, GError **error)
{
    g_autoptr(GBytes) pem = bb_e2e_fixture_ca(e2e, error);
    if (pem == NULL)
        return NULL;
    g_autofree gchar *path = g_build_filename(dir, "upstream-ca.pem", NULL);
    if (!g_file_set_contents(path, g_bytes_get_data(pem, NULL), (gssize)g_bytes_get_size(pem),
                             error))
        return NULL;
    return g_steal_pointer(&path);
}
