/* Lifecycle edges on the real engine: commit while the agent is busy
 * (never paused, never wedged), and removals of one bottle racing each
 * other (both succeed, nothing is left). */
#include <string.h>
#include <unistd.h>
#include "bb-error.h"
#include "docker-e2e-fixture.h"

static BbE2e *e2e;

static BbDockerBottle *
launch(const gchar *agent)
{
    BbDockerBottleSpec spec = {
        .agent_name = agent,
        .agent_image = e2e->base_image,
        .sidecar_image = e2e->fixture_image,
    };
    g_autoptr(GError) error = NULL;
    BbDockerBottle *bottle = bb_docker_bottle_launch(e2e->client, &spec, &error);
    g_assert_no_error(error);
    return bottle;
}

/* What a test made, removed when it ends (passed or failed): the bottle
 * first (containers may use the images), then the images by their tags. */
typedef struct {
    BbDockerBottle *bottle;
    GPtrArray *images;
} Made;

static void
made_remove(gpointer data)
{
    Made *made = data;
    g_autoptr(GError) error = NULL;
    if (!bb_docker_bottle_remove(e2e->client, made->bottle->slug, &error))
        g_printerr("could not remove test bottle %s: %s\n", made->bottle->slug, error->message);
    for (guint i = 0; i < made->images->len; i++)
        bb_docker_image_remove(e2e->client, g_ptr_array_index(made->images, i), NULL);
    bb_docker_bottle_free(made->bottle);
    g_ptr_array_unref(made->images);
    g_free(made);
}

static Made *
made_new(const gchar *agent)
{
    Made *made = g_new0(Made, 1);
    made->bottle = launch(agent);
    made->images = g_ptr_array_new_with_free_func(g_free);
    g_test_queue_destroy(made_remove, made);
    return made;
}

static guint
count_labelled(const gchar *kind, const gchar *slug)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonArray) found =
        g_str_equal(kind, "containers")
            ? bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error)
        : g_str_equal(kind, "networks")
            ? bb_docker_network_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error)
            : bb_docker_volume_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    g_assert_no_error(error);
    return json_array_get_length(found);
}

/* The engine's events of @container between two instants (Unix ns). */
static gchar *
events_of(const gchar *container, gint64 since_us, gint64 until_us)
{
    g_autofree gchar *filter_json = g_strdup_printf("{\"container\":[\"%s\"]}", container);
    g_autofree gchar *filter = bb_docker_query_escape(filter_json);
    g_autofree gchar *path = g_strdup_printf(
        "/events?since=%" G_GINT64_FORMAT ".%06d000&until=%" G_GINT64_FORMAT ".%06d000&filters=%s",
        since_us / G_USEC_PER_SEC, (int)(since_us % G_USEC_PER_SEC), until_us / G_USEC_PER_SEC,
        (int)(until_us % G_USEC_PER_SEC), filter);
    guint status = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body =
        bb_docker_client_request(e2e->client, "GET", path, NULL, NULL, &status, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    return g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
}

typedef struct {
    const gchar *container;
    gint stop;
    guint runs;
    guint failures;
    gchar *first_failure;
} BusyAgent;

/* Short execs back to back, each writing files, as an agent at work
 * does; every one must start and succeed whatever commit does. */
static gpointer
busy_agent(gpointer data)
{
    BusyAgent *busy = data;
    g_autoptr(BbDockerClient) client = bb_docker_client_new_from_env(NULL);
    const gchar *argv[] = {"sh", "-c",
                           "mkdir -p /tmp/busy && for i in $(seq 40); do "
                           "echo $i > /tmp/busy/f$i; done",
                           NULL};
    while (!g_atomic_int_get(&busy->stop)) {
        gint status = -1;
        g_autoptr(GError) error = NULL;
        gboolean ok =
            bb_docker_exec(client, busy->container, argv, NULL, NULL, NULL, NULL, &status, &error);
        busy->runs++;
        if (!ok || status != 0) {
            busy->failures++;
            if (busy->first_failure == NULL)
                busy->first_failure =
                    g_strdup_printf("status %d: %s", status, ok ? "" : error->message);
        }
    }
    return NULL;
}

static gboolean
container_running_unpaused(const gchar *id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) info = bb_docker_container_inspect(e2e->client, id, &error);
    g_assert_no_error(error);
    JsonObject *state = json_object_get_object_member(info, "State");
    return json_object_get_boolean_member(state, "Running") &&
           !json_object_get_boolean_member(state, "Paused");
}

