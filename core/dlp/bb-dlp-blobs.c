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
static gboolean bb_use_avx2;
/* Nibble tables for the AVX2 alphabet test, each 16 bytes twice (one
 * copy per 128-bit lane): the classes a low / high nibble allows. */
static guint8 bb_nibble_low[32];
static guint8 bb_nibble_high[32];
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
    /* Class bit per high nibble; a byte is in the alphabet when its low
     * nibble's entry has its high nibble's class bit. */
    for (guint c = 0; c < 128; c++) {
        static const guint8 class_of_high[8] = {0, 0, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20};
        if (bb_class[c] & C_B64) {
            bb_nibble_low[c & 15] |= class_of_high[c >> 4];
            bb_nibble_high[c >> 4] = class_of_high[c >> 4];
        }
    }
    memcpy(bb_nibble_low + 16, bb_nibble_low, 16);
    memcpy(bb_nibble_high + 16, bb_nibble_high, 16);
#if defined(__x86_64__) && defined(__GNUC__)
    bb_use_avx2 = __builtin_cpu_supports("avx2");
#endif
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

/* Characters sampled at each of three places of a long base64 run. */
#define BB_B64_SAMPLE 64

/* Whether the bytes decoded from @run characters at @p look like text. */
static gboolean
bb_base64_sample_is_texty(const guint8 *p, gsize run)
{
    guint8 out[BB_B64_SAMPLE];
    guint32 acc = 0;
    guint bits = 0;
    gsize o = 0, text = 0;

    for (gsize i = 0; i < run; i++) {
        acc = (acc << 6) | (guint32)bb_b64_value[p[i]];
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (guint8)(acc >> bits);
        }
    }
    for (gsize i = 0; i < o; i++)
        text +=
            (out[i] >= 0x20 && out[i] < 0x7f) || out[i] == '\n' || out[i] == '\r' || out[i] == '\t';
    return o > 0 && text * 10 >= o * 8;
}

/* Long base64 runs are mostly images and archives: decoding them whole
 * would cost more than the rest of the scan. Decode a run only when its
 * start, middle or end decodes to text. Known secrets need no decoding
 * (their base64 forms are matched at every alignment); this trades
 * token-format findings hidden inside binary-looking blobs for speed. */
static gboolean
bb_base64_worth_decoding(const guint8 *p, gsize run)
{
    gsize middle;
    if (run <= 3 * BB_B64_SAMPLE)
        return TRUE;
    middle = (run / 2) & ~(gsize)3;
    return bb_base64_sample_is_texty(p, BB_B64_SAMPLE) ||
           bb_base64_sample_is_texty(p + middle, BB_B64_SAMPLE) ||
           bb_base64_sample_is_texty(p + ((run - BB_B64_SAMPLE) & ~(gsize)3), BB_B64_SAMPLE);
}

/* Decides what a run of base64-alphabet characters is and decodes it.
 * Each test stops at the first byte that settles it, so a long base64
 * run costs a few bytes here, not its length. */
static void
bb_classify_run(const BbDlpView *parent, GPtrArray *out, gsize start, gsize run, gsize span)
{
    const guint8 *p = parent->data + start;
    gsize i;
    guint8 any = 0, all = 0xff;

    /* "de-ad-be-ef-…": the dash is in the URL-safe alphabet, so hex
     * separated by dashes arrives here as one run. */
    if (run >= 3 * BB_MIN_HEX_PAIRS - 1 && p[2] == '-' && p[5] == '-') {
        gsize pairs = bb_count_separated_pairs(parent->data, parent->len, start);
        if (pairs >= BB_MIN_HEX_PAIRS) {
            g_ptr_array_add(out, bb_decode_hex(parent, start, pairs, 3));
            return;
        }
    }
    for (i = 0; i < run && (bb_class[p[i]] & C_HEX); i++)
        ;
    if (i == run) {
        g_ptr_array_add(out, bb_decode_hex(parent, start, run / 2, 2));
        return;
    }
    for (i = 0; i < run && !((any & C_UP) && (any & C_LO)); i++) {
        any |= bb_class[p[i]];
        all &= bb_class[p[i]];
    }
    if ((any & C_UP) && (any & C_LO)) {
        /* Real base64 of 12+ bytes has both cases; snake_case words and
         * paths do not, and skipping them keeps the chain cheap. */
        gsize usable = run - (run % 4 == 1);
        if (bb_base64_worth_decoding(p, usable))
            g_ptr_array_add(out, bb_decode_base64(parent, start, usable, span));
    } else if (all & C_B32) {
        g_ptr_array_add(out, bb_decode_base32(parent, start, run, span));
    }
}

