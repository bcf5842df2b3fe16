/* Parsing and validation of single manifests from memory: every
 * diagnostic is asserted in full, position included. */
#include "bb-manifest.h"

#define BOTTLE "/cfg/bottles/dev.md"
#define AGENT "/cfg/agents/helper.md"

typedef enum { KIND_BOTTLE, KIND_AGENT } Kind;

typedef struct {
    const gchar *path; /* test path under /manifest/parse/ */
    Kind kind;
    const gchar *text;
    const gchar *expected; /* every diagnostic, one per line */
} ParseCase;

static gchar *
parse_to_text(Kind kind, const gchar *text, gsize len, guint *n_errors)
{
    g_autoptr(GPtrArray) diagnostics = bb_diagnostics_new();
    g_autoptr(GString) out = g_string_new(NULL);
    if (kind == KIND_BOTTLE) {
        g_autoptr(BbBottleManifest) m =
            bb_bottle_manifest_parse(BOTTLE, "dev", text, len, diagnostics);
        *n_errors = m->n_errors;
    } else {
        g_autoptr(BbAgentManifest) m =
            bb_agent_manifest_parse(AGENT, "helper", BB_ORIGIN_HOME, text, len, diagnostics);
        *n_errors = m->n_errors;
    }
    for (guint i = 0; i < diagnostics->len; i++) {
        g_autofree gchar *line = bb_diagnostic_to_string(g_ptr_array_index(diagnostics, i));
        g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "", line);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
test_parse_case(gconstpointer data)
{
    const ParseCase *c = data;
    guint n_errors = 0;
    g_autofree gchar *got = parse_to_text(c->kind, c->text, strlen(c->text), &n_errors);
    g_autofree gchar *expected = g_strdup(c->expected);
    g_assert_cmpstr(got, ==, g_strstrip(expected));
    /* n_errors must agree with the diagnostics (all of these are errors). */
    if (c->expected[0] == '\0')
        g_assert_cmpuint(n_errors, ==, 0);
    else
        g_assert_cmpuint(n_errors, >, 0);
}

#include "parse-cases.inc"

static void
test_size_cap(void)
{
    gsize len = BB_MANIFEST_MAX_SIZE + 1;
    g_autofree gchar *text = g_malloc(len);
    guint n_errors = 0;
    g_autofree gchar *got = NULL;
    memset(text, '#', len);
    memcpy(text, "---\nbottle: x\n---\n", 18);
    got = parse_to_text(KIND_AGENT, text, len, &n_errors);
    g_assert_cmpstr(got, ==,
                    AGENT ":1:1: error: file: 1048577 bytes; expected at most 1048576 bytes");
}

static void
test_nul_in_body(void)
{
    static const gchar text[] = "---\nbottle: x\n---\nhello\0world\n";
    guint n_errors = 0;
    g_autofree gchar *got = parse_to_text(KIND_AGENT, text, sizeof(text) - 1, &n_errors);
    g_assert_cmpstr(
        got, ==, AGENT ":4:1: error: body: not valid UTF-8 text; expected a UTF-8 Markdown body");
}

/* GLib's own regex message is translated, so only our framing is pinned. */
static void
test_bad_regex(void)
{
    static const gchar text[] = "---\negress:\n  routes:\n    - host: a.example\n"
                                "      matches:\n        - paths: [{type: regex, value: \"/a(\"}]\n"
                                "---\n";
    guint n_errors = 0;
    g_autofree gchar *got = parse_to_text(KIND_BOTTLE, text, sizeof(text) - 1, &n_errors);
    g_assert_cmpuint(n_errors, ==, 1);
    g_assert_true(g_str_has_prefix(
        got,
        BOTTLE ":6:40: error: egress.routes[0].matches[0].paths[0].value: invalid regex '/a('"));
    g_assert_true(g_str_has_suffix(got, "; expected a valid regular expression"));
}

static void
test_billion_laughs(void)
{
    g_autoptr(GString) text = g_string_new("---\nenv:\n  A: &a [x, x, x, x, x, x, x, x, x]\n");
    guint n_errors = 0;
    g_autofree gchar *got = NULL;
    for (gchar c = 'b'; c <= 'j'; c++)
        g_string_append_printf(text, "  %c: [*%c, *%c, *%c, *%c, *%c]\n", g_ascii_toupper(c), c - 1,
                               c - 1, c - 1, c - 1, c - 1);
    g_string_append(text, "---\n");
    got = parse_to_text(KIND_BOTTLE, text->str, text->len, &n_errors);
    /* Refused at the anchor and at every alias, never expanded. */
    g_assert_true(g_str_has_prefix(got, BOTTLE ":3:6: error: env.A: YAML anchor '&a'"));
    g_assert_cmpuint(n_errors, >=, 10);
    g_assert_cmpuint(strlen(got), <, 8192);
}

static void
test_deep_nesting(void)
{
    g_autoptr(GString) text = g_string_new("---\nenv: ");
    guint n_errors = 0;
    g_autofree gchar *got = NULL;
    for (guint i = 0; i < 10000; i++)
        g_string_append_c(text, '[');
    g_string_append(text, "\n---\n");
    got = parse_to_text(KIND_BOTTLE, text->str, text->len, &n_errors);
    g_assert_cmpuint(n_errors, ==, 1);
    g_assert_nonnull(strstr(got, "nested deeper than 32 levels"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
        g_autofree gchar *path = g_strdup_printf("/manifest/parse/%s", parse_cases[i].path);
        g_test_add_data_func(path, &parse_cases[i], test_parse_case);
    }
    g_test_add_func("/manifest/parse/size-cap", test_size_cap);
    g_test_add_func("/manifest/parse/nul-in-body", test_nul_in_body);
    g_test_add_func("/manifest/parse/value/bad-regex", test_bad_regex);
    g_test_add_func("/manifest/parse/billion-laughs", test_billion_laughs);
    g_test_add_func("/manifest/parse/deep-nesting", test_deep_nesting);
    return g_test_run();
}
