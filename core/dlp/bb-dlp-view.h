/* The decode chain. A view is one decoded reading of scanned bytes: the
 * bytes themselves, a normalised copy (percent, JSON and HTML escapes
 * undone, invisible characters dropped, compatibility forms folded), or a
 * base64/base32/hex blob found inside another view. Every view can map a
 * span of its bytes back to the span of the original bytes it came from,
 * so findings and redactions always point at what was really sent. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How deep decoders nest: percent thrice, or base64 of hex of a secret. */
#define BB_DLP_MAX_DEPTH 4
/* Shortest base64/base32/hex run worth decoding; shorter encoded known
 * secrets are matched as precomputed literals instead. */
#define BB_DLP_MIN_BLOB 16

/* One rewritten region of a normalised view: output [out, out + out_len)
 * came from parent bytes [in, in + in_len). Bytes between edits are
 * copied one to one. */
typedef struct {
    gsize out;
    gsize out_len;
    gsize in;
    gsize in_len;
} BbDlpEdit;

typedef struct _BbDlpView BbDlpView;
struct _BbDlpView {
    const guint8 *data;
    gsize len;
    guint8 *owned;           /* data, when the view decoded it */
    GArray *edits;           /* of BbDlpEdit, for normalised views */
    const BbDlpView *parent; /* NULL for the original bytes */
    gsize span_offset;       /* the span of the parent this view decodes */
    gsize span_len;
    guint depth;
    const gchar *decoder; /* "raw", "normalize", "base64", "base32", "hex" */
};

void bb_dlp_view_init_root(BbDlpView *view, const guint8 *data, gsize len);
void bb_dlp_view_clear(BbDlpView *view);
void bb_dlp_view_free(BbDlpView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDlpView, bb_dlp_view_free)

/* Maps [offset, offset + len) of @view to the original bytes. */
void bb_dlp_view_to_root(const BbDlpView *view, gsize offset, gsize len, gsize *root_offset,
                         gsize *root_len);

/* A normalised copy of @parent, or NULL when normalising changes nothing. */
BbDlpView *bb_dlp_view_normalize(const BbDlpView *parent);

/* The normalised stretches of @parent: each escape with @margin bytes
 * either side (windows that touch merged), so a match of up to @margin
 * bytes that involves a decoded escape lies inside one window; the rest
 * of the parent is unchanged and need not be copied or scanned again.
 * Array of BbDlpView (owning); empty when nothing changes. */
GPtrArray *bb_dlp_view_normalize_windows(const BbDlpView *parent, gsize margin);

/* Every base64, base32 and hex blob of @parent, decoded (array of
 * BbDlpView, owning). */
GPtrArray *bb_dlp_view_decode_blobs(const BbDlpView *parent);

/* TRUE when @view looks like text, so decoding it further may pay off. */
gboolean bb_dlp_view_is_texty(const BbDlpView *view);

/* Visits the original bytes and every decoded view below them, parents
 * before children, up to BB_DLP_MAX_DEPTH; stops when @func returns FALSE
 * and then returns FALSE too. Normalised views are windows of @margin
 * bytes around their escapes (the longest match the caller looks for;
 * G_MAXSIZE: whole copies). */
typedef gboolean (*BbDlpViewFunc)(const BbDlpView *view, gpointer user_data);
gboolean bb_dlp_decode_walk(const guint8 *data, gsize len, gsize margin, BbDlpViewFunc func,
                            gpointer user_data);

G_END_DECLS
