/* token_patterns: the rule pack of credential formats (data/rules/
 * token-patterns.json) compiled into one vectorscan database, so all rules
 * run in a single pass whose cost hardly grows with the number of rules.
 * Vectorscan reports only where matches end (start-of-match tracking
 * cannot compile bounded repeats this wide), so each cluster of ends is
 * confirmed with the rule's PCRE (GRegex, JIT) over just that stretch:
 * findings are then exactly Python re.finditer's (leftmost, greedy,
 * non-overlapping per rule), filtered by the rule's boundary and entropy
 * checks. Text without candidates never reaches PCRE. */
#include "bb-token-patterns-detector.h"
#include "bb-dlp-evidence.h"
#include "bb-error.h"
#include "bb-hs-matcher.h"
#include "bb-token-rules.h"

#include <hs/hs.h>

#define BB_TOKEN_PATTERNS_NAME "token_patterns"
#define BB_TOKEN_PATTERNS_FILE "token-patterns.json"

struct _BbTokenPatternsDetector {
    GObject parent_instance;
    GPtrArray *rules;   /* of BbTokenRule */
    GPtrArray *regexes; /* of GRegex, per rule */
    gsize *widths;      /* longest match per rule */
    BbHsMatcher *matcher;
    gsize max_len;
};

typedef struct {
    guint rule;
    gsize end;
} BbRawEnd;

static void bb_token_patterns_detector_iface_init(BbDetectorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BbTokenPatternsDetector, bb_token_patterns_detector, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_DETECTOR,
                                              bb_token_patterns_detector_iface_init))

static void
bb_token_patterns_detector_finalize(GObject *object)
{
    BbTokenPatternsDetector *self = BB_TOKEN_PATTERNS_DETECTOR(object);
    g_clear_pointer(&self->matcher, bb_hs_matcher_free);
    g_clear_pointer(&self->rules, g_ptr_array_unref);
    g_clear_pointer(&self->regexes, g_ptr_array_unref);
    g_free(self->widths);
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
    g_autofree const gchar **patterns = NULL;
    g_autofree guint *flags = NULL;

    if (context->data_dir == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "token patterns need the data directory (set BOT_BOTTLE_DATA_DIR)");
        return FALSE;
    }
    path = g_build_filename(context->data_dir, "rules", BB_TOKEN_PATTERNS_FILE, NULL);
    g_clear_pointer(&self->rules, g_ptr_array_unref);
    self->rules = bb_token_rules_load(path, error);
    if (self->rules == NULL)
        return FALSE;
    patterns = g_new(const gchar *, self->rules->len);
    flags = g_new(guint, self->rules->len);
    g_free(self->widths);
    self->widths = g_new0(gsize, self->rules->len);
    g_clear_pointer(&self->regexes, g_ptr_array_unref);
    self->regexes = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
    for (guint i = 0; i < self->rules->len; i++) {
        const BbTokenRule *rule = g_ptr_array_index(self->rules, i);
        GRegex *regex;
        gsize width;
        patterns[i] = rule->pattern;
        flags[i] = rule->caseless ? HS_FLAG_CASELESS : 0;
        regex = g_regex_new(
            rule->pattern, G_REGEX_RAW | G_REGEX_OPTIMIZE | (rule->caseless ? G_REGEX_CASELESS : 0),
            0, error);
        if (regex == NULL) {
            g_prefix_error(error, "%s: rule '%s': ", path, rule->id);
            return FALSE;
        }
        g_ptr_array_add(self->regexes, regex);
        width = bb_hs_pattern_max_width(rule->pattern, flags[i]);
        self->widths[i] = width;
        if (width == 0) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "%s: rule '%s' must have a bounded length (use {m,n}, not + or *)", path,
                        rule->id);
            return FALSE;
        }
        self->max_len = MAX(self->max_len, width);
    }
    g_clear_pointer(&self->matcher, bb_hs_matcher_free);
    self->matcher = bb_hs_matcher_new_regex(patterns, flags, self->rules->len, error);
    if (self->matcher == NULL) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    return TRUE;
}

static void
bb_token_patterns_on_match(guint id, gsize from, gsize to, gpointer user_data)
{
    BbRawEnd end = {id, to};
    g_array_append_val((GArray *)user_data, end);
}

static gint
bb_raw_end_compare(gconstpointer a, gconstpointer b)
{
    const BbRawEnd *ea = a, *eb = b;
    if (ea->rule != eb->rule)
        return ea->rule < eb->rule ? -1 : 1;
    return ea->end < eb->end ? -1 : ea->end > eb->end;
}

/* Runs rule @index's regex over [@from, @to) of @data, adding accepted
 * matches as findings. */
static void
bb_token_patterns_confirm(BbTokenPatternsDetector *self, guint index, const guint8 *data, gsize len,
                          gsize from, gsize to, GPtrArray *findings)
{
    const BbTokenRule *rule = g_ptr_array_index(self->rules, index);
    GRegex *regex = g_ptr_array_index(self->regexes, index);
    g_autoptr(GMatchInfo) info = NULL;

    g_regex_match_full(regex, (const gchar *)data, (gssize)to, (gint)from, 0, &info, NULL);
    while (g_match_info_matches(info)) {
        gint start, end;
        if (g_match_info_fetch_pos(info, 0, &start, &end) &&
            bb_token_rule_accepts(rule, data, len, (gsize)start, (gsize)end)) {
            BbFinding *finding = bb_finding_new(BB_TOKEN_PATTERNS_NAME, rule->id, (gsize)start,
                                                (gsize)(end - start));
            bb_finding_set_evidence(finding, data + start, (gsize)(end - start));
            g_ptr_array_add(findings, finding);
        }
        g_match_info_next(info, NULL);
    }
}

static gboolean
bb_token_patterns_scan(BbDetector *detector, const guint8 *data, gsize len, GPtrArray *findings,
                       GError **error)
{
    BbTokenPatternsDetector *self = BB_TOKEN_PATTERNS_DETECTOR(detector);
    g_autoptr(GArray) ends = NULL;
    guint i = 0;

    if (self->matcher == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "token patterns scanned before configure");
        return FALSE;
    }
    if (len == 0)
        return TRUE;
    if (len > G_MAXINT) {
        g_set_error(error, BB_ERROR, BB_ERROR_POLICY, "buffer too large to scan in one piece");
        return FALSE;
    }
    ends = g_array_new(FALSE, FALSE, sizeof(BbRawEnd));
    if (!bb_hs_matcher_scan(self->matcher, data, len, bb_token_patterns_on_match, ends, error))
        return FALSE;
    g_array_sort(ends, bb_raw_end_compare);
    /* Cluster each rule's ends so no match of one cluster can start
     * before the previous cluster's last end: confirming clusters
     * separately then equals one pass over the whole buffer. */
    while (i < ends->len) {
        const BbRawEnd *first = &g_array_index(ends, BbRawEnd, i);
        guint rule = first->rule;
        gsize width = self->widths[rule];
        gsize from = first->end > width ? first->end - width : 0;
        gsize to = first->end;
        for (i++; i < ends->len; i++) {
            const BbRawEnd *next = &g_array_index(ends, BbRawEnd, i);
            if (next->rule != rule || (next->end > width && next->end - width >= to))
                break;
            to = next->end;
        }
        bb_token_patterns_confirm(self, rule, data, len, from, to, findings);
    }
    return TRUE;
}

static gsize
bb_token_patterns_get_max_match_length(BbDetector *detector)
{
    return MAX(BB_TOKEN_PATTERNS_DETECTOR(detector)->max_len, 1);
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
