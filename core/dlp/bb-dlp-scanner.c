#include "bb-dlp-scanner.h"
#include "bb-dlp-view.h"
#include "bb-error.h"

#include <string.h>

/* Worst expansion of a match by the decoders we undo: percent-encoding
 * thrice turns one byte into nine. */
#define BB_DLP_ENCODING_EXPANSION 9
#define BB_DLP_MAX_OVERLAP (64 * 1024)
#define BB_DLP_REDACTED "[REDACTED]"

typedef struct {
    gchar *name;
    BbDetector *detector;
} BbScannerEntry;

struct _BbDlpScanner {
    GObject parent_instance;
    GArray *entries; /* of BbScannerEntry */
    gboolean decoding;
};

G_DEFINE_TYPE(BbDlpScanner, bb_dlp_scanner, G_TYPE_OBJECT)

static void
bb_scanner_entry_clear(gpointer data)
{
    BbScannerEntry *entry = data;
    g_free(entry->name);
    g_clear_object(&entry->detector);
}

static void
bb_dlp_scanner_finalize(GObject *object)
{
    BbDlpScanner *self = BB_DLP_SCANNER(object);
    g_array_unref(self->entries);
    G_OBJECT_CLASS(bb_dlp_scanner_parent_class)->finalize(object);
}

static void
bb_dlp_scanner_class_init(BbDlpScannerClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_dlp_scanner_finalize;
}

static void
bb_dlp_scanner_init(BbDlpScanner *self)
{
    self->entries = g_array_new(FALSE, TRUE, sizeof(BbScannerEntry));
    g_array_set_clear_func(self->entries, bb_scanner_entry_clear);
    self->decoding = TRUE;
}

BbDlpScanner *
bb_dlp_scanner_new(void)
{
    return g_object_new(BB_TYPE_DLP_SCANNER, NULL);
}

GPtrArray *
bb_dlp_findings_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)bb_finding_free);
}

void
bb_dlp_scanner_add_detector(BbDlpScanner *self, const gchar *name, BbDetector *detector)
{
    BbScannerEntry entry = {g_strdup(name), g_object_ref(detector)};
    g_return_if_fail(BB_IS_DLP_SCANNER(self));
    g_array_append_val(self->entries, entry);
}

static gboolean
bb_scanner_add_named(BbDlpScanner *self, BbRegistry *registry, BbDetectorDirection direction,
                     const gchar *name, const BbDetectorContext *context, GError **error)
{
    g_autoptr(BbDetector) detector = bb_registry_create(registry, BB_TYPE_DETECTOR, name, error);
    if (detector == NULL)
        return FALSE;
    if ((bb_detector_get_direction(detector) & direction) == 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                    "detector '%s' does not read %s traffic; list it under the other "
                    "direction's detectors",
                    name, direction == BB_DETECTOR_OUTBOUND ? "outbound" : "inbound");
        return FALSE;
    }
    if (!bb_detector_configure(detector, context, error)) {
        g_prefix_error(error, "detector '%s': ", name);
        return FALSE;
    }
    bb_dlp_scanner_add_detector(self, name, detector);
    return TRUE;
}

BbDlpScanner *
bb_dlp_scanner_new_from_registry(BbRegistry *registry, BbDetectorDirection direction,
                                 const gchar *const *names, const BbDetectorContext *context,
                                 GError **error)
{
    g_autoptr(BbDlpScanner) self = bb_dlp_scanner_new();

    if (names != NULL) {
        for (guint i = 0; names[i] != NULL; i++)
            if (!bb_scanner_add_named(self, registry, direction, names[i], context, error))
                return NULL;
        return g_steal_pointer(&self);
    }
    g_autoptr(GPtrArray) impls = bb_registry_list(registry, BB_TYPE_DETECTOR);
    for (guint i = 0; i < impls->len; i++) {
        const BbImplementation *impl = g_ptr_array_index(impls, i);
        g_autoptr(BbDetector) probe = g_object_new(impl->impl_type, NULL);
        if ((bb_detector_get_direction(probe) & direction) == 0)
            continue;
        if (!bb_scanner_add_named(self, registry, direction, impl->name, context, error))
            return NULL;
    }
    return g_steal_pointer(&self);
}

guint
bb_dlp_scanner_get_n_detectors(BbDlpScanner *self)
{
    g_return_val_if_fail(BB_IS_DLP_SCANNER(self), 0);
    return self->entries->len;
}

void
bb_dlp_scanner_set_decoding(BbDlpScanner *self, gboolean decoding)
{
    g_return_if_fail(BB_IS_DLP_SCANNER(self));
    self->decoding = decoding;
}

gsize
bb_dlp_scanner_get_overlap(BbDlpScanner *self)
{
    gsize longest = 0;
    g_return_val_if_fail(BB_IS_DLP_SCANNER(self), 0);
    for (guint i = 0; i < self->entries->len; i++) {
        BbScannerEntry *entry = &g_array_index(self->entries, BbScannerEntry, i);
        gsize max = bb_detector_get_max_match_length(entry->detector);
        if (max == 0)
            return 0;
        longest = MAX(longest, max);
    }
    return MIN(MAX(longest * BB_DLP_ENCODING_EXPANSION, 256), BB_DLP_MAX_OVERLAP);
}

