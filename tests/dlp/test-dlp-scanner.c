/* The scanner and streams: chunk boundaries, padding, Content-Encoding
 * (and bombs, corrupt and truncated bodies: cannot-scan), redaction,
 * hostnames, detector failure. */
#include "bb-dlp-decompress.h"
#include "bb-dlp-evidence.h"
#include "bb-error.h"
#include "dlp-test-util.h"

#include <brotli/encode.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define SECRET "s3cr3t-Xq9vLm2Pz7Rk4Wn8"
#define TEXT "POST body: here is the value " SECRET " and more text after it."
#define CONTROL_TEXT "POST body: here is the value n0t-a-s3cret-Abcdefghij and more."

static const gchar *const secrets[] = {"TEST_SECRET", SECRET, NULL};

/* --- fake detectors for failure paths -------------------------------- */

#define FAKE_TYPE_DETECTOR (fake_detector_get_type())
G_DECLARE_FINAL_TYPE(FakeDetector, fake_detector, FAKE, DETECTOR, GObject)
struct _FakeDetector {
    GObject parent_instance;
    gboolean fail;
};
static void fake_detector_iface_init(BbDetectorInterface *iface);
G_DEFINE_TYPE_WITH_CODE(FakeDetector, fake_detector, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_DETECTOR, fake_detector_iface_init))
static void
fake_detector_class_init(FakeDetectorClass *klass)
{
}
static void
fake_detector_init(FakeDetector *self)
{
}
static gboolean
fake_scan(BbDetector *detector, const guint8 *data, gsize len, GPtrArray *findings, GError **error)
{
    const gchar *hit;
    if (FAKE_DETECTOR(detector)->fail) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "fake failure");
        return FALSE;
    }
    hit = g_strstr_len((const gchar *)data, (gssize)len, "FORBIDDEN");
    if (hit != NULL) {
        BbFinding *f = bb_finding_new("fake", "fake-word", hit - (const gchar *)data, 9);
        bb_finding_set_evidence(f, (const guint8 *)hit, 9);
        g_ptr_array_add(findings, f);
    }
    return TRUE;
}
static gsize
fake_max(BbDetector *detector)
{
    return 9;
}
static void
fake_detector_iface_init(BbDetectorInterface *iface)
{
    iface->scan = fake_scan;
    iface->get_max_match_length = fake_max;
}

/* --- helpers ---------------------------------------------------------- */

static BbDlpVerdict
stream_in_pieces(BbDlpScanner *scanner, const gchar *encoding, const guint8 *data, gsize len,
                 gsize piece, gsize cap, GPtrArray *findings)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDlpStream) stream = bb_dlp_stream_new(scanner, encoding, cap, &error);
    BbDlpVerdict worst = BB_DLP_VERDICT_CLEAN;

    g_assert_no_error(error);
    for (gsize off = 0; off < len; off += piece) {
        BbDlpVerdict v =
            bb_dlp_stream_feed(stream, data + off, MIN(piece, len - off), findings, NULL);
        if (v == BB_DLP_VERDICT_CANNOT_SCAN)
            return v;
        worst = MAX(worst, v);
    }
    return MAX(worst, bb_dlp_stream_finish(stream, findings, NULL));
}

static GBytes *
compress_zlib(const gchar *text, gsize len, gint window_bits)
{
    z_stream zs = {0};
    gsize cap = compressBound((uLong)len) + 64;
    guint8 *out = g_malloc(cap);
    g_assert_cmpint(deflateInit2(&zs, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY), ==, Z_OK);
    zs.next_in = (Bytef *)text;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    g_assert_cmpint(deflate(&zs, Z_FINISH), ==, Z_STREAM_END);
    deflateEnd(&zs);
    return g_bytes_new_take(out, zs.total_out);
}

static GBytes *
compress_as(const gchar *encoding, const gchar *text, gsize len)
{
    if (g_str_equal(encoding, "gzip"))
        return compress_zlib(text, len, 15 + 16);
    if (g_str_equal(encoding, "deflate"))
        return compress_zlib(text, len, 15);
    if (g_str_equal(encoding, "deflate-raw"))
        return compress_zlib(text, len, -15);
    if (g_str_equal(encoding, "br")) {
        size_t out_len = BrotliEncoderMaxCompressedSize(len);
        guint8 *out = g_malloc(out_len);
        g_assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, len, (const uint8_t *)text,
                                            &out_len, out));
        return g_bytes_new_take(out, out_len);
    }
    if (g_str_equal(encoding, "zstd")) {
        size_t out_len = ZSTD_compressBound(len);
        guint8 *out = g_malloc(out_len);
        out_len = ZSTD_compress(out, out_len, text, len, 3);
        g_assert_false(ZSTD_isError(out_len));
        return g_bytes_new_take(out, out_len);
    }
    g_assert_not_reached();
}

