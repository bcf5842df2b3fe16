/* Every form an agent could turn a known secret into without a key:
 * raw, base64 (standard and URL-safe, at all three byte alignments, so
 * padded, unpadded and embedded-in-a-larger-blob all contain it), base32
 * (all five alignments), hex, all-bytes percent-encoding and JSON \u
 * escapes. Forms that only change letter case are matched caselessly. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *text;
    gsize len;
    gboolean caseless;
    const gchar *form; /* "raw", "base64", "base64url", "base32", "hex", "percent", "json" */
} BbSecretForm;

/* Secrets shorter than this are matched raw only: their encodings would
 * be too short to tell from noise. */
#define BB_KNOWN_SECRET_MIN_ENCODED 6
/* Shorter than this, not matched at all. */
#define BB_KNOWN_SECRET_MIN_RAW 4
/* An encoded middle shorter than this is dropped. */
#define BB_KNOWN_SECRET_MIN_FORM 8

/* Appends the forms of @value to @forms (array of BbSecretForm). */
void bb_known_secret_forms(const guint8 *value, gsize len, GArray *forms);
void bb_secret_form_clear(BbSecretForm *form);

G_END_DECLS
