/* DLP engine benchmark: our scanner (all outbound detectors, the full
 * decode chain, streamed in 1 MiB feeds) against the
 * peer, Python re running the same token rules (peer.py). Findings of
 * our rules-only pass must equal the peer's; then MB/s and the ratio are
 * printed, plus a linearity check on adversarial near-matches.
 *
 * Usage: bench-dlp DATA_DIR BENCH_DIR [MEGABYTES] [RUNS] */
#include "bb-dlp-scanner.h"
#include "bb-dlp-stream.h"
#include "bb-known-secrets-detector.h"
#include "bb-token-patterns-detector.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bodies are fed in 1 MiB pieces (the proxy holds a request body, up to
 * the cap, before it forwards it). */
#define CHUNK (1024 * 1024)

/* CPU time of this (single-threaded) process: throughput per core, not
 * blurred by whatever else the shared machine runs. */
static gint64
cpu_microseconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * G_GINT64_CONSTANT(1000000) + ts.tv_nsec / 1000;
}

static BbDetector *
configured(GType type, const gchar *data_dir, GPtrArray *known)
{
    BbDetector *detector = g_object_new(type, NULL);
    BbDetectorContext context = {data_dir, known};
    g_autoptr(GError) error = NULL;
    if (!bb_detector_configure(detector, &context, &error))
        g_error("configure: %s", error->message);
    return detector;
}

static BbDlpScanner *
full_scanner(const gchar *data_dir)
{
    g_autoptr(GPtrArray) known = g_ptr_array_new();
    static BbKnownSecret secrets[] = {
        {"GITHUB_TOKEN", "ghp_benchmarkNotARealTokenValue0123456789"},
        {"ANTHROPIC_API_KEY", "sk-ant-oat01-benchmark-value-that-is-long-enough"},
        {"DB_PASSWORD", "correct-horse-battery-staple-42"},
        {"SHORTISH", "hunter2hunter2"},
    };
    BbDlpScanner *scanner = bb_dlp_scanner_new();
    g_autoptr(BbDetector) tokens = NULL;
    g_autoptr(BbDetector) values = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(secrets); i++)
        g_ptr_array_add(known, &secrets[i]);
    tokens = configured(BB_TYPE_TOKEN_PATTERNS_DETECTOR, data_dir, known);
    values = configured(BB_TYPE_KNOWN_SECRETS_DETECTOR, data_dir, known);
    bb_dlp_scanner_add_detector(scanner, "token_patterns", tokens);
    bb_dlp_scanner_add_detector(scanner, "known_secrets", values);
    return scanner;
}

/* The peer's configuration: token_patterns only, no decoding. */
static BbDlpScanner *
rules_only_scanner(const gchar *data_dir)
{
    BbDlpScanner *scanner = bb_dlp_scanner_new();
    g_autoptr(BbDetector) tokens = configured(BB_TYPE_TOKEN_PATTERNS_DETECTOR, data_dir, NULL);
    bb_dlp_scanner_add_detector(scanner, "token_patterns", tokens);
    bb_dlp_scanner_set_decoding(scanner, FALSE);
    return scanner;
}

static gdouble
stream_seconds(BbDlpScanner *scanner, const guint8 *data, gsize len, guint *n_findings)
{
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    g_autoptr(BbDlpStream) stream =
        bb_dlp_stream_new(scanner, NULL, BB_DLP_DEFAULT_MAX_DECODED, NULL);
    gint64 start = cpu_microseconds();

    for (gsize off = 0; off < len; off += CHUNK)
        if (bb_dlp_stream_feed(stream, data + off, MIN(CHUNK, len - off), findings, NULL) ==
            BB_DLP_VERDICT_CANNOT_SCAN)
            g_error("cannot scan the corpus");
    bb_dlp_stream_finish(stream, findings, NULL);
    *n_findings = findings->len;
    return (cpu_microseconds() - start) / 1e6;
}

static gint
compare_doubles(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return x < y ? -1 : x > y;
}

