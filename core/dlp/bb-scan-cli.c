#include "bb-scan-cli.h"
#include "bb-config-paths.h"
#include "bb-dlp-scanner.h"
#include "bb-error.h"

#include <json-glib/json-glib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Inputs larger than this are refused rather than scanned in part. */
#define BB_SCAN_MAX_INPUT (256 * 1024 * 1024)

enum { BB_SCAN_CLEAN = 0, BB_SCAN_FOUND = 1, BB_SCAN_ERROR = 2 };

typedef struct {
    gboolean json;
    gchar *bottle;
    JsonBuilder *builder;
    guint n_findings;
} BbScanRun;

static void
bb_known_secret_free(BbKnownSecret *secret)
{
    g_free(secret->env_name);
    if (secret->value != NULL)
        explicit_bzero(secret->value, strlen(secret->value));
    g_free(secret->value);
    g_free(secret);
}

/* The bottle's secret references, resolved from the host environment. */
static GPtrArray *
bb_scan_known_secrets(BbPlan *plan)
{
    GPtrArray *known = g_ptr_array_new_with_free_func((GDestroyNotify)bb_known_secret_free);
    GPtrArray *refs = plan != NULL ? bb_plan_get_secret_refs(plan) : NULL;

    for (guint i = 0; refs != NULL && i < refs->len; i++) {
        const BbSecretRef *ref = g_ptr_array_index(refs, i);
        const gchar *value = g_getenv(ref->env_name);
        BbKnownSecret *secret;
        if (value == NULL || *value == '\0') {
            g_printerr("warning: %s is not set here; it is not searched for\n", ref->env_name);
            continue;
        }
        secret = g_new0(BbKnownSecret, 1);
        secret->env_name = g_strdup(ref->env_name);
        secret->value = g_strdup(value);
        g_ptr_array_add(known, secret);
    }
    return known;
}

static const gchar *
bb_scan_data_dir(void)
{
    const gchar *dir = g_getenv("BOT_BOTTLE_DATA_DIR");
    return dir != NULL && *dir != '\0' ? dir : BB_DATADIR;
}

static GBytes *
bb_scan_read_stdin(GError **error)
{
    g_autoptr(GByteArray) data = g_byte_array_new();
    guint8 buffer[65536];
    gssize got;

    while ((got = read(STDIN_FILENO, buffer, sizeof buffer)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot read standard input: %s",
                        g_strerror(errno));
            return NULL;
        }
        if (data->len + (gsize)got > BB_SCAN_MAX_INPUT) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "standard input is larger than %d MiB; scan it in parts",
                        BB_SCAN_MAX_INPUT >> 20);
            return NULL;
        }
        g_byte_array_append(data, buffer, (guint)got);
    }
    return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

static GBytes *
bb_scan_read(const gchar *path, GError **error)
{
    g_autoptr(GMappedFile) file = NULL;

    if (g_str_equal(path, "-"))
        return bb_scan_read_stdin(error);
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "%s is a directory; pass files", path);
        return NULL;
    }
    file = g_mapped_file_new(path, FALSE, error);
    if (file == NULL)
        return NULL;
    if (g_mapped_file_get_length(file) > BB_SCAN_MAX_INPUT) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "%s is larger than %d MiB", path,
                    BB_SCAN_MAX_INPUT >> 20);
        return NULL;
    }
    return g_mapped_file_get_bytes(file);
}

static gint
bb_finding_by_offset(gconstpointer a, gconstpointer b)
{
    const BbFinding *fa = *(const BbFinding *const *)a;
    const BbFinding *fb = *(const BbFinding *const *)b;
    return fa->offset < fb->offset ? -1 : fa->offset > fb->offset;
}

static void
bb_scan_report(BbScanRun *run, const gchar *name, const guint8 *data, GPtrArray *findings)
{
    gsize pos = 0, line = 1, line_start = 0;

    g_ptr_array_sort(findings, bb_finding_by_offset);
    for (guint i = 0; i < findings->len; i++) {
        const BbFinding *f = g_ptr_array_index(findings, i);
        for (; pos < f->offset; pos++) {
            if (data[pos] == '\n') {
                line++;
                line_start = pos + 1;
            }
        }
        gsize column = f->offset - line_start + 1;
        run->n_findings++;
        if (!run->json) {
            g_print("%s:%" G_GSIZE_FORMAT ":%" G_GSIZE_FORMAT ": %s [%s] %s fingerprint %s\n", name,
                    line, column, f->rule_id, f->detector, f->snippet, f->fingerprint);
            continue;
        }
        json_builder_begin_object(run->builder);
        json_builder_set_member_name(run->builder, "file");
        json_builder_add_string_value(run->builder, name);
        json_builder_set_member_name(run->builder, "line");
        json_builder_add_int_value(run->builder, (gint64)line);
        json_builder_set_member_name(run->builder, "column");
        json_builder_add_int_value(run->builder, (gint64)column);
        json_builder_set_member_name(run->builder, "offset");
        json_builder_add_int_value(run->builder, (gint64)f->offset);
        json_builder_set_member_name(run->builder, "length");
        json_builder_add_int_value(run->builder, (gint64)f->length);
        json_builder_set_member_name(run->builder, "detector");
        json_builder_add_string_value(run->builder, f->detector);
        json_builder_set_member_name(run->builder, "rule");
        json_builder_add_string_value(run->builder, f->rule_id);
        json_builder_set_member_name(run->builder, "snippet");
        json_builder_add_string_value(run->builder, f->snippet);
        json_builder_set_member_name(run->builder, "fingerprint");
        json_builder_add_string_value(run->builder, f->fingerprint);
        json_builder_end_object(run->builder);
    }
}

