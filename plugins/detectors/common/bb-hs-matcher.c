#include "bb-hs-matcher.h"
#include "bb-error.h"

#include <hs/hs.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Compiled rule databases are cached on disk (serialized, keyed by the
 * engine version and every pattern and flag): compiling the rule packs
 * costs a few hundred milliseconds at every proxy start, loading them a
 * millisecond. Only regex databases built from rule files are cached;
 * literal sets are made from secrets and never touch the disk. A file
 * that does not load (other CPU, other engine, damaged) is recompiled. */
#define BB_HS_CACHE_ENV "BOT_BOTTLE_DLP_CACHE"

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

/* Serialized databases this process compiled or loaded, by key: a proxy
 * that compiled its rules before it knew its routes (the sidecar does,
 * while it waits for them) reuses them without a writable cache dir. */
static GHashTable *bb_hs_memory; /* key → GBytes */
G_LOCK_DEFINE_STATIC(bb_hs_memory);

static gchar *
bb_hs_cache_key(const gchar *const *patterns, const guint *flags, guint n_patterns)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, (const guchar *)hs_version(), -1);
    for (guint i = 0; i < n_patterns; i++) {
        g_checksum_update(sum, (const guchar *)patterns[i], (gssize)strlen(patterns[i]) + 1);
        g_checksum_update(sum, (const guchar *)&flags[i], sizeof flags[i]);
    }
    return g_strdup(g_checksum_get_string(sum));
}

static gchar *
bb_hs_cache_path(const gchar *key)
{
    const gchar *dir = g_getenv(BB_HS_CACHE_ENV);
    g_autofree gchar *name = g_strdup_printf("%s.hsdb", key);
    if (dir != NULL)
        return dir[0] != '\0' ? g_build_filename(dir, name, NULL) : NULL;
    return g_build_filename(g_get_user_cache_dir(), "bot-bottle", "dlp", name, NULL);
}

static GBytes *
bb_hs_cache_lookup(const gchar *key)
{
    G_LOCK(bb_hs_memory);
    GBytes *bytes = bb_hs_memory != NULL ? g_hash_table_lookup(bb_hs_memory, key) : NULL;
    if (bytes != NULL)
        g_bytes_ref(bytes);
    G_UNLOCK(bb_hs_memory);
    if (bytes != NULL)
        return bytes;
    g_autofree gchar *path = bb_hs_cache_path(key);
    g_autofree gchar *data = NULL;
    gsize length = 0;
    if (path == NULL || !g_file_get_contents(path, &data, &length, NULL))
        return NULL;
    return g_bytes_new_take(g_steal_pointer(&data), length);
}

static hs_database_t *
bb_hs_cache_load(const gchar *key)
{
    g_autoptr(GBytes) bytes = bb_hs_cache_lookup(key);
    hs_database_t *db = NULL;
    if (bytes == NULL || hs_deserialize_database(g_bytes_get_data(bytes, NULL),
                                                 g_bytes_get_size(bytes), &db) != HS_SUCCESS)
        return NULL;
    return db;
}

/* Best effort: a read-only or missing cache directory only costs speed. */
static void
bb_hs_cache_store(const gchar *key, const hs_database_t *db)
{
    char *data = NULL;
    size_t length = 0;
    if (hs_serialize_database(db, &data, &length) != HS_SUCCESS)
        return;
    GBytes *bytes = g_bytes_new(data, length);
    free(data);
    G_LOCK(bb_hs_memory);
    if (bb_hs_memory == NULL)
        bb_hs_memory =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
    g_hash_table_replace(bb_hs_memory, g_strdup(key), g_bytes_ref(bytes));
    G_UNLOCK(bb_hs_memory);
    g_autofree gchar *path = bb_hs_cache_path(key);
    g_autofree gchar *dir = path != NULL ? g_path_get_dirname(path) : NULL;
    if (dir != NULL && g_mkdir_with_parents(dir, 0700) == 0)
        g_file_set_contents(path, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes),
                            NULL);
    g_bytes_unref(bytes);
}

BbHsMatcher *
bb_hs_matcher_new_regex(const gchar *const *patterns, const guint *flags, guint n_patterns,
                        GError **error)
{
    hs_compile_error_t *compile_error = NULL;
    g_autofree guint *ids = g_new(guint, n_patterns);
    g_autofree gchar *key = bb_hs_cache_key(patterns, flags, n_patterns);
    hs_database_t *db = bb_hs_cache_load(key);
    if (db != NULL)
        return bb_hs_matcher_wrap(db, error);
    for (guint i = 0; i < n_patterns; i++)
        ids[i] = i;
    if (hs_compile_multi((const char *const *)patterns, flags, ids, n_patterns, HS_MODE_BLOCK, NULL,
                         &db, &compile_error) != HS_SUCCESS) {
        bb_hs_compile_failed(compile_error, patterns, n_patterns, error);
        return NULL;
    }
    bb_hs_cache_store(key, db);
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