typedef struct {
    BbDlpScanner *self;
    GPtrArray *findings;
    GHashTable *seen; /* "detector/rule/offset/len" already reported */
    GPtrArray *scratch;
    gsize max_match; /* 0: unbounded: decoded views are whole copies */
    GError *error;
} BbScanState;

static void
bb_scan_state_take(BbScanState *state, const BbDlpView *view, BbFinding *finding)
{
    gsize offset, len;
    g_autofree gchar *key = NULL;

    if (finding->offset > view->len || finding->length > view->len - finding->offset) {
        /* A detector reporting outside the buffer is a bug; clamp rather
         * than lose the finding. */
        finding->offset = MIN(finding->offset, view->len);
        finding->length = view->len - finding->offset;
    }
    bb_dlp_view_to_root(view, finding->offset, finding->length, &offset, &len);
    finding->offset = offset;
    finding->length = len;
    key = g_strdup_printf("%s/%s/%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT, finding->detector,
                          finding->rule_id, offset, len);
    if (!g_hash_table_add(state->seen, g_steal_pointer(&key))) {
        bb_finding_free(finding);
        return;
    }
    g_ptr_array_add(state->findings, finding);
}

/* Runs every detector over [@from, @to) of @view. */
static gboolean
bb_scan_range(BbScanState *state, const BbDlpView *view, gsize from, gsize to)
{
    for (guint i = 0; i < state->self->entries->len; i++) {
        BbScannerEntry *entry = &g_array_index(state->self->entries, BbScannerEntry, i);
        g_ptr_array_set_size(state->scratch, 0);
        if (!bb_detector_scan(entry->detector, view->data + from, to - from, state->scratch,
                              &state->error)) {
            g_prefix_error(&state->error, "detector '%s' failed: ", entry->name);
            return FALSE;
        }
        for (guint k = 0; k < state->scratch->len; k++) {
            BbFinding *finding = g_ptr_array_steal_index(state->scratch, k--);
            if (finding->detector == NULL)
                finding->detector = g_strdup(entry->name);
            finding->offset += from;
            bb_scan_state_take(state, view, finding);
        }
    }
    return TRUE;
}

static gboolean
bb_scan_view(const BbDlpView *view, gpointer user_data)
{
    return bb_scan_range(user_data, view, 0, view->len);
}

static gsize
bb_scanner_max_match(BbDlpScanner *self)
{
    gsize longest = 0;
    for (guint i = 0; i < self->entries->len; i++) {
        BbScannerEntry *entry = &g_array_index(self->entries, BbScannerEntry, i);
        gsize max = bb_detector_get_max_match_length(entry->detector);
        if (max == 0)
            return 0;
        longest = MAX(longest, max);
    }
    return longest;
}

BbDlpVerdict
bb_dlp_scanner_scan(BbDlpScanner *self, const guint8 *data, gsize len, GPtrArray *findings,
                    GError **error)
{
    BbScanState state = {self, findings, NULL, NULL, bb_scanner_max_match(self), NULL};
    guint before = findings->len;
    gboolean ok;

    g_return_val_if_fail(BB_IS_DLP_SCANNER(self), BB_DLP_VERDICT_CANNOT_SCAN);
    state.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    state.scratch = bb_dlp_findings_new();
    if (self->decoding) {
        ok = bb_dlp_decode_walk(data, len, state.max_match > 0 ? state.max_match : G_MAXSIZE,
                                bb_scan_view, &state);
    } else {
        BbDlpView root;
        bb_dlp_view_init_root(&root, data, len);
        ok = bb_scan_view(&root, &state);
    }
    g_hash_table_unref(state.seen);
    g_ptr_array_unref(state.scratch);
    if (!ok) {
        g_propagate_error(error, state.error);
        return BB_DLP_VERDICT_CANNOT_SCAN;
    }
    return findings->len > before ? BB_DLP_VERDICT_FOUND : BB_DLP_VERDICT_CLEAN;
}

BbDlpVerdict
bb_dlp_scanner_scan_hostname(BbDlpScanner *self, const gchar *hostname, GPtrArray *findings,
                             GError **error)
{
    g_autoptr(GString) joined = g_string_new(NULL);
    g_autoptr(GPtrArray) joined_findings = bb_dlp_findings_new();
    BbDlpVerdict verdict, joined_verdict;

    verdict =
        bb_dlp_scanner_scan(self, (const guint8 *)hostname, strlen(hostname), findings, error);
    if (verdict == BB_DLP_VERDICT_CANNOT_SCAN)
        return verdict;
    for (const gchar *p = hostname; *p != '\0'; p++)
        if (*p != '.')
            g_string_append_c(joined, *p);
    joined_verdict =
        bb_dlp_scanner_scan(self, (const guint8 *)joined->str, joined->len, joined_findings, error);
    if (joined_verdict == BB_DLP_VERDICT_CANNOT_SCAN)
        return joined_verdict;
    /* Offsets in the joined labels do not point into the hostname: a
     * hostname finding names the whole hostname. */
    for (guint i = 0; i < joined_findings->len; i++) {
        BbFinding *finding = g_ptr_array_index(joined_findings, i);
        finding->offset = 0;
        finding->length = strlen(hostname);
    }
    /* Only what the labels hide when joined is news. */
    if (verdict == BB_DLP_VERDICT_CLEAN && joined_findings->len > 0) {
        verdict = BB_DLP_VERDICT_FOUND;
        g_ptr_array_extend_and_steal(findings, g_steal_pointer(&joined_findings));
    }
    return verdict;
}

