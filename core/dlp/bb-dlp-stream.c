#include "bb-dlp-stream.h"
#include "bb-dlp-decompress.h"
#include "bb-error.h"

/* Decoded bytes gathered before a window is scanned mid-feed; bounds
 * memory when one compressed chunk inflates a lot. */
#define BB_DLP_WINDOW (1024 * 1024)

struct _BbDlpStream {
    BbDlpScanner *scanner;
    BbDlpDecompressor *decoder;
    GByteArray *window;  /* kept tail of earlier bytes + new bytes */
    gsize tail;          /* bytes at the front of window already scanned */
    gsize window_base;   /* body offset of window[0] */
    gsize overlap;       /* 0: hold the whole body, scan at finish */
    GPtrArray *findings; /* the current feed's output */
    gboolean failed;
};

BbDlpStream *
bb_dlp_stream_new(BbDlpScanner *scanner, const gchar *content_encoding, gsize max_decoded,
                  GError **error)
{
    BbDlpDecompressor *decoder = bb_dlp_decompressor_new(content_encoding, max_decoded, error);
    BbDlpStream *self;

    if (decoder == NULL)
        return NULL;
    self = g_new0(BbDlpStream, 1);
    self->scanner = g_object_ref(scanner);
    self->decoder = decoder;
    self->window = g_byte_array_new();
    self->overlap = bb_dlp_scanner_get_overlap(scanner);
    return self;
}

void
bb_dlp_stream_free(BbDlpStream *self)
{
    if (self == NULL)
        return;
    g_object_unref(self->scanner);
    bb_dlp_decompressor_free(self->decoder);
    g_byte_array_unref(self->window);
    g_free(self);
}

/* Scans the window, keeps findings that reach into the new bytes (the
 * others were reported by the previous window) and drops all but the
 * overlap. */
static gboolean
bb_stream_scan_window(BbDlpStream *self, GError **error)
{
    g_autoptr(GPtrArray) found = bb_dlp_findings_new();
    gsize keep;

    if (self->window->len == self->tail)
        return TRUE;
    if (bb_dlp_scanner_scan(self->scanner, self->window->data, self->window->len, found, error) ==
        BB_DLP_VERDICT_CANNOT_SCAN)
        return FALSE;
    for (guint i = 0; i < found->len; i++) {
        BbFinding *finding = g_ptr_array_index(found, i);
        if (self->tail > 0 && finding->offset + finding->length <= self->tail)
            continue;
        finding->offset += self->window_base;
        g_ptr_array_add(self->findings, g_ptr_array_steal_index(found, i--));
    }
    keep = MIN(self->overlap, self->window->len);
    self->window_base += self->window->len - keep;
    g_byte_array_remove_range(self->window, 0, self->window->len - keep);
    self->tail = keep;
    return TRUE;
}

/* Moves @found to the feed's findings at body offset @base; with
 * @straddling, only those crossing @seam (the others were or will be
 * reported by the scan of one side). */
static void
bb_stream_report(BbDlpStream *self, GPtrArray *found, gsize base, gsize seam, gboolean straddling)
{
    for (guint i = 0; i < found->len; i++) {
        BbFinding *finding = g_ptr_array_index(found, i);
        if (straddling && !(finding->offset < seam && finding->offset + finding->length > seam))
            continue;
        finding->offset += base;
        g_ptr_array_add(self->findings, g_ptr_array_steal_index(found, i--));
    }
}

/* A large piece scanned where it lies instead of being copied behind the
 * tail: first the seam (the tail plus the piece's first overlap bytes),
 * keeping only findings that cross it, then the piece itself. */
