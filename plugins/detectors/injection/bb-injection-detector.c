/* injection (inbound): prompt-injection phrasing from data/rules/
 * injection.json, runs of invisible Unicode tag characters, and the same
 * phrasing hidden from a human reader (in an HTML comment or an element
 * styled or marked hidden), which gets the rule suffix "/hidden". The core
 * decode chain has already turned tag characters, entities and escapes
 * back into text, so "plain" phrases also catch their disguised forms. */
#include "bb-injection-detector.h"
#include "bb-dlp-evidence.h"
#include "bb-error.h"
#include "bb-rule-matcher.h"

#include <string.h>

#define BB_INJECTION_NAME "injection"
#define BB_INJECTION_FILE "injection.json"
/* How far back a match looks for the comment or hidden element it sits in. */
#define BB_INJECTION_HIDDEN_LOOKBACK 4096

struct _BbInjectionDetector {
    GObject parent_instance;
    BbRuleMatcher *matcher;
};

static void bb_injection_detector_iface_init(BbDetectorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BbInjectionDetector, bb_injection_detector, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_DETECTOR, bb_injection_detector_iface_init))

static void
bb_injection_detector_finalize(GObject *object)
{
    BbInjectionDetector *self = BB_INJECTION_DETECTOR(object);
    g_clear_pointer(&self->matcher, bb_rule_matcher_free);
    G_OBJECT_CLASS(bb_injection_detector_parent_class)->finalize(object);
}

static void
bb_injection_detector_class_init(BbInjectionDetectorClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_injection_detector_finalize;
}

static void
bb_injection_detector_init(BbInjectionDetector *self)
{
}

static BbDetectorDirection
bb_injection_get_direction(BbDetector *detector)
{
    return BB_DETECTOR_INBOUND;
}

static gboolean
bb_injection_configure(BbDetector *detector, const BbDetectorContext *context, GError **error)
{
    BbInjectionDetector *self = BB_INJECTION_DETECTOR(detector);
    g_autofree gchar *path = NULL;
    g_autoptr(GPtrArray) rules = NULL;

    if (context->data_dir == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "the injection detector needs the data directory (set BOT_BOTTLE_DATA_DIR)");
        return FALSE;
    }
    path = g_build_filename(context->data_dir, "rules", BB_INJECTION_FILE, NULL);
    rules = bb_token_rules_load(path, "phrases", error);
    if (rules == NULL)
        return FALSE;
    g_clear_pointer(&self->matcher, bb_rule_matcher_free);
    self->matcher = bb_rule_matcher_new(rules, path, error);
    return self->matcher != NULL;
}

/* The last occurrence of @needle in [@from, @to), or NULL. */
static const guint8 *
bb_find_last(const guint8 *data, gsize from, gsize to, const gchar *needle)
{
    gsize n = strlen(needle);
    const guint8 *found = NULL;
    for (const guint8 *p = data + from; p + n <= data + to;) {
        const guint8 *hit = memmem(p, (gsize)(data + to - p), needle, n);
        if (hit == NULL)
            break;
        found = hit;
        p = hit + 1;
    }
    return found;
}

static gboolean
bb_ascii_has(const guint8 *data, gsize len, const gchar *needle)
{
    gsize n = strlen(needle);
    for (gsize i = 0; i + n <= len; i++)
        if (g_ascii_strncasecmp((const gchar *)data + i, needle, n) == 0)
            return TRUE;
    return FALSE;
}

/* Whether @start lies inside an HTML comment, or after an opening tag
 * that hides its content, with nothing closing it in between. */
static gboolean
bb_injection_is_hidden(const guint8 *data, gsize start)
{
    static const gchar *const hiding[] = {"display:none",
                                          "display: none",
                                          "visibility:hidden",
                                          "visibility: hidden",
                                          "font-size:0",
                                          "font-size: 0",
                                          "opacity:0",
                                          "opacity: 0",
                                          " hidden>",
                                          " hidden ",
                                          "aria-hidden=\"true\"",
                                          "width:0",
                                          "height:0"};
    gsize from = start > BB_INJECTION_HIDDEN_LOOKBACK ? start - BB_INJECTION_HIDDEN_LOOKBACK : 0;
    const guint8 *open = bb_find_last(data, from, start, "<!--");
    const guint8 *tag;
    const guint8 *tag_end;

    if (open != NULL && bb_find_last(data, (gsize)(open - data), start, "-->") == NULL)
        return TRUE;
    tag = bb_find_last(data, from, start, "<");
    /* Walk back over closing tags and text-level tags to the element that
     * holds the text: the nearest opening tag is usually it. */
    while (tag != NULL && (tag[1] == '/' || tag[1] == '!')) {
        if ((gsize)(tag - data) <= from)
            return FALSE;
        tag = bb_find_last(data, from, (gsize)(tag - data), "<");
    }
    if (tag == NULL)
        return FALSE;
    tag_end = memchr(tag, '>', (gsize)(data + start - tag));
    if (tag_end == NULL)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(hiding); i++)
        if (bb_ascii_has(tag, (gsize)(tag_end - tag) + 1, hiding[i]))
            return TRUE;
    return FALSE;
}

typedef struct {
    const guint8 *data;
    GPtrArray *findings;
} BbInjectionScan;

static void
bb_injection_on_match(const BbTokenRule *rule, gsize start, gsize end, gpointer user_data)
{
    BbInjectionScan *scan = user_data;
    g_autofree gchar *rule_id = bb_injection_is_hidden(scan->data, start)
                                    ? g_strdup_printf("%s/hidden", rule->id)
                                    : g_strdup(rule->id);
    BbFinding *finding = bb_finding_new(BB_INJECTION_NAME, rule_id, start, end - start);
    bb_finding_set_evidence(finding, scan->data + start, end - start);
    g_ptr_array_add(scan->findings, finding);
}

static gboolean
bb_injection_scan(BbDetector *detector, const guint8 *data, gsize len, GPtrArray *findings,
                  GError **error)
{
    BbInjectionDetector *self = BB_INJECTION_DETECTOR(detector);
    BbInjectionScan scan = {data, findings};

    if (self->matcher == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "injection detector scanned before configure");
        return FALSE;
    }
    return bb_rule_matcher_scan(self->matcher, data, len, bb_injection_on_match, &scan, error);
}

static gsize
bb_injection_get_max_match_length(BbDetector *detector)
{
    BbInjectionDetector *self = BB_INJECTION_DETECTOR(detector);
    return self->matcher != NULL ? bb_rule_matcher_get_max_width(self->matcher) : 1;
}

static gboolean
bb_injection_supports_redaction(BbDetector *detector)
{
    /* Inbound findings are reported, not cut out of a response. */
    return FALSE;
}

static void
bb_injection_detector_iface_init(BbDetectorInterface *iface)
{
    iface->get_direction = bb_injection_get_direction;
    iface->configure = bb_injection_configure;
    iface->scan = bb_injection_scan;
    iface->get_max_match_length = bb_injection_get_max_match_length;
    iface->supports_redaction = bb_injection_supports_redaction;
}
