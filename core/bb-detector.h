/* BbDetector: a DLP detector. Outbound detectors look for secrets in what
 * leaves a bottle; inbound detectors look for prompt injection in what
 * comes back. The proxy decodes (percent, base64, compression, ...)
 * before calling scan(), and overlaps consecutive windows by
 * get_max_match_length() bytes so matches straddling a boundary are found. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/** BbDetectorDirection: Since: 0.1 */
typedef enum {
    BB_DETECTOR_OUTBOUND = 1 << 0,
    BB_DETECTOR_INBOUND = 1 << 1,
} BbDetectorDirection;

/* A finding never holds the secret itself: a redacted snippet and a
 * fingerprint (a keyed hash) identify it. */
typedef struct {
    gchar *detector; /* registry name of the detector */
    gchar *rule_id;
    gsize offset; /* within the scanned buffer */
    gsize length;
    gchar *snippet;     /* redacted, printable */
    gchar *fingerprint; /* hex, stable for the same value within a process */
} BbFinding;

BbFinding *bb_finding_new(const gchar *detector, const gchar *rule_id, gsize offset, gsize length);
void bb_finding_free(BbFinding *finding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbFinding, bb_finding_free)

/* A value the bottle resolved from the host, which `known-secrets` must
 * find in any encoding. */
typedef struct {
    gchar *env_name;
    gchar *value;
} BbKnownSecret;

/* What the core hands a detector before its first scan. Appended to only. */
typedef struct {
    const gchar *data_dir;    /* rule packs live here */
    GPtrArray *known_secrets; /* of BbKnownSecret; may be empty */
} BbDetectorContext;

#define BB_TYPE_DETECTOR (bb_detector_get_type())
G_DECLARE_INTERFACE(BbDetector, bb_detector, BB, DETECTOR, GObject)

/**
 * BbDetectorInterface:
 * @get_direction: which traffic the detector reads. Since: 0.1
 * @configure: load rules / known values; called once before scan. Since: 0.1
 * @scan: append #BbFinding to @findings for @data; FALSE + @error means
 *   the scanner failed and the caller must fail closed. Since: 0.1
 * @get_max_match_length: longest match the detector can report, used to
 *   overlap streaming windows; 0 means "scan whole buffers only". Since: 0.1
 * @supports_redaction: whether a finding's span may be replaced. Since: 0.1
 */
struct _BbDetectorInterface {
    GTypeInterface parent_iface;

    BbDetectorDirection (*get_direction)(BbDetector *self);
    gboolean (*configure)(BbDetector *self, const BbDetectorContext *context, GError **error);
    gboolean (*scan)(BbDetector *self, const guint8 *data, gsize len, GPtrArray *findings,
                     GError **error);
    gsize (*get_max_match_length)(BbDetector *self);
    gboolean (*supports_redaction)(BbDetector *self);
};

BbDetectorDirection bb_detector_get_direction(BbDetector *self);
gboolean bb_detector_configure(BbDetector *self, const BbDetectorContext *context, GError **error);
gboolean bb_detector_scan(BbDetector *self, const guint8 *data, gsize len, GPtrArray *findings,
                          GError **error);
gsize bb_detector_get_max_match_length(BbDetector *self);
gboolean bb_detector_supports_redaction(BbDetector *self);

G_END_DECLS
