/* End-to-end tests of the bot-bottle binary from the build tree: real
 * plugins, real manifests in an isolated $HOME, asserting on exit codes
 * and on what the user reads. */
#include <glib/gstdio.h>
#include <string.h>

#include "cli-harness.h"

static JsonObject *
find_plugin(JsonArray *plugins, const gchar *name)
{
    for (guint i = 0; i < json_array_get_length(plugins); i++) {
        JsonObject *plugin = json_array_get_object_element(plugins, i);
        if (g_strcmp0(json_object_get_string_member(plugin, "name"), name) == 0)
            return plugin;
    }
    return NULL;
}

static void
test_version_and_help(void)
{
    const gchar *version_args[] = {"--version", NULL};
    const gchar *help_args[] = {"--help", NULL};
    const gchar *bogus_args[] = {"frobnicate", NULL};
    g_autoptr(CliResult) version = run_cli(version_args);
    g_autoptr(CliResult) help = run_cli(help_args);
    g_autoptr(CliResult) bogus = run_cli(bogus_args);

    g_assert_cmpint(version->status, ==, 0);
    g_assert_true(g_str_has_prefix(version->out, "bot-bottle "));
    g_assert_cmpint(help->status, ==, 0);
    for (const gchar *const *cmd =
             (const gchar *const[]){"check", "doctor", "info", "list", "plugins", NULL};
         *cmd != NULL; cmd++)
        g_assert_nonnull(strstr(help->out, *cmd));
    g_assert_cmpint(bogus->status, ==, 2);
    g_assert_nonnull(strstr(bogus->err, "unknown command 'frobnicate'"));
}

static void
test_every_command_has_help(void)
{
    const gchar *commands[] = {"check", "doctor", "info", "list", "plugins", NULL};
    for (guint i = 0; commands[i] != NULL; i++) {
        const gchar *args[] = {commands[i], "--help", NULL};
        g_autoptr(CliResult) result = run_cli(args);
        g_assert_cmpint(result->status, ==, 0);
        g_assert_nonnull(strstr(result->out, "Usage:"));
        g_assert_nonnull(strstr(result->out, commands[i]));
    }
}

static void
test_plugins_lists_builtin_auth(void)
{
    const gchar *args[] = {"plugins", "--json", NULL};
    g_autoptr(CliResult) result = run_cli(args);
    g_autoptr(JsonNode) root = NULL;
    JsonArray *plugins;
    const gchar *names[] = {"bearer", "token", NULL};

    g_assert_cmpint(result->status, ==, 0);
    root = parse_json(result->out);
    g_assert_false(json_object_get_boolean_member(json_node_get_object(root), "tainted"));
    plugins = json_object_get_array_member(json_node_get_object(root), "plugins");
    for (guint i = 0; names[i] != NULL; i++) {
        JsonObject *plugin = find_plugin(plugins, names[i]);
        g_assert_nonnull(plugin);
        g_assert_cmpstr(json_object_get_string_member(plugin, "origin"), ==, "built-in");
        g_assert_cmpstr(json_object_get_string_member(plugin, "status"), ==, "loaded");
        g_assert_cmpstr(json_object_get_string_member(plugin, "abi"), ==, "1.0");
    }
}

/* A contrib .so without the entry point is reported with a clear error,
 * marks the process tainted, and every other command still works. */
