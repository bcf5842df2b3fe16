/* One pass that undoes the cheap disguises: percent-escapes, JSON and C
 * backslash escapes, HTML character references, invisible characters,
 * Unicode tag characters (ASCII smuggling), full-width and mathematical
 * alphanumeric forms. Each pass undoes one layer; the walk repeats it. */
#include "bb-dlp-view.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct {
    guint8 *out; /* allocated at the first edit: most text has none */
    gsize out_len;
    GArray *edits;
    guint8 tmp[8]; /* the current escape's decoding */
    gsize tmp_len;
} BbNormalizer;

static gint
bb_hex_value(guint8 c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses @digits hex digits at @p; -1 when any is not hex. */
static gint64
bb_hex_number(const guint8 *p, guint digits)
{
    gint64 value = 0;
    for (guint i = 0; i < digits; i++) {
        gint v = bb_hex_value(p[i]);
        if (v < 0)
            return -1;
        value = value * 16 + v;
    }
    return value;
}

static gsize
bb_utf8_put(guint8 *out, guint32 cp)
{
    if (cp < 0x80) {
        out[0] = (guint8)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (guint8)(0xc0 | (cp >> 6));
        out[1] = (guint8)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (guint8)(0xe0 | (cp >> 12));
        out[1] = (guint8)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (guint8)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (guint8)(0xf0 | (cp >> 18));
    out[1] = (guint8)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (guint8)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (guint8)(0x80 | (cp & 0x3f));
    return 4;
}

/* Records that @in_len input bytes at @in became the last @out_len output
 * bytes, merging with the previous edit when they touch. */
static void
bb_normalizer_edit(BbNormalizer *n, gsize in, gsize in_len, gsize out_len)
{
    gsize out = n->out_len - out_len;
    BbDlpEdit edit = {.out = out, .out_len = out_len, .in = in, .in_len = in_len};
    if (n->edits->len > 0) {
        BbDlpEdit *last = &g_array_index(n->edits, BbDlpEdit, n->edits->len - 1);
        if (last->in + last->in_len == in && last->out + last->out_len == out) {
            last->in_len += in_len;
            last->out_len += out_len;
            return;
        }
    }
    g_array_append_val(n->edits, edit);
}

/* What a code point folds to: -1 keeps it, -2 drops it, else an ASCII or
 * other replacement code point. */
static gint64
bb_fold_codepoint(guint32 cp)
{
    if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff ||
        cp == 0x00ad || cp == 0x180e || cp == 0x034f || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069))
        return -2;
    if (cp >= 0xe0000 && cp <= 0xe007f)
        return (cp >= 0xe0020 && cp <= 0xe007e) ? (gint64)(cp - 0xe0000) : -2;
    if (cp >= 0xff01 && cp <= 0xff5e)
        return cp - 0xfee0;
    if (cp == 0x3000 || cp == 0x00a0)
        return ' ';
    if (cp >= 0x1d400 && cp <= 0x1d6a3) {
        guint32 i = (cp - 0x1d400) % 52;
        return i < 26 ? 'A' + i : 'a' + (i - 26);
    }
    if (cp >= 0x1d7ce && cp <= 0x1d7ff)
        return '0' + (cp - 0x1d7ce) % 10;
    return -1;
}

