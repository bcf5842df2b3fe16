/* What a finding may say about the value it matched: a redacted snippet
 * and a keyed fingerprint. Never the value itself. */
#pragma once

#include "bb-detector.h"

G_BEGIN_DECLS

/* Sets @finding's snippet to the first four printable characters of
 * @matched, an ellipsis and the length ("ghp_…(40)"). */
void bb_finding_set_snippet(BbFinding *finding, const guint8 *matched, gsize len);

/* Sets @finding's fingerprint to HMAC-SHA256(@value) under a key drawn
 * once per process, hex, truncated to 16 characters: the same value gives
 * the same fingerprint within a run, and nothing outside the process can
 * test a guess against it. */
void bb_finding_set_fingerprint(BbFinding *finding, const guint8 *value, gsize len);

/* Both of the above from the same matched bytes. */
void bb_finding_set_evidence(BbFinding *finding, const guint8 *matched, gsize len);

G_END_DECLS
