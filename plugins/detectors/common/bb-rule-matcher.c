#include "bb-rule-matcher.h"
#include "bb-error.h"
#include "bb-hs-matcher.h"

#include <hs/hs.h>

struct _BbRuleMatcher {
    GPtrArray *rules;   /* of BbTokenRule */
    GPtrArray *regexes; /* of GRegex, per rule */
    gsize *widths;      /* longest match per rule */
    gsize *hit_widths;  /* longest match of what vectorscan looks for */
    gsize max_width;
    BbHsMatcher *matcher;
};

typedef struct {
    guint rule;
    gsize end;
} BbRawEnd;

void
bb_rule_matcher_free(BbRuleMatcher *self)
{
    if (self == NULL)
        return;
    g_clear_pointer(&self->matcher, bb_hs_matcher_free);
    g_clear_pointer(&self->rules, g_ptr_array_unref);
    g_clear_pointer(&self->regexes, g_ptr_array_unref);
    g_free(self->widths);
    g_free(self->hit_widths);
    g_free(self);
}

BbRuleMatcher *
bb_rule_matcher_new(GPtrArray *rules, const gchar *what, GError **error)
{
    g_autoptr(BbRuleMatcher) self = g_new0(BbRuleMatcher, 1);
    g_autofree const gchar **patterns = g_new(const gchar *, MAX(rules->len, 1));
    g_autofree guint *flags = g_new(guint, MAX(rules->len, 1));

    self->rules = g_ptr_array_ref(rules);
    self->regexes = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
    self->widths = g_new0(gsize, MAX(rules->len, 1));
    self->hit_widths = g_new0(gsize, MAX(rules->len, 1));
    if (rules->len == 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "%s has no rules", what);
        return NULL;
    }
    for (guint i = 0; i < rules->len; i++) {
        const BbTokenRule *rule = g_ptr_array_index(rules, i);
        GRegex *regex;
        patterns[i] = rule->prefilter != NULL ? rule->prefilter : rule->pattern;
        flags[i] = rule->caseless ? HS_FLAG_CASELESS : 0;
        regex = g_regex_new(
            rule->pattern, G_REGEX_RAW | G_REGEX_OPTIMIZE | (rule->caseless ? G_REGEX_CASELESS : 0),
            0, error);
        if (regex == NULL) {
            g_prefix_error(error, "%s: rule '%s': ", what, rule->id);
            return NULL;
        }
        g_ptr_array_add(self->regexes, regex);
        self->widths[i] = bb_hs_pattern_max_width(rule->pattern, flags[i]);
        self->hit_widths[i] = bb_hs_pattern_max_width(patterns[i], flags[i]);
        if (self->widths[i] == 0 || self->hit_widths[i] == 0) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "%s: rule '%s' must have a bounded length (use {m,n}, not + or *)", what,
                        rule->id);
            return NULL;
        }
        self->max_width = MAX(self->max_width, self->widths[i]);
    }
    self->matcher = bb_hs_matcher_new_regex(patterns, flags, rules->len, error);
    if (self->matcher == NULL) {
        g_prefix_error(error, "%s: ", what);
        return NULL;
    }
    return g_steal_pointer(&self);
}

gsize
bb_rule_matcher_get_max_width(BbRuleMatcher *self)
{
    return self->max_width;
}

static void
bb_rule_matcher_on_end(guint id, gsize from, gsize to, gpointer user_data)
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

/* Runs rule @index's regex over [@from, @to) of @data. */
static void
bb_rule_matcher_confirm(BbRuleMatcher *self, guint index, const guint8 *data, gsize len, gsize from,
                        gsize to, BbRuleMatchFunc func, gpointer user_data)
{
    const BbTokenRule *rule = g_ptr_array_index(self->rules, index);
    GRegex *regex = g_ptr_array_index(self->regexes, index);
    g_autoptr(GMatchInfo) info = NULL;

    g_regex_match_full(regex, (const gchar *)data, (gssize)to, (gint)from, 0, &info, NULL);
    while (g_match_info_matches(info)) {
        gint start, end;
        if (g_match_info_fetch_pos(info, 0, &start, &end) &&
            bb_token_rule_accepts(rule, data, len, (gsize)start, (gsize)end))
            func(rule, (gsize)start, (gsize)end, user_data);
        g_match_info_next(info, NULL);
    }
}

gboolean
bb_rule_matcher_scan(BbRuleMatcher *self, const guint8 *data, gsize len, BbRuleMatchFunc func,
                     gpointer user_data, GError **error)
{
    g_autoptr(GArray) ends = NULL;
    guint i = 0;

    if (len == 0)
        return TRUE;
    if (len > G_MAXINT) {
        g_set_error(error, BB_ERROR, BB_ERROR_POLICY, "buffer too large to scan in one piece");
        return FALSE;
    }
    ends = g_array_new(FALSE, FALSE, sizeof(BbRawEnd));
    if (!bb_hs_matcher_scan(self->matcher, data, len, bb_rule_matcher_on_end, ends, error))
        return FALSE;
    g_array_sort(ends, bb_raw_end_compare);
    /* Cluster each rule's ends so no match of one cluster can start
     * before the previous cluster's last end: confirming clusters
     * separately then equals one pass over the whole buffer. A hit of a
     * prefilter is where a match begins: the match may run on for the
     * rule's full width past it. */
    while (i < ends->len) {
        const BbRawEnd *first = &g_array_index(ends, BbRawEnd, i);
        guint rule = first->rule;
        const BbTokenRule *r = g_ptr_array_index(self->rules, rule);
        gsize back = self->hit_widths[rule];
        gsize ahead = r->prefilter != NULL ? self->widths[rule] : 0;
        gsize from = first->end > back ? first->end - back : 0;
        gsize to = MIN(first->end + ahead, len);
        for (i++; i < ends->len; i++) {
            const BbRawEnd *next = &g_array_index(ends, BbRawEnd, i);
            if (next->rule != rule || (next->end > back && next->end - back >= to))
                break;
            to = MIN(next->end + ahead, len);
        }
        bb_rule_matcher_confirm(self, rule, data, len, from, to, func, user_data);
    }
    return TRUE;
}
