/* start/run/list/cleanup/commit/resume without an engine: argument
 * handling, backend selection, secrets checked before anything else, and
 * what list says when no backend can be asked. The engine paths are in
 * tests/e2e/. */
#include <string.h>
#include "cli-harness.h"

/* No engine answers here, whatever the machine has. */
static const gchar *const no_engine[] = {"DOCKER_HOST", "unix:///nonexistent/docker.sock",
                                         "BOT_BOTTLE_BACKEND", "", NULL};

static void
test_backend_help(void)
{
    const gchar *args[] = {"start", "--backend", "help", NULL};
    g_autoptr(CliResult) result = run_cli_env(NULL, no_engine, args);
    g_assert_cmpint(result->status, ==, 0);
    g_assert_nonnull(strstr(result->out, "docker"));
    g_assert_nonnull(strstr(result->out, "unavailable: No Docker engine socket"));
}

static void
test_unknown_backend(void)
{
    write_good_manifests();
    const gchar *env[] = {"BB_TEST_API_TOKEN", "t", NULL};
    const gchar *args[] = {"run", "--backend", "smolvm", "helper", "--", "true", NULL};
    g_autoptr(CliResult) result = run_cli_env(NULL, env, args);
    g_assert_cmpint(result->status, ==, 1);
    g_assert_nonnull(strstr(result->err, "No backend named 'smolvm'"));
    g_assert_nonnull(strstr(result->err, "known: docker"));
}

static void
test_missing_secret_first(void)
{
    write_good_manifests();
    /* Reported even though no engine could run the bottle anyway. */
    const gchar *env[] = {"DOCKER_HOST", "unix:///nonexistent/docker.sock", "BB_TEST_API_TOKEN", "",
                          NULL};
    const gchar *args[] = {"run", "helper", "--", "true", NULL};
    g_autoptr(CliResult) result = run_cli_env(NULL, env, args);
    g_assert_cmpint(result->status, ==, 2);
    g_assert_nonnull(strstr(result->err, "$BB_TEST_API_TOKEN is not set"));
    g_assert_nonnull(strstr(result->err, "route api.example.com"));
    /* Control: with the secret set, the next problem is the engine. */
    const gchar *with_secret[] = {"DOCKER_HOST", "unix:///nonexistent/docker.sock",
                                  "BB_TEST_API_TOKEN", "set", NULL};
    g_autoptr(CliResult) next = run_cli_env(NULL, with_secret, args);
    g_assert_cmpint(next->status, ==, 1);
    g_assert_null(strstr(next->err, "is not set"));
    g_assert_nonnull(strstr(next->err, "No Docker engine socket"));
}

static void
test_run_usage(void)
{
    write_good_manifests();
    const gchar *no_agent[] = {"run", "--", "true", NULL};
    g_autoptr(CliResult) a = run_cli_env(NULL, no_engine, no_agent);
    g_assert_cmpint(a->status, ==, 2);
    const gchar *empty[] = {"run", "helper", "--", NULL};
    g_autoptr(CliResult) b = run_cli_env(NULL, no_engine, empty);
    g_assert_cmpint(b->status, ==, 2);
    g_assert_nonnull(strstr(b->err, "nothing after '--'"));
    /* Options after "--" belong to the command, not to us. */
    const gchar *two[] = {"run", "helper", "extra", "--", "true", NULL};
    g_autoptr(CliResult) c = run_cli_env(NULL, no_engine, two);
    g_assert_cmpint(c->status, ==, 2);
}

static void
test_list_without_backend(void)
{
    write_good_manifests();
    const gchar *args[] = {"list", NULL};
    g_autoptr(CliResult) text = run_cli_env(NULL, no_engine, args);
    g_assert_cmpint(text->status, ==, 0);
    g_assert_nonnull(strstr(text->out, "Running bottles\n  (unknown: no backend is available"));
    const gchar *json_args[] = {"list", "--json", NULL};
    g_autoptr(CliResult) json = run_cli_env(NULL, no_engine, json_args);
    g_autoptr(JsonNode) root = parse_json(json->out);
    JsonObject *object = json_node_get_object(root);
    g_assert_true(json_object_has_member(object, "bottles_running"));
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(object, "bottles_running")),
                     ==, 0);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(object, "agents")), ==, 1);
}

static void
test_resume_unknown(void)
{
    const gchar *args[] = {"resume", "helper-0000", NULL};
    g_autoptr(CliResult) result = run_cli_env(NULL, no_engine, args);
    g_assert_cmpint(result->status, ==, 1);
    g_assert_nonnull(strstr(result->err, "was never committed"));
    /* A slug never names a path outside the state directory. */
    const gchar *escape[] = {"resume", "../../etc/passwd", NULL};
    g_autoptr(CliResult) bad = run_cli_env(NULL, no_engine, escape);
    g_assert_cmpint(bad->status, ==, 1);
    g_assert_nonnull(strstr(bad->err, "is not a bottle slug"));
}

static void
test_commit_and_cleanup_without_backend(void)
{
    const gchar *commit[] = {"commit", NULL};
    g_autoptr(CliResult) a = run_cli_env(NULL, no_engine, commit);
    g_assert_cmpint(a->status, ==, 1);
    g_assert_nonnull(strstr(a->err, "no bottle is running"));
    const gchar *cleanup[] = {"cleanup", "--json", NULL};
    g_autoptr(CliResult) b = run_cli_env(NULL, no_engine, cleanup);
    g_assert_cmpint(b->status, ==, 0);
    g_autoptr(JsonNode) root = parse_json(b->out);
    g_assert_cmpuint(
        json_array_get_length(json_object_get_array_member(json_node_get_object(root), "removed")),
        ==, 0);
}

/* --images with no engine: nothing pruned, and the JSON says so. */
static void
test_cleanup_images_without_backend(void)
{
    const gchar *cleanup[] = {"cleanup", "--images", "--json", NULL};
    g_autoptr(CliResult) result = run_cli_env(NULL, no_engine, cleanup);
    g_assert_cmpint(result->status, ==, 0);
    g_autoptr(JsonNode) root = parse_json(result->out);
    JsonObject *object = json_node_get_object(root);
    g_assert_true(json_object_has_member(object, "images"));
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(object, "images")), ==, 0);
    const gchar *help[] = {"cleanup", "--help", NULL};
    g_autoptr(CliResult) usage = run_cli_env(NULL, no_engine, help);
    g_assert_nonnull(strstr(usage->out, "--images"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/cli/lifecycle/backend-help", test_backend_help);
    g_test_add_func("/cli/lifecycle/unknown-backend", test_unknown_backend);
    g_test_add_func("/cli/lifecycle/missing-secret-first", test_missing_secret_first);
    g_test_add_func("/cli/lifecycle/run-usage", test_run_usage);
    g_test_add_func("/cli/lifecycle/list-without-backend", test_list_without_backend);
    g_test_add_func("/cli/lifecycle/resume-unknown", test_resume_unknown);
    g_test_add_func("/cli/lifecycle/commit-cleanup-without-backend",
                    test_commit_and_cleanup_without_backend);
    g_test_add_func("/cli/lifecycle/cleanup-images-without-backend",
                    test_cleanup_images_without_backend);
    return g_test_run();
}
