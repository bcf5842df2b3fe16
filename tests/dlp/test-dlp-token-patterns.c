/* Every token-patterns rule against its fixtures: each true-positive line
 * yields the rule, no false-positive line does, and ordinary source code
 * (this project's own) yields nothing at all. */
#include "bb-token-rules.h"
#include "dlp-test-util.h"

#include <string.h>

static GPtrArray *
load_rules(void)
{
    g_autofree gchar *path =
        g_build_filename(g_getenv("BOT_BOTTLE_DATA_DIR"), "rules", "token-patterns.json", NULL);
    g_autoptr(GError) error = NULL;
    GPtrArray *rules = bb_token_rules_load(path, "rules", &error);
    g_assert_no_error(error);
    return rules;
}

static gchar **
read_lines(const gchar *rule_id, const gchar *suffix)
{
    g_autofree gchar *name = g_strdup_printf("token-patterns/%s.%s", rule_id, suffix);
    g_autofree gchar *path = dlp_test_fixture_path(name);
    g_autofree gchar *text = NULL;
    g_autoptr(GError) error = NULL;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error); /* every rule must have both fixture files */
    return g_strsplit(g_strchomp(text), "\n", -1);
}

static void
test_rule_fixtures(gconstpointer data)
{
    const gchar *rule_id = data;
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(NULL);
    g_auto(GStrv) positives = read_lines(rule_id, "tp");
    g_auto(GStrv) negatives = read_lines(rule_id, "fp");

    g_assert_cmpuint(g_strv_length(positives), >, 0);
    g_assert_cmpuint(g_strv_length(negatives), >, 0);
    for (guint i = 0; positives[i] != NULL; i++) {
        g_autoptr(GPtrArray) findings = dlp_test_scan(scanner, positives[i]);
        if (!dlp_test_has_rule(findings, rule_id))
            g_error("%s: true positive %u not found", rule_id, i + 1);
    }
    for (guint i = 0; negatives[i] != NULL; i++) {
        g_autoptr(GPtrArray) findings = dlp_test_scan(scanner, negatives[i]);
        for (guint k = 0; k < findings->len; k++) {
            const BbFinding *f = g_ptr_array_index(findings, k);
            if (g_str_equal(f->rule_id, rule_id))
                g_error("%s: false positive line %u flagged", rule_id, i + 1);
        }
    }
}

static void
scan_tree_quietly(BbDlpScanner *scanner, const gchar *dir, guint *n_files)
{
    g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
    const gchar *name;

    g_assert_nonnull(handle);
    while ((name = g_dir_read_name(handle)) != NULL) {
        g_autofree gchar *path = g_build_filename(dir, name, NULL);
        g_autofree gchar *text = NULL;
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            scan_tree_quietly(scanner, path, n_files);
            continue;
        }
        if (!g_str_has_suffix(name, ".c") && !g_str_has_suffix(name, ".h") &&
            !g_str_has_suffix(name, ".md") && !g_str_has_suffix(name, ".build"))
            continue;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_autoptr(GPtrArray) findings = dlp_test_scan(scanner, text);
        if (findings->len > 0) {
            const BbFinding *f = g_ptr_array_index(findings, 0);
            g_error("%s: ordinary source flagged by %s at %" G_GSIZE_FORMAT, path, f->rule_id,
                    f->offset);
        }
        (*n_files)++;
    }
}

static void
test_source_code_is_quiet(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(NULL);
    g_autofree gchar *root = g_path_get_dirname(g_getenv("BOT_BOTTLE_DATA_DIR"));
    g_autofree gchar *core = g_build_filename(root, "core", NULL);
    g_autofree gchar *plugins = g_build_filename(root, "plugins", NULL);
    guint n_files = 0;

    scan_tree_quietly(scanner, core, &n_files);
    scan_tree_quietly(scanner, plugins, &n_files);
    g_assert_cmpuint(n_files, >, 20);
}

static void
test_pack_is_bounded(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(NULL);
    /* Streaming overlap is derived from the longest rule: it must be
     * finite and within the cap. */
    g_assert_cmpuint(bb_dlp_scanner_get_overlap(scanner), >, 0);
    g_assert_cmpuint(bb_dlp_scanner_get_overlap(scanner), <=, 64 * 1024);
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) rules = NULL;

    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    rules = load_rules();
    g_assert_cmpuint(rules->len, >=, 20);
    for (guint i = 0; i < rules->len; i++) {
        const BbTokenRule *rule = g_ptr_array_index(rules, i);
        g_autofree gchar *path = g_strdup_printf("/dlp/token-patterns/rule/%s", rule->id);
        g_test_add_data_func(path, g_strdup(rule->id), test_rule_fixtures);
    }
    g_test_add_func("/dlp/token-patterns/source-code-is-quiet", test_source_code_is_quiet);
    g_test_add_func("/dlp/token-patterns/pack-is-bounded", test_pack_is_bounded);
    return g_test_run();
}
