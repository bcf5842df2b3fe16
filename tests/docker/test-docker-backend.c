/* The BbBackend interface of the Docker plugin end to end: launch from a
 * plan, exec with exit codes, list, commit, resume from the committed
 * image, stop and idempotent cleanup. */
#include <string.h>
#include "bb-docker-backend.h"
#include "bb-error.h"
#include "bb-docker-image.h"
#include "bb-plan-private.h"
#include "docker-e2e-fixture.h"

static BbE2e *e2e;

static BbPlan *
make_plan(const gchar *agent)
{
    BbPlan *plan = bb_plan_new();
    bb_plan_set_agent(plan, agent, "/nonexistent/agent.md", BB_ORIGIN_HOME);
    bb_plan_set_env(plan, "BB_TEST_PLACEHOLDER", "placeholder-not-a-secret");
    bb_plan_seal(plan);
    return plan;
}

static BbBottleInfo *
find_listed(BbBackend *backend, const gchar *slug)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) infos = bb_backend_list(backend, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < infos->len; i++) {
        BbBottleInfo *info = g_ptr_array_index(infos, i);
        if (g_str_equal(info->slug, slug)) {
            BbBottleInfo *copy = g_new0(BbBottleInfo, 1);
            copy->slug = g_strdup(info->slug);
            copy->agent = g_strdup(info->agent);
            copy->backend = g_strdup(info->backend);
            copy->state = g_strdup(info->state);
            copy->image = g_strdup(info->image);
            copy->created = info->created;
            return copy;
        }
    }
    return NULL;
}

static void
remove_image(gpointer ref)
{
    bb_docker_image_remove(e2e->client, ref, NULL);
    g_free(ref);
}

static void
test_lifecycle(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDockerBackend) docker = bb_docker_backend_new();
    BbBackend *backend = BB_BACKEND(docker);
    g_assert_true(bb_backend_is_available(backend, &error));
    g_assert_no_error(error);
    bb_docker_backend_set_sidecar_image(docker, e2e->fixture_image);
    bb_docker_backend_set_agent_image(docker, e2e->base_image);
    g_autoptr(BbPlan) plan = make_plan("lifecycle");
    g_assert_true(bb_backend_prepare_images(backend, plan, NULL, NULL, NULL, &error));
    g_assert_no_error(error);

    BbLaunchOptions defaults = {0};
    g_autofree gchar *slug = bb_backend_launch(backend, plan, &defaults, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(slug, "lifecycle-"));
    g_autoptr(BbBottleInfo) info = find_listed(backend, slug);
    g_assert_nonnull(info);
    g_assert_cmpstr(info->agent, ==, "lifecycle");
    g_assert_cmpstr(info->backend, ==, "docker");
    g_assert_cmpstr(info->state, ==, "running");

    gint status = -1;
    const gchar *fail[] = {"sh", "-c", "exit 3", NULL};
    g_assert_true(bb_backend_exec(backend, slug, fail, FALSE, &status, &error));
    g_assert_cmpint(status, ==, 3);
    const gchar *mark[] = {"sh", "-c",
                           "test \"$BB_TEST_PLACEHOLDER\" = placeholder-not-a-secret && "
                           "echo kept > /home/agent/state.txt",
                           NULL};
    g_assert_true(bb_backend_exec(backend, slug, mark, FALSE, &status, &error));
    g_assert_cmpint(status, ==, 0);

    /* The provisioning target writes as the agent's user. */
    g_autoptr(BbAgentTarget) target = bb_backend_get_target(backend, slug, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) prompt = g_bytes_new_static("be careful\n", 11);
    g_assert_true(bb_agent_target_write_file(target, "/home/agent/.bb/prompt.md", prompt, 0644,
                                             FALSE, &error));
    g_assert_no_error(error);
    const gchar *owner[] = {"sh", "-c", "test \"$(stat -c %u /home/agent/.bb/prompt.md)\" = 1000",
                            NULL};
    g_assert_true(bb_backend_exec(backend, slug, owner, FALSE, &status, &error));
    g_assert_cmpint(status, ==, 0);

    g_autofree gchar *image = bb_backend_commit(backend, slug, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(image, "bot-bottle-committed:"));
    /* Removed by its exact tag when the test ends, whatever happens next. */
    g_test_queue_destroy(remove_image, g_strdup(image));
    gboolean exists = FALSE;
    g_assert_true(bb_docker_image_exists(e2e->client, image, &exists, &error));
    g_assert_true(exists);

    g_assert_true(bb_backend_stop(backend, slug, &error));
    g_assert_no_error(error);
    g_assert_null(find_listed(backend, slug));
    /* Idempotent: a second stop and a cleanup of the same slug succeed. */
    g_assert_true(bb_backend_stop(backend, slug, &error));
    g_assert_true(bb_backend_cleanup(backend, slug, &error));
    g_assert_no_error(error);
    g_assert_false(bb_backend_exec(backend, slug, fail, FALSE, &status, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_NOT_FOUND);
    g_clear_error(&error);

    /* resume: boot the committed image; the agent's work is there. */
    BbLaunchOptions options = {.image = image};
    g_autofree gchar *resumed = bb_backend_launch(backend, plan, &options, NULL, &error);
    g_assert_no_error(error);
    const gchar *check[] = {"grep", "-q", "kept", "/home/agent/state.txt", NULL};
    g_assert_true(bb_backend_exec(backend, resumed, check, FALSE, &status, &error));
    g_assert_cmpint(status, ==, 0);
    g_assert_true(bb_backend_stop(backend, resumed, &error));
    g_assert_true(bb_docker_image_remove(e2e->client, image, &error));
    g_assert_no_error(error);
}

