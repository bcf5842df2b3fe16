/* `bot-bottle scan` end to end: exit codes, what is printed (never the
 * secret, in text or JSON), stdin, --bottle known secrets in encodings,
 * and ordinary source staying quiet. Runs the tool as a pre-commit hook
 * would: a separate process. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define TOKEN "ghp_R8x2Kq7LmN4pV9sT1wY6zB3cD5fG0hJ2kL4m"
#define BOTTLE_SECRET "bottle-Secret-7Hq2Zp9Lw4Xv"

typedef struct {
    gint status;
    gchar *out;
    gchar *err;
} ScanResult;

static void
scan_result_clear(ScanResult *result)
{
    g_free(result->out);
    g_free(result->err);
}

static ScanResult
run_scan(const gchar *const *args, const gchar *stdin_text, const gchar *secret_refs)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    ScanResult result = {0};
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) child = NULL;

    g_ptr_array_add(argv, (gpointer)g_getenv("BB_DLP_SCAN_TOOL"));
    g_ptr_array_add(argv, "scan");
    for (guint i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    if (secret_refs != NULL)
        g_subprocess_launcher_setenv(launcher, "BB_TEST_SECRET_REFS", secret_refs, TRUE);
    g_subprocess_launcher_setenv(launcher, "BOTTLE_TOKEN", BOTTLE_SECRET, TRUE);
    child = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_subprocess_communicate_utf8(child, stdin_text != NULL ? stdin_text : "", NULL, &result.out,
                                  &result.err, &error);
    g_assert_no_error(error);
    result.status = g_subprocess_get_exit_status(child);
    return result;
}

static gchar *
write_temp(const gchar *name, const gchar *text)
{
    gchar *path = g_build_filename(g_get_tmp_dir(), name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void
test_clean_file_exits_0(void)
{
    g_autofree gchar *path = write_temp("clean.c", "int main(void) { return 0; }\n");
    const gchar *args[] = {path, NULL};
    ScanResult r = run_scan(args, NULL, NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.out, ==, "");
    scan_result_clear(&r);
}

static void
test_finding_exits_1_with_location(void)
{
    g_autofree gchar *clean = write_temp("ok.txt", "nothing here\n");
    g_autofree gchar *path = write_temp("leak.sh", "#!/bin/sh\n\nexport GH=" TOKEN "\n");
    g_autofree gchar *expected = g_strdup_printf("%s:3:11: github-pat [token_patterns] ghp_", path);
    const gchar *args[] = {clean, path, NULL};
    ScanResult r = run_scan(args, NULL, NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_true(g_str_has_prefix(r.out, expected));
    g_assert_null(strstr(r.out, TOKEN));
    g_assert_null(strstr(r.err, TOKEN));
    scan_result_clear(&r);
}

static void
test_stdin_and_json(void)
{
    const gchar *args[] = {"--json", "-", NULL};
    ScanResult r = run_scan(args, "x\nkey=" TOKEN "\n", NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *array;
    JsonObject *first;

    g_assert_cmpint(r.status, ==, 1);
    g_assert_null(strstr(r.out, TOKEN));
    g_assert_true(json_parser_load_from_data(parser, r.out, -1, NULL));
    array = json_node_get_array(json_parser_get_root(parser));
    g_assert_cmpuint(json_array_get_length(array), ==, 1);
    first = json_array_get_object_element(array, 0);
    g_assert_cmpstr(json_object_get_string_member(first, "file"), ==, "<stdin>");
    g_assert_cmpint(json_object_get_int_member(first, "line"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(first, "column"), ==, 5);
    g_assert_cmpstr(json_object_get_string_member(first, "rule"), ==, "github-pat");
    g_assert_cmpuint(strlen(json_object_get_string_member(first, "fingerprint")), ==, 16);
    scan_result_clear(&r);
}

static void
test_errors_exit_2(void)
{
    const gchar *missing[] = {"/nonexistent/file", NULL};
    const gchar *bad_option[] = {"--frobnicate", NULL};
    const gchar *unresolved[] = {"--bottle", "nope", "-", NULL};
    ScanResult a = run_scan(missing, NULL, NULL);
    ScanResult b = run_scan(bad_option, NULL, NULL);
    ScanResult c = run_scan(unresolved, "", NULL);
    g_assert_cmpint(a.status, ==, 2);
    g_assert_cmpint(b.status, ==, 2);
    g_assert_cmpint(c.status, ==, 2);
    scan_result_clear(&a);
    scan_result_clear(&b);
    scan_result_clear(&c);
}

static void
test_bottle_secrets_in_encodings(void)
{
    g_autofree gchar *b64 = g_base64_encode((const guchar *)BOTTLE_SECRET, strlen(BOTTLE_SECRET));
    g_autofree gchar *hex = NULL;
    g_autofree gchar *text = NULL;
    GString *h = g_string_new(NULL);
    const gchar *args[] = {"--bottle", "work", "-", NULL};

    for (const gchar *p = BOTTLE_SECRET; *p; p++)
        g_string_append_printf(h, "%%%02X", (guint8)*p);
    hex = g_string_free(h, FALSE);
    text = g_strdup_printf("a=%s\nb=%s\nc=%s\n", BOTTLE_SECRET, b64, hex);
    {
        ScanResult found = run_scan(args, text, "BOTTLE_TOKEN");
        ScanResult control = run_scan(args, "a=ordinary\n", "BOTTLE_TOKEN");
        g_assert_cmpint(found.status, ==, 1);
        g_assert_nonnull(strstr(found.out, ":1:3: known-secret/BOTTLE_TOKEN"));
        g_assert_nonnull(strstr(found.out, ":2:3: known-secret/BOTTLE_TOKEN"));
        g_assert_nonnull(strstr(found.out, ":3:3: known-secret/BOTTLE_TOKEN"));
        g_assert_null(strstr(found.out, BOTTLE_SECRET));
        g_assert_null(strstr(found.out, b64));
        g_assert_null(strstr(found.err, BOTTLE_SECRET));
        g_assert_cmpint(control.status, ==, 0);
        scan_result_clear(&found);
        scan_result_clear(&control);
    }
    /* Without --bottle the same value is not a known secret. */
    {
        const gchar *plain[] = {"-", NULL};
        ScanResult r = run_scan(plain, "a=" BOTTLE_SECRET "\n", NULL);
        g_assert_cmpint(r.status, ==, 0);
        scan_result_clear(&r);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/dlp/scan-cli/clean-exits-0", test_clean_file_exits_0);
    g_test_add_func("/dlp/scan-cli/finding-exits-1", test_finding_exits_1_with_location);
    g_test_add_func("/dlp/scan-cli/stdin-json", test_stdin_and_json);
    g_test_add_func("/dlp/scan-cli/errors-exit-2", test_errors_exit_2);
    g_test_add_func("/dlp/scan-cli/bottle-secrets", test_bottle_secrets_in_encodings);
    return g_test_run();
}
