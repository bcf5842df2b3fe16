/* Fuzzes the strict request parser, the response parser and the chunk
 * decoder with the same bytes. */
#include <string.h>

#include "bb-http-parser.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
    BbHttpHead head;
    const gchar *reason = NULL;
    BbChunkDecoder decoder;
    gsize off = 0;

    if (bb_http_parse_request((const gchar *)data, size, &head, &reason) == BB_HTTP_PARSE_OK) {
        g_assert(head.head_len <= size);
        for (guint i = 0; i < head.n_fields; i++)
            g_assert(head.fields[i].value + head.fields[i].value_len <= (const gchar *)data + size);
        off = head.head_len;
    }
    bb_http_parse_response((const gchar *)data, size, "GET", &head, &reason);
    bb_chunk_decoder_init(&decoder);
    while (off < size) {
        gsize consumed = 0;
        const gchar *chunk;
        gsize chunk_len;
        BbChunkResult r = bb_chunk_decoder_feed(&decoder, (const gchar *)data + off, size - off,
                                                &consumed, &chunk, &chunk_len, &reason);
        g_assert(consumed <= size - off);
        off += consumed;
        if (r == BB_CHUNK_ERROR || r == BB_CHUNK_DONE || r == BB_CHUNK_NEED_MORE)
            break;
        g_assert(chunk + chunk_len <= (const gchar *)data + size);
    }
    return 0;
}
