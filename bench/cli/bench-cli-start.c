/* `bot-bottle run` start overhead against bare docker, images cached,
 * interleaved rounds: median, min, max and the ratio.
 *
 *  cold          bot-bottle run bench -- echo ready: plan, backend, images
 *                (cached), 2 networks, sidecar with secrets + CA, hardened
 *                agent, then the command; "ready" = its first output
 *  warm          the same for an agent with a warm bottle waiting
 *                (`bot-bottle warm benchwarm`): claim it, hand the sidecar
 *                its routes and secret, provision, run; the pool is refilled
 *                before the CLI exits (in "total", not in "ready")
 *  docker run    docker run --rm IMAGE echo ready (the same agent image)
 *  docker run ×2 the bottle's two images by hand: the sidecar image
 *                (--help, exits at once), then the agent image as above
 *  docker start  docker start -a of a created container running echo ready
 *
 * "total" adds teardown (the bottle's removal; docker run --rm's).
 * Needs BOT_BOTTLE_CLI, BOT_BOTTLE_SIDECAR, BOT_BOTTLE_PLUGIN_PATH and
 * BB_TEST_MAKE_BASE_IMAGE (meson sets them: meson test --benchmark). */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 7

static gchar *home;
static gchar *base_image;

typedef struct {
    gdouble ready; /* ms until the command's first line */
    gdouble total; /* ms until the process ended */
} Timing;

static Timing
time_command(const gchar *const *argv)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_setenv(launcher, "HOME", home, TRUE);
    g_subprocess_launcher_setenv(launcher, "BB_BENCH_TOKEN", "bench-secret", TRUE);
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    g_autoptr(GSubprocess) process = g_subprocess_launcher_spawnv(launcher, argv, &error);
    if (process == NULL)
        g_error("%s: %s", argv[0], error->message);
    g_autoptr(GDataInputStream) out =
        g_data_input_stream_new(g_subprocess_get_stdout_pipe(process));
    g_autofree gchar *line = g_data_input_stream_read_line(out, NULL, NULL, &error);
    gint64 ready = g_get_monotonic_time();
    if (g_strcmp0(line, "ready") != 0)
        g_error("%s printed '%s', not ready", argv[0], line != NULL ? line : "(nothing)");
    if (!g_subprocess_wait_check(process, NULL, &error))
        g_error("%s: %s", argv[0], error->message);
    gint64 end = g_get_monotonic_time();
    return (Timing){(ready - start) / 1000.0, (end - start) / 1000.0};
}

static gchar *
capture(const gchar *const *argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *out = NULL;
    gint status = 0;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                      &status, &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("%s: %s", argv[0], error->message);
    return g_strdup(g_strstrip(out));
}

/* A bot-bottle command under the bench's HOME, output discarded. */
static gchar *
capture_home(const gchar *const *argv)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_setenv(launcher, "HOME", home, TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process = g_subprocess_launcher_spawnv(launcher, argv, &error);
    gchar *out = NULL;
    if (process == NULL ||
        !g_subprocess_communicate_utf8(process, NULL, NULL, &out, NULL, &error) ||
        !g_subprocess_get_successful(process))
        g_error("%s %s failed: %s", argv[0], argv[1], error != NULL ? error->message : "exit");
    return out;
}

static void
write_manifests(void)
{
    g_autofree gchar *dir = g_build_filename(home, "image", NULL);
    g_autofree gchar *bottles = g_build_filename(home, ".bot-bottle", "bottles", NULL);
    g_autofree gchar *agents = g_build_filename(home, ".bot-bottle", "agents", NULL);
    g_mkdir_with_parents(dir, 0700);
    g_mkdir_with_parents(bottles, 0700);
    g_mkdir_with_parents(agents, 0700);
    g_autofree gchar *dockerfile = g_build_filename(dir, "Dockerfile", NULL);
    g_autofree gchar *recipe = g_strdup_printf("FROM %s\n", base_image);
    g_file_set_contents(dockerfile, recipe, -1, NULL);
    g_autofree gchar *bottle = g_strdup_printf(
        "---\nagent_provider:\n  template: shell\n  dockerfile: %s\negress:\n  routes:\n"
        "    - host: api.example.com\n      auth:\n        scheme: bearer\n"
        "        token_ref: BB_BENCH_TOKEN\n---\n",
        dockerfile);
    g_autofree gchar *bottle_path = g_build_filename(bottles, "bench.md", NULL);
    g_file_set_contents(bottle_path, bottle, -1, NULL);
    const gchar *names[] = {"bench", "benchwarm", NULL};
    for (const gchar *const *name = names; *name != NULL; name++) {
        g_autofree gchar *file = g_strdup_printf("%s.md", *name);
        g_autofree gchar *agent_path = g_build_filename(agents, file, NULL);
        g_file_set_contents(agent_path, "---\nbottle: bench\n---\n", -1, NULL);
    }
}

static gint
compare_doubles(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return (x > y) - (x < y);
}

static gdouble
median(GArray *values)
{
    g_array_sort(values, compare_doubles);
    return g_array_index(values, gdouble, values->len / 2);
}

static void
row(const gchar *name, GArray *values, gdouble peer)
{
    gdouble m = median(values);
    g_autofree gchar *ratio = peer > 0 ? g_strdup_printf("%.2f×", m / peer) : g_strdup("");
    printf("  %-26s %9.1f %9.1f %9.1f   %s\n", name, m, g_array_index(values, gdouble, 0),
           g_array_index(values, gdouble, values->len - 1), ratio);
}

