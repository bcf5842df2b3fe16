/* Shared helpers for the DLP tests: scanners built from the detector
 * types directly (no plugin loading), and finding assertions. */
#pragma once

#include "bb-dlp-scanner.h"
#include "bb-dlp-stream.h"

G_BEGIN_DECLS

/* An outbound scanner with token_patterns and known_secrets, the latter
 * knowing @secrets (NULL-terminated NAME, VALUE pairs; may be NULL). */
BbDlpScanner *dlp_test_outbound_scanner(const gchar *const *secrets);

/* An inbound scanner with the injection detector. */
BbDlpScanner *dlp_test_inbound_scanner(void);

/* Scans @text (NUL-terminated) and returns the findings. */
GPtrArray *dlp_test_scan(BbDlpScanner *scanner, const gchar *text);

/* Whether some finding's rule id starts with @rule_prefix. */
gboolean dlp_test_has_rule(GPtrArray *findings, const gchar *rule_prefix);

/* Fails the test if any finding's text holds @secret. */
void dlp_test_assert_no_leak(GPtrArray *findings, const gchar *secret);

/* Reads a fixture under $BB_DLP_FIXTURES. */
gchar *dlp_test_fixture_path(const gchar *relative);

G_END_DECLS
