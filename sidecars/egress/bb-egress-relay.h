/* Streaming a message body from one connection to another, keeping its
 * framing (a Content-Length body stays that long, a chunked body is
 * re-chunked as it arrives so SSE events pass one by one), with a scan
 * hook and secret scrubbing on the way. Nothing is buffered beyond what
 * one read returns, except the few bytes that might start a secret. */
#pragma once

#include <glib.h>
#include "bb-egress-io.h"
#include "bb-egress-scanner.h"
#include "bb-http-parser.h"

G_BEGIN_DECLS

/* Replaces every occurrence of the secrets by a placeholder of the same
 * length, so Content-Length stays right, across read boundaries. */
typedef struct {
    GPtrArray *secrets; /* borrowed gchar* */
    gsize max_len;
    GString *pending;
} BbScrubber;

void bb_scrubber_init(BbScrubber *scrubber, GPtrArray *secrets);
void bb_scrubber_clear(BbScrubber *scrubber);
/* Appends what can safely be released to @out. */
void bb_scrubber_feed(BbScrubber *scrubber, const gchar *data, gsize len, GString *out);
void bb_scrubber_finish(BbScrubber *scrubber, GString *out);
/* Scrubs @str in place. */
void bb_scrub_in_place(GPtrArray *secrets, gchar *str, gsize len);

/* On BB_SCAN_REPLACE, *replacement holds the bytes to send instead. */
typedef BbScanVerdict (*BbBodyHook)(gpointer ctx, const gchar *data, gsize len, gboolean last,
                                    GBytes **replacement);

typedef struct {
    BbConn *src;
    BbConn *dst;
    BbHttpFraming framing;
    guint64 length;
    BbScrubber *scrubber; /* or NULL */
    BbBodyHook hook;      /* or NULL */
    gpointer hook_ctx;
    /* Written together with the first body bytes (one write, one TLS
     * record): the message head. */
    const gchar *prefix;
    gsize prefix_len;
    /* Collect mode: the decoded body is appended here (at most sink_cap
     * bytes, more is a block) instead of being written to dst. */
    GByteArray *sink;
    gsize sink_cap;
    /* results */
    guint64 bytes;
    gboolean blocked;
    gboolean src_failed;
    gboolean dst_failed;
    const gchar *reason;
} BbRelay;

/* Moves the whole body; FALSE when it could not (see the result fields). */
gboolean bb_relay_body(BbRelay *relay);

G_END_DECLS