/* Decodes one UTF-8 sequence at @p; returns its length or 0 if invalid. */
static gsize
bb_utf8_get(const guint8 *p, gsize avail, guint32 *cp)
{
    guint8 c = p[0];
    gsize n;
    guint32 v;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (gsize i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    *cp = v;
    return n;
}

/* Each bb_try_* looks at the escape at @p (with @avail bytes left),
 * writes its decoding to the output and returns the input length used,
 * or 0 when the bytes are not an escape it knows. */
static gsize
bb_try_percent(BbNormalizer *n, const guint8 *p, gsize avail)
{
    gint64 v;
    if (avail < 3 || (v = bb_hex_number(p + 1, 2)) < 0)
        return 0;
    n->tmp[n->tmp_len++] = (guint8)v;
    return 3;
}

/* Only escapes that can stand for a secret's characters: \uXXXX, \xXX
 * and \/ (how some encoders write the '/' of base64). \n, \" and the
 * like only separate tokens, and undoing them would copy every JSON body. */
static gsize
bb_try_backslash(BbNormalizer *n, const guint8 *p, gsize avail)
{
    gint64 v, low;

    if (avail < 2)
        return 0;
    if (p[1] == 'u' && avail >= 6 && (v = bb_hex_number(p + 2, 4)) >= 0) {
        gsize used = 6;
        if (v >= 0xd800 && v <= 0xdbff && avail >= 12 && p[6] == '\\' && p[7] == 'u' &&
            (low = bb_hex_number(p + 8, 4)) >= 0xdc00 && low <= 0xdfff) {
            v = 0x10000 + ((v - 0xd800) << 10) + (low - 0xdc00);
            used = 12;
        } else if (v >= 0xd800 && v <= 0xdfff) {
            v = '?';
        }
        n->tmp_len += bb_utf8_put(n->tmp + n->tmp_len, (guint32)v);
        return used;
    }
    if (p[1] == 'x' && avail >= 4 && (v = bb_hex_number(p + 2, 2)) >= 0) {
        n->tmp[n->tmp_len++] = (guint8)v;
        return 4;
    }
    if (p[1] == '/') {
        n->tmp[n->tmp_len++] = '/';
        return 2;
    }
    return 0;
}

static gsize
bb_try_entity(BbNormalizer *n, const guint8 *p, gsize avail)
{
    static const struct {
        const gchar *name;
        guint32 cp;
    } named[] = {
        {"amp", '&'},    {"lt", '<'},     {"gt", '>'},     {"quot", '"'},   {"apos", '\''},
        {"nbsp", ' '},   {"sol", '/'},    {"colon", ':'},  {"equals", '='}, {"plus", '+'},
        {"percnt", '%'}, {"lowbar", '_'}, {"period", '.'}, {"num", '#'},    {"dollar", '$'},
    };
    gsize i = 1;
    guint32 cp = 0;

    if (avail > 2 && p[1] == '#') {
        gboolean hex = avail > 3 && (p[2] == 'x' || p[2] == 'X');
        gsize digits = 0;
        for (i = hex ? 3 : 2; i < avail && digits < 8; i++, digits++) {
            gint v = hex ? bb_hex_value(p[i]) : (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1);
            if (v < 0)
                break;
            cp = cp * (hex ? 16 : 10) + (guint32)v;
        }
        if (digits == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        if (i < avail && p[i] == ';')
            i++;
        n->tmp_len += bb_utf8_put(n->tmp + n->tmp_len, cp);
        return i;
    }
    for (gsize k = 0; k < G_N_ELEMENTS(named); k++) {
        gsize len = strlen(named[k].name);
        if (avail >= len + 2 && memcmp(p + 1, named[k].name, len) == 0 && p[len + 1] == ';') {
            n->tmp_len += bb_utf8_put(n->tmp + n->tmp_len, named[k].cp);
            return len + 2;
        }
    }
    return 0;
}

static gsize
bb_try_unicode(BbNormalizer *n, const guint8 *p, gsize avail)
{
    guint32 cp;
    gsize used = bb_utf8_get(p, avail, &cp);
    gint64 folded;
    if (used == 0)
        return 0;
    folded = bb_fold_codepoint(cp);
    if (folded == -1)
        return 0;
    if (folded >= 0)
        n->tmp_len += bb_utf8_put(n->tmp + n->tmp_len, (guint32)folded);
    return used;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* 32 bytes per step on CPUs with AVX2 (checked once at run time), also
 * looking at the byte after each candidate so that only a '%' before a
 * hex digit, a backslash before u, x or /, and an '&' before '#' or a
 * letter stop the search: JSON's \n and code's && do not. */
__attribute__((target("avx2"))) static gsize
bb_next_trigger_avx2(const guint8 *data, gsize len, gsize i)
{
    for (; i + 33 <= len; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(data + i));
        __m256i n = _mm256_loadu_si256((const __m256i *)(data + i + 1));
        __m256i lower = _mm256_or_si256(n, _mm256_set1_epi8(0x20));
        __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(n, _mm256_set1_epi8('0' - 1)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), n));
        __m256i letter = _mm256_and_si256(_mm256_cmpgt_epi8(lower, _mm256_set1_epi8('a' - 1)),
                                          _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), lower));
        __m256i hex_letter = _mm256_and_si256(_mm256_cmpgt_epi8(lower, _mm256_set1_epi8('a' - 1)),
                                              _mm256_cmpgt_epi8(_mm256_set1_epi8('f' + 1), lower));
        __m256i pct = _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('%')),
                                       _mm256_or_si256(digit, hex_letter));
        __m256i bsl = _mm256_and_si256(
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\')),
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(n, _mm256_set1_epi8('u')),
                                            _mm256_cmpeq_epi8(n, _mm256_set1_epi8('x'))),
                            _mm256_cmpeq_epi8(n, _mm256_set1_epi8('/'))));
        __m256i amp =
            _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('&')),
                             _mm256_or_si256(_mm256_cmpeq_epi8(n, _mm256_set1_epi8('#')), letter));
        __m256i hit = _mm256_or_si256(_mm256_or_si256(pct, bsl), amp);
        guint mask = (guint)_mm256_movemask_epi8(_mm256_or_si256(hit, v));
        if (mask != 0)
            return i + (guint)__builtin_ctz(mask);
    }
    return i;
}
#endif

