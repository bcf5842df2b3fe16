/* `bot-bottle scan` through the real binary and plugin loader: the
 * built-in detector plugins load, --bottle resolves a bottle from
 * ~/.bot-bottle and its token_ref becomes a known secret. */
#include <gio/gio.h>
#include <string.h>

#define BOTTLE_SECRET "dev-Token-4Kq9Zr2Wm7Xp"

typedef struct {
    gint status;
    gchar *out;
    gchar *err;
} Result;

static Result
run(const gchar *const *args, const gchar *input)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocess) child = NULL;
    g_autoptr(GError) error = NULL;
    Result r = {0};

    g_assert_cmpint(g_mkdir_with_parents(g_get_home_dir(), 0700), ==, 0);
    g_subprocess_launcher_setenv(launcher, "HOME", g_get_home_dir(), TRUE);
    g_subprocess_launcher_setenv(launcher, "NO_COLOR", "1", TRUE);
    g_subprocess_launcher_setenv(launcher, "BB_TEST_API_TOKEN", BOTTLE_SECRET, TRUE);
    g_subprocess_launcher_unsetenv(launcher, "BOT_BOTTLE_CONFIG_DIR");
    g_subprocess_launcher_set_cwd(launcher, g_get_home_dir());
    g_ptr_array_add(argv, (gpointer)g_getenv("BOT_BOTTLE_CLI"));
    for (guint i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    child = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_subprocess_communicate_utf8(child, input, NULL, &r.out, &r.err, &error);
    g_assert_no_error(error);
    r.status = g_subprocess_get_exit_status(child);
    return r;
}

static void
write_bottle(void)
{
    g_autofree gchar *dir = g_build_filename(g_get_home_dir(), ".bot-bottle", "bottles", NULL);
    g_autofree gchar *path = g_build_filename(dir, "dev.md", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path,
                                      "---\n"
                                      "agent_provider:\n"
                                      "  template: shell\n"
                                      "egress:\n"
                                      "  routes:\n"
                                      "    - host: api.example.com\n"
                                      "      auth:\n"
                                      "        scheme: Bearer\n"
                                      "        token_ref: BB_TEST_API_TOKEN\n"
                                      "---\n",
                                      -1, NULL));
}

static void
test_plain(void)
{
    const gchar *args[] = {"scan", "-", NULL};
    Result found = run(args, "key: ghp_R8x2Kq7LmN4pV9sT1wY6zB3cD5fG0hJ2kL4m\n");
    Result clean = run(args, "int main(void) { return 0; }\n");
    g_assert_cmpint(found.status, ==, 1);
    g_assert_nonnull(strstr(found.out, "<stdin>:1:6: github-pat [token_patterns]"));
    g_assert_cmpint(clean.status, ==, 0);
    g_free(found.out), g_free(found.err), g_free(clean.out), g_free(clean.err);
}

static void
test_bottle(void)
{
    const gchar *args[] = {"scan", "--bottle", "dev", "-", NULL};
    const gchar *missing[] = {"scan", "--bottle", "nope", "-", NULL};
    g_autofree gchar *b64 = g_base64_encode((const guchar *)BOTTLE_SECRET, strlen(BOTTLE_SECRET));
    g_autofree gchar *input = g_strdup_printf("Authorization: Basic %s\n", b64);
    Result found, control, unknown;

    write_bottle();
    found = run(args, input);
    control = run(args, "Authorization: Basic aGVsbG8=\n");
    unknown = run(missing, "x\n");
    g_assert_cmpint(found.status, ==, 1);
    g_assert_nonnull(strstr(found.out, "known-secret/BB_TEST_API_TOKEN"));
    g_assert_null(strstr(found.out, BOTTLE_SECRET));
    g_assert_null(strstr(found.out, b64));
    g_assert_null(strstr(found.err, BOTTLE_SECRET));
    g_assert_cmpint(control.status, ==, 0);
    g_assert_cmpint(unknown.status, ==, 2);
    g_free(found.out), g_free(found.err), g_free(control.out), g_free(control.err);
    g_free(unknown.out), g_free(unknown.err);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/dlp/cmd-scan/plain", test_plain);
    g_test_add_func("/dlp/cmd-scan/bottle", test_bottle);
    return g_test_run();
}