static void
test_broken_contrib_is_reported_not_fatal(void)
{
    g_autofree gchar *dir = config_path("contrib/broken");
    g_autofree gchar *target = g_build_filename(dir, "libbroken.so", NULL);
    g_autofree gchar *contents = NULL;
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    const gchar *plugins_args[] = {"plugins", "--json", NULL};
    const gchar *check_args[] = {"check", NULL};
    const gchar *doctor_args[] = {"doctor", NULL};
    g_autoptr(CliResult) plugins = NULL;
    g_autoptr(CliResult) check = NULL;
    g_autoptr(CliResult) doctor = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonObject *broken;

    g_file_get_contents(g_getenv("BB_FIXTURE_NO_ENTRY"), &contents, &length, &error);
    g_assert_no_error(error);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_file_set_contents(target, contents, (gssize)length, &error);
    g_assert_no_error(error);
    g_assert_cmpint(g_chmod(target, 0755), ==, 0);
    write_good_manifests();

    plugins = run_cli(plugins_args);
    g_assert_cmpint(plugins->status, ==, 0);
    root = parse_json(plugins->out);
    g_assert_true(json_object_get_boolean_member(json_node_get_object(root), "tainted"));
    broken = find_plugin(json_object_get_array_member(json_node_get_object(root), "plugins"),
                         "libbroken.so");
    g_assert_nonnull(broken);
    g_assert_cmpstr(json_object_get_string_member(broken, "status"), ==, "failed");
    g_assert_cmpstr(json_object_get_string_member(broken, "origin"), ==, "contrib");
    g_assert_nonnull(
        strstr(json_object_get_string_member(broken, "error"), "bb_plugin_get_descriptor"));
    /* The built-ins still loaded. */
    g_assert_nonnull(
        find_plugin(json_object_get_array_member(json_node_get_object(root), "plugins"), "bearer"));

    check = run_cli(check_args);
    g_assert_cmpint(check->status, ==, 0);

    /* doctor flags the broken plugin as a failure to fix. */
    doctor = run_cli(doctor_args);
    g_assert_cmpint(doctor->status, ==, 1);
    g_assert_nonnull(strstr(doctor->out, "libbroken.so"));
}

static void
test_no_contrib_env_disables_contrib(void)
{
    g_autofree gchar *dir = config_path("contrib/broken");
    g_autofree gchar *target = g_build_filename(dir, "libbroken.so", NULL);
    g_autofree gchar *contents = NULL;
    gsize length = 0;
    const gchar *env[] = {"BOT_BOTTLE_NO_CONTRIB", "1", NULL};
    const gchar *args[] = {"plugins", "--json", NULL};
    g_autoptr(CliResult) result = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonObject *broken;

    g_assert_true(g_file_get_contents(g_getenv("BB_FIXTURE_NO_ENTRY"), &contents, &length, NULL));
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(target, contents, (gssize)length, NULL));
    result = run_cli_env(NULL, env, args);
    g_assert_cmpint(result->status, ==, 0);
    root = parse_json(result->out);
    g_assert_true(json_object_get_boolean_member(json_node_get_object(root), "contrib_disabled"));
    g_assert_false(json_object_get_boolean_member(json_node_get_object(root), "tainted"));
    /* Listed, so the user sees it is there, but never opened. */
    broken = find_plugin(json_object_get_array_member(json_node_get_object(root), "plugins"),
                         "libbroken.so");
    g_assert_nonnull(broken);
    g_assert_cmpstr(json_object_get_string_member(broken, "status"), ==, "disabled");
}

static void
test_check_good_manifests(void)
{
    const gchar *args[] = {"check", NULL};
    g_autoptr(CliResult) result = NULL;

    write_good_manifests();
    result = run_cli(args);
    g_assert_cmpint(result->status, ==, 0);
    g_assert_nonnull(strstr(result->out, "ok: 1 agents, 1 bottles"));
}

/* An unknown key fails `check`, naming the file, the line and the key. */
static void
test_check_unknown_key_names_file_and_line(void)
{
    const gchar *args[] = {"check", NULL};
    g_autoptr(CliResult) result = NULL;
    g_autofree gchar *path = config_path("bottles/dev.md");
    g_autofree gchar *expected = NULL;

    write_good_manifests();
    write_config("bottles/dev.md", "---\n"
                                   "agent_provider:\n"
                                   "  template: shell\n"
                                   "egress:\n"
                                   "  routes:\n"
                                   "    - host: api.example.com\n"
                                   "      hots: typo.example.com\n"
                                   "---\n");
    result = run_cli(args);
    g_assert_cmpint(result->status, ==, 1);
    expected = g_strdup_printf("%s:7:7: error:", path);
    g_assert_nonnull(strstr(result->err, expected));
    g_assert_nonnull(strstr(result->err, "hots"));
}