/* --- tests ------------------------------------------------------------ */

static void
test_straddle_every_split(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    const gchar *text = TEXT;
    gsize len = strlen(text);
    gsize secret_at = strstr(text, SECRET) - text;

    for (gsize split = secret_at; split <= secret_at + strlen(SECRET); split++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BbDlpStream) stream = bb_dlp_stream_new(scanner, NULL, 1 << 20, &error);
        g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
        bb_dlp_stream_feed(stream, (const guint8 *)text, split, findings, &error);
        bb_dlp_stream_feed(stream, (const guint8 *)text + split, len - split, findings, &error);
        bb_dlp_stream_finish(stream, findings, &error);
        g_assert_no_error(error);
        g_assert_true(dlp_test_has_rule(findings, "known-secret/TEST_SECRET"));
        /* Offsets count from the start of the body, across chunks. */
        for (guint i = 0; i < findings->len; i++) {
            const BbFinding *f = g_ptr_array_index(findings, i);
            if (g_str_has_prefix(f->rule_id, "known-secret"))
                g_assert_cmpuint(f->offset, ==, secret_at);
        }
    }
}

/* Large pieces are scanned where they lie, with the seam between pieces
 * scanned separately: a secret across the seam is found exactly once. */
static void
test_straddle_large_pieces(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    gsize piece = 1024 * 1024, len = 3 * piece;
    g_autofree gchar *body = g_malloc(len);
    gsize at = piece - 7; /* the secret crosses the first seam */

    for (gsize i = 0; i < len; i++)
        body[i] = "the quick brown fox\n"[i % 20];
    memcpy(body + at - 1, " " SECRET " ", strlen(SECRET) + 2);
    for (guint run = 0; run < 2; run++) {
        g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
        guint hits = 0;
        g_assert_cmpint(
            stream_in_pieces(scanner, NULL, (const guint8 *)body, len, piece, len, findings), ==,
            BB_DLP_VERDICT_FOUND);
        for (guint i = 0; i < findings->len; i++) {
            const BbFinding *f = g_ptr_array_index(findings, i);
            g_assert_cmpuint(f->offset, ==, at);
            hits++;
        }
        g_assert_cmpuint(hits, ==, 1);
        /* second run: the secret wholly inside the second piece */
        memcpy(body + at - 1, "xxxxxxxxxxxxxxxxxxxxxxxxx", strlen(SECRET) + 2);
        at = piece + 4096;
        memcpy(body + at - 1, " " SECRET " ", strlen(SECRET) + 2);
    }
}

static void
test_byte_at_a_time(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    g_autoptr(GPtrArray) found = bb_dlp_findings_new();
    g_autoptr(GPtrArray) quiet = bb_dlp_findings_new();

    g_assert_cmpint(
        stream_in_pieces(scanner, NULL, (const guint8 *)TEXT, strlen(TEXT), 1, 1 << 20, found), ==,
        BB_DLP_VERDICT_FOUND);
    g_assert_cmpint(stream_in_pieces(scanner, NULL, (const guint8 *)CONTROL_TEXT,
                                     strlen(CONTROL_TEXT), 1, 1 << 20, quiet),
                    ==, BB_DLP_VERDICT_CLEAN);
}

static void
test_after_50mb_padding(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    gsize pad = 50 * 1024 * 1024;
    g_autofree gchar *body = g_malloc(pad + sizeof(SECRET) + 2);
    g_autoptr(GPtrArray) found = bb_dlp_findings_new();
    g_autoptr(GPtrArray) quiet = bb_dlp_findings_new();

    for (gsize i = 0; i < pad; i++)
        body[i] = "lorem ipsum dolor sit amet\n"[i % 27];
    g_assert_cmpint(stream_in_pieces(scanner, NULL, (const guint8 *)body, pad, 65536,
                                     BB_DLP_DEFAULT_MAX_DECODED, quiet),
                    ==, BB_DLP_VERDICT_CLEAN);
    memcpy(body + pad, " " SECRET, sizeof(SECRET) + 1);
    g_assert_cmpint(stream_in_pieces(scanner, NULL, (const guint8 *)body, pad + sizeof(SECRET),
                                     65536, BB_DLP_DEFAULT_MAX_DECODED, found),
                    ==, BB_DLP_VERDICT_FOUND);
    g_assert_cmpuint(((BbFinding *)g_ptr_array_index(found, 0))->offset, ==, pad + 1);
}

