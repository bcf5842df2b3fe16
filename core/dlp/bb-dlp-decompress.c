#include "bb-dlp-decompress.h"
#include "bb-error.h"

#include <brotli/decode.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define BB_DECODE_CHUNK (64 * 1024)

typedef enum {
    BB_CODING_IDENTITY,
    BB_CODING_GZIP,
    BB_CODING_DEFLATE,
    BB_CODING_BR,
    BB_CODING_ZSTD,
} BbCoding;

struct _BbDlpDecompressor {
    BbCoding coding;
    gsize max_output;
    gsize produced;
    gboolean started;  /* deflate: wrapper sniffed */
    gboolean finished; /* the compressed stream reached its end */
    z_stream zs;
    gboolean zs_ready;
    BrotliDecoderState *br;
    ZSTD_DStream *zstd;
    guint8 *chunk;
};

static gboolean
bb_coding_parse(const gchar *name, BbCoding *coding)
{
    g_autofree gchar *clean = g_strstrip(g_ascii_strdown(name != NULL ? name : "", -1));
    if (*clean == '\0' || g_str_equal(clean, "identity"))
        *coding = BB_CODING_IDENTITY;
    else if (g_str_equal(clean, "gzip") || g_str_equal(clean, "x-gzip"))
        *coding = BB_CODING_GZIP;
    else if (g_str_equal(clean, "deflate"))
        *coding = BB_CODING_DEFLATE;
    else if (g_str_equal(clean, "br"))
        *coding = BB_CODING_BR;
    else if (g_str_equal(clean, "zstd"))
        *coding = BB_CODING_ZSTD;
    else
        return FALSE;
    return TRUE;
}

BbDlpDecompressor *
bb_dlp_decompressor_new(const gchar *content_encoding, gsize max_output, GError **error)
{
    g_autoptr(BbDlpDecompressor) self = g_new0(BbDlpDecompressor, 1);

    if (!bb_coding_parse(content_encoding, &self->coding)) {
        /* Stacked codings ("gzip, br") and unknown ones are refused rather
         * than forwarded unscanned. */
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_SUPPORTED,
                    "cannot scan a body with Content-Encoding '%s'; send it as gzip, deflate, "
                    "br, zstd or identity",
                    content_encoding);
        return NULL;
    }
    self->max_output = max_output;
    self->chunk = g_malloc(BB_DECODE_CHUNK);
    if (self->coding == BB_CODING_GZIP) {
        if (inflateInit2(&self->zs, 15 + 16) != Z_OK) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot start a gzip decoder");
            return NULL;
        }
        self->zs_ready = TRUE;
    } else if (self->coding == BB_CODING_BR) {
        self->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    } else if (self->coding == BB_CODING_ZSTD) {
        self->zstd = ZSTD_createDStream();
        ZSTD_initDStream(self->zstd);
        /* A frame may not ask for a window beyond 8 MiB of memory. */
        ZSTD_DCtx_setParameter(self->zstd, ZSTD_d_windowLogMax, 23);
    }
    return g_steal_pointer(&self);
}

void
bb_dlp_decompressor_free(BbDlpDecompressor *self)
{
    if (self == NULL)
        return;
    if (self->zs_ready)
        inflateEnd(&self->zs);
    if (self->br != NULL)
        BrotliDecoderDestroyInstance(self->br);
    if (self->zstd != NULL)
        ZSTD_freeDStream(self->zstd);
    g_free(self->chunk);
    g_free(self);
}

static gboolean
bb_emit(BbDlpDecompressor *self, const guint8 *data, gsize len, BbDlpOutputFunc func,
        gpointer user_data, GError **error)
{
    if (len == 0)
        return TRUE;
    self->produced += len;
    if (self->produced > self->max_output) {
        g_set_error(error, BB_ERROR, BB_ERROR_POLICY,
                    "decoded body exceeds the scan cap of %" G_GSIZE_FORMAT
                    " bytes; send it in smaller requests",
                    self->max_output);
        return FALSE;
    }
    return func(data, len, user_data, error);
}

static gboolean
bb_corrupt(GError **error, const gchar *coding)
{
    g_set_error(error, BB_ERROR, BB_ERROR_POLICY,
                "cannot decode the %s body, so it cannot be scanned", coding);
    return FALSE;
}

/* zlib-wrapped deflate starts with a CMF/FLG pair divisible by 31. */
static gboolean
bb_deflate_start(BbDlpDecompressor *self, const guint8 *data, gsize len)
{
    gboolean wrapped = len >= 2 && (data[0] & 0x0f) == 8 && ((data[0] << 8) | data[1]) % 31 == 0;
    if (inflateInit2(&self->zs, wrapped ? 15 : -15) != Z_OK)
        return FALSE;
    self->zs_ready = TRUE;
    self->started = TRUE;
    return TRUE;
}