/* Every error is listed, across files, not just the first. */
static void
test_check_lists_all_errors(void)
{
    const gchar *args[] = {"check", "--json", NULL};
    g_autoptr(CliResult) result = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonArray *diagnostics;

    write_good_manifests();
    write_config("bottles/bad1.md", "---\nsupervise: maybe\n---\n");
    write_config("bottles/bad2.md", "---\nfrobs: 1\n---\n");
    result = run_cli(args);
    g_assert_cmpint(result->status, ==, 1);
    root = parse_json(result->out);
    g_assert_false(json_object_get_boolean_member(json_node_get_object(root), "ok"));
    diagnostics = json_object_get_array_member(json_node_get_object(root), "diagnostics");
    g_assert_cmpuint(json_array_get_length(diagnostics), >=, 2);
}

/* A repo may ship agents, never bottles. */
static void
test_repo_bottle_refused(void)
{
    g_autofree gchar *repo = g_build_filename(cli_home(), "src", "project", NULL);
    g_autofree gchar *git_dir = g_build_filename(repo, ".git", NULL);
    g_autofree gchar *repo_bottle =
        g_build_filename(repo, ".bot-bottle", "bottles", "evil.md", NULL);
    g_autofree gchar *repo_agent =
        g_build_filename(repo, ".bot-bottle", "agents", "sneaky.md", NULL);
    const gchar *list_args[] = {"list", "--json", NULL};
    const gchar *check_args[] = {"check", NULL};
    const gchar *info_args[] = {"info", "sneaky", NULL};
    g_autoptr(CliResult) list = NULL;
    g_autoptr(CliResult) check = NULL;
    g_autoptr(CliResult) info = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonArray *bottles;

    write_good_manifests();
    g_assert_cmpint(g_mkdir_with_parents(git_dir, 0755), ==, 0);
    write_file(repo_bottle, "---\negress:\n  routes:\n    - host: attacker.example\n---\n");
    write_file(repo_agent, "---\nbottle: evil\n---\n");

    list = run_cli_env(repo, NULL, list_args);
    g_assert_cmpint(list->status, ==, 0);
    root = parse_json(list->out);
    bottles = json_object_get_array_member(json_node_get_object(root), "bottles");
    for (guint i = 0; i < json_array_get_length(bottles); i++) {
        JsonObject *bottle = json_array_get_object_element(bottles, i);
        g_assert_cmpstr(json_object_get_string_member(bottle, "name"), !=, "evil");
    }

    check = run_cli_env(repo, NULL, check_args);
    g_assert_cmpint(check->status, ==, 1);
    g_assert_nonnull(strstr(check->err, "warning"));
    g_assert_nonnull(strstr(check->err, "bottles"));

    info = run_cli_env(repo, NULL, info_args);
    g_assert_cmpint(info->status, ==, 1);
    g_assert_nonnull(strstr(info->err, "evil"));
    g_assert_null(strstr(info->out, "attacker.example"));
}

/* info shows secrets as $NAME (set|unset), never the value. */
static void
test_info_never_prints_secret_values(void)
{
    const gchar *secret = "bbtest-9f8e7d6c5b4a39281706";
    const gchar *env_set[] = {"BB_TEST_API_TOKEN", secret, NULL};
    const gchar *text_args[] = {"info", "helper", NULL};
    const gchar *json_args[] = {"info", "helper", "--json", NULL};
    g_autoptr(CliResult) unset = NULL;
    g_autoptr(CliResult) text = NULL;
    g_autoptr(CliResult) json = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonObject *ref;

    write_good_manifests();
    g_unsetenv("BB_TEST_API_TOKEN");
    unset = run_cli(text_args);
    g_assert_cmpint(unset->status, ==, 0);
    g_assert_nonnull(strstr(unset->out, "$BB_TEST_API_TOKEN (unset)"));

    text = run_cli_env(NULL, env_set, text_args);
    g_assert_cmpint(text->status, ==, 0);
    g_assert_nonnull(strstr(text->out, "$BB_TEST_API_TOKEN (set)"));
    g_assert_nonnull(strstr(text->out, "api.example.com"));
    g_assert_null(strstr(text->out, secret));
    g_assert_null(strstr(text->err, secret));

    json = run_cli_env(NULL, env_set, json_args);
    g_assert_cmpint(json->status, ==, 0);
    g_assert_null(strstr(json->out, secret));
    root = parse_json(json->out);
    ref = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(root), "secrets"), 0);
    g_assert_cmpstr(json_object_get_string_member(ref, "env_name"), ==, "BB_TEST_API_TOKEN");
    g_assert_true(json_object_get_boolean_member(ref, "set"));
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(root), "prompt"), !=, NULL);
}