/* Scans one input; FALSE when it could not be judged. */
static gboolean
bb_scan_one(BbScanRun *run, BbDlpScanner *scanner, const gchar *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes = bb_scan_read(path, &error);
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    const gchar *name = g_str_equal(path, "-") ? "<stdin>" : path;
    gsize len;
    const guint8 *data;

    if (bytes == NULL) {
        g_printerr("error: %s\n", error->message);
        return FALSE;
    }
    data = g_bytes_get_data(bytes, &len);
    if (bb_dlp_scanner_scan(scanner, data != NULL ? data : (const guint8 *)"", len, findings,
                            &error) == BB_DLP_VERDICT_CANNOT_SCAN) {
        g_printerr("error: %s: cannot scan: %s\n", name, error->message);
        return FALSE;
    }
    bb_scan_report(run, name, data, findings);
    return TRUE;
}

static BbDlpScanner *
bb_scan_make_scanner(BbRegistry *registry, BbPlan *plan, GError **error)
{
    g_autoptr(GPtrArray) known = bb_scan_known_secrets(plan);
    BbDetectorContext context = {bb_scan_data_dir(), known};
    g_autoptr(BbDlpScanner) scanner =
        bb_dlp_scanner_new_from_registry(registry, BB_DETECTOR_OUTBOUND, NULL, &context, error);

    if (scanner == NULL)
        return NULL;
    if (bb_dlp_scanner_get_n_detectors(scanner) == 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "no outbound detector is loaded; run 'bot-bottle plugins' to see why");
        return NULL;
    }
    return g_steal_pointer(&scanner);
}

gint
bb_scan_cli_run(BbRegistry *registry, BbPlan *plan, gint argc, gchar **argv)
{
    BbScanRun run = {0};
    g_autofree gchar *bottle = NULL;
    g_auto(GStrv) inputs = NULL;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &run.json, "Print findings as JSON", NULL},
        {"bottle", 0, 0, G_OPTION_ARG_STRING, &bottle,
         "Also look for this bottle's secrets (read from the environment)", "NAME"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL, "[FILE…|-]"},
        {NULL},
    };
    g_autoptr(GOptionContext) options = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDlpScanner) scanner = NULL;
    g_autoptr(JsonBuilder) builder = json_builder_new();
    const gchar *const stdin_only[] = {"-", NULL};
    const gchar *const *paths;
    gboolean ok = TRUE;

    g_option_context_set_summary(options,
                                 "Runs the outbound DLP detectors over files or standard input "
                                 "and prints each finding.\nExit status: 0 clean, 1 findings, "
                                 "2 error. Usable as a pre-commit hook.");
    g_option_context_add_main_entries(options, entries, NULL);
    if (!g_option_context_parse(options, &argc, &argv, &error)) {
        g_printerr("error: %s (see 'bot-bottle scan --help')\n", error->message);
        return BB_SCAN_ERROR;
    }
    if (bottle != NULL && plan == NULL) {
        g_printerr("error: bottle '%s' could not be resolved\n", bottle);
        return BB_SCAN_ERROR;
    }
    scanner = bb_scan_make_scanner(registry, plan, &error);
    if (scanner == NULL) {
        g_printerr("error: %s\n", error->message);
        return BB_SCAN_ERROR;
    }
    run.builder = builder;
    json_builder_begin_array(builder);
    paths = inputs != NULL && inputs[0] != NULL ? (const gchar *const *)inputs : stdin_only;
    for (guint i = 0; paths[i] != NULL; i++)
        ok = bb_scan_one(&run, scanner, paths[i]) && ok;
    json_builder_end_array(builder);
    if (run.json) {
        g_autoptr(JsonNode) root = json_builder_get_root(builder);
        g_autoptr(JsonGenerator) generator = json_generator_new();
        g_autofree gchar *text = NULL;
        json_generator_set_pretty(generator, TRUE);
        json_generator_set_root(generator, root);
        text = json_generator_to_data(generator, NULL);
        g_print("%s\n", text);
    }
    if (!ok)
        return BB_SCAN_ERROR;
    return run.n_findings > 0 ? BB_SCAN_FOUND : BB_SCAN_CLEAN;
}