static void
test_compressed_body(gconstpointer data)
{
    const gchar *encoding = data;
    const gchar *header = g_str_equal(encoding, "deflate-raw") ? "deflate" : encoding;
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    g_autoptr(GBytes) body = compress_as(encoding, TEXT, strlen(TEXT));
    g_autoptr(GBytes) control = compress_as(encoding, CONTROL_TEXT, strlen(CONTROL_TEXT));
    g_autoptr(GPtrArray) found = bb_dlp_findings_new();
    g_autoptr(GPtrArray) quiet = bb_dlp_findings_new();
    gsize len;
    const guint8 *bytes = g_bytes_get_data(body, &len);

    /* Compressed bytes do not contain the secret; only decoding finds it.
     * (zstd keeps short literals verbatim, so the check is moot there.) */
    if (!g_str_equal(encoding, "zstd"))
        g_assert_null(memmem(bytes, len, SECRET, strlen(SECRET)));
    g_assert_cmpint(stream_in_pieces(scanner, header, bytes, len, 7, 1 << 20, found), ==,
                    BB_DLP_VERDICT_FOUND);
    bytes = g_bytes_get_data(control, &len);
    g_assert_cmpint(stream_in_pieces(scanner, header, bytes, len, 7, 1 << 20, quiet), ==,
                    BB_DLP_VERDICT_CLEAN);
}

static void
test_gzip_second_member(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    g_autoptr(GBytes) first = compress_as("gzip", CONTROL_TEXT, strlen(CONTROL_TEXT));
    g_autoptr(GBytes) second = compress_as("gzip", TEXT, strlen(TEXT));
    g_autoptr(GByteArray) both = g_byte_array_new();
    g_autoptr(GPtrArray) found = bb_dlp_findings_new();
    g_autoptr(GError) error = NULL;

    g_byte_array_append(both, g_bytes_get_data(first, NULL), (guint)g_bytes_get_size(first));
    g_byte_array_append(both, g_bytes_get_data(second, NULL), (guint)g_bytes_get_size(second));
    g_assert_cmpint(bb_dlp_scanner_scan_body(scanner, "gzip", both->data, both->len, found, &error),
                    ==, BB_DLP_VERDICT_FOUND);
    g_assert_no_error(error);
}

static void
test_bomb(gconstpointer data)
{
    const gchar *encoding = data;
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    gsize big = 64 * 1024 * 1024;
    g_autofree gchar *zeros = g_malloc0(big);
    g_autoptr(GBytes) bomb = compress_as(encoding, zeros, big);
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    gsize len;
    const guint8 *bytes = g_bytes_get_data(bomb, &len);

    g_assert_cmpuint(len, <, big / 100);
    /* Over the cap: refused, whatever it holds. */
    g_assert_cmpint(
        stream_in_pieces(scanner, encoding, bytes, len, 4096, 8 * 1024 * 1024, findings), ==,
        BB_DLP_VERDICT_CANNOT_SCAN);
    /* Control: the same body under a cap it fits is scanned and clean. */
    g_assert_cmpint(stream_in_pieces(scanner, encoding, bytes, len, 1 << 20, big, findings), ==,
                    BB_DLP_VERDICT_CLEAN);
}

