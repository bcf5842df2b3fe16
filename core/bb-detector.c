#include "bb-detector.h"
#include "bb-error.h"

G_DEFINE_INTERFACE(BbDetector, bb_detector, G_TYPE_OBJECT)

static void
bb_detector_default_init(BbDetectorInterface *iface)
{
}

BbFinding *
bb_finding_new(const gchar *detector, const gchar *rule_id, gsize offset, gsize length)
{
    BbFinding *finding = g_new0(BbFinding, 1);
    finding->detector = g_strdup(detector);
    finding->rule_id = g_strdup(rule_id);
    finding->offset = offset;
    finding->length = length;
    return finding;
}

void
bb_finding_free(BbFinding *finding)
{
    if (finding == NULL)
        return;
    g_free(finding->detector);
    g_free(finding->rule_id);
    g_free(finding->snippet);
    g_free(finding->fingerprint);
    g_free(finding);
}

BbDetectorDirection
bb_detector_get_direction(BbDetector *self)
{
    BbDetectorInterface *iface;
    g_return_val_if_fail(BB_IS_DETECTOR(self), BB_DETECTOR_OUTBOUND);
    iface = BB_DETECTOR_GET_IFACE(self);
    /* A detector that does not say is treated as outbound: the direction
     * that fails safe for secrets. */
    return iface->get_direction != NULL ? iface->get_direction(self) : BB_DETECTOR_OUTBOUND;
}

gboolean
bb_detector_configure(BbDetector *self, const BbDetectorContext *context, GError **error)
{
    BbDetectorInterface *iface;
    g_return_val_if_fail(BB_IS_DETECTOR(self), FALSE);
    g_return_val_if_fail(context != NULL, FALSE);
    iface = BB_DETECTOR_GET_IFACE(self);
    if (iface->configure == NULL)
        return TRUE; /* nothing to configure is not an error */
    return iface->configure(self, context, error);
}

gboolean
bb_detector_scan(BbDetector *self, const guint8 *data, gsize len, GPtrArray *findings,
                 GError **error)
{
    BbDetectorInterface *iface;
    g_return_val_if_fail(BB_IS_DETECTOR(self), FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);
    g_return_val_if_fail(findings != NULL, FALSE);
    iface = BB_DETECTOR_GET_IFACE(self);
    if (iface->scan == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_SUPPORTED, "%s cannot scan",
                    G_OBJECT_TYPE_NAME(self));
        return FALSE;
    }
    return iface->scan(self, data, len, findings, error);
}

gsize
bb_detector_get_max_match_length(BbDetector *self)
{
    BbDetectorInterface *iface;
    g_return_val_if_fail(BB_IS_DETECTOR(self), 0);
    iface = BB_DETECTOR_GET_IFACE(self);
    return iface->get_max_match_length != NULL ? iface->get_max_match_length(self) : 0;
}

gboolean
bb_detector_supports_redaction(BbDetector *self)
{
    BbDetectorInterface *iface;
    g_return_val_if_fail(BB_IS_DETECTOR(self), FALSE);
    iface = BB_DETECTOR_GET_IFACE(self);
    return iface->supports_redaction != NULL && iface->supports_redaction(self);
}
