/* Bottle start with images cached, against bare starts of the same two
 * images, interleaved, ≥5 rounds each: median, min, max and the ratio.
 *
 *  bottle      bb_docker_bottle_launch: 2 networks, sidecar (stdin
 *              bootstrap, fresh CA), hardened agent, CA installed
 *  api peer    create+start of the same sidecar and agent images over the
 *              Engine API, default bridge, no hardening (the strict peer)
 *  cli peer    `docker run -d` of each image (what a user would type)
 *
 * Needs BB_TEST_FIXTURE and BB_TEST_MAKE_BASE_IMAGE like tests/docker; the
 * sidecar is BOT_BOTTLE_SIDECAR (with BOT_BOTTLE_SIDECAR_PLUGINS) when set,
 * else the test stand-in. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bb-docker-api.h"
#include "bb-docker-backend.h"
#include "bb-docker-bottle.h"
#include "bb-docker-image.h"

#define ROUNDS 7

static BbDockerClient *client;
static gchar *agent_image;
static gchar *sidecar_image;
static gchar *fixture_path;

static gchar *
make_base_image(void)
{
    const gchar *argv[] = {g_getenv("BB_TEST_MAKE_BASE_IMAGE"), NULL};
    g_autofree gchar *out = NULL;
    gint status = 0;
    g_autoptr(GError) error = NULL;
    if (argv[0] == NULL ||
        !g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                      &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("base image: %s", error != NULL ? error->message : "BB_TEST_MAKE_BASE_IMAGE unset");
    return g_strdup(g_strstrip(out));
}

static gdouble
time_bottle(void)
{
    BbDockerBottleSpec spec = {
        .agent_name = "bench", .agent_image = agent_image, .sidecar_image = sidecar_image};
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    g_autoptr(BbDockerBottle) bottle = bb_docker_bottle_launch(client, &spec, &error);
    gint64 end = g_get_monotonic_time();
    if (bottle == NULL)
        g_error("launch: %s", error->message);
    bb_docker_bottle_remove(client, bottle->slug, NULL);
    return (end - start) / 1000.0;
}

static gchar *
api_run(const gchar *image, const gchar *const *cmd, GError **error)
{
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_string_member(config, "Image", image);
    if (cmd != NULL) {
        JsonArray *array = json_array_new();
        for (const gchar *const *arg = cmd; *arg != NULL; arg++)
            json_array_add_string_element(array, *arg);
        json_object_set_array_member(config, "Entrypoint", array);
    }
    JsonObject *labels = json_object_new();
    json_object_set_string_member(labels, "bot-bottle.bench", "1");
    json_object_set_object_member(config, "Labels", labels);
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), json_object_ref(config));
    g_autofree gchar *name = g_strdup_printf("bb-bench-%08x", g_random_int());
    g_autofree gchar *id = bb_docker_container_create(client, name, node, error);
    if (id == NULL || !bb_docker_container_start(client, id, error))
        return NULL;
    return g_steal_pointer(&id);
}

static gdouble
time_api_peer(void)
{
    g_autoptr(GError) error = NULL;
    const gchar *idle[] = {"sleep", "infinity", NULL};
    gint64 start = g_get_monotonic_time();
    g_autofree gchar *sidecar = api_run(sidecar_image, NULL, &error);
    g_autofree gchar *agent = sidecar != NULL ? api_run(agent_image, idle, &error) : NULL;
    gint64 end = g_get_monotonic_time();
    if (agent == NULL)
        g_error("api peer: %s", error->message);
    bb_docker_container_remove(client, agent, NULL);
    bb_docker_container_remove(client, sidecar, NULL);
    return (end - start) / 1000.0;
}

static gchar *
cli_run(const gchar *image, gboolean idle)
{
    const gchar *plain[] = {"docker", "run", "-d", "--label", "bot-bottle.bench=1", image, NULL};
    const gchar *sleeping[] = {"docker",       "run",   "-d",  "--label",  "bot-bottle.bench=1",
                               "--entrypoint", "sleep", image, "infinity", NULL};
    const gchar *const *argv = idle ? sleeping : plain;
    g_autofree gchar *out = NULL;
    gint status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                      &status, &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("docker run: %s", error->message);
    return g_strdup(g_strstrip(out));
}

static gdouble
time_cli_peer(void)
{
    gint64 start = g_get_monotonic_time();
    g_autofree gchar *sidecar = cli_run(sidecar_image, FALSE);
    g_autofree gchar *agent = cli_run(agent_image, TRUE);
    gint64 end = g_get_monotonic_time();
    bb_docker_container_remove(client, agent, NULL);
    bb_docker_container_remove(client, sidecar, NULL);
    return (end - start) / 1000.0;
}

static gint
compare_doubles(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return x < y ? -1 : x > y;
}

static void
report(const gchar *name, gdouble *samples, gdouble reference)
{
    qsort(samples, ROUNDS, sizeof(gdouble), compare_doubles);
    gdouble median = samples[ROUNDS / 2];
    printf("%-26s %9.1f %9.1f %9.1f", name, median, samples[0], samples[ROUNDS - 1]);
    if (reference > 0)
        printf("   %5.2fx\n", median / reference);
    else
        printf("\n");
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    client = bb_docker_client_new_from_env(&error);
    if (client == NULL || !bb_docker_ping(client, &error))
        g_error("%s", error->message);
    agent_image = make_base_image();
    fixture_path = g_strdup(g_getenv("BB_TEST_FIXTURE"));
    /* The real sidecar when built (BOT_BOTTLE_SIDECAR), else the stand-in. */
    const gchar *sidecar_program = g_getenv("BOT_BOTTLE_SIDECAR");
    const gchar *program = sidecar_program != NULL ? sidecar_program : fixture_path;
    g_autoptr(BbDockerBackend) backend = bb_docker_backend_new();
    sidecar_image = bb_docker_backend_assemble_sidecar(
        backend, program, g_getenv("BOT_BOTTLE_SIDECAR_PLUGINS"), &error);
    if (sidecar_image == NULL)
        g_error("%s", error->message);
    printf("sidecar: %s (%s)\n", program, sidecar_image);

    /* One unmeasured round of each warms the engine's caches. */
    time_bottle();
    time_api_peer();
    time_cli_peer();
    gdouble bottle[ROUNDS], api[ROUNDS], cli[ROUNDS];
    for (guint i = 0; i < ROUNDS; i++) {
        bottle[i] = time_bottle();
        api[i] = time_api_peer();
        cli[i] = time_cli_peer();
    }
    printf("bottle start, images cached (cold), %d interleaved rounds, ms\n", ROUNDS);
    printf("%-26s %9s %9s %9s   %s\n", "", "median", "min", "max", "ratio");
    gdouble sorted_api[ROUNDS], sorted_cli[ROUNDS];
    memcpy(sorted_api, api, sizeof api);
    memcpy(sorted_cli, cli, sizeof cli);
    qsort(sorted_api, ROUNDS, sizeof(gdouble), compare_doubles);
    qsort(sorted_cli, ROUNDS, sizeof(gdouble), compare_doubles);
    report("peer: docker run (CLI) x2", cli, 0);
    report("peer: API create+start x2", api, 0);
    gdouble bottle_copy[ROUNDS];
    memcpy(bottle_copy, bottle, sizeof bottle);
    report("bottle vs docker run", bottle, sorted_cli[ROUNDS / 2]);
    report("bottle vs API peer", bottle_copy, sorted_api[ROUNDS / 2]);
    return 0;
}