static void
test_assemble_sidecar(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDockerBackend) docker = bb_docker_backend_new();
    const gchar *plugin_dirs = g_getenv("BOT_BOTTLE_PLUGIN_PATH");
    g_assert_nonnull(plugin_dirs);
    const gchar *program = g_getenv("BB_TEST_FIXTURE");
    g_autofree gchar *ref =
        bb_docker_backend_assemble_sidecar(docker, program, plugin_dirs, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(ref, "bot-bottle-sidecar:"));
    /* Same inputs, same image: the second call only looks it up. */
    g_autofree gchar *again =
        bb_docker_backend_assemble_sidecar(docker, program, plugin_dirs, &error);
    g_assert_cmpstr(again, ==, ref);

    /* The plugins and their libraries are inside, owned by root. */
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_string_member(config, "Image", ref);
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), json_object_ref(config));
    g_autofree gchar *name = g_strdup_printf("bb-test-assemble-%08x", g_random_int());
    g_autofree gchar *id = bb_docker_container_create(e2e->client, name, node, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) plugin = bb_docker_container_get_archive(
        e2e->client, id, "/usr/lib/bot-bottle/plugins/libbb-docker.so", &error);
    g_assert_no_error(error);
    g_assert_nonnull(plugin);
    g_autoptr(GBytes) json_glib = NULL;
    g_autoptr(GPtrArray) libraries =
        bb_docker_shared_libraries(g_getenv("BB_TEST_DOCKER_PLUGIN"), NULL, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < libraries->len; i++) {
        const gchar *library = g_ptr_array_index(libraries, i);
        g_autofree gchar *base = g_path_get_basename(library);
        g_autofree gchar *image_path = g_build_filename(BB_DOCKER_IMAGE_LIBDIR, base, NULL);
        if (strstr(library, "libjson-glib") != NULL)
            json_glib = bb_docker_container_get_archive(e2e->client, id, image_path, &error);
    }
    g_assert_no_error(error);
    g_assert_nonnull(json_glib);
    g_assert_true(bb_docker_container_remove(e2e->client, id, &error));

    /* Control: a missing program is an error that says what to do. */
    g_autofree gchar *none =
        bb_docker_backend_assemble_sidecar(docker, "/nonexistent/bb-sidecar", NULL, &error);
    g_assert_null(none);
    g_assert_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE);
    g_assert_nonnull(strstr(error->message, "BOT_BOTTLE_SIDECAR"));
}

