/* A rule pack (data/rules/token-patterns.json, data/rules/injection.json):
 * what a rule says and how a raw match becomes a finding. The same
 * semantics are implemented by bench/dlp/peer.py so findings can be
 * compared. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *id;
    gchar *description;
    gchar *pattern;
    /* Optional: a pattern matching how every match of @pattern begins,
     * for vectorscan to look for instead (faster when @pattern ends in a
     * long repeat); the full pattern then confirms around each hit. */
    gchar *prefilter;
    gboolean caseless;
    /* The match must not be glued to word characters on either side. */
    gboolean boundary;
    /* > 0: the value (the match's trailing run of value characters) must
     * have at least this much Shannon entropy, in bits per character. */
    gdouble min_entropy;
    /* The value must contain a digit (placeholders and words rarely do). */
    gboolean value_needs_digit;
} BbTokenRule;

void bb_token_rule_free(BbTokenRule *rule);

/* Loads the array @member ("rules", "phrases") of the pack at @path
 * (array of BbTokenRule). */
GPtrArray *bb_token_rules_load(const gchar *path, const gchar *member, GError **error);

/* Whether a raw match [@start, @end) of @rule in @data stands as a
 * finding (boundary, entropy and digit checks). */
gboolean bb_token_rule_accepts(const BbTokenRule *rule, const guint8 *data, gsize len, gsize start,
                               gsize end);

G_END_DECLS
