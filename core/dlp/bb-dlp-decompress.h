/* Content-Encoding decoders for scanning: gzip (also concatenated
 * members), deflate (zlib-wrapped or raw), br and zstd, streaming, with a
 * hard cap on decoded bytes so a decompression bomb costs at most the cap
 * before it is refused. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BbDlpDecompressor BbDlpDecompressor;

/* Receives decoded bytes; returning FALSE stops decoding with @error set. */
typedef gboolean (*BbDlpOutputFunc)(const guint8 *data, gsize len, gpointer user_data,
                                    GError **error);

/* NULL (and BB_ERROR_NOT_SUPPORTED) for an encoding we cannot decode:
 * the caller must block. "identity" and NULL/"" pass bytes through. */
BbDlpDecompressor *bb_dlp_decompressor_new(const gchar *content_encoding, gsize max_output,
                                           GError **error);
gboolean bb_dlp_decompressor_feed(BbDlpDecompressor *self, const guint8 *data, gsize len,
                                  BbDlpOutputFunc func, gpointer user_data, GError **error);
/* Fails when the stream ended early (a truncated body is not scanned). */
gboolean bb_dlp_decompressor_finish(BbDlpDecompressor *self, GError **error);
void bb_dlp_decompressor_free(BbDlpDecompressor *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDlpDecompressor, bb_dlp_decompressor_free)

/* Whole-buffer convenience: the decoded body, or NULL past @max_output. */
GBytes *bb_dlp_decompress(const gchar *content_encoding, const guint8 *data, gsize len,
                          gsize max_output, GError **error);

G_END_DECLS