/* Bit i of the result is set when byte i of the 64 at @p is in the base64
 * alphabet (both variants). */
#ifdef __SSE2__
#include <emmintrin.h>

static inline __m128i
bb_in_range(__m128i v, guint8 lo, guint8 hi)
{
    /* (v - lo) saturating-minus (hi - lo) is zero exactly inside. */
    __m128i shifted = _mm_sub_epi8(v, _mm_set1_epi8((gchar)lo));
    return _mm_cmpeq_epi8(_mm_subs_epu8(shifted, _mm_set1_epi8((gchar)(hi - lo))),
                          _mm_setzero_si128());
}

static inline __m128i
bb_is_byte(__m128i v, guint8 c)
{
    return _mm_cmpeq_epi8(v, _mm_set1_epi8((gchar)c));
}

static inline guint64
bb_alphabet_mask(const guint8 *p)
{
    guint64 mask = 0;
    for (guint k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        __m128i in = _mm_or_si128(bb_in_range(v, '0', '9'), bb_in_range(lower, 'a', 'z'));
        in = _mm_or_si128(in, _mm_or_si128(_mm_or_si128(bb_is_byte(v, '+'), bb_is_byte(v, '/')),
                                           _mm_or_si128(bb_is_byte(v, '-'), bb_is_byte(v, '_'))));
        mask |= (guint64)(guint16)_mm_movemask_epi8(in) << (16 * k);
    }
    return mask;
}
#else
static inline guint64
bb_alphabet_mask(const guint8 *p)
{
    guint64 mask = 0;
    for (guint i = 0; i < 64; i++)
        mask |= (guint64)((bb_class[p[i]] & C_B64) != 0) << i;
    return mask;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The same with AVX2 (chosen at run time; the build targets baseline
 * x86-64): a byte is in the set when the classes its low and high nibbles
 * select (two table lookups, tables built in bb_blob_tables_init) share
 * a bit. */
__attribute__((target("avx2"))) static guint64
bb_alphabet_mask_avx2(const guint8 *p)
{
    const __m256i by_low = _mm256_loadu_si256((const __m256i *)bb_nibble_low);
    const __m256i by_high = _mm256_loadu_si256((const __m256i *)bb_nibble_high);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    guint64 mask = 0;
    for (guint k = 0; k < 2; k++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + 32 * k));
        __m256i lo = _mm256_shuffle_epi8(by_low, _mm256_and_si256(v, nibble));
        __m256i hi =
            _mm256_shuffle_epi8(by_high, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
        __m256i out = _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256());
        mask |= (guint64)(guint32)~_mm256_movemask_epi8(out) << (32 * k);
    }
    return mask;
}
#define BB_HAVE_AVX2_MASKS 1
#endif

/* Bit i set when bits i .. i+15 of @m are all set. */
static inline guint64
bb_runs_of_16(guint64 m)
{
    m &= m >> 1;
    m &= m >> 2;
    m &= m >> 4;
    m &= m >> 8;
    return m;
}

typedef struct {
    const BbDlpView *parent;
    GPtrArray *out;
} BbBlobScan;

/* A maximal run of alphabet bytes [start, end): decode if long enough. */
static void
bb_blob_run(BbBlobScan *scan, gsize start, gsize end)
{
    const guint8 *data = scan->parent->data;
    gsize len = scan->parent->len, span;

    if (end - start < BB_DLP_MIN_BLOB)
        return;
    span = end;
    while (span < len && data[span] == '=' && span - end < 6)
        span++;
    span -= start;
    bb_classify_run(scan->parent, scan->out, start, end - start, span);
}

/* Where separated hex ("de:ad:be:ef", "DE AD BE EF") may start: bit i set
 * when four two-character alphabet runs follow each other at a stride of
 * three. A superset: bb_blob_separated_hex() checks digits and separator. */
static inline guint64
bb_separated_hex_candidates(guint64 m)
{
    guint64 pair = m & (m >> 1) & ~(m >> 2) & ~(m << 1);
    return pair & (pair >> 3) & (pair >> 6) & (pair >> 9);
}