/* Where the next escape may start: the nearest '%', '\\', '&' or
 * non-ASCII byte at or after @i, 16 or 32 bytes per step. */
static gsize
bb_next_trigger(const guint8 *data, gsize len, gsize i)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static gint use_avx2 = -1;
    if (G_UNLIKELY(use_avx2 < 0))
        use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (use_avx2) {
        i = bb_next_trigger_avx2(data, len, i);
        if (i + 33 <= len)
            return i;
    }
#endif
#ifdef __SSE2__
    {
        const __m128i percent = _mm_set1_epi8('%');
        const __m128i backslash = _mm_set1_epi8('\\');
        const __m128i ampersand = _mm_set1_epi8('&');
        for (; i + 16 <= len; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(data + i));
            __m128i hit =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, percent), _mm_cmpeq_epi8(v, backslash)),
                             _mm_cmpeq_epi8(v, ampersand));
            guint mask = (guint)_mm_movemask_epi8(_mm_or_si128(hit, v));
            if (mask != 0)
                return i + (guint)__builtin_ctz(mask);
        }
    }
#endif
    for (; i < len; i++) {
        guint8 c = data[i];
        if ((c & 0x80) || c == '%' || c == '\\' || c == '&')
            return i;
    }
    return len;
}

static gsize
bb_try_escape(BbNormalizer *n, const guint8 *p, gsize avail)
{
    n->tmp_len = 0;
    switch (p[0]) {
    case '%':
        return bb_try_percent(n, p, avail);
    case '\\':
        return bb_try_backslash(n, p, avail);
    case '&':
        return bb_try_entity(n, p, avail);
    default:
        return bb_try_unicode(n, p, avail);
    }
}

