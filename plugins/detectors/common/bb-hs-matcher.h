/* A compiled vectorscan database shared by the detector plugins, with
 * thread-safe scanning: scratch space is reused when free and cloned when
 * another thread holds it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BbHsMatcher BbHsMatcher;

/* One match: pattern @id ended at @to (exclusive); @from is its leftmost
 * start for regex databases, 0 for literal ones. */
typedef void (*BbHsMatchFunc)(guint id, gsize from, gsize to, gpointer user_data);

/* @flags per pattern are HS_FLAG_*; @ids may be NULL (index). */
BbHsMatcher *bb_hs_matcher_new_regex(const gchar *const *patterns, const guint *flags,
                                     guint n_patterns, GError **error);
BbHsMatcher *bb_hs_matcher_new_literal(const gchar *const *literals, const gsize *lengths,
                                       const guint *flags, guint n_literals, GError **error);
gboolean bb_hs_matcher_scan(BbHsMatcher *self, const guint8 *data, gsize len, BbHsMatchFunc func,
                            gpointer user_data, GError **error);
void bb_hs_matcher_free(BbHsMatcher *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbHsMatcher, bb_hs_matcher_free)

/* The longest match @pattern can produce, or 0 when unbounded/invalid. */
gsize bb_hs_pattern_max_width(const gchar *pattern, guint flags);

G_END_DECLS