/* Median, min and max MB/s over @runs streamed scans. */
static void
measure(BbDlpScanner *scanner, const guint8 *data, gsize len, guint runs, gdouble mbps[3],
        guint *n_findings)
{
    g_autofree gdouble *samples = g_new(gdouble, runs);
    for (guint i = 0; i < runs; i++)
        samples[i] = len / 1e6 / stream_seconds(scanner, data, len, n_findings);
    qsort(samples, runs, sizeof(gdouble), (int (*)(const void *, const void *))compare_doubles);
    mbps[0] = samples[runs / 2];
    mbps[1] = samples[0];
    mbps[2] = samples[runs - 1];
}

static gint
compare_lines(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* Our rules-only findings as "rule offset length" lines, sorted. */
static GPtrArray *
our_rule_findings(const gchar *data_dir, const guint8 *data, gsize len)
{
    g_autoptr(BbDlpScanner) scanner = bb_dlp_scanner_new();
    g_autoptr(BbDetector) tokens = configured(BB_TYPE_TOKEN_PATTERNS_DETECTOR, data_dir, NULL);
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

    bb_dlp_scanner_add_detector(scanner, "token_patterns", tokens);
    bb_dlp_scanner_set_decoding(scanner, FALSE);
    bb_dlp_scanner_scan(scanner, data, len, findings, NULL);
    for (guint i = 0; i < findings->len; i++) {
        const BbFinding *f = g_ptr_array_index(findings, i);
        g_ptr_array_add(lines, g_strdup_printf("%s %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT,
                                               f->rule_id, f->offset, f->length));
    }
    g_ptr_array_sort(lines, compare_lines);
    return lines;
}

static GPtrArray *
peer_findings(JsonObject *result)
{
    JsonArray *array = json_object_get_array_member(result, "findings");
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonArray *f = json_array_get_array_element(array, i);
        g_ptr_array_add(lines, g_strdup_printf("%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                                               json_array_get_string_element(f, 0),
                                               json_array_get_int_element(f, 1),
                                               json_array_get_int_element(f, 2)));
    }
    g_ptr_array_sort(lines, compare_lines);
    return lines;
}

static gboolean
same_findings(GPtrArray *ours, GPtrArray *peer)
{
    if (g_getenv("BENCH_DLP_DUMP") != NULL) {
        FILE *a = fopen("/tmp/ours.txt", "w"), *b = fopen("/tmp/peer.txt", "w");
        for (guint i = 0; i < ours->len; i++)
            fprintf(a, "%s\n", (const gchar *)g_ptr_array_index(ours, i));
        for (guint i = 0; i < peer->len; i++)
            fprintf(b, "%s\n", (const gchar *)g_ptr_array_index(peer, i));
        fclose(a);
        fclose(b);
    }
    gboolean same = ours->len == peer->len;
    for (guint i = 0; i < MAX(ours->len, peer->len); i++) {
        const gchar *a = i < ours->len ? g_ptr_array_index(ours, i) : "(none)";
        const gchar *b = i < peer->len ? g_ptr_array_index(peer, i) : "(none)";
        if (g_strcmp0(a, b) != 0) {
            g_printerr("finding %u differs: ours '%s', peer '%s'\n", i, a, b);
            same = FALSE;
            break;
        }
    }
    return same;
}

static gchar *
run_python(const gchar *const *argv)
{
    g_autoptr(GError) error = NULL;
    gchar *out = NULL;
    gint status;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                      &status, &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("%s: %s", argv[1], error->message);
    return out;
}

