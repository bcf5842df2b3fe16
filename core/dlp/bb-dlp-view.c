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

/* Output position @pos of a normalised view to its parent; @base is where
 * the view's window starts in the parent. */
static gsize
bb_dlp_map_start(const GArray *edits, gsize base, gsize pos)
{
    gssize i = bb_dlp_edit_search(edits, pos);
    const BbDlpEdit *edit;
    if (i < 0)
        return base + pos;
    edit = &g_array_index(edits, BbDlpEdit, i);
    if (pos < edit->out + edit->out_len)
        return edit->in;
    return edit->in + edit->in_len + (pos - edit->out - edit->out_len);
}

static gsize
bb_dlp_map_end(const GArray *edits, gsize base, gsize end)
{
    gssize i;
    const BbDlpEdit *edit;
    if (end == 0)
        return bb_dlp_map_start(edits, base, 0);
    i = bb_dlp_edit_search(edits, end - 1);
    if (i < 0)
        return base + end;
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
            gsize new_start = bb_dlp_map_start(v->edits, v->span_offset, start);
            end = bb_dlp_map_end(v->edits, v->span_offset, end);
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

typedef struct {
    gsize margin;
    BbDlpViewFunc func;
    gpointer user_data;
} BbDlpWalk;

/* @view itself was already visited: visit the blobs it holds, then its
 * normalised windows and, recursively, what they hold. */
static gboolean
bb_dlp_walk_view(const BbDlpWalk *walk, const BbDlpView *view)
{
    g_autoptr(GPtrArray) blobs = NULL;
    g_autoptr(GPtrArray) windows = NULL;

    if (view->depth >= BB_DLP_MAX_DEPTH)
        return TRUE;
    blobs = bb_dlp_view_decode_blobs(view);
    for (guint i = 0; i < blobs->len; i++) {
        const BbDlpView *blob = g_ptr_array_index(blobs, i);
        if (!walk->func(blob, walk->user_data))
            return FALSE;
        if (bb_dlp_view_is_texty(blob) && !bb_dlp_walk_view(walk, blob))
            return FALSE;
    }
    g_clear_pointer(&blobs, g_ptr_array_unref);
    windows = bb_dlp_view_normalize_windows(view, walk->margin);
    for (guint i = 0; i < windows->len; i++) {
        const BbDlpView *window = g_ptr_array_index(windows, i);
        if (!walk->func(window, walk->user_data) || !bb_dlp_walk_view(walk, window))
            return FALSE;
    }
    return TRUE;
}

gboolean
bb_dlp_decode_walk(const guint8 *data, gsize len, gsize margin, BbDlpViewFunc func,
                   gpointer user_data)
{
    BbDlpWalk walk = {margin, func, user_data};
    BbDlpView root;

    bb_dlp_view_init_root(&root, data, len);
    if (!func(&root, user_data))
        return FALSE;
    return bb_dlp_walk_view(&walk, &root);
}
