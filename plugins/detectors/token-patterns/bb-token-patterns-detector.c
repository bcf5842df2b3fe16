/* token_patterns: the rule pack of credential formats (data/rules/
 * token-patterns.json) compiled into one vectorscan database, so all rules
 * run in a single pass whose cost hardly grows with the number of rules
 * (see bb-rule-matcher.h for how findings equal Python re.finditer's). */
#include "bb-token-patterns-detector.h"
#include "bb-dlp-evidence.h"
#include "bb-error.h"
#include "bb-rule-matcher.h"

#define BB_TOKEN_PATTERNS_NAME "token_patterns"
#define BB_TOKEN_PATTERNS_FILE "token-patterns.json"

struct _BbTokenPatternsDetector {
    GObject parent_instance;
    BbRuleMatcher *matcher;
};

static void bb_token_patterns_detector_iface_init(BbDetectorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BbTokenPatternsDetector, bb_token_patterns_detector, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_DETECTOR,
                                              bb_token_patterns_detector_iface_init))

static void
bb_token_patterns_detector_finalize(GObject *object)
{
    BbTokenPatternsDetector *self = BB_TOKEN_PATTERNS_DETECTOR(object);
    g_clear_pointer(&self->matcher, bb_rule_matcher_free);
    G_OBJECT_CLASS(bb_token_patterns_detector_parent_class)->finalize(object);
}

static void
bb_token_patterns_detector_class_init(BbTokenPatternsDetectorClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_token_patterns_detector_finalize;
}

static void
bb_token_patterns_detector_init(BbTokenPatternsDetector *self)
{
}

static BbDetectorDirection
bb_token_patterns_get_direction(BbDetector *detector)
{
    return BB_DETECTOR_OUTBOUND;
}

static gboolean
bb_token_patterns_configure(BbDetector *detector, const BbDetectorContext *context, GError **error)
{
    BbTokenPatternsDetector *self = BB_TOKEN_PATTERNS_DETECTOR(detector);
    g_autofree gchar *path = NULL;
    g_autoptr(GPtrArray) rules = NULL;

    if (context->data_dir == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "token patterns need the data directory (set BOT_BOTTLE_DATA_DIR)");
        return FALSE;
    }
    path = g_build_filename(context->data_dir, "rules", BB_TOKEN_PATTERNS_FILE, NULL);
    rules = bb_token_rules_load(path, "rules", error);
    if (rules == NULL)
        return FALSE;
    g_clear_pointer(&self->matcher, bb_rule_matcher_free);
    self->matcher = bb_rule_matcher_new(rules, path, error);
    return self->matcher != NULL;
}

typedef struct {
    const guint8 *data;
    GPtrArray *findings;
} BbTokenScan;

static void
bb_token_patterns_on_match(const BbTokenRule *rule, gsize start, gsize end, gpointer user_data)
{
    BbTokenScan *scan = user_data;
    BbFinding *finding = bb_finding_new(BB_TOKEN_PATTERNS_NAME, rule->id, start, end - start);
    bb_finding_set_evidence(finding, scan->data + start, end - start);
    g_ptr_array_add(scan->findings, finding);
}

static gboolean
bb_token_patterns_scan(BbDetector *detector, const guint8 *data, gsize len, GPtrArray *findings,
                       GError **error)
{
    BbTokenPatternsDetector *self = BB_TOKEN_PATTERNS_DETECTOR(detector);
    BbTokenScan scan = {data, findings};

    if (self->matcher == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "token patterns scanned before configure");
        return FALSE;
    }
    return bb_rule_matcher_scan(self->matcher, data, len, bb_token_patterns_on_match, &scan, error);
}

static gsize
bb_token_patterns_get_max_match_length(BbDetector *detector)
{
    BbTokenPatternsDetector *self = BB_TOKEN_PATTERNS_DETECTOR(detector);
    return self->matcher != NULL ? bb_rule_matcher_get_max_width(self->matcher) : 1;
}

static gboolean
bb_token_patterns_supports_redaction(BbDetector *detector)
{
    return TRUE;
}

static void
bb_token_patterns_detector_iface_init(BbDetectorInterface *iface)
{
    iface->get_direction = bb_token_patterns_get_direction;
    iface->configure = bb_token_patterns_configure;
    iface->scan = bb_token_patterns_scan;
    iface->get_max_match_length = bb_token_patterns_get_max_match_length;
    iface->supports_redaction = bb_token_patterns_supports_redaction;
}