static void
test_commit_while_busy(void)
{
    Made *made = made_new("commit-busy");
    BbDockerBottle *bottle = made->bottle;
    g_autofree gchar *marker = bb_e2e_marker("before-commit");
    g_autofree gchar *write = g_strdup_printf("echo %s > /tmp/before", marker);
    g_assert_cmpint(bb_e2e_sh(e2e, bottle->agent_id, NULL, write, NULL), ==, 0);

    BusyAgent busy = {.container = bottle->agent_id};
    GThread *worker = g_thread_new("busy-agent", busy_agent, &busy);
    g_usleep(200 * 1000);
    gint64 since = g_get_real_time();
    for (guint i = 0; i < 5; i++) {
        g_autofree gchar *tag = g_strdup_printf("%s-%u", bottle->slug, i);
        g_autoptr(GError) error = NULL;
        gchar *id = bb_docker_container_commit(e2e->client, bottle->agent_id,
                                               "bot-bottle-committed", tag, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(id);
        g_free(id);
        g_ptr_array_add(made->images, g_strdup_printf("bot-bottle-committed:%s", tag));
        g_assert_true(container_running_unpaused(bottle->agent_id));
    }
    g_usleep(200 * 1000);
    g_atomic_int_set(&busy.stop, 1);
    g_thread_join(worker);
    gint64 until = g_get_real_time() + 1000;
    g_test_message("%u execs during the commits, %u failed (%s)", busy.runs, busy.failures,
                   busy.first_failure != NULL ? busy.first_failure : "-");
    g_free(busy.first_failure);
    g_assert_cmpuint(busy.runs, >, 0);
    g_assert_cmpuint(busy.failures, ==, 0);

    /* Never frozen: the engine recorded commits but no pause. */
    g_autofree gchar *events = events_of(bottle->agent_id, since, until);
    g_assert_nonnull(strstr(events, "\"Action\":\"commit\""));
    g_assert_null(strstr(events, "\"Action\":\"pause\""));

    /* Still usable afterwards. */
    g_assert_true(container_running_unpaused(bottle->agent_id));
    g_autofree gchar *out = NULL;
    g_assert_cmpint(bb_e2e_sh(e2e, bottle->agent_id, NULL, "cat /tmp/before", &out), ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, marker);

    /* The snapshot holds what was written before it. */
    g_autofree gchar *ref = g_strdup_printf("bot-bottle-committed:%s-4", bottle->slug);
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_string_member(config, "Image", ref);
    json_object_set_member(
        config, "Labels",
        bb_docker_labels_node((const gchar *[]){BB_DOCKER_LABEL_SLUG, bottle->slug, NULL}));
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), json_object_ref(config));
    g_autoptr(GError) error = NULL;
    g_autofree gchar *name = g_strdup_printf("%s-from-commit", bottle->slug);
    g_autofree gchar *copy = bb_docker_container_create(e2e->client, name, node, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) tar =
        bb_docker_container_get_archive(e2e->client, copy, "/tmp/before", &error);
    g_assert_no_error(error);
    g_assert_nonnull(tar);
    g_assert_nonnull(
        memmem(g_bytes_get_data(tar, NULL), g_bytes_get_size(tar), marker, strlen(marker)));
    /* Control: a file that was never written is not in it. */
    g_autoptr(GBytes) none =
        bb_docker_container_get_archive(e2e->client, copy, "/tmp/never-written", &error);
    g_assert_no_error(error);
    g_assert_null(none);
}

typedef struct {
    const gchar *slug;
    GMutex lock;
    GCond go;
    gboolean started;
    gboolean ok;
    gchar *message;
} Remover;

