#include <string.h>

#include "bb-http-parser.h"

static gboolean
is_tchar(guchar c)
{
    if (g_ascii_isalnum(c))
        return TRUE;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: visible ASCII, obs-text, SP and HTAB. Every other
 * control byte (NUL, CR, LF, DEL, ...) is refused. */
static gboolean
is_field_vchar(guchar c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

gboolean
bb_http_field_name_is(const BbHttpField *field, const gchar *lower_name)
{
    gsize len = strlen(lower_name);
    return field->name_len == len && g_ascii_strncasecmp(field->name, lower_name, len) == 0;
}

gint
bb_http_head_find(const BbHttpHead *head, const gchar *lower_name)
{
    for (guint i = 0; i < head->n_fields; i++) {
        if (bb_http_field_name_is(&head->fields[i], lower_name))
            return (gint)i;
    }
    return -1;
}

gboolean
bb_http_list_has_token(const gchar *value, gsize len, const gchar *token)
{
    gsize token_len = strlen(token);
    gsize i = 0;
    while (i < len) {
        gsize start, end;
        while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
            i++;
        start = i;
        while (i < len && value[i] != ',')
            i++;
        end = i;
        while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
            end--;
        if (end - start == token_len && g_ascii_strncasecmp(value + start, token, token_len) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Finds the blank line ending the head. Every LF must follow a CR; a
 * lone CR inside a line is caught later by the character checks. */
static BbHttpParseResult
find_head_end(const gchar *buf, gsize len, gsize *head_len, const gchar **reason)
{
    gsize pos = 0;
    gsize limit = MIN(len, (gsize)BB_HTTP_MAX_HEAD);
    gboolean first_line = TRUE;

    while (pos < limit) {
        const gchar *lf = memchr(buf + pos, '\n', limit - pos);
        gsize at;
        if (lf == NULL)
            break;
        at = (gsize)(lf - buf);
        if (at == 0 || buf[at - 1] != '\r') {
            *reason = "bare LF line ending";
            return BB_HTTP_PARSE_ERROR;
        }
        if (first_line && at > BB_HTTP_MAX_REQUEST_LINE) {
            *reason = "request line too long";
            return BB_HTTP_PARSE_ERROR;
        }
        first_line = FALSE;
        if (at >= 3 && buf[at - 2] == '\n' && buf[at - 3] == '\r') {
            *head_len = at + 1;
            return BB_HTTP_PARSE_OK;
        }
        pos = at + 1;
    }
    if (first_line && limit > BB_HTTP_MAX_REQUEST_LINE) {
        *reason = "request line too long";
        return BB_HTTP_PARSE_ERROR;
    }
    if (len >= BB_HTTP_MAX_HEAD) {
        *reason = "header section too large";
        return BB_HTTP_PARSE_ERROR;
    }
    return BB_HTTP_PARSE_INCOMPLETE;
}

static gboolean
parse_version(const gchar *p, const gchar *end, guint *minor)
{
    if (end - p != 8 || memcmp(p, "HTTP/1.", 7) != 0)
        return FALSE;
    if (p[7] != '0' && p[7] != '1')
        return FALSE;
    *minor = (guint)(p[7] - '0');
    return TRUE;
}

static gboolean
parse_request_line(const gchar *p, const gchar *eol, BbHttpHead *head, const gchar **reason)
{
    const gchar *q = p;
    while (q < eol && is_tchar((guchar)*q))
        q++;
    if (q == p || q == eol || *q != ' ') {
        *reason = "malformed method";
        return FALSE;
    }
    head->method = p;
    head->method_len = (gsize)(q - p);
    p = ++q;
    while (q < eol && (guchar)*q > 0x20 && (guchar)*q < 0x7f)
        q++;
    if (q == p || q == eol || *q != ' ') {
        *reason = "malformed request target";
        return FALSE;
    }
    head->target = p;
    head->target_len = (gsize)(q - p);
    if (!parse_version(q + 1, eol, &head->version_minor)) {
        *reason = "unsupported HTTP version";
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_status_line(const gchar *p, const gchar *eol, BbHttpHead *head, const gchar **reason)
{
    if (eol - p < 12 || !parse_version(p, p + 8, &head->version_minor) || p[8] != ' ' ||
        !g_ascii_isdigit(p[9]) || !g_ascii_isdigit(p[10]) || !g_ascii_isdigit(p[11]) ||
        (eol - p > 12 && p[12] != ' ')) {
        *reason = "malformed status line";
        return FALSE;
    }
    head->status = (guint)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
    if (head->status < 100) {
        *reason = "malformed status line";
        return FALSE;
    }
    head->reason = eol - p > 12 ? p + 13 : eol;
    head->reason_len = (gsize)(eol - head->reason);
    for (gsize i = 0; i < head->reason_len; i++) {
        if (!is_field_vchar((guchar)head->reason[i])) {
            *reason = "control byte in status line";
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
parse_field(const gchar *p, const gchar *eol, BbHttpField *field, const gchar **reason)
{
    const gchar *q = p;
    const gchar *vend;

    if (*p == ' ' || *p == '\t') {
        *reason = "obsolete line folding";
        return FALSE;
    }
    while (q < eol && is_tchar((guchar)*q))
        q++;
    if (q == p || q == eol || *q != ':') {
        *reason = "malformed header field name";
        return FALSE;
    }
    field->name = p;
    field->name_len = (gsize)(q - p);
    q++;
    while (q < eol && (*q == ' ' || *q == '\t'))
        q++;
    vend = eol;
    while (vend > q && (vend[-1] == ' ' || vend[-1] == '\t'))
        vend--;
    for (const gchar *c = q; c < vend; c++) {
        if (!is_field_vchar((guchar)*c)) {
            *reason = "control byte in header value";
            return FALSE;
        }
    }
    field->value = q;
    field->value_len = (gsize)(vend - q);
    return TRUE;
}

static gboolean
parse_content_length(const BbHttpField *field, guint64 *out)
{
    guint64 value = 0;
    if (field->value_len == 0 || field->value_len > 18)
        return FALSE;
    for (gsize i = 0; i < field->value_len; i++) {
        if (!g_ascii_isdigit(field->value[i]))
            return FALSE;
        value = value * 10 + (guint64)(field->value[i] - '0');
    }
    *out = value;
    return TRUE;
}

/* Host, Content-Length and Transfer-Encoding decide where the message
 * ends and who it is for: each may appear once, and TE must be exactly
 * `chunked` with nothing else beside it. */
static gboolean
check_framing_fields(BbHttpHead *head, gboolean *has_cl, gboolean *has_te, const gchar **reason)
{
    *has_cl = FALSE;
    *has_te = FALSE;
    head->host_field = -1;
    for (guint i = 0; i < head->n_fields; i++) {
        const BbHttpField *f = &head->fields[i];
        if (bb_http_field_name_is(f, "host")) {
            if (head->host_field >= 0) {
                *reason = "duplicate Host";
                return FALSE;
            }
            head->host_field = (gint)i;
        } else if (bb_http_field_name_is(f, "content-length")) {
            if (*has_cl || !parse_content_length(f, &head->content_length)) {
                *reason = *has_cl ? "duplicate Content-Length" : "invalid Content-Length";
                return FALSE;
            }
            *has_cl = TRUE;
        } else if (bb_http_field_name_is(f, "transfer-encoding")) {
            if (*has_te || f->value_len != 7 || g_ascii_strncasecmp(f->value, "chunked", 7) != 0) {
                *reason = *has_te ? "duplicate Transfer-Encoding" : "unsupported Transfer-Encoding";
                return FALSE;
            }
            *has_te = TRUE;
        } else if (bb_http_field_name_is(f, "connection")) {
            if (bb_http_list_has_token(f->value, f->value_len, "close"))
                head->connection_close = TRUE;
        }
    }
    head->has_content_length = *has_cl;
    if (*has_cl && *has_te) {
        *reason = "both Content-Length and Transfer-Encoding";
        return FALSE;
    }
    if (*has_te && head->version_minor == 0) {
        *reason = "Transfer-Encoding in HTTP/1.0";
        return FALSE;
    }
    if (head->version_minor == 0)
        head->connection_close = TRUE;
    return TRUE;
}

static BbHttpParseResult
parse_head(const gchar *buf, gsize len, gboolean is_request, BbHttpHead *head, const gchar **reason)
{
    gsize head_len = 0;
    BbHttpParseResult res = find_head_end(buf, len, &head_len, reason);
    const gchar *p = buf;
    const gchar *end;
    const gchar *eol;

    if (res != BB_HTTP_PARSE_OK)
        return res;
    memset(head, 0, sizeof(*head));
    head->head_len = head_len;
    end = buf + head_len - 2; /* the final CRLF */
    eol = memchr(p, '\n', (gsize)(end - p + 2)) - 1;
    if (is_request ? !parse_request_line(p, eol, head, reason)
                   : !parse_status_line(p, eol, head, reason))
        return BB_HTTP_PARSE_ERROR;
    p = eol + 2;
    while (p < end) {
        eol = memchr(p, '\n', (gsize)(end - p + 2)) - 1;
        if (head->n_fields == BB_HTTP_MAX_FIELDS) {
            *reason = "too many header fields";
            return BB_HTTP_PARSE_ERROR;
        }
        if (!parse_field(p, eol, &head->fields[head->n_fields], reason))
            return BB_HTTP_PARSE_ERROR;
        head->n_fields++;
        p = eol + 2;
    }
    return BB_HTTP_PARSE_OK;
}

BbHttpParseResult
bb_http_parse_request(const gchar *buf, gsize len, BbHttpHead *head, const gchar **reason)
{
    gboolean has_cl, has_te;
    BbHttpParseResult res = parse_head(buf, len, TRUE, head, reason);
    if (res != BB_HTTP_PARSE_OK)
        return res;
    if (!check_framing_fields(head, &has_cl, &has_te, reason))
        return BB_HTTP_PARSE_ERROR;
    if (head->version_minor == 1 && head->host_field < 0) {
        *reason = "missing Host";
        return BB_HTTP_PARSE_ERROR;
    }
    if (has_te)
        head->framing = BB_HTTP_BODY_CHUNKED;
    else if (has_cl && head->content_length > 0)
        head->framing = BB_HTTP_BODY_LENGTH;
    else
        head->framing = BB_HTTP_BODY_NONE;
    return BB_HTTP_PARSE_OK;
}

BbHttpParseResult
bb_http_parse_response(const gchar *buf, gsize len, const gchar *request_method, BbHttpHead *head,
                       const gchar **reason)
{
    gboolean has_cl, has_te;
    BbHttpParseResult res = parse_head(buf, len, FALSE, head, reason);
    if (res != BB_HTTP_PARSE_OK)
        return res;
    if (!check_framing_fields(head, &has_cl, &has_te, reason))
        return BB_HTTP_PARSE_ERROR;
    if (g_strcmp0(request_method, "HEAD") == 0 || head->status < 200 || head->status == 204 ||
        head->status == 304)
        head->framing = BB_HTTP_BODY_NONE;
    else if (has_te)
        head->framing = BB_HTTP_BODY_CHUNKED;
    else if (has_cl)
        head->framing = head->content_length > 0 ? BB_HTTP_BODY_LENGTH : BB_HTTP_BODY_NONE;
    else
        head->framing = BB_HTTP_BODY_UNTIL_CLOSE;
    return BB_HTTP_PARSE_OK;
}

enum {
    S_SIZE_FIRST,
    S_SIZE,
    S_EXT,
    S_SIZE_LF,
    S_DATA,
    S_DATA_CR,
    S_DATA_LF,
    S_TRAILER_START,
    S_TRAILER_NAME,
    S_TRAILER_LINE,
    S_TRAILER_LF,
    S_FINAL_LF,
    S_DONE,
};

#define CHUNK_MAX_DIGITS 15
#define CHUNK_MAX_LINE 4096
#define CHUNK_MAX_TRAILERS (64 * 1024)

void
bb_chunk_decoder_init(BbChunkDecoder *decoder)
{
    memset(decoder, 0, sizeof(*decoder));
    decoder->state = S_SIZE_FIRST;
}

static gint
hex_value(gchar c)
{
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* One byte of the framing around the data; FALSE on a violation. */
static gboolean
chunk_step(BbChunkDecoder *d, gchar c, const gchar **reason)
{
    switch (d->state) {
    case S_SIZE_FIRST:
    case S_SIZE:
        if (hex_value(c) >= 0) {
            if (++d->digits > CHUNK_MAX_DIGITS) {
                *reason = "chunk size overflow";
                return FALSE;
            }
            d->remaining = d->remaining * 16 + (guint64)hex_value(c);
            d->state = S_SIZE;
        } else if (d->state == S_SIZE && c == ';') {
            d->state = S_EXT;
        } else if (d->state == S_SIZE && c == '\r') {
            d->state = S_SIZE_LF;
        } else {
            *reason = "invalid chunk size";
            return FALSE;
        }
        break;
    case S_EXT:
        if (c == '\r') {
            d->state = S_SIZE_LF;
        } else if (!is_field_vchar((guchar)c) || ++d->line_len > CHUNK_MAX_LINE) {
            *reason = "invalid chunk extension";
            return FALSE;
        }
        break;
    case S_SIZE_LF:
        if (c != '\n') {
            *reason = "bare CR in chunk size line";
            return FALSE;
        }
        d->line_len = 0;
        d->digits = 0;
        d->state = d->remaining == 0 ? S_TRAILER_START : S_DATA;
        break;
    case S_DATA_CR:
        if (c != '\r') {
            *reason = "chunk data longer than its size";
            return FALSE;
        }
        d->state = S_DATA_LF;
        break;
    case S_DATA_LF:
        if (c != '\n') {
            *reason = "bare CR after chunk data";
            return FALSE;
        }
        d->state = S_SIZE_FIRST;
        break;
    case S_TRAILER_START:
        if (c == '\r') {
            d->state = S_FINAL_LF;
            break;
        }
        if (!is_tchar((guchar)c)) {
            *reason = "malformed trailer";
            return FALSE;
        }
        d->state = S_TRAILER_NAME;
        break;
    case S_TRAILER_NAME:
        if (c == ':')
            d->state = S_TRAILER_LINE;
        else if (!is_tchar((guchar)c)) {
            *reason = "malformed trailer";
            return FALSE;
        }
        break;
    case S_TRAILER_LINE:
        if (c == '\r')
            d->state = S_TRAILER_LF;
        else if (!is_field_vchar((guchar)c)) {
            *reason = "control byte in trailer";
            return FALSE;
        }
        break;
    case S_TRAILER_LF:
    case S_FINAL_LF:
        if (c != '\n') {
            *reason = "bare CR in trailer";
            return FALSE;
        }
        d->state = d->state == S_FINAL_LF ? S_DONE : S_TRAILER_START;
        break;
    default:
        *reason = "chunk decoder misuse";
        return FALSE;
    }
    if (d->state >= S_TRAILER_START && ++d->trailer_len > CHUNK_MAX_TRAILERS) {
        *reason = "trailers too large";
        return FALSE;
    }
    return TRUE;
}

BbChunkResult
bb_chunk_decoder_feed(BbChunkDecoder *d, const gchar *in, gsize len, gsize *consumed,
                      const gchar **data, gsize *data_len, const gchar **reason)
{
    gsize i = 0;
    *data = NULL;
    *data_len = 0;
    while (i < len) {
        if (d->state == S_DATA) {
            gsize n = (gsize)MIN((guint64)(len - i), d->remaining);
            *data = in + i;
            *data_len = n;
            d->remaining -= n;
            if (d->remaining == 0)
                d->state = S_DATA_CR;
            *consumed = i + n;
            return BB_CHUNK_DATA;
        }
        if (!chunk_step(d, in[i], reason)) {
            *consumed = i;
            return BB_CHUNK_ERROR;
        }
        i++;
        if (d->state == S_DONE) {
            *consumed = i;
            return BB_CHUNK_DONE;
        }
    }
    *consumed = i;
    return BB_CHUNK_NEED_MORE;
}