static gsize
bb_blob_separated_hex(BbBlobScan *scan, gsize at)
{
    const guint8 *data = scan->parent->data;
    gsize start = at, pairs;

    /* Back up to the first pair of the sequence. */
    while (start >= 3 && data[start - 1] == data[at + 2] && (bb_class[data[start - 3]] & C_HEX) &&
           (bb_class[data[start - 2]] & C_HEX))
        start -= 3;
    pairs = bb_count_separated_pairs(data, scan->parent->len, start);
    if (pairs < BB_MIN_HEX_PAIRS)
        return at + 1;
    g_ptr_array_add(scan->out, bb_decode_hex(scan->parent, start, pairs, 3));
    return start + pairs * 3;
}

/* The block loop: alphabet runs via 64-bit masks, so ordinary words cost
 * a few instructions per block rather than per byte. */
static gsize
bb_blob_scan_blocks(BbBlobScan *scan, gsize blocks_end)
{
    const guint8 *data = scan->parent->data;
    gsize run_start = G_MAXSIZE; /* a run still open at the block edge */
    gsize hex_resume = 0;

    for (gsize o = 0; o < blocks_end; o += 64) {
        guint64 m, hexsep, long_runs;

#ifdef BB_HAVE_AVX2_MASKS
        m = bb_use_avx2 ? bb_alphabet_mask_avx2(data + o) : bb_alphabet_mask(data + o);
#else
        m = bb_alphabet_mask(data + o);
#endif
        hexsep = bb_separated_hex_candidates(m);

        if (run_start != G_MAXSIZE) {
            guint lead = m == G_MAXUINT64 ? 64 : (guint)__builtin_ctzll(~m);
            if (lead == 64)
                continue;
            bb_blob_run(scan, run_start, o + lead);
            run_start = G_MAXSIZE;
            m &= lead == 0 ? m : ~((G_GUINT64_CONSTANT(1) << lead) - 1);
        }
        if (m >> 63) {
            guint trail = m == G_MAXUINT64 ? 64 : (guint)__builtin_clzll(~m);
            run_start = o + 64 - trail;
            m = trail == 64 ? 0 : m & ((G_GUINT64_CONSTANT(1) << (64 - trail)) - 1);
        }
        long_runs = bb_runs_of_16(m);
        while (long_runs != 0) {
            guint i = (guint)__builtin_ctzll(long_runs);
            /* Bit 63 of m is clear here, so the run ends inside. */
            guint run = (guint)__builtin_ctzll(~(m >> i));
            bb_blob_run(scan, o + i, o + i + run);
            long_runs &= i + run >= 64 ? 0 : ~((G_GUINT64_CONSTANT(1) << (i + run)) - 1);
        }
        while (hexsep != 0) {
            guint i = (guint)__builtin_ctzll(hexsep);
            if (o + i >= hex_resume)
                hex_resume = bb_blob_separated_hex(scan, o + i);
            hexsep &= hexsep - 1;
        }
    }
    /* A run still open continues into the bytes after the blocks. */
    return run_start != G_MAXSIZE ? run_start : blocks_end;
}

/* Byte by byte from @from: the part after the last whole block. */
static void
bb_blob_scan_bytes(BbBlobScan *scan, gsize from)
{
    const guint8 *data = scan->parent->data;
    gsize len = scan->parent->len, i = from;

    while (i < len) {
        gsize start;
        if (!(bb_class[data[i]] & C_B64)) {
            i++;
            continue;
        }
        for (start = i; i < len && (bb_class[data[i]] & C_B64); i++)
            ;
        if (i - start >= BB_DLP_MIN_BLOB)
            bb_blob_run(scan, start, i);
        else if (i - start == 2 && (bb_class[data[start]] & bb_class[data[start + 1]] & C_HEX) &&
                 i < len && bb_is_hex_separator(data[i])) {
            gsize resume = bb_blob_separated_hex(scan, start);
            i = MAX(i, resume);
        }
    }
}

GPtrArray *
bb_dlp_view_decode_blobs(const BbDlpView *parent)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)bb_dlp_view_free);
    BbBlobScan scan = {parent, out};

    bb_blob_tables_init();
    bb_blob_scan_bytes(&scan, bb_blob_scan_blocks(&scan, parent->len & ~(gsize)63));
    return out;
}
