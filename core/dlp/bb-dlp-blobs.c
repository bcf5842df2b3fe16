/* Finds base64 (standard or URL-safe, padded or not), base32 and hex runs
 * (hex also with ':', '-', ' ' or ',' between byte pairs) in a view and
 * decodes each into a child view. One table-driven pass over the bytes. */
#include "bb-dlp-view.h"

#include <string.h>

enum {
    C_B64 = 1 << 0, /* A-Z a-z 0-9 + / - _ (both base64 alphabets) */
    C_HEX = 1 << 1,
    C_B32 = 1 << 2, /* A-Z a-z 2-7 */
    C_UP = 1 << 3,
    C_LO = 1 << 4,
    C_PUNCT = 1 << 5, /* + / - _ */
};

/* Minimum separated hex pairs ("de:ad:be:ef:…") worth decoding. */
#define BB_MIN_HEX_PAIRS 8

static guint8 bb_class[256];
static gint8 bb_b64_value[256];
static gint8 bb_b32_value[256];

static void
bb_blob_tables_init(void)
{
    static gsize initialised = 0;
    if (!g_once_init_enter(&initialised))
        return;
    memset(bb_b64_value, -1, sizeof bb_b64_value);
    memset(bb_b32_value, -1, sizeof bb_b32_value);
    for (gint c = 0; c < 256; c++) {
        guint8 cls = 0;
        if (g_ascii_isupper(c))
            cls |= C_B64 | C_B32 | C_UP;
        if (g_ascii_islower(c))
            cls |= C_B64 | C_B32 | C_LO;
        if (g_ascii_isdigit(c))
            cls |= C_B64 | ((c >= '2' && c <= '7') ? C_B32 : 0);
        if (g_ascii_isxdigit(c))
            cls |= C_HEX;
        if (c == '+' || c == '/' || c == '-' || c == '_')
            cls |= C_B64 | C_PUNCT;
        bb_class[c] = cls;
    }
    for (gint i = 0; i < 26; i++) {
        bb_b64_value['A' + i] = (gint8)i;
        bb_b64_value['a' + i] = (gint8)(26 + i);
        bb_b32_value['A' + i] = (gint8)i;
        bb_b32_value['a' + i] = (gint8)i;
    }
    for (gint i = 0; i < 10; i++)
        bb_b64_value['0' + i] = (gint8)(52 + i);
    for (gint i = 2; i < 8; i++)
        bb_b32_value['0' + i] = (gint8)(26 + i - 2);
    bb_b64_value['+'] = bb_b64_value['-'] = 62;
    bb_b64_value['/'] = bb_b64_value['_'] = 63;
    g_once_init_leave(&initialised, 1);
}

static BbDlpView *
bb_blob_view_new(const BbDlpView *parent, gsize offset, gsize len, const gchar *decoder,
                 gsize capacity)
{
    BbDlpView *view = g_new0(BbDlpView, 1);
    view->owned = g_malloc(capacity + 1);
    view->data = view->owned;
    view->parent = parent;
    view->span_offset = offset;
    view->span_len = len;
    view->depth = parent->depth + 1;
    view->decoder = decoder;
    return view;
}

static BbDlpView *
bb_decode_base64(const BbDlpView *parent, gsize start, gsize len, gsize span_len)
{
    const guint8 *p = parent->data + start;
    BbDlpView *view = bb_blob_view_new(parent, start, span_len, "base64", len / 4 * 3 + 3);
    guint8 *out = view->owned;
    guint32 acc = 0;
    guint bits = 0;
    gsize o = 0;

    for (gsize i = 0; i < len; i++) {
        acc = (acc << 6) | (guint32)bb_b64_value[p[i]];
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (guint8)(acc >> bits);
        }
    }
    view->len = o;
    return view;
}