static gpointer
remover_run(gpointer data)
{
    Remover *remover = data;
    g_autoptr(BbDockerClient) client = bb_docker_client_new_from_env(NULL);
    g_mutex_lock(&remover->lock);
    while (!remover->started)
        g_cond_wait(&remover->go, &remover->lock);
    g_mutex_unlock(&remover->lock);
    g_autoptr(GError) error = NULL;
    remover->ok = bb_docker_bottle_remove(client, remover->slug, &error);
    if (!remover->ok)
        remover->message = g_strdup(error->message);
    return NULL;
}

/* Two teardowns of one bottle at once (a session ending while `cleanup`
 * runs): each finds the other's removals in progress, neither fails. */
static void
test_concurrent_removals(void)
{
    for (guint round = 0; round < 3; round++) {
        BbDockerBottle *bottle = made_new("remove-race")->bottle;
        g_assert_cmpuint(count_labelled("containers", bottle->slug), ==, 2);
        g_assert_cmpuint(count_labelled("networks", bottle->slug), ==, 2);
        g_assert_cmpuint(count_labelled("volumes", bottle->slug), ==, 1);
        Remover removers[3];
        GThread *threads[G_N_ELEMENTS(removers)];
        for (guint i = 0; i < G_N_ELEMENTS(removers); i++) {
            removers[i] = (Remover){.slug = bottle->slug};
            g_mutex_init(&removers[i].lock);
            g_cond_init(&removers[i].go);
            threads[i] = g_thread_new("remover", remover_run, &removers[i]);
        }
        g_usleep(50 * 1000); /* all waiting on their go */
        for (guint i = 0; i < G_N_ELEMENTS(removers); i++) {
            g_mutex_lock(&removers[i].lock);
            removers[i].started = TRUE;
            g_cond_signal(&removers[i].go);
            g_mutex_unlock(&removers[i].lock);
        }
        for (guint i = 0; i < G_N_ELEMENTS(removers); i++) {
            g_thread_join(threads[i]);
            g_test_message("remover %u: %s", i, removers[i].ok ? "ok" : removers[i].message);
        }
        for (guint i = 0; i < G_N_ELEMENTS(removers); i++) {
            g_assert_cmpstr(removers[i].message, ==, NULL);
            g_assert_true(removers[i].ok);
            g_mutex_clear(&removers[i].lock);
            g_cond_clear(&removers[i].go);
        }
        g_assert_cmpuint(count_labelled("containers", bottle->slug), ==, 0);
        g_assert_cmpuint(count_labelled("networks", bottle->slug), ==, 0);
        g_assert_cmpuint(count_labelled("volumes", bottle->slug), ==, 0);
    }
}

/* The streamed exec of a session without a terminal: our input reaches
 * the command, its end is the command's EOF, and the call returns when
 * the command ends even if our input never does. */
static void
test_exec_stream_input(void)
{
    BbDockerBottle *bottle = made_new("exec-stream")->bottle;
    int input[2];
    g_assert_cmpint(pipe(input), ==, 0);
    const gchar line[] = "hello-stream\n";
    g_assert_cmpint(write(input[1], line, sizeof line - 1), ==, sizeof line - 1);
    /* The writer stays open: the command ends by itself. */
    const gchar *read_one[] = {"sh", "-c", "read l; test \"$l\" = hello-stream && exit 5", NULL};
    gint status = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_exec_stream(e2e->client, bottle->agent_id, read_one, NULL, input[0],
                                        &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 5);
    /* Closed: the command reads to EOF, sees all of it and ends. */
    g_assert_cmpint(write(input[1], line, sizeof line - 1), ==, sizeof line - 1);
    close(input[1]);
    const gchar *to_eof[] = {"sh", "-c", "test \"$(cat)\" = hello-stream && exit 6", NULL};
    g_assert_true(bb_docker_exec_stream(e2e->client, bottle->agent_id, to_eof, NULL, input[0],
                                        &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 6);
    close(input[0]);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_autoptr(GError) error = NULL;
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    g_test_add_func("/docker/lifecycle/commit-while-busy", test_commit_while_busy);
    g_test_add_func("/docker/lifecycle/concurrent-removals", test_concurrent_removals);
    g_test_add_func("/docker/lifecycle/exec-stream-input", test_exec_stream_input);
    int result = g_test_run();
    bb_e2e_teardown(e2e);
    return result;
}
