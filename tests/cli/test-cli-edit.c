/* `init` and `edit`: they write manifests, so they must never leave an
 * invalid or half-written configuration behind. */
#include <glib/gstdio.h>
#include <string.h>

#include "cli-harness.h"

static gchar *
read_config(const gchar *relative)
{
    g_autofree gchar *path = config_path(relative);
    gchar *contents = NULL;
    if (!g_file_get_contents(path, &contents, NULL, NULL))
        return NULL;
    return contents;
}

/* init then info: a working bottle and agent without hand-editing. */
static void
test_init_non_interactive(void)
{
    const gchar *init_args[] = {"init",         "--non-interactive", "--agent", "dev",
                                "--auth-token", "MY_CLAUDE_TOKEN",   NULL};
    const gchar *info_args[] = {"info", "dev", "--json", NULL};
    const gchar *check_args[] = {"check", NULL};
    g_autoptr(CliResult) init = run_cli(init_args);
    g_autoptr(CliResult) info = NULL;
    g_autoptr(CliResult) check = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree gchar *bottle = NULL;
    JsonObject *route;

    g_assert_cmpint(init->status, ==, 0);
    g_assert_nonnull(strstr(init->out, "export MY_CLAUDE_TOKEN="));
    bottle = read_config("bottles/claude.md");
    g_assert_nonnull(strstr(bottle, "auth_token: MY_CLAUDE_TOKEN\n"));

    check = run_cli(check_args);
    g_assert_cmpint(check->status, ==, 0);
    info = run_cli(info_args);
    g_assert_cmpint(info->status, ==, 0);
    root = parse_json(info->out);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(root), "bottle"), ==,
                    "claude");
    route = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(root), "routes"), 0);
    g_assert_cmpstr(json_object_get_string_member(route, "host"), ==, "api.anthropic.com");
    g_assert_cmpstr(json_object_get_string_member(route, "token_ref"), ==, "MY_CLAUDE_TOKEN");
}

/* A second init for the same agent refuses and changes nothing; a new
 * agent reuses (keeps) the existing base bottle. */
static void
test_init_keeps_existing(void)
{
    const gchar *first[] = {"init", "--non-interactive", "--agent", "dev", NULL};
    const gchar *again[] = {"init", "--non-interactive", "--agent", "dev", NULL};
    const gchar *other[] = {"init", "--non-interactive", "--agent", "second", NULL};
    g_autoptr(CliResult) r1 = run_cli(first);
    g_autoptr(CliResult) r2 = NULL;
    g_autoptr(CliResult) r3 = NULL;
    g_autofree gchar *before = NULL;
    g_autofree gchar *after = NULL;

    g_assert_cmpint(r1->status, ==, 0);
    write_config("agents/dev.md", "---\nbottle: claude\n---\nMy own words.\n");
    before = read_config("agents/dev.md");
    r2 = run_cli(again);
    g_assert_cmpint(r2->status, ==, 1);
    g_assert_nonnull(strstr(r2->err, "--force"));
    after = read_config("agents/dev.md");
    g_assert_cmpstr(before, ==, after);

    r3 = run_cli(other);
    g_assert_cmpint(r3->status, ==, 0);
    g_assert_nonnull(strstr(r3->out, "kept"));
}

/* An invalid result is rolled back: no file of init's is left behind. */
static void
test_init_rolls_back_invalid(void)
{
    const gchar *args[] = {"init", "--non-interactive", "--agent", "dev", NULL};
    g_autoptr(CliResult) result = NULL;
    g_autofree gchar *agent = config_path("agents/dev.md");

    /* A broken base bottle the user already has is kept, so the new agent
     * would not validate against it. */
    write_config("bottles/claude.md", "---\nagent_provider: {template: claude}\nbogus: 1\n---\n");
    result = run_cli(args);
    g_assert_cmpint(result->status, ==, 1);
    g_assert_nonnull(strstr(result->err, "bogus"));
    g_assert_false(g_file_test(agent, G_FILE_TEST_EXISTS));
}

static void
test_init_bad_arguments(void)
{
    const gchar *bad_provider[] = {"init", "--non-interactive", "--provider", "nope", NULL};
    const gchar *bad_agent[] = {"init", "--non-interactive", "--agent", "../evil", NULL};
    const gchar *bad_env[] = {"init", "--non-interactive", "--auth-token", "A=B", NULL};
    g_autoptr(CliResult) r1 = run_cli(bad_provider);
    g_autoptr(CliResult) r2 = run_cli(bad_agent);
    g_autoptr(CliResult) r3 = run_cli(bad_env);
    g_autofree gchar *dir = config_path("agents");

    g_assert_cmpint(r1->status, ==, 2);
    g_assert_nonnull(strstr(r1->err, "nope"));
    g_assert_cmpint(r2->status, ==, 2);
    g_assert_cmpint(r3->status, ==, 2);
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

/* edit with a valid change keeps it. */
static void
test_edit_valid(void)
{
    const gchar *env[] = {"EDITOR", "sed -i s/help./review./", "VISUAL", "", NULL};
    const gchar *args[] = {"edit", "helper", NULL};
    g_autoptr(CliResult) result = NULL;
    g_autofree gchar *after = NULL;

    write_good_manifests();
    result = run_cli_env(NULL, env, args);
    g_assert_cmpint(result->status, ==, 0);
    after = read_config("agents/helper.md");
    g_assert_nonnull(strstr(after, "You review."));
}

/* edit with an invalid change and no terminal: the old file is restored
 * and the edit is kept beside it, not lost. */
static void
test_edit_invalid_restores(void)
{
    const gchar *env[] = {"EDITOR", "sed -i s/bottle:/botle:/", "VISUAL", "", NULL};
    const gchar *args[] = {"edit", "helper", NULL};
    g_autoptr(CliResult) result = NULL;
    g_autofree gchar *before = NULL;
    g_autofree gchar *after = NULL;
    g_autofree gchar *rejected = NULL;

    write_good_manifests();
    before = read_config("agents/helper.md");
    result = run_cli_env(NULL, env, args);
    g_assert_cmpint(result->status, ==, 1);
    g_assert_nonnull(strstr(result->err, "botle: unknown key"));
    g_assert_nonnull(strstr(result->err, "helper.md.rejected"));
    after = read_config("agents/helper.md");
    g_assert_cmpstr(before, ==, after);
    rejected = read_config("agents/helper.md.rejected");
    g_assert_nonnull(strstr(rejected, "botle:"));
}

static void
test_edit_unknown(void)
{
    const gchar *args[] = {"edit", "nobody", NULL};
    g_autoptr(CliResult) result = NULL;
    write_good_manifests();
    result = run_cli(args);
    g_assert_cmpint(result->status, ==, 1);
    g_assert_nonnull(strstr(result->err, "bot-bottle init"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_assert_nonnull(g_getenv("BOT_BOTTLE_CLI"));
    g_test_add_func("/cli/init/non-interactive", test_init_non_interactive);
    g_test_add_func("/cli/init/keeps-existing", test_init_keeps_existing);
    g_test_add_func("/cli/init/rolls-back-invalid", test_init_rolls_back_invalid);
    g_test_add_func("/cli/init/bad-arguments", test_init_bad_arguments);
    g_test_add_func("/cli/edit/valid", test_edit_valid);
    g_test_add_func("/cli/edit/invalid-restores", test_edit_invalid_restores);
    g_test_add_func("/cli/edit/unknown", test_edit_unknown);
    return g_test_run();
}
