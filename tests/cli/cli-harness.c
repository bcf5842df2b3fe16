/* Running the built bot-bottle binary in an isolated $HOME. */
#include <glib/gstdio.h>
#include <string.h>

#include "cli-harness.h"

void
cli_result_free(CliResult *result)
{
    g_free(result->out);
    g_free(result->err);
    g_free(result);
}

const gchar *
cli_home(void)
{
    /* A fresh temp dir per test (ISOLATE_DIRS), created on first use. */
    g_assert_cmpint(g_mkdir_with_parents(g_get_home_dir(), 0700), ==, 0);
    return g_get_home_dir();
}

/* Runs the CLI with @args in @cwd, HOME set to the isolated home. The
 * environment is otherwise the test's, minus anything that could point
 * the CLI at the developer's real config. */
CliResult *
run_cli_env(const gchar *cwd, const gchar *const *extra_env, const gchar *const *args)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(GError) error = NULL;
    CliResult *result = g_new0(CliResult, 1);

    g_subprocess_launcher_setenv(launcher, "HOME", cli_home(), TRUE);
    g_subprocess_launcher_setenv(launcher, "NO_COLOR", "1", TRUE);
    g_subprocess_launcher_unsetenv(launcher, "BOT_BOTTLE_CONFIG_DIR");
    g_subprocess_launcher_unsetenv(launcher, "BOT_BOTTLE_NO_CONTRIB");
    for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i += 2)
        g_subprocess_launcher_setenv(launcher, extra_env[i], extra_env[i + 1], TRUE);
    g_subprocess_launcher_set_cwd(launcher, cwd != NULL ? cwd : cli_home());

    g_ptr_array_add(argv, (gpointer)g_getenv("BOT_BOTTLE_CLI"));
    for (guint i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);

    process = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_subprocess_communicate_utf8(process, NULL, NULL, &result->out, &result->err, &error);
    g_assert_no_error(error);
    result->status = g_subprocess_get_exit_status(process);
    return result;
}

CliResult *
run_cli(const gchar *const *args)
{
    return run_cli_env(NULL, NULL, args);
}

void
write_file(const gchar *path, const gchar *contents)
{
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_file_set_contents(path, contents, -1, &error);
    g_assert_no_error(error);
}

gchar *
config_path(const gchar *relative)
{
    return g_build_filename(cli_home(), ".bot-bottle", relative, NULL);
}

void
write_config(const gchar *relative, const gchar *contents)
{
    g_autofree gchar *path = config_path(relative);
    write_file(path, contents);
}

void
write_good_manifests(void)
{
    write_config("bottles/dev.md", "---\n"
                                   "agent_provider:\n"
                                   "  template: shell\n"
                                   "env:\n"
                                   "  EDITOR: vi\n"
                                   "egress:\n"
                                   "  routes:\n"
                                   "    - host: api.example.com\n"
                                   "      auth:\n"
                                   "        scheme: Bearer\n"
                                   "        token_ref: BB_TEST_API_TOKEN\n"
                                   "---\n"
                                   "You work on the dev bottle.\n");
    write_config("agents/helper.md", "---\nbottle: dev\n---\nYou help.\n");
}

JsonNode *
parse_json(const gchar *text)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    json_parser_load_from_data(parser, text, -1, &error);
    g_assert_no_error(error);
    return json_node_copy(json_parser_get_root(parser));
}