static void
test_corrupt_and_truncated(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    g_autoptr(GBytes) body = compress_as("gzip", TEXT, strlen(TEXT));
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    gsize len;
    const guint8 *bytes = g_bytes_get_data(body, &len);
    const gchar *garbage = "this is not gzip at all";

    g_assert_cmpint(bb_dlp_scanner_scan_body(scanner, "gzip", (const guint8 *)garbage,
                                             strlen(garbage), findings, NULL),
                    ==, BB_DLP_VERDICT_CANNOT_SCAN);
    g_assert_cmpint(bb_dlp_scanner_scan_body(scanner, "gzip", bytes, len / 2, findings, NULL), ==,
                    BB_DLP_VERDICT_CANNOT_SCAN);
    g_assert_cmpint(bb_dlp_scanner_scan_body(scanner, "compress", bytes, len, findings, NULL), ==,
                    BB_DLP_VERDICT_CANNOT_SCAN);
    g_assert_cmpint(bb_dlp_scanner_scan_body(scanner, "gzip, br", bytes, len, findings, NULL), ==,
                    BB_DLP_VERDICT_CANNOT_SCAN);
    /* Control: the intact body scans (and finds the secret). */
    g_assert_cmpint(bb_dlp_scanner_scan_body(scanner, "gzip", bytes, len, findings, NULL), ==,
                    BB_DLP_VERDICT_FOUND);
}

static void
test_redact(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    g_autofree gchar *b64 = g_base64_encode((const guchar *)SECRET, strlen(SECRET));
    g_autofree gchar *text =
        g_strdup_printf("/api?a=%s&b=%%73%%33cr3t-Xq9vLm2Pz7Rk4Wn8&c=%s&d=ok", SECRET, b64);
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) redacted =
        bb_dlp_scanner_redact(scanner, (const guint8 *)text, strlen(text), findings, &error);
    g_autofree gchar *out = NULL;
    g_autoptr(GBytes) control = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(redacted);
    out = g_strndup(g_bytes_get_data(redacted, NULL), g_bytes_get_size(redacted));
    g_assert_null(strstr(out, SECRET));
    g_assert_null(strstr(out, b64));
    g_assert_nonnull(strstr(out, "[REDACTED]"));
    g_assert_true(g_str_has_prefix(out, "/api?a="));
    g_assert_true(g_str_has_suffix(out, "&d=ok"));
    g_assert_cmpuint(findings->len, >=, 3);
    /* Control: nothing to redact leaves the bytes as they were. */
    g_ptr_array_set_size(findings, 0);
    control = bb_dlp_scanner_redact(scanner, (const guint8 *)CONTROL_TEXT, strlen(CONTROL_TEXT),
                                    findings, &error);
    g_assert_no_error(error);
    g_assert_cmpmem(g_bytes_get_data(control, NULL), g_bytes_get_size(control), CONTROL_TEXT,
                    strlen(CONTROL_TEXT));
}

static void
test_redact_unsupported_fails_closed(void)
{
    g_autoptr(BbDlpScanner) scanner = bb_dlp_scanner_new();
    g_autoptr(BbDetector) fake = g_object_new(FAKE_TYPE_DETECTOR, NULL);
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) out = NULL;
    const gchar *text = "a FORBIDDEN word";

    bb_dlp_scanner_add_detector(scanner, "fake", fake);
    out = bb_dlp_scanner_redact(scanner, (const guint8 *)text, strlen(text), findings, &error);
    g_assert_null(out);
    g_assert_error(error, BB_ERROR, BB_ERROR_POLICY);
}

static void
test_detector_failure_is_cannot_scan(void)
{
    g_autoptr(BbDlpScanner) scanner = bb_dlp_scanner_new();
    g_autoptr(BbDetector) fake = g_object_new(FAKE_TYPE_DETECTOR, NULL);
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    g_autoptr(GError) error = NULL;

    FAKE_DETECTOR(fake)->fail = TRUE;
    bb_dlp_scanner_add_detector(scanner, "fake", fake);
    g_assert_cmpint(bb_dlp_scanner_scan(scanner, (const guint8 *)"hello", 5, findings, &error), ==,
                    BB_DLP_VERDICT_CANNOT_SCAN);
    g_assert_error(error, BB_ERROR, BB_ERROR_FAILED);
    /* Control: the same detector working finds nothing in "hello". */
    FAKE_DETECTOR(fake)->fail = FALSE;
    g_assert_cmpint(bb_dlp_scanner_scan(scanner, (const guint8 *)"hello", 5, findings, NULL), ==,
                    BB_DLP_VERDICT_CLEAN);
}

