/* A strict, zero-copy HTTP/1.1 message-head parser and chunked-body
 * decoder. Anything ambiguous is an error, never repaired: the proxy
 * and the upstream must never disagree on where a message ends. The
 * parsed slices point into the caller's buffer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BB_HTTP_MAX_HEAD (64 * 1024)
#define BB_HTTP_MAX_FIELDS 100
#define BB_HTTP_MAX_REQUEST_LINE 8192

typedef struct {
    const gchar *name;
    gsize name_len;
    const gchar *value; /* optional whitespace trimmed */
    gsize value_len;
} BbHttpField;

typedef enum {
    BB_HTTP_BODY_NONE,
    BB_HTTP_BODY_LENGTH,
    BB_HTTP_BODY_CHUNKED,
    BB_HTTP_BODY_UNTIL_CLOSE, /* responses only */
} BbHttpFraming;

typedef struct {
    /* request line (requests) */
    const gchar *method;
    gsize method_len;
    const gchar *target;
    gsize target_len;
    /* status line (responses) */
    guint status;
    const gchar *reason;
    gsize reason_len;

    guint version_minor; /* HTTP/1.x */
    BbHttpField fields[BB_HTTP_MAX_FIELDS];
    guint n_fields;
    gsize head_len; /* bytes up to and including the blank line */
    BbHttpFraming framing;
    guint64 content_length;
    gboolean has_content_length; /* even when the framing ignores it */
    gint host_field;             /* index into fields, or -1 */
    gboolean connection_close;
} BbHttpHead;

typedef enum {
    BB_HTTP_PARSE_INCOMPLETE,
    BB_HTTP_PARSE_OK,
    BB_HTTP_PARSE_ERROR,
} BbHttpParseResult;

/* Parses a request head from @buf. INCOMPLETE until the blank line has
 * arrived; ERROR with a static @reason on any violation. */
BbHttpParseResult bb_http_parse_request(const gchar *buf, gsize len, BbHttpHead *head,
                                        const gchar **reason);
/* Same for a response head; @request_method decides bodyless replies. */
BbHttpParseResult bb_http_parse_response(const gchar *buf, gsize len, const gchar *request_method,
                                         BbHttpHead *head, const gchar **reason);

gboolean bb_http_field_name_is(const BbHttpField *field, const gchar *lower_name);
/* Index of the first field named @lower_name, or -1. */
gint bb_http_head_find(const BbHttpHead *head, const gchar *lower_name);
/* TRUE when the comma-separated list @value holds @token (any case). */
gboolean bb_http_list_has_token(const gchar *value, gsize len, const gchar *token);

typedef enum {
    BB_CHUNK_NEED_MORE, /* every input byte consumed */
    BB_CHUNK_DATA,      /* data and data_len hold body bytes */
    BB_CHUNK_DONE,      /* last-chunk and trailers consumed */
    BB_CHUNK_ERROR,
} BbChunkResult;

typedef struct {
    gint state;
    guint64 remaining;
    guint digits;
    gsize line_len;
    gsize trailer_len;
} BbChunkDecoder;

void bb_chunk_decoder_init(BbChunkDecoder *decoder);
/* Feeds @len bytes; *consumed says how many were used. Call again with
 * the rest until NEED_MORE. Trailers are validated and dropped. */
BbChunkResult bb_chunk_decoder_feed(BbChunkDecoder *decoder, const gchar *in, gsize len,
                                    gsize *consumed, const gchar **data, gsize *data_len,
                                    const gchar **reason);

G_END_DECLS