BbDlpVerdict
bb_dlp_scanner_scan_parts(BbDlpScanner *self, const gchar *const *parts, GPtrArray *findings,
                          GError **error)
{
    g_autoptr(GString) joined = g_string_new(NULL);
    BbDlpVerdict verdict = BB_DLP_VERDICT_CLEAN;

    g_return_val_if_fail(BB_IS_DLP_SCANNER(self), BB_DLP_VERDICT_CANNOT_SCAN);
    for (guint i = 0; parts != NULL && parts[i] != NULL; i++) {
        BbDlpVerdict v =
            bb_dlp_scanner_scan(self, (const guint8 *)parts[i], strlen(parts[i]), findings, error);
        if (v == BB_DLP_VERDICT_CANNOT_SCAN)
            return v;
        verdict = MAX(verdict, v);
        g_string_append(joined, parts[i]);
    }
    /* Only what the pieces hide when joined is news. */
    if (verdict == BB_DLP_VERDICT_CLEAN && parts != NULL && parts[0] != NULL && parts[1] != NULL)
        verdict =
            bb_dlp_scanner_scan(self, (const guint8 *)joined->str, joined->len, findings, error);
    return verdict;
}

static BbDetector *
bb_scanner_find_detector(BbDlpScanner *self, const gchar *name)
{
    for (guint i = 0; i < self->entries->len; i++) {
        BbScannerEntry *entry = &g_array_index(self->entries, BbScannerEntry, i);
        if (g_strcmp0(entry->name, name) == 0)
            return entry->detector;
    }
    return NULL;
}

static gint
bb_finding_compare_offset(gconstpointer a, gconstpointer b)
{
    const BbFinding *fa = *(const BbFinding *const *)a;
    const BbFinding *fb = *(const BbFinding *const *)b;
    if (fa->offset != fb->offset)
        return fa->offset < fb->offset ? -1 : 1;
    return fa->length > fb->length ? -1 : fa->length < fb->length;
}

/* Replaces the (sorted) findings' spans, merging overlaps. */
static GByteArray *
bb_redact_spans(const guint8 *data, gsize len, GPtrArray *sorted)
{
    GByteArray *out = g_byte_array_sized_new((guint)len);
    gsize pos = 0;

    for (guint i = 0; i < sorted->len; i++) {
        const BbFinding *finding = g_ptr_array_index(sorted, i);
        gsize start = finding->offset, end = finding->offset + finding->length;
        if (end <= pos)
            continue; /* inside the previous redaction */
        if (start >= pos) {
            g_byte_array_append(out, data + pos, (guint)(start - pos));
            g_byte_array_append(out, (const guint8 *)BB_DLP_REDACTED, strlen(BB_DLP_REDACTED));
        }
        pos = end;
    }
    g_byte_array_append(out, data + pos, (guint)(len - pos));
    return out;
}

GBytes *
bb_dlp_scanner_redact(BbDlpScanner *self, const guint8 *data, gsize len, GPtrArray *findings,
                      GError **error)
{
    g_autoptr(GPtrArray) found = g_ptr_array_new();
    g_autoptr(GPtrArray) again = bb_dlp_findings_new();
    g_autoptr(GByteArray) out = NULL;
    guint before = findings->len;

    if (bb_dlp_scanner_scan(self, data, len, findings, error) == BB_DLP_VERDICT_CANNOT_SCAN)
        return NULL;
    for (guint i = before; i < findings->len; i++) {
        BbFinding *finding = g_ptr_array_index(findings, i);
        BbDetector *detector = bb_scanner_find_detector(self, finding->detector);
        if (detector == NULL || !bb_detector_supports_redaction(detector)) {
            g_set_error(error, BB_ERROR, BB_ERROR_POLICY,
                        "detector '%s' cannot redact its finding '%s'; the request is blocked",
                        finding->detector, finding->rule_id);
            return NULL;
        }
        g_ptr_array_add(found, finding);
    }
    g_ptr_array_sort(found, bb_finding_compare_offset);
    out = bb_redact_spans(data, len, found);
    if (bb_dlp_scanner_scan(self, out->data, out->len, again, error) != BB_DLP_VERDICT_CLEAN) {
        if (error != NULL && *error == NULL)
            g_set_error(error, BB_ERROR, BB_ERROR_POLICY,
                        "redacting left '%s' detectable; the request is blocked",
                        ((BbFinding *)g_ptr_array_index(again, 0))->rule_id);
        return NULL;
    }
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