static void
test_hostname(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    const gchar *split = "s3cr3t-xq9v.lm2pz7rk4wn8.exfil.example.com";
    g_autoptr(GString) hex_host = g_string_new(NULL);
    g_autoptr(GPtrArray) a = bb_dlp_findings_new();
    g_autoptr(GPtrArray) b = bb_dlp_findings_new();
    g_autoptr(GPtrArray) c = bb_dlp_findings_new();

    for (const gchar *p = SECRET; *p; p++)
        g_string_append_printf(hex_host, "%02x", (guint8)*p);
    g_string_insert_c(hex_host, 20, '.');
    g_string_append(hex_host, ".exfil.example.com");
    g_assert_cmpint(bb_dlp_scanner_scan_hostname(scanner, split, a, NULL), ==,
                    BB_DLP_VERDICT_FOUND);
    g_assert_cmpint(bb_dlp_scanner_scan_hostname(scanner, hex_host->str, b, NULL), ==,
                    BB_DLP_VERDICT_FOUND);
    g_assert_cmpint(bb_dlp_scanner_scan_hostname(scanner, "api.github.com", c, NULL), ==,
                    BB_DLP_VERDICT_CLEAN);
}

static void
test_split_across_parts(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    const gchar *split[] = {"s3cr3t-Xq9vL", "m2Pz7Rk4Wn8", NULL};
    const gchar *control[] = {"text/html", "gzip, br", "en-GB", NULL};
    g_autoptr(GPtrArray) found = bb_dlp_findings_new();
    g_autoptr(GPtrArray) quiet = bb_dlp_findings_new();

    g_assert_cmpint(bb_dlp_scanner_scan_parts(scanner, split, found, NULL), ==,
                    BB_DLP_VERDICT_FOUND);
    g_assert_true(dlp_test_has_rule(found, "known-secret/TEST_SECRET"));
    g_assert_cmpint(bb_dlp_scanner_scan_parts(scanner, control, quiet, NULL), ==,
                    BB_DLP_VERDICT_CLEAN);
}

static void
test_percent_span_maps_to_original(void)
{
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    g_autoptr(GString) path = g_string_new("/p?q=");
    gsize start = path->len;
    g_autoptr(GPtrArray) findings = NULL;
    gboolean exact = FALSE;

    for (const gchar *p = SECRET; *p; p++)
        g_string_append_printf(path, "%%25%02X", (guint8)*p); /* percent twice */
    g_string_append(path, "&x=1");
    findings = dlp_test_scan(scanner, path->str);
    for (guint i = 0; i < findings->len; i++) {
        const BbFinding *f = g_ptr_array_index(findings, i);
        exact = exact || (f->offset == start && f->length == strlen(SECRET) * 5);
    }
    g_assert_true(exact);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/dlp/scanner/stream/straddle-every-split", test_straddle_every_split);
    g_test_add_func("/dlp/scanner/stream/byte-at-a-time", test_byte_at_a_time);
    g_test_add_func("/dlp/scanner/stream/straddle-large-pieces", test_straddle_large_pieces);
    g_test_add_func("/dlp/scanner/stream/after-50mb-padding", test_after_50mb_padding);
    g_test_add_data_func("/dlp/scanner/body/gzip", "gzip", test_compressed_body);
    g_test_add_data_func("/dlp/scanner/body/deflate", "deflate", test_compressed_body);
    g_test_add_data_func("/dlp/scanner/body/deflate-raw", "deflate-raw", test_compressed_body);
    g_test_add_data_func("/dlp/scanner/body/br", "br", test_compressed_body);
    g_test_add_data_func("/dlp/scanner/body/zstd", "zstd", test_compressed_body);
    g_test_add_func("/dlp/scanner/body/gzip-second-member", test_gzip_second_member);
    g_test_add_data_func("/dlp/scanner/body/bomb/gzip", "gzip", test_bomb);
    g_test_add_data_func("/dlp/scanner/body/bomb/br", "br", test_bomb);
    g_test_add_data_func("/dlp/scanner/body/bomb/zstd", "zstd", test_bomb);
    g_test_add_func("/dlp/scanner/body/corrupt-truncated-unknown", test_corrupt_and_truncated);
    g_test_add_func("/dlp/scanner/redact", test_redact);
    g_test_add_func("/dlp/scanner/redact/unsupported-fails-closed",
                    test_redact_unsupported_fails_closed);
    g_test_add_func("/dlp/scanner/detector-failure", test_detector_failure_is_cannot_scan);
    g_test_add_func("/dlp/scanner/hostname", test_hostname);
    g_test_add_func("/dlp/scanner/split-across-parts", test_split_across_parts);
    g_test_add_func("/dlp/scanner/percent-span", test_percent_span_maps_to_original);
    return g_test_run();
}
