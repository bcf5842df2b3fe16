/* A compiled rule pack: every rule in one vectorscan database, which
 * reports only where matches end (start-of-match tracking cannot compile
 * bounded repeats this wide), and each cluster of ends confirmed with the
 * rule's PCRE (GRegex, JIT) over just that stretch. Matches are then
 * exactly Python re.finditer's (leftmost, greedy, non-overlapping per
 * rule) filtered by the rule's boundary and entropy checks. Text without
 * candidates never reaches PCRE. */
#pragma once

#include "bb-token-rules.h"

G_BEGIN_DECLS

typedef struct _BbRuleMatcher BbRuleMatcher;

typedef void (*BbRuleMatchFunc)(const BbTokenRule *rule, gsize start, gsize end,
                                gpointer user_data);

/* Compiles @rules (array of BbTokenRule; referenced). Every rule must
 * have a bounded length. @what names the pack in errors. */
BbRuleMatcher *bb_rule_matcher_new(GPtrArray *rules, const gchar *what, GError **error);
gboolean bb_rule_matcher_scan(BbRuleMatcher *self, const guint8 *data, gsize len,
                              BbRuleMatchFunc func, gpointer user_data, GError **error);
gsize bb_rule_matcher_get_max_width(BbRuleMatcher *self);
void bb_rule_matcher_free(BbRuleMatcher *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbRuleMatcher, bb_rule_matcher_free)

G_END_DECLS