static gboolean
bb_feed_zlib(BbDlpDecompressor *self, const guint8 *data, gsize len, BbDlpOutputFunc func,
             gpointer user_data, GError **error)
{
    const gchar *name = self->coding == BB_CODING_GZIP ? "gzip" : "deflate";

    if (self->coding == BB_CODING_DEFLATE && !self->started && !bb_deflate_start(self, data, len))
        return bb_corrupt(error, name);
    self->zs.next_in = (Bytef *)data;
    self->zs.avail_in = (uInt)len;
    while (self->zs.avail_in > 0) {
        int rc;
        if (self->finished) {
            /* Only gzip may carry another member after the first. */
            if (self->coding != BB_CODING_GZIP || inflateReset(&self->zs) != Z_OK)
                return bb_corrupt(error, name);
            self->finished = FALSE;
        }
        self->zs.next_out = self->chunk;
        self->zs.avail_out = BB_DECODE_CHUNK;
        rc = inflate(&self->zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            return bb_corrupt(error, name);
        if (!bb_emit(self, self->chunk, BB_DECODE_CHUNK - self->zs.avail_out, func, user_data,
                     error))
            return FALSE;
        if (rc == Z_STREAM_END)
            self->finished = TRUE;
        else if (rc == Z_BUF_ERROR && self->zs.avail_out != 0)
            break;
    }
    return TRUE;
}

static gboolean
bb_feed_brotli(BbDlpDecompressor *self, const guint8 *data, gsize len, BbDlpOutputFunc func,
               gpointer user_data, GError **error)
{
    size_t avail_in = len;
    const uint8_t *next_in = data;

    for (;;) {
        size_t avail_out = BB_DECODE_CHUNK;
        uint8_t *next_out = self->chunk;
        BrotliDecoderResult rc = BrotliDecoderDecompressStream(self->br, &avail_in, &next_in,
                                                               &avail_out, &next_out, NULL);
        if (rc == BROTLI_DECODER_RESULT_ERROR)
            return bb_corrupt(error, "br");
        if (!bb_emit(self, self->chunk, BB_DECODE_CHUNK - avail_out, func, user_data, error))
            return FALSE;
        if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
            self->finished = TRUE;
            if (avail_in > 0)
                return bb_corrupt(error, "br");
            return TRUE;
        }
        if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
            return TRUE;
    }
}

static gboolean
bb_feed_zstd(BbDlpDecompressor *self, const guint8 *data, gsize len, BbDlpOutputFunc func,
             gpointer user_data, GError **error)
{
    ZSTD_inBuffer in = {data, len, 0};

    for (;;) {
        ZSTD_outBuffer out = {self->chunk, BB_DECODE_CHUNK, 0};
        size_t in_before = in.pos;
        size_t rc = ZSTD_decompressStream(self->zstd, &out, &in);
        if (ZSTD_isError(rc))
            return bb_corrupt(error, "zstd");
        if (!bb_emit(self, self->chunk, out.pos, func, user_data, error))
            return FALSE;
        /* A call that moved nothing only says what the next frame needs. */
        if (out.pos > 0 || in.pos > in_before)
            self->finished = rc == 0;
        /* Input used up and output not full: the decoder holds nothing. */
        if (in.pos == in.size && out.pos < out.size)
            return TRUE;
    }
}

gboolean
bb_dlp_decompressor_feed(BbDlpDecompressor *self, const guint8 *data, gsize len,
                         BbDlpOutputFunc func, gpointer user_data, GError **error)
{
    switch (self->coding) {
    case BB_CODING_IDENTITY:
        return bb_emit(self, data, len, func, user_data, error);
    case BB_CODING_GZIP:
    case BB_CODING_DEFLATE:
        return len == 0 || bb_feed_zlib(self, data, len, func, user_data, error);
    case BB_CODING_BR:
        return bb_feed_brotli(self, data, len, func, user_data, error);
    case BB_CODING_ZSTD:
        return len == 0 || bb_feed_zstd(self, data, len, func, user_data, error);
    }
    g_assert_not_reached();
}

gboolean
bb_dlp_decompressor_finish(BbDlpDecompressor *self, GError **error)
{
    if (self->coding == BB_CODING_IDENTITY || self->finished)
        return TRUE;
    g_set_error(error, BB_ERROR, BB_ERROR_POLICY,
                "the compressed body ended early, so it cannot be scanned");
    return FALSE;
}

static gboolean
bb_append(const guint8 *data, gsize len, gpointer user_data, GError **error)
{
    g_byte_array_append(user_data, data, (guint)len);
    return TRUE;
}

GBytes *
bb_dlp_decompress(const gchar *content_encoding, const guint8 *data, gsize len, gsize max_output,
                  GError **error)
{
    g_autoptr(BbDlpDecompressor) self =
        bb_dlp_decompressor_new(content_encoding, max_output, error);
    g_autoptr(GByteArray) out = g_byte_array_new();

    if (self == NULL)
        return NULL;
    if (!bb_dlp_decompressor_feed(self, data, len, bb_append, out, error) ||
        !bb_dlp_decompressor_finish(self, error))
        return NULL;
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