static void
collect_progress(const gchar *step, gdouble fraction, gpointer user_data)
{
    g_ptr_array_add(user_data, g_strdup(step));
}

static gchar *
write_dockerfile(const gchar *dir, const gchar *body)
{
    g_autofree gchar *text = g_strdup_printf("FROM %s\n%s\n", e2e->base_image, body);
    gchar *path = g_build_filename(dir, "Dockerfile", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(path, text, -1, &error));
    return path;
}

static void
test_build_agent_image(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDockerBackend) docker = bb_docker_backend_new();
    g_autofree gchar *dir = g_dir_make_tmp("bb-build-XXXXXX", &error);
    g_autofree gchar *marker = bb_e2e_marker("built");
    g_autofree gchar *run = g_strdup_printf("RUN echo %s > /etc/bb-built", marker);
    g_autofree gchar *dockerfile = write_dockerfile(dir, run);
    g_autoptr(GPtrArray) progress = g_ptr_array_new_with_free_func(g_free);
    g_autofree gchar *ref = bb_docker_backend_build_agent_image(
        docker, dockerfile, collect_progress, progress, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(ref, "bot-bottle-agent:"));
    /* Visible progress: the build's own steps came through. */
    gboolean saw_step = FALSE;
    for (guint i = 0; i < progress->len; i++)
        saw_step |= strstr(g_ptr_array_index(progress, i), "RUN echo") != NULL;
    g_assert_true(saw_step);

    /* Cached by the hash of the context: no second build. */
    g_autoptr(GPtrArray) again_progress = g_ptr_array_new_with_free_func(g_free);
    g_autofree gchar *again = bb_docker_backend_build_agent_image(
        docker, dockerfile, collect_progress, again_progress, NULL, &error);
    g_assert_cmpstr(again, ==, ref);
    g_assert_cmpuint(again_progress->len, ==, 0);

    /* The image holds what the Dockerfile made. */
    bb_docker_backend_set_sidecar_image(docker, e2e->fixture_image);
    bb_docker_backend_set_agent_image(docker, ref);
    g_autoptr(BbPlan) plan = make_plan("built");
    BbLaunchOptions defaults = {0};
    g_autofree gchar *slug = bb_backend_launch(BB_BACKEND(docker), plan, &defaults, NULL, &error);
    g_assert_no_error(error);
    g_autofree gchar *check = g_strdup_printf("grep -q %s /etc/bb-built", marker);
    const gchar *argv[] = {"sh", "-c", check, NULL};
    gint status = -1;
    g_assert_true(bb_backend_exec(BB_BACKEND(docker), slug, argv, FALSE, &status, &error));
    g_assert_cmpint(status, ==, 0);
    g_assert_true(bb_backend_stop(BB_BACKEND(docker), slug, &error));
    g_assert_true(bb_docker_image_remove(e2e->client, ref, &error));

    /* A failing step is an error carrying the engine's words. */
    g_autofree gchar *bad_dir = g_dir_make_tmp("bb-build-XXXXXX", &error);
    g_autofree gchar *bad = write_dockerfile(bad_dir, "RUN exit 3");
    g_autofree gchar *none =
        bb_docker_backend_build_agent_image(docker, bad, NULL, NULL, NULL, &error);
    g_assert_null(none);
    g_assert_error(error, BB_ERROR, BB_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "exit 3"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_autoptr(GError) error = NULL;
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    g_test_add_func("/docker/backend/lifecycle", test_lifecycle);
    g_test_add_func("/docker/backend/assemble-sidecar", test_assemble_sidecar);
    g_test_add_func("/docker/backend/build-agent-image", test_build_agent_image);
    int result = g_test_run();
    bb_e2e_teardown(e2e);
    return result;
}