static gboolean
bb_stream_scan_direct(BbDlpStream *self, const guint8 *data, gsize len, GError **error)
{
    g_autoptr(GPtrArray) seam = bb_dlp_findings_new();
    g_autoptr(GPtrArray) piece = bb_dlp_findings_new();
    gsize base = self->window_base + self->tail;
    gsize keep = MIN(self->overlap, len);

    if (self->tail > 0) {
        g_byte_array_append(self->window, data, (guint)MIN(self->overlap, len));
        if (bb_dlp_scanner_scan(self->scanner, self->window->data, self->window->len, seam,
                                error) == BB_DLP_VERDICT_CANNOT_SCAN)
            return FALSE;
        bb_stream_report(self, seam, self->window_base, self->tail, TRUE);
    }
    if (bb_dlp_scanner_scan(self->scanner, data, len, piece, error) == BB_DLP_VERDICT_CANNOT_SCAN)
        return FALSE;
    bb_stream_report(self, piece, base, 0, FALSE);
    g_byte_array_set_size(self->window, 0);
    g_byte_array_append(self->window, data + len - keep, (guint)keep);
    self->window_base = base + len - keep;
    self->tail = keep;
    return TRUE;
}

static gboolean
bb_stream_take(const guint8 *data, gsize len, gpointer user_data, GError **error)
{
    BbDlpStream *self = user_data;

    if (self->overlap > 0 && self->window->len == self->tail && len >= 4 * self->overlap)
        return bb_stream_scan_direct(self, data, len, error);
    g_byte_array_append(self->window, data, (guint)len);
    if (self->overlap > 0 && self->window->len - self->tail >= BB_DLP_WINDOW)
        return bb_stream_scan_window(self, error);
    return TRUE;
}

static BbDlpVerdict
bb_stream_verdict(BbDlpStream *self, gboolean ok, guint before)
{
    if (!ok) {
        self->failed = TRUE;
        return BB_DLP_VERDICT_CANNOT_SCAN;
    }
    return self->findings->len > before ? BB_DLP_VERDICT_FOUND : BB_DLP_VERDICT_CLEAN;
}

BbDlpVerdict
bb_dlp_stream_feed(BbDlpStream *self, const guint8 *data, gsize len, GPtrArray *findings,
                   GError **error)
{
    guint before = findings->len;
    gboolean ok;

    if (self->failed) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_POLICY,
                            "the body already failed to scan; it stays blocked");
        return BB_DLP_VERDICT_CANNOT_SCAN;
    }
    self->findings = findings;
    ok = bb_dlp_decompressor_feed(self->decoder, data, len, bb_stream_take, self, error) &&
         (self->overlap == 0 || bb_stream_scan_window(self, error));
    return bb_stream_verdict(self, ok, before);
}

BbDlpVerdict
bb_dlp_stream_finish(BbDlpStream *self, GPtrArray *findings, GError **error)
{
    guint before = findings->len;
    gboolean ok;

    if (self->failed) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_POLICY,
                            "the body already failed to scan; it stays blocked");
        return BB_DLP_VERDICT_CANNOT_SCAN;
    }
    self->findings = findings;
    ok = bb_dlp_decompressor_finish(self->decoder, error) && bb_stream_scan_window(self, error);
    return bb_stream_verdict(self, ok, before);
}

BbDlpVerdict
bb_dlp_scanner_scan_body(BbDlpScanner *scanner, const gchar *content_encoding, const guint8 *data,
                         gsize len, GPtrArray *findings, GError **error)
{
    g_autoptr(BbDlpStream) stream =
        bb_dlp_stream_new(scanner, content_encoding, BB_DLP_DEFAULT_MAX_DECODED, error);
    guint before = findings->len;

    if (stream == NULL)
        return BB_DLP_VERDICT_CANNOT_SCAN;
    if (bb_dlp_stream_feed(stream, data, len, findings, error) == BB_DLP_VERDICT_CANNOT_SCAN ||
        bb_dlp_stream_finish(stream, findings, error) == BB_DLP_VERDICT_CANNOT_SCAN)
        return BB_DLP_VERDICT_CANNOT_SCAN;
    return findings->len > before ? BB_DLP_VERDICT_FOUND : BB_DLP_VERDICT_CLEAN;
}