static void
test_info_unknown_agent(void)
{
    const gchar *args[] = {"info", "nobody", NULL};
    g_autoptr(CliResult) result = NULL;
    write_good_manifests();
    result = run_cli(args);
    g_assert_cmpint(result->status, ==, 1);
    g_assert_nonnull(strstr(result->err, "nobody"));
}

static void
test_list_json(void)
{
    const gchar *args[] = {"list", "--json", NULL};
    g_autoptr(CliResult) result = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonObject *agent;

    write_good_manifests();
    result = run_cli(args);
    g_assert_cmpint(result->status, ==, 0);
    root = parse_json(result->out);
    agent = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(root), "agents"), 0);
    g_assert_cmpstr(json_object_get_string_member(agent, "name"), ==, "helper");
    g_assert_cmpstr(json_object_get_string_member(agent, "origin"), ==, "home");
}

/* doctor: each failing check exits 1 and says how to fix it; against the
 * running engine (CI starts one) with a config dir, it passes. */
static void
test_doctor(void)
{
    const gchar *args[] = {"doctor", NULL};
    const gchar *no_engine[] = {"DOCKER_HOST", "unix:///nonexistent/docker.sock", NULL};
    g_autoptr(CliResult) missing_config = NULL;
    g_autoptr(CliResult) missing_engine = NULL;
    g_autoptr(CliResult) healthy = NULL;

    missing_config = run_cli(args);
    g_assert_cmpint(missing_config->status, ==, 1);
    g_assert_nonnull(strstr(missing_config->out, "mkdir -p"));

    write_good_manifests();
    missing_engine = run_cli_env(NULL, no_engine, args);
    g_assert_cmpint(missing_engine->status, ==, 1);
    g_assert_nonnull(strstr(missing_engine->out, "/nonexistent/docker.sock"));
    g_assert_nonnull(strstr(missing_engine->out, "docker"));

    healthy = run_cli(args);
    if (healthy->status != 0)
        g_printerr("doctor output:\n%s\n", healthy->out);
    g_assert_cmpint(healthy->status, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_assert_nonnull(g_getenv("BOT_BOTTLE_CLI"));
    g_test_add_func("/cli/version-and-help", test_version_and_help);
    g_test_add_func("/cli/every-command-has-help", test_every_command_has_help);
    g_test_add_func("/cli/plugins/builtin-auth", test_plugins_lists_builtin_auth);
    g_test_add_func("/cli/plugins/broken-contrib", test_broken_contrib_is_reported_not_fatal);
    g_test_add_func("/cli/plugins/no-contrib", test_no_contrib_env_disables_contrib);
    g_test_add_func("/cli/check/good", test_check_good_manifests);
    g_test_add_func("/cli/check/unknown-key", test_check_unknown_key_names_file_and_line);
    g_test_add_func("/cli/check/all-errors", test_check_lists_all_errors);
    g_test_add_func("/cli/check/repo-bottle-refused", test_repo_bottle_refused);
    g_test_add_func("/cli/info/secrets-never-printed", test_info_never_prints_secret_values);
    g_test_add_func("/cli/info/unknown-agent", test_info_unknown_agent);
    g_test_add_func("/cli/list/json", test_list_json);
    g_test_add_func("/cli/doctor", test_doctor);
    return g_test_run();
}