static BbDlpView *
bb_decode_base32(const BbDlpView *parent, gsize start, gsize len, gsize span_len)
{
    const guint8 *p = parent->data + start;
    BbDlpView *view = bb_blob_view_new(parent, start, span_len, "base32", len * 5 / 8 + 1);
    guint8 *out = view->owned;
    guint64 acc = 0;
    guint bits = 0;
    gsize o = 0;

    for (gsize i = 0; i < len; i++) {
        acc = (acc << 5) | (guint64)bb_b32_value[p[i]];
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (guint8)(acc >> bits);
        }
    }
    view->len = o;
    return view;
}

static guint8
bb_hex_pair(const guint8 *p)
{
    guint8 hi = p[0] <= '9' ? p[0] - '0' : (p[0] | 0x20) - 'a' + 10;
    guint8 lo = p[1] <= '9' ? p[1] - '0' : (p[1] | 0x20) - 'a' + 10;
    return (guint8)(hi << 4 | lo);
}

/* Hex digits at @start, optionally with one separator between pairs
 * (@stride 3) or none (@stride 2). */
static BbDlpView *
bb_decode_hex(const BbDlpView *parent, gsize start, gsize pairs, gsize stride)
{
    const guint8 *p = parent->data + start;
    gsize span = pairs * stride - (stride - 2);
    BbDlpView *view = bb_blob_view_new(parent, start, span, "hex", pairs);

    for (gsize i = 0; i < pairs; i++)
        view->owned[i] = bb_hex_pair(p + i * stride);
    view->len = pairs;
    return view;
}

static gboolean
bb_is_hex_separator(guint8 c)
{
    return c == ':' || c == '-' || c == ' ' || c == ',';
}

/* At @start two hex digits are followed by a separator: count the pairs
 * that keep the same separator. */
static gsize
bb_count_separated_pairs(const guint8 *data, gsize len, gsize start)
{
    guint8 sep = data[start + 2];
    gsize pairs = 0, i = start;

    while (i + 2 <= len && (bb_class[data[i]] & C_HEX) && (bb_class[data[i + 1]] & C_HEX)) {
        pairs++;
        if (i + 2 < len && data[i + 2] == sep)
            i += 3;
        else
            break;
    }
    return pairs;
}

/* Decides what a run of base64-alphabet characters is and decodes it. */
static void
bb_classify_run(const BbDlpView *parent, GPtrArray *out, gsize start, gsize run, guint8 any,
                guint8 all, gsize span)
{
    if (all & C_HEX) {
        g_ptr_array_add(out, bb_decode_hex(parent, start, run / 2, 2));
    } else if ((all & C_B32) && !((any & C_UP) && (any & C_LO))) {
        g_ptr_array_add(out, bb_decode_base32(parent, start, run, span));
    } else if ((any & C_UP) && (any & C_LO)) {
        /* Real base64 of 12+ bytes has both cases; snake_case words and
         * paths do not, and skipping them keeps the chain cheap. */
        gsize usable = run - (run % 4 == 1);
        g_ptr_array_add(out, bb_decode_base64(parent, start, usable, span));
    }
}

GPtrArray *
bb_dlp_view_decode_blobs(const BbDlpView *parent)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)bb_dlp_view_free);
    const guint8 *data = parent->data;
    gsize len = parent->len, i = 0;

    bb_blob_tables_init();
    while (i < len) {
        gsize start, run, span;
        guint8 any = 0, all = 0xff;

        if (!(bb_class[data[i]] & C_B64)) {
            i++;
            continue;
        }
        start = i;
        while (i < len && (bb_class[data[i]] & C_B64)) {
            any |= bb_class[data[i]];
            all &= bb_class[data[i]];
            i++;
        }
        run = i - start;
        if (run >= BB_DLP_MIN_BLOB) {
            span = run;
            while (start + span < len && data[start + span] == '=' && span - run < 6)
                span++;
            bb_classify_run(parent, out, start, run, any, all, span);
        } else if (run == 2 && (all & C_HEX) && i < len && bb_is_hex_separator(data[i])) {
            gsize pairs = bb_count_separated_pairs(data, len, start);
            if (pairs >= BB_MIN_HEX_PAIRS) {
                g_ptr_array_add(out, bb_decode_hex(parent, start, pairs, 3));
                i = start + pairs * 3 - 1;
            }
        }
    }
    return out;
}