int
main(int argc, char **argv)
{
    const gchar *cli = g_getenv("BOT_BOTTLE_CLI");
    const gchar *make_base = g_getenv("BB_TEST_MAKE_BASE_IMAGE");
    if (cli == NULL || make_base == NULL)
        g_error("run through meson test --benchmark (BOT_BOTTLE_CLI, BB_TEST_MAKE_BASE_IMAGE)");
    g_autoptr(GError) error = NULL;
    home = g_dir_make_tmp("bb-bench-home-XXXXXX", &error);
    g_assert_no_error(error);
    const gchar *make_argv[] = {make_base, NULL};
    base_image = capture(make_argv);
    write_manifests();

    const gchar *bottle_argv[] = {cli, "run", "bench", "--", "echo", "ready", NULL};
    const gchar *warm_argv[] = {cli, "run", "benchwarm", "--", "echo", "ready", NULL};
    const gchar *fill_argv[] = {cli, "warm", "benchwarm", "--count", "1", NULL};
    const gchar *drain_argv[] = {cli, "warm", "benchwarm", "--count", "0", NULL};
    const gchar *run_argv[] = {"docker", "run", "--rm", base_image, "echo", "ready", NULL};
    /* Warm-up: builds or finds the cached agent and sidecar images. */
    time_command(bottle_argv);
    time_command(run_argv);
    g_free(capture_home(fill_argv));

    g_autoptr(GArray) bottle_ready = g_array_new(FALSE, FALSE, sizeof(gdouble));
    g_autoptr(GArray) bottle_total = g_array_new(FALSE, FALSE, sizeof(gdouble));
    g_autoptr(GArray) run_ready = g_array_new(FALSE, FALSE, sizeof(gdouble));
    g_autoptr(GArray) run_total = g_array_new(FALSE, FALSE, sizeof(gdouble));
    g_autoptr(GArray) start_ready = g_array_new(FALSE, FALSE, sizeof(gdouble));
    g_autoptr(GArray) warm_ready = g_array_new(FALSE, FALSE, sizeof(gdouble));
    g_autoptr(GArray) pair_ready = g_array_new(FALSE, FALSE, sizeof(gdouble));
    /* The sidecar image the warm bottle runs: the same one every bottle uses. */
    const gchar *sidecar_argv[] = {"docker",   "ps",
                                   "--filter", "label=bot-bottle.agent=benchwarm",
                                   "--filter", "label=bot-bottle.role=sidecar",
                                   "--format", "{{.Image}}",
                                   NULL};
    g_autofree gchar *sidecar_image = capture(sidecar_argv);
    g_autofree gchar *pair_script = g_strdup_printf(
        "docker run --rm %s --help >/dev/null && exec docker run --rm %s echo ready", sidecar_image,
        base_image);
    const gchar *pair_argv[] = {"sh", "-c", pair_script, NULL};
    g_autoptr(GArray) warm_total = g_array_new(FALSE, FALSE, sizeof(gdouble));
    const gchar *create_argv[] = {"docker", "create", base_image, "echo", "ready", NULL};
    g_autofree gchar *container = capture(create_argv);
    const gchar *start_argv[] = {"docker", "start", "-a", container, NULL};
    for (guint i = 0; i < ROUNDS; i++) {
        Timing bottle = time_command(bottle_argv);
        Timing run = time_command(run_argv);
        Timing start = time_command(start_argv);
        Timing warm = time_command(warm_argv);
        Timing pair = time_command(pair_argv);
        g_array_append_val(pair_ready, pair.ready);
        g_array_append_val(warm_ready, warm.ready);
        g_array_append_val(warm_total, warm.total);
        g_array_append_val(bottle_ready, bottle.ready);
        g_array_append_val(bottle_total, bottle.total);
        g_array_append_val(run_ready, run.ready);
        g_array_append_val(run_total, run.total);
        g_array_append_val(start_ready, start.ready);
    }
    g_free(capture_home(drain_argv));
    const gchar *rm_argv[] = {"docker", "rm", "-f", container, NULL};
    g_free(capture(rm_argv));

    gdouble peer_ready = median(run_ready);
    gdouble peer_total = median(run_total);
    gdouble peer_start = median(start_ready);
    printf("bottle start through the CLI, images cached, %d interleaved rounds (ms)\n", ROUNDS);
    printf("  %-26s %9s %9s %9s   %s\n", "", "median", "min", "max", "ratio");
    row("docker run: ready", run_ready, 0);
    row("docker run --rm: total", run_total, 0);
    row("docker start -a: ready", start_ready, 0);
    row("docker run ×2: ready", pair_ready, 0);
    row("bot-bottle run cold: ready", bottle_ready, peer_ready);
    row("bot-bottle run cold: total", bottle_total, peer_total);
    row("bot-bottle run warm: ready", warm_ready, peer_ready);
    row("bot-bottle run warm: total", warm_total, peer_total);
    printf("  ready vs docker start -a: cold %.2f×, warm %.2f×\n",
           median(bottle_ready) / peer_start, median(warm_ready) / peer_start);
    const gchar *cleanup_argv[] = {"rm", "-rf", home, NULL};
    g_free(capture(cleanup_argv));
    return 0;
}
