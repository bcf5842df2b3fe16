#include <string.h>

#include "bb-egress-relay.h"

static const gchar placeholder[] = "[bot-bottle:redacted]";

void
bb_scrubber_init(BbScrubber *scrubber, GPtrArray *secrets)
{
    scrubber->secrets = secrets;
    scrubber->max_len = 0;
    for (guint i = 0; i < secrets->len; i++)
        scrubber->max_len = MAX(scrubber->max_len, strlen(g_ptr_array_index(secrets, i)));
    scrubber->pending = g_string_new(NULL);
}

void
bb_scrubber_clear(BbScrubber *scrubber)
{
    if (scrubber->pending != NULL) {
        explicit_bzero(scrubber->pending->str, scrubber->pending->len);
        g_string_free(scrubber->pending, TRUE);
        scrubber->pending = NULL;
    }
}

void
bb_scrub_in_place(GPtrArray *secrets, gchar *str, gsize len)
{
    for (guint i = 0; secrets != NULL && i < secrets->len; i++) {
        const gchar *secret = g_ptr_array_index(secrets, i);
        gsize slen = strlen(secret);
        gchar *p = str;
        if (slen == 0)
            continue;
        while ((p = memmem(p, len - (gsize)(p - str), secret, slen)) != NULL) {
            for (gsize k = 0; k < slen; k++)
                p[k] = k < sizeof(placeholder) - 1 ? placeholder[k] : '*';
            p += slen;
        }
    }
}

/* How many trailing bytes of @buf could be the start of a secret. Only
 * those are held back, so a stream that never approaches a secret is
 * released at once (SSE stays live). */
static gsize
holdback(BbScrubber *scrubber, const gchar *buf, gsize len)
{
    gsize best = 0;
    for (guint i = 0; i < scrubber->secrets->len; i++) {
        const gchar *secret = g_ptr_array_index(scrubber->secrets, i);
        gsize slen = strlen(secret);
        for (gsize k = MIN(slen - 1, len); k > best; k--) {
            if (memcmp(buf + len - k, secret, k) == 0) {
                best = k;
                break;
            }
        }
    }
    return best;
}

void
bb_scrubber_feed(BbScrubber *scrubber, const gchar *data, gsize len, GString *out)
{
    GString *p = scrubber->pending;
    gsize keep;
    g_string_append_len(p, data, (gssize)len);
    bb_scrub_in_place(scrubber->secrets, p->str, p->len);
    keep = holdback(scrubber, p->str, p->len);
    g_string_append_len(out, p->str, (gssize)(p->len - keep));
    g_string_erase(p, 0, (gssize)(p->len - keep));
}

void
bb_scrubber_finish(BbScrubber *scrubber, GString *out)
{
    g_string_append_len(out, scrubber->pending->str, (gssize)scrubber->pending->len);
    g_string_truncate(scrubber->pending, 0);
}

/* Runs the hook and the scrubber on @len decoded bytes and writes the
 * result in the body's framing. */
static gboolean
emit(BbRelay *r, const gchar *data, gsize len, gboolean last, GString *out)
{
    const gchar *wire;
    gsize wire_len;
    gchar size_line[24];
    gint size_len = 0;
    g_autoptr(GBytes) replacement = NULL;

    if (data == NULL)
        data = ""; /* hooks always get a valid pointer, even for the final call */
    if (r->sink != NULL) {
        if (len > r->sink_cap - MIN(r->sink->len, r->sink_cap)) {
            r->blocked = TRUE;
            r->reason = "the request body is larger than the scanner may hold";
            return FALSE;
        }
        g_byte_array_append(r->sink, (const guint8 *)data, (guint)len);
        r->bytes += len;
        return TRUE;
    }
    if (r->hook != NULL && (len > 0 || last)) {
        BbScanVerdict verdict = r->hook(r->hook_ctx, data, len, last, &replacement);
        if (verdict == BB_SCAN_BLOCK || (verdict == BB_SCAN_REPLACE && replacement == NULL)) {
            r->blocked = TRUE;
            r->reason = "blocked by a scanner";
            return FALSE;
        }
        if (verdict == BB_SCAN_REPLACE) {
            gsize new_len = 0;
            const gchar *new_data = g_bytes_get_data(replacement, &new_len);
            if (r->framing == BB_HTTP_BODY_LENGTH && new_len != len) {
                r->blocked = TRUE;
                r->reason = "a redaction would change a fixed-length body";
                return FALSE;
            }
            data = new_data;
            len = new_len;
        }
    }
    r->bytes += len;
    /* Leave room in front for the chunk-size line so a chunk goes out
     * in one write (one TLS record). */
    g_string_truncate(out, 0);
    g_string_append_len(out, "                        ", sizeof(size_line));
    if (r->scrubber != NULL) {
        bb_scrubber_feed(r->scrubber, data, len, out);
        if (last)
            bb_scrubber_finish(r->scrubber, out);
    } else {
        g_string_append_len(out, data, (gssize)len);
    }
    wire = out->str + sizeof(size_line);
    wire_len = out->len - sizeof(size_line);
    if (r->framing == BB_HTTP_BODY_CHUNKED) {
        if (wire_len > 0) {
            size_len = g_snprintf(size_line, sizeof(size_line), "%zx\r\n", wire_len);
            memcpy(out->str + sizeof(size_line) - size_len, size_line, (gsize)size_len);
            g_string_append(out, "\r\n");
        }
        if (last)
            g_string_append(out, "0\r\n\r\n");
        wire = out->str + sizeof(size_line) - size_len;
        wire_len = out->len - (sizeof(size_line) - (gsize)size_len);
    }
    if (r->prefix != NULL && (wire_len > 0 || last)) {
        gboolean ok;
        g_autoptr(GString) both = g_string_sized_new(r->prefix_len + wire_len);
        g_string_append_len(both, r->prefix, (gssize)r->prefix_len);
        g_string_append_len(both, wire, (gssize)wire_len);
        r->prefix = NULL;
        ok = bb_conn_write(r->dst, both->str, both->len);
        /* the prefix may be a request head holding an injected credential */
        explicit_bzero(both->str, both->len);
        if (!ok)
            r->dst_failed = TRUE;
        return ok;
    }
    if (wire_len > 0 && !bb_conn_write(r->dst, wire, wire_len)) {
        r->dst_failed = TRUE;
        return FALSE;
    }
    return TRUE;
}

