#include "bb-hs-matcher.h"
#include "bb-error.h"

#include <hs/hs.h>
#include <limits.h>
#include <stdlib.h>

struct _BbHsMatcher {
    hs_database_t *db;
    hs_scratch_t *scratch;
    GMutex scratch_lock;
};

static BbHsMatcher *
bb_hs_matcher_wrap(hs_database_t *db, GError **error)
{
    BbHsMatcher *self = g_new0(BbHsMatcher, 1);
    self->db = db;
    g_mutex_init(&self->scratch_lock);
    if (hs_alloc_scratch(db, &self->scratch) != HS_SUCCESS) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot allocate vectorscan scratch space");
        bb_hs_matcher_free(self);
        return NULL;
    }
    return self;
}

static void
bb_hs_compile_failed(hs_compile_error_t *compile_error, const gchar *const *patterns,
                     guint n_patterns, GError **error)
{
    const gchar *which =
        compile_error->expression >= 0 && (guint)compile_error->expression < n_patterns
            ? patterns[compile_error->expression]
            : "(all)";
    g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "rule pattern '%s' does not compile: %s", which,
                compile_error->message);
    hs_free_compile_error(compile_error);
}

BbHsMatcher *
bb_hs_matcher_new_regex(const gchar *const *patterns, const guint *flags, guint n_patterns,
                        GError **error)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *compile_error = NULL;
    g_autofree guint *ids = g_new(guint, n_patterns);

    for (guint i = 0; i < n_patterns; i++)
        ids[i] = i;
    if (hs_compile_multi((const char *const *)patterns, flags, ids, n_patterns, HS_MODE_BLOCK, NULL,
                         &db, &compile_error) != HS_SUCCESS) {
        bb_hs_compile_failed(compile_error, patterns, n_patterns, error);
        return NULL;
    }
    return bb_hs_matcher_wrap(db, error);
}

BbHsMatcher *
bb_hs_matcher_new_literal(const gchar *const *literals, const gsize *lengths, const guint *flags,
                          guint n_literals, GError **error)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *compile_error = NULL;
    g_autofree guint *ids = g_new(guint, n_literals);

    for (guint i = 0; i < n_literals; i++)
        ids[i] = i;
    if (hs_compile_lit_multi((const char *const *)literals, flags, ids, lengths, n_literals,
                             HS_MODE_BLOCK, NULL, &db, &compile_error) != HS_SUCCESS) {
        /* Never echo a literal: they are encoded secrets. */
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot compile the literal set: %s",
                    compile_error->message);
        hs_free_compile_error(compile_error);
        return NULL;
    }
    return bb_hs_matcher_wrap(db, error);
}

void
bb_hs_matcher_free(BbHsMatcher *self)
{
    if (self == NULL)
        return;
    if (self->scratch != NULL)
        hs_free_scratch(self->scratch);
    if (self->db != NULL)
        hs_free_database(self->db);
    g_mutex_clear(&self->scratch_lock);
    g_free(self);
}

typedef struct {
    BbHsMatchFunc func;
    gpointer user_data;
} BbHsCall;

static int
bb_hs_on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
               void *context)
{
    BbHsCall *call = context;
    call->func(id, (gsize)from, (gsize)to, call->user_data);
    return 0;
}

gboolean
bb_hs_matcher_scan(BbHsMatcher *self, const guint8 *data, gsize len, BbHsMatchFunc func,
                   gpointer user_data, GError **error)
{
    BbHsCall call = {func, user_data};
    hs_scratch_t *scratch = NULL;
    gboolean own = g_mutex_trylock(&self->scratch_lock);
    hs_error_t rc = HS_SUCCESS;
    gsize done = 0;

    if (own)
        scratch = self->scratch;
    else if (hs_clone_scratch(self->scratch, &scratch) != HS_SUCCESS) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot allocate vectorscan scratch space");
        return FALSE;
    }
    /* hs_scan takes an unsigned int length: scan huge buffers in parts
     * (callers bound buffers far below 4 GiB anyway). */
    do {
        gsize part = MIN(len - done, (gsize)G_MAXUINT32);
        rc = hs_scan(self->db, (const char *)data + done, (unsigned int)part, 0, scratch,
                     bb_hs_on_match, &call);
        done += part;
    } while (rc == HS_SUCCESS && done < len);
    if (own)
        g_mutex_unlock(&self->scratch_lock);
    else
        hs_free_scratch(scratch);
    if (rc != HS_SUCCESS) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "vectorscan scan failed (%d)", rc);
        return FALSE;
    }
    return TRUE;
}

gsize
bb_hs_pattern_max_width(const gchar *pattern, guint flags)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *compile_error = NULL;
    gsize width;

    if (hs_expression_info(pattern, flags, &info, &compile_error) != HS_SUCCESS) {
        hs_free_compile_error(compile_error);
        return 0;
    }
    width = info->max_width == UINT_MAX ? 0 : info->max_width;
    free(info);
    return width;
}
