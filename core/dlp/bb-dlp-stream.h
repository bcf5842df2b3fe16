/* BbDlpStream: scans a body as it passes, chunk by chunk, after undoing
 * its Content-Encoding. Consecutive windows overlap by the scanner's
 * overlap so a match straddling chunks is found; memory stays at one
 * window plus the overlap. Finding offsets count decoded body bytes. */
#pragma once

#include "bb-dlp-scanner.h"

G_BEGIN_DECLS

typedef struct _BbDlpStream BbDlpStream;

/* NULL + error when @content_encoding cannot be decoded (block). */
BbDlpStream *bb_dlp_stream_new(BbDlpScanner *scanner, const gchar *content_encoding,
                               gsize max_decoded, GError **error);
/* Scans @data (encoded as sent); a verdict for everything fed so far
 * except the last overlap, which the next feed or finish re-reads. */
BbDlpVerdict bb_dlp_stream_feed(BbDlpStream *self, const guint8 *data, gsize len,
                                GPtrArray *findings, GError **error);
/* Ends the body: CANNOT_SCAN when it was truncated or undecodable. */
BbDlpVerdict bb_dlp_stream_finish(BbDlpStream *self, GPtrArray *findings, GError **error);
void bb_dlp_stream_free(BbDlpStream *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDlpStream, bb_dlp_stream_free)

/* Scans a whole body with its Content-Encoding in one call. */
BbDlpVerdict bb_dlp_scanner_scan_body(BbDlpScanner *scanner, const gchar *content_encoding,
                                      const guint8 *data, gsize len, GPtrArray *findings,
                                      GError **error);

G_END_DECLS