static gboolean
fill(BbRelay *r)
{
    gssize n = bb_conn_fill(r->src);
    if (n > 0)
        return TRUE;
    r->src_failed = TRUE;
    r->reason = n == 0 ? "connection closed mid-body" : "read error or timeout mid-body";
    return FALSE;
}

static gboolean
relay_length(BbRelay *r, GString *out)
{
    guint64 remaining = r->length;
    while (remaining > 0) {
        gsize n;
        if (r->src->len == 0 && !fill(r))
            return FALSE;
        n = (gsize)MIN((guint64)r->src->len, remaining);
        remaining -= n;
        if (!emit(r, r->src->buf, n, remaining == 0, out))
            return FALSE;
        bb_conn_consume(r->src, n);
    }
    return TRUE;
}

static gboolean
relay_chunked(BbRelay *r, GString *out)
{
    BbChunkDecoder decoder;
    bb_chunk_decoder_init(&decoder);
    for (;;) {
        gsize consumed = 0;
        const gchar *data;
        gsize data_len;
        BbChunkResult res = bb_chunk_decoder_feed(&decoder, r->src->buf, r->src->len, &consumed,
                                                  &data, &data_len, &r->reason);
        switch (res) {
        case BB_CHUNK_ERROR:
            r->src_failed = TRUE;
            return FALSE;
        case BB_CHUNK_DATA:
            if (!emit(r, data, data_len, FALSE, out))
                return FALSE;
            bb_conn_consume(r->src, consumed);
            break;
        case BB_CHUNK_DONE:
            bb_conn_consume(r->src, consumed);
            return emit(r, NULL, 0, TRUE, out);
        case BB_CHUNK_NEED_MORE:
            bb_conn_consume(r->src, consumed);
            if (!fill(r))
                return FALSE;
            break;
        }
    }
}

static gboolean
relay_until_close(BbRelay *r, GString *out)
{
    for (;;) {
        if (r->src->len == 0) {
            gssize n = bb_conn_fill(r->src);
            if (n == 0)
                return emit(r, NULL, 0, TRUE, out);
            if (n < 0) {
                r->src_failed = TRUE;
                r->reason = "read error or timeout mid-body";
                return FALSE;
            }
        }
        if (!emit(r, r->src->buf, r->src->len, FALSE, out))
            return FALSE;
        bb_conn_consume(r->src, r->src->len);
    }
}

gboolean
bb_relay_body(BbRelay *r)
{
    g_autoptr(GString) out = g_string_sized_new(4096); /* grows to the largest read */
    switch (r->framing) {
    case BB_HTTP_BODY_NONE:
        if (r->prefix != NULL && !bb_conn_write(r->dst, r->prefix, r->prefix_len)) {
            r->dst_failed = TRUE;
            return FALSE;
        }
        return TRUE;
    case BB_HTTP_BODY_LENGTH:
        return relay_length(r, out);
    case BB_HTTP_BODY_CHUNKED:
        return relay_chunked(r, out);
    case BB_HTTP_BODY_UNTIL_CLOSE:
        return relay_until_close(r, out);
    }
    return FALSE;
}
