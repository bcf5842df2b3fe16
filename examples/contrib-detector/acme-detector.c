/* acme_keys: a third-party outbound detector for ACME Corp's in-house API
 * keys, "acme_live_" followed by 32 lowercase hex digits. It is a small
 * final GObject implementing BbDetector; the bottle's proxy runs it on
 * every decoded view of what leaves, like the built-in detectors. */
#define _GNU_SOURCE /* memmem */
#include <bot-bottle.h>
#include <string.h>

#define ACME_PREFIX "acme_live_"
#define ACME_HEX 32
#define ACME_LEN (sizeof(ACME_PREFIX) - 1 + ACME_HEX)

#define ACME_TYPE_DETECTOR (acme_detector_get_type())
G_DECLARE_FINAL_TYPE(AcmeDetector, acme_detector, ACME, DETECTOR, GObject)

struct _AcmeDetector {
    GObject parent_instance;
};

static void acme_detector_iface_init(BbDetectorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(AcmeDetector, acme_detector, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_DETECTOR, acme_detector_iface_init))

static void
acme_detector_class_init(AcmeDetectorClass *klass)
{
}

static void
acme_detector_init(AcmeDetector *self)
{
}

static BbDetectorDirection
acme_get_direction(BbDetector *detector)
{
    return BB_DETECTOR_OUTBOUND;
}

static gboolean
acme_is_word(guint8 c)
{
    return g_ascii_isalnum(c) || c == '_';
}

/* A key: the prefix, exactly 32 lowercase hex digits, and no word
 * character glued to either end. */
static gboolean
acme_key_at(const guint8 *data, gsize len, gsize at)
{
    gsize hex = at + sizeof(ACME_PREFIX) - 1;
    if (at > 0 && acme_is_word(data[at - 1]))
        return FALSE;
    if (len - at < ACME_LEN)
        return FALSE;
    for (gsize i = hex; i < hex + ACME_HEX; i++)
        if (!g_ascii_isdigit(data[i]) && !(data[i] >= 'a' && data[i] <= 'f'))
            return FALSE;
    return at + ACME_LEN == len || !acme_is_word(data[at + ACME_LEN]);
}

static gboolean
acme_scan(BbDetector *detector, const guint8 *data, gsize len, GPtrArray *findings, GError **error)
{
    const guint8 *p = data;

    while (len > 0 &&
           (p = memmem(p, len - (gsize)(p - data), ACME_PREFIX, sizeof(ACME_PREFIX) - 1)) != NULL) {
        gsize at = (gsize)(p - data);
        if (acme_key_at(data, len, at)) {
            BbFinding *finding = bb_finding_new("acme_keys", "acme-live-key", at, ACME_LEN);
            /* Never the key itself: a snippet and a keyed fingerprint. */
            bb_finding_set_evidence(finding, data + at, ACME_LEN);
            g_ptr_array_add(findings, finding);
        }
        p++;
    }
    return TRUE;
}

static gsize
acme_get_max_match_length(BbDetector *detector)
{
    return ACME_LEN;
}

static gboolean
acme_supports_redaction(BbDetector *detector)
{
    return TRUE;
}

static void
acme_detector_iface_init(BbDetectorInterface *iface)
{
    iface->get_direction = acme_get_direction;
    iface->scan = acme_scan;
    iface->get_max_match_length = acme_get_max_match_length;
    iface->supports_redaction = acme_supports_redaction;
}

static gboolean
acme_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_DETECTOR, "acme_keys", ACME_TYPE_DETECTOR, 0, error);
}

BB_PLUGIN_DEFINE(.name = "acme-keys", .version = "1.0", .license = "Apache-2.0",
                 .description = "Finds ACME Corp in-house API keys (example contrib detector)",
                 .register_types = acme_register)