/* Near-matches only: what a regex engine with backtracking chokes on. */
static GByteArray *
adversarial(gsize len)
{
    GByteArray *out = g_byte_array_sized_new((guint)len);
    GRand *rand = g_rand_new_with_seed(7);
    static const gchar an[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    while (out->len < len) {
        static const gchar *const heads[] = {"ghp_",          "sk-",       "eyJ",    "AKIA",
                                             "xoxb-1234567-", "password=", "%25%25", "glpat-"};
        const gchar *head = heads[g_rand_int_range(rand, 0, G_N_ELEMENTS(heads))];
        gint n = g_rand_int_range(rand, 10, 3000);
        g_byte_array_append(out, (const guint8 *)head, (guint)strlen(head));
        for (gint i = 0; i < n; i++) {
            guint8 c = (guint8)an[g_rand_int_range(rand, 0, 62)];
            g_byte_array_append(out, &c, 1);
        }
        g_byte_array_append(out, (const guint8 *)"\n", 1);
    }
    g_rand_free(rand);
    return out;
}

int
main(int argc, char **argv)
{
    const gchar *data_dir = argc > 1 ? argv[1] : "data";
    const gchar *bench_dir = argc > 2 ? argv[2] : "bench/dlp";
    const gchar *megabytes = argc > 3 ? argv[3] : "32";
    guint runs = argc > 4 ? (guint)atoi(argv[4]) : 5;
    g_autofree gchar *tmp = g_dir_make_tmp("bb-bench-dlp-XXXXXX", NULL);
    g_autofree gchar *corpus_path = g_build_filename(tmp, "corpus.txt", NULL);
    g_autofree gchar *gen = g_build_filename(bench_dir, "gen-corpus.py", NULL);
    g_autofree gchar *peer = g_build_filename(bench_dir, "peer.py", NULL);
    g_autofree gchar *rules = g_build_filename(data_dir, "rules", "token-patterns.json", NULL);
    const gchar *gen_argv[] = {"python3", gen, corpus_path, megabytes, NULL};
    const gchar *peer_argv[] = {"python3", peer, rules, corpus_path, NULL};
    g_autofree gchar *corpus = NULL, *peer_out = NULL;
    gsize len;
    g_autoptr(BbDlpScanner) scanner = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GPtrArray) ours = NULL, theirs = NULL;
    g_autoptr(GByteArray) adv_small = adversarial(8 << 20), adv_big = adversarial(32 << 20);
    g_autoptr(BbDlpScanner) rules_only = NULL;
    gdouble full[3], raw[3], adv8[3], adv32[3], peer_mbps;
    guint n_full = 0, n_adv = 0;
    gboolean same;

    g_free(run_python(gen_argv));
    g_assert_true(g_file_get_contents(corpus_path, &corpus, &len, NULL));
    scanner = full_scanner(data_dir);
    measure(scanner, (const guint8 *)corpus, len, runs, full, &n_full);
    rules_only = rules_only_scanner(data_dir);
    measure(rules_only, (const guint8 *)corpus, len, runs, raw, &n_adv);
    measure(scanner, adv_small->data, adv_small->len, runs, adv8, &n_adv);
    measure(scanner, adv_big->data, adv_big->len, runs, adv32, &n_adv);

    peer_out = run_python(peer_argv);
    g_assert_true(json_parser_load_from_data(parser, peer_out, -1, NULL));
    peer_mbps = len / 1e6 /
                json_object_get_double_member(json_node_get_object(json_parser_get_root(parser)),
                                              "seconds");
    ours = our_rule_findings(data_dir, (const guint8 *)corpus, len);
    theirs = peer_findings(json_node_get_object(json_parser_get_root(parser)));
    same = same_findings(ours, theirs);

    printf("DLP benchmark: %.1f MB corpus (code, JSON chat, base64 blobs, planted secrets,"
           " near-matches), %u runs, 1 MiB stream feeds, CPU time of one core\n",
           len / 1e6, runs);
    printf("%-58s %10s %10s %10s\n", "engine", "median", "min", "max");
    printf("%-58s %7.0f MB/s %6.0f %10.0f\n",
           "ours: token_patterns + known_secrets + full decode chain", full[0], full[1], full[2]);
    printf("%-58s %7.0f MB/s %6.0f %10.0f\n",
           "ours: token_patterns only, no decoding (as the peer)", raw[0], raw[1], raw[2]);
    printf("%-58s %7.1f MB/s\n", "peer: Python re, same token rules (one run)", peer_mbps);
    printf("%-58s %9.0fx\n", "ratio, full pipeline vs peer (median)", full[0] / peer_mbps);
    printf("%-58s %9.0fx\n", "ratio, same work as the peer (median)", raw[0] / peer_mbps);
    printf("%-58s %7.0f MB/s %6.0f %10.0f\n", "ours on adversarial near-matches,  8 MB", adv8[0],
           adv8[1], adv8[2]);
    printf("%-58s %7.0f MB/s %6.0f %10.0f\n", "ours on adversarial near-matches, 32 MB", adv32[0],
           adv32[1], adv32[2]);
    printf("findings: ours (rules only, raw) %u, peer %u: %s; full pipeline %u\n", ours->len,
           theirs->len, same ? "identical" : "DIFFERENT", n_full);
    g_remove(corpus_path);
    g_rmdir(tmp);
    return same ? 0 : 1;
}
