#include "bb-dlp-view.h"

void
bb_dlp_view_init_root(BbDlpView *view, const guint8 *data, gsize len)
{
    memset(view, 0, sizeof *view);
    view->data = data;
    view->len = len;
    view->decoder = "raw";
}

void
bb_dlp_view_clear(BbDlpView *view)
{
    g_clear_pointer(&view->owned, g_free);
    g_clear_pointer(&view->edits, g_array_unref);
}

void
bb_dlp_view_free(BbDlpView *view)
{
    if (view == NULL)
        return;
    bb_dlp_view_clear(view);
    g_free(view);
}

/* The last edit starting at or before @pos (by output offset), or -1. */
static gssize
bb_dlp_edit_search(const GArray *edits, gsize pos)
{
    gssize lo = 0, hi = (gssize)edits->len - 1, found = -1;
    while (lo <= hi) {
        gssize mid = lo + (hi - lo) / 2;
        const BbDlpEdit *edit = &g_array_index(edits, BbDlpEdit, mid);
        if (edit->out <= pos) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

static gsize
bb_dlp_map_start(const GArray *edits, gsize pos)
{
    gssize i = bb_dlp_edit_search(edits, pos);
    const BbDlpEdit *edit;
    if (i < 0)
        return pos;
    edit = &g_array_index(edits, BbDlpEdit, i);
    if (pos < edit->out + edit->out_len)
        return edit->in;
    return edit->in + edit->in_len + (pos - edit->out - edit->out_len);
}

static gsize
bb_dlp_map_end(const GArray *edits, gsize end)
{
    gssize i;
    const BbDlpEdit *edit;
    if (end == 0)
        return bb_dlp_map_start(edits, 0);
    i = bb_dlp_edit_search(edits, end - 1);
    if (i < 0)
        return end;
    edit = &g_array_index(edits, BbDlpEdit, i);
    if (end <= edit->out + edit->out_len)
        return edit->in + edit->in_len;
    return edit->in + edit->in_len + (end - edit->out - edit->out_len);
}

void
bb_dlp_view_to_root(const BbDlpView *view, gsize offset, gsize len, gsize *root_offset,
                    gsize *root_len)
{
    gsize start = offset, end = offset + len;

    for (const BbDlpView *v = view; v->parent != NULL; v = v->parent) {
        if (v->edits != NULL) {
            gsize new_start = bb_dlp_map_start(v->edits, start);
            end = bb_dlp_map_end(v->edits, end);
            start = new_start;
        } else {
            /* A decoded blob: any part of it is the whole encoded span. */
            start = v->span_offset;
            end = v->span_offset + v->span_len;
        }
    }
    *root_offset = start;
    *root_len = end > start ? end - start : 0;
}

gboolean
bb_dlp_view_is_texty(const BbDlpView *view)
{
    gsize text = 0;
    gsize sample = MIN(view->len, 256);

    if (sample == 0)
        return FALSE;
    for (gsize i = 0; i < sample; i++) {
        guint8 c = view->data[i];
        if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t')
            text++;
    }
    return text * 10 >= sample * 9;
}

static gboolean bb_dlp_walk_view(const BbDlpView *view, BbDlpViewFunc func, gpointer user_data);

static gboolean
bb_dlp_walk_blobs(const BbDlpView *view, BbDlpViewFunc func, gpointer user_data)
{
    g_autoptr(GPtrArray) blobs = bb_dlp_view_decode_blobs(view);

    for (guint i = 0; i < blobs->len; i++) {
        const BbDlpView *blob = g_ptr_array_index(blobs, i);
        if (!func(blob, user_data))
            return FALSE;
        if (blob->depth < BB_DLP_MAX_DEPTH && bb_dlp_view_is_texty(blob) &&
            !bb_dlp_walk_view(blob, func, user_data))
            return FALSE;
    }
    return TRUE;
}

/* @view itself was already visited: visit its normalised forms (undoing
 * one layer each, so percent-encoding thrice takes three), then the blobs
 * of the most decoded form, which holds every blob the others hold. */
static gboolean
bb_dlp_walk_view(const BbDlpView *view, BbDlpViewFunc func, gpointer user_data)
{
    g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func((GDestroyNotify)bb_dlp_view_free);
    const BbDlpView *deepest = view;

    while (deepest->depth < BB_DLP_MAX_DEPTH) {
        BbDlpView *normal = bb_dlp_view_normalize(deepest);
        if (normal == NULL)
            break;
        g_ptr_array_add(chain, normal);
        if (!func(normal, user_data))
            return FALSE;
        deepest = normal;
    }
    if (deepest->depth >= BB_DLP_MAX_DEPTH)
        return TRUE;
    return bb_dlp_walk_blobs(deepest, func, user_data);
}

gboolean
bb_dlp_decode_walk(const guint8 *data, gsize len, BbDlpViewFunc func, gpointer user_data)
{
    BbDlpView root;

    bb_dlp_view_init_root(&root, data, len);
    if (!func(&root, user_data))
        return FALSE;
    return bb_dlp_walk_view(&root, func, user_data);
}
