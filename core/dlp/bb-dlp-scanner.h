/* BbDlpScanner: the configured detectors of one direction, run over every
 * decoded view of what is scanned (see bb-dlp-view.h). This is the API
 * the egress proxy calls at each scan point:
 *
 *   hostname  bb_dlp_scanner_scan_hostname()  (labels also joined)
 *   target    bb_dlp_scanner_scan(path+query)
 *   headers   bb_dlp_scanner_scan_parts() over all values (each, and joined)
 *   bodies    BbDlpStream (bb-dlp-stream.h) with the Content-Encoding
 *   responses BbDlpStream on an inbound scanner
 *
 * A CANNOT_SCAN verdict (decoder failure, body over the cap, detector
 * error) must be treated exactly like a finding: block. */
#pragma once

#include <glib-object.h>
#include "bb-detector.h"
#include "bb-registry.h"

G_BEGIN_DECLS

typedef enum {
    BB_DLP_VERDICT_CLEAN,
    BB_DLP_VERDICT_FOUND,
    BB_DLP_VERDICT_CANNOT_SCAN,
} BbDlpVerdict;

/* Bodies decoded past this many bytes are refused (cannot-scan). */
#define BB_DLP_DEFAULT_MAX_DECODED (256 * 1024 * 1024)

#define BB_TYPE_DLP_SCANNER (bb_dlp_scanner_get_type())
G_DECLARE_FINAL_TYPE(BbDlpScanner, bb_dlp_scanner, BB, DLP_SCANNER, GObject)

BbDlpScanner *bb_dlp_scanner_new(void);

/* Adds an already configured detector. */
void bb_dlp_scanner_add_detector(BbDlpScanner *self, const gchar *name, BbDetector *detector);

/* Creates and configures the detectors @names (NULL: every registered
 * detector reading @direction) from @registry. Fails when a name is
 * unknown, reads the other direction, or does not configure. */
BbDlpScanner *bb_dlp_scanner_new_from_registry(BbRegistry *registry, BbDetectorDirection direction,
                                               const gchar *const *names,
                                               const BbDetectorContext *context, GError **error);

guint bb_dlp_scanner_get_n_detectors(BbDlpScanner *self);

/* Off: detectors see only the bytes as given (benchmarks, comparisons). */
void bb_dlp_scanner_set_decoding(BbDlpScanner *self, gboolean decoding);

/* How many bytes consecutive stream windows overlap by: long enough for
 * the longest match in its most expanded encoding. 0: whole bodies only. */
gsize bb_dlp_scanner_get_overlap(BbDlpScanner *self);

/* Scans @data and every decoded view of it; appends BbFinding (offsets
 * in @data) to @findings. */
BbDlpVerdict bb_dlp_scanner_scan(BbDlpScanner *self, const guint8 *data, gsize len,
                                 GPtrArray *findings, GError **error);

/* A hostname as sent, and its labels joined without dots, so a secret
 * spread over labels is found too. */
BbDlpVerdict bb_dlp_scanner_scan_hostname(BbDlpScanner *self, const gchar *hostname,
                                          GPtrArray *findings, GError **error);

/* Pieces an agent could split one value across (every header value, every
 * query parameter value): each piece, then all of them joined in order
 * with nothing between, so a secret cut in two is found. Findings from
 * the joined form have offsets into that concatenation. */
BbDlpVerdict bb_dlp_scanner_scan_parts(BbDlpScanner *self, const gchar *const *parts,
                                       GPtrArray *findings, GError **error);

/* A copy of @data with every finding's span replaced by "[REDACTED]",
 * re-scanned; NULL (fail closed) when a finding's detector cannot redact,
 * when scanning fails, or when the redacted copy still has findings.
 * @findings receives what was redacted. */
GBytes *bb_dlp_scanner_redact(BbDlpScanner *self, const guint8 *data, gsize len,
                              GPtrArray *findings, GError **error);

/* A new array for findings (frees them). */
GPtrArray *bb_dlp_findings_new(void);

G_END_DECLS