/* Length of the UTF-8 sequence a lead byte announces (1 if invalid). */
static gsize
bb_utf8_skip(guint8 c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* One escape found in the parent: @in_len bytes at @in decode to the
 * @dec_len bytes at @dec_off of the decoded store. */
typedef struct {
    gsize in;
    gsize in_len;
    gsize dec_off;
    gsize dec_len;
} BbEscape;

/* Every escape of @parent, in order; the decodings go to @decoded. */
static GArray *
bb_find_escapes(const BbDlpView *parent, GByteArray *decoded)
{
    const guint8 *data = parent->data;
    gsize len = parent->len, i = 0;
    BbNormalizer n = {0};
    GArray *escapes = g_array_new(FALSE, FALSE, sizeof(BbEscape));

    while ((i = bb_next_trigger(data, len, i)) < len) {
        gsize used = bb_try_escape(&n, data + i, len - i);
        BbEscape escape;
        if (used == 0) {
            i += (data[i] & 0x80) ? MIN(bb_utf8_skip(data[i]), len - i) : 1;
            continue;
        }
        escape.in = i;
        escape.in_len = used;
        escape.dec_off = decoded->len;
        escape.dec_len = n.tmp_len;
        g_byte_array_append(decoded, n.tmp, (guint)n.tmp_len);
        g_array_append_val(escapes, escape);
        i += used;
    }
    return escapes;
}

/* The normalised bytes of parent [@from, @to), escapes[@first..@last]
 * applied: a view whose edits map back into the parent. */
static BbDlpView *
bb_build_window(const BbDlpView *parent, GArray *escapes, guint first, guint last,
                const GByteArray *decoded, gsize from, gsize to)
{
    BbNormalizer n = {0};
    gsize copied = from;
    BbDlpView *view;

    /* Every escape decodes to at most as many bytes as it used. */
    n.out = g_malloc(to - from + 8);
    n.edits = g_array_new(FALSE, FALSE, sizeof(BbDlpEdit));
    for (guint k = first; k <= last; k++) {
        const BbEscape *escape = &g_array_index(escapes, BbEscape, k);
        memcpy(n.out + n.out_len, parent->data + copied, escape->in - copied);
        n.out_len += escape->in - copied;
        /* Removals decode to nothing (and may leave the store empty). */
        if (escape->dec_len > 0)
            memcpy(n.out + n.out_len, decoded->data + escape->dec_off, escape->dec_len);
        n.out_len += escape->dec_len;
        bb_normalizer_edit(&n, escape->in, escape->in_len, escape->dec_len);
        copied = escape->in + escape->in_len;
    }
    memcpy(n.out + n.out_len, parent->data + copied, to - copied);
    n.out_len += to - copied;
    view = g_new0(BbDlpView, 1);
    view->owned = n.out;
    view->data = n.out;
    view->len = n.out_len;
    view->edits = n.edits;
    view->parent = parent;
    view->span_offset = from;
    view->span_len = to - from;
    view->depth = parent->depth + 1;
    view->decoder = "normalize";
    return view;
}

GPtrArray *
bb_dlp_view_normalize_windows(const BbDlpView *parent, gsize margin)
{
    GPtrArray *windows = g_ptr_array_new_with_free_func((GDestroyNotify)bb_dlp_view_free);
    g_autoptr(GByteArray) decoded = g_byte_array_new();
    g_autoptr(GArray) escapes = bb_find_escapes(parent, decoded);
    guint first = 0;

    while (first < escapes->len) {
        const BbEscape *escape = &g_array_index(escapes, BbEscape, first);
        gsize from = escape->in > margin ? escape->in - margin : 0;
        gsize to = escape->in + escape->in_len;
        guint last = first;

        to = margin >= parent->len - to ? parent->len : to + margin;
        /* Merge escapes whose windows touch this one. */
        while (last + 1 < escapes->len) {
            const BbEscape *next = &g_array_index(escapes, BbEscape, last + 1);
            gsize next_from = next->in > margin ? next->in - margin : 0;
            gsize next_to = next->in + next->in_len;
            if (next_from > to)
                break;
            next_to = margin >= parent->len - next_to ? parent->len : next_to + margin;
            to = MAX(to, next_to);
            last++;
        }
        g_ptr_array_add(windows, bb_build_window(parent, escapes, first, last, decoded, from, to));
        first = last + 1;
    }
    return windows;
}

BbDlpView *
bb_dlp_view_normalize(const BbDlpView *parent)
{
    g_autoptr(GPtrArray) windows = bb_dlp_view_normalize_windows(parent, G_MAXSIZE);
    if (windows->len == 0)
        return NULL;
    return g_ptr_array_steal_index(windows, 0);
}
