/* DLP through the real proxy (SECURITY.md categories 4, 5 and 10): the
 * in-process egress server with the DLP scanner built from the real
 * detector plugins, against the fixture upstream that logs what it
 * receives. Every refusal is judged at the destination (nothing logged,
 * not a byte received) and has a control that passes. */
#include <brotli/encode.h>
#include <gio/gio.h>
#include <string.h>
#include <zstd.h>

#include "bb-egress-dlp.h"
#include "bb-route-json.h"
#include "bb-test-proxy-fixture.h"

#define HARMLESS "harmless-VALUE-0000000000000"
#define HOLD_CAP (1024 * 1024)
#define SUPERVISE_MS 300

static BbEgressDlp *dlp;
static GPtrArray *responses_seen; /* every body the agent got, for the log check */
/* Set while a request carries the secret on purpose to a route that lets
 * it through (scanning off, approved): the fixture echoes it back. */
static gboolean echo_allowed;

static gchar *
routes_json(void)
{
    guint s = https_port();
    return g_strdup_printf(
        "{\"routes\": ["
        "{\"host\": \"api.test\", \"port\": %u, \"auth_scheme\": \"Bearer\", \"token_ref\": "
        "\"API_TOKEN\", \"outbound_on_match\": \"block\"},"
        "{\"host\": \"keyed.test\", \"port\": %u, \"auth_scheme\": \"ApiKey\", \"token_ref\": "
        "\"API_TOKEN\", \"outbound_on_match\": \"redact\"},"
        "{\"host\": \"open.test\", \"port\": %u, \"outbound_on_match\": \"supervise\"},"
        "{\"host\": \"git.test\", \"port\": %u, \"outbound_on_match\": \"block\", "
        "\"outbound\": {\"enabled\": false}},"
        "{\"host\": \"new.test\", \"port\": %u, \"outbound_on_match\": \"block\", "
        "\"inbound\": {\"enabled\": false}}]}",
        s, s, s, s, s);
}

static void
setup_dlp(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbRegistry) detectors = bb_registry_new();
    g_autofree gchar *json = NULL;
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(BbEgressPolicy) policy = NULL;
    BbEgressScanner scanner;
    BbEgressDlpOptions options = {
        .bottle_name = "testbottle",
        .hold_cap = HOLD_CAP,
        .supervise_timeout_ms = SUPERVISE_MS,
    };

    setup_fixture(NULL);
    g_assert_true(bb_registry_load_all(detectors, NULL, &error));
    g_assert_no_error(error);
    json = routes_json();
    routes = bb_routes_from_json_string(json, -1, &error);
    g_assert_no_error(error);
    policy = bb_egress_policy_new(routes, F.registry, F.secrets, &error);
    g_assert_no_error(error);
    bb_egress_server_set_policy(F.server, policy);
    dlp = bb_egress_dlp_new(detectors, F.secrets, &options);
    g_assert_true(bb_egress_dlp_prepare(dlp, routes, &error));
    g_assert_no_error(error);
    bb_egress_dlp_get_scanner(dlp, &scanner);
    bb_egress_server_set_scanner(F.server, &scanner);
    responses_seen = g_ptr_array_new_with_free_func(g_free);
}

/* ---- encodings of a value ---- */

static gchar *
pct_all(const gchar *s)
{
    GString *out = g_string_new(NULL);
    for (const guchar *p = (const guchar *)s; *p != '\0'; p++)
        g_string_append_printf(out, "%%%02X", *p);
    return g_string_free(out, FALSE);
}

static gchar *
hex(const gchar *s, gboolean upper, const gchar *sep)
{
    GString *out = g_string_new(NULL);
    for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
        if (p != (const guchar *)s && sep != NULL)
            g_string_append(out, sep);
        g_string_append_printf(out, upper ? "%02X" : "%02x", *p);
    }
    return g_string_free(out, FALSE);
}

static gchar *
b64(const gchar *s, gboolean url, gboolean pad)
{
    gchar *out = g_base64_encode((const guchar *)s, strlen(s));
    for (gchar *p = out; *p != '\0'; p++) {
        if (url && *p == '+')
            *p = '-';
        else if (url && *p == '/')
            *p = '_';
    }
    if (!pad)
        *strchrnul(out, '=') = '\0';
    return out;
}

static gchar *
b32(const gchar *s)
{
    static const gchar alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    GString *out = g_string_new(NULL);
    guint64 buf = 0;
    guint bits = 0;
    for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
        buf = (buf << 8) | *p;
        bits += 8;
        while (bits >= 5) {
            g_string_append_c(out, alpha[(buf >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0)
        g_string_append_c(out, alpha[(buf << (5 - bits)) & 31]);
    while (out->len % 8 != 0)
        g_string_append_c(out, '=');
    return g_string_free(out, FALSE);
}

static gchar *
json_u(const gchar *s)
{
    GString *out = g_string_new(NULL);
    for (const guchar *p = (const guchar *)s; *p != '\0'; p++)
        g_string_append_printf(out, "\\u%04x", *p);
    return g_string_free(out, FALSE);
}

static gchar *
html_entities(const gchar *s)
{
    GString *out = g_string_new(NULL);
    for (const guchar *p = (const guchar *)s; *p != '\0'; p++)
        g_string_append_printf(out, "&#x%x;", *p);
    return g_string_free(out, FALSE);
}

static gchar *
zero_width(const gchar *s)
{
    GString *out = g_string_new(NULL);
    for (const gchar *p = s; *p != '\0'; p++) {
        g_string_append_c(out, *p);
        if (p[1] != '\0')
            g_string_append(out, "\xe2\x80\x8b"); /* U+200B */
    }
    return g_string_free(out, FALSE);
}

static gchar *
full_width(const gchar *s)
{
    GString *out = g_string_new(NULL);
    for (const gchar *p = s; *p != '\0'; p++)
        g_string_append_unichar(out, (gunichar)*p + 0xFEE0);
    return g_string_free(out, FALSE);
}

typedef enum { ENC_ANY, ENC_PATH_SAFE } EncSafety;

typedef struct {
    const gchar *name;
    gchar *(*encode)(const gchar *value);
    EncSafety safety;
} Encoding;

static gchar *
e_raw(const gchar *v)
{
    return g_strdup(v);
}
static gchar *
e_b64(const gchar *v)
{
    return b64(v, FALSE, TRUE);
}
static gchar *
e_b64_url(const gchar *v)
{
    return b64(v, TRUE, FALSE);
}
static gchar *
e_b64_align1(const gchar *v)
{
    g_autofree gchar *s = g_strconcat("k", v, NULL);
    return b64(s, FALSE, TRUE);
}
static gchar *
e_b64_align2(const gchar *v)
{
    g_autofree gchar *s = g_strconcat("k=", v, NULL);
    return b64(s, TRUE, FALSE);
}
static gchar *
e_b32(const gchar *v)
{
    return b32(v);
}
static gchar *
e_hex(const gchar *v)
{
    return hex(v, FALSE, NULL);
}
static gchar *
e_hex_upper(const gchar *v)
{
    return hex(v, TRUE, NULL);
}
static gchar *
e_hex_colon(const gchar *v)
{
    return hex(v, FALSE, ":");
}
static gchar *
e_pct1(const gchar *v)
{
    return pct_all(v);
}
static gchar *
e_pct2(const gchar *v)
{
    g_autofree gchar *once = pct_all(v);
    return pct_all(once);
}
static gchar *
e_pct3(const gchar *v)
{
    g_autofree gchar *once = pct_all(v);
    g_autofree gchar *twice = pct_all(once);
    return pct_all(twice);
}
static gchar *
e_json(const gchar *v)
{
    return json_u(v);
}
static gchar *
e_html(const gchar *v)
{
    return html_entities(v);
}
static gchar *
e_stacked(const gchar *v)
{
    g_autofree gchar *h = hex(v, FALSE, NULL);
    return b64(h, FALSE, TRUE);
}
static gchar *
e_zw(const gchar *v)
{
    return zero_width(v);
}
static gchar *
e_fw(const gchar *v)
{
    return full_width(v);
}

static const Encoding encodings[] = {
    {"raw", e_raw, ENC_PATH_SAFE},
    {"base64", e_b64, ENC_ANY},
    {"base64url-unpadded", e_b64_url, ENC_PATH_SAFE},
    {"base64-align1", e_b64_align1, ENC_ANY},
    {"base64url-align2", e_b64_align2, ENC_PATH_SAFE},
    {"base32", e_b32, ENC_PATH_SAFE},
    {"hex", e_hex, ENC_PATH_SAFE},
    {"HEX", e_hex_upper, ENC_PATH_SAFE},
    {"hex-colon", e_hex_colon, ENC_ANY},
    {"percent", e_pct1, ENC_PATH_SAFE},
    {"percent-twice", e_pct2, ENC_ANY},
    {"percent-thrice", e_pct3, ENC_ANY},
    {"json-u", e_json, ENC_ANY},
    {"html-entities", e_html, ENC_ANY},
    {"hex-in-base64", e_stacked, ENC_ANY},
    {"zero-width", e_zw, ENC_ANY},
    {"full-width", e_fw, ENC_ANY},
};

/* What may stand in a request target: everything else is %XX-encoded
 * (the decoder undoes that first, so it only stacks one more layer). */
static gchar *
target_safe(const gchar *s)
{
    GString *out = g_string_new(NULL);
    for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
        if (g_ascii_isalnum(*p) || strchr("-._~%=:+/!$'()*,@", *p) != NULL)
            g_string_append_c(out, (gchar)*p);
        else
            g_string_append_printf(out, "%%%02X", *p);
    }
    return g_string_free(out, FALSE);
}

/* ---- sending and judging ---- */

static void
remember(BbTestResponse *r)
{
    if (r != NULL && !echo_allowed) {
        g_ptr_array_add(responses_seen, g_strdup(r->head));
        g_ptr_array_add(responses_seen, g_strndup((const gchar *)r->body->data, r->body->len));
    }
}

static BbTestResponse *
send_raw(const gchar *host, const gchar *raw, gsize len)
{
    g_autoptr(BbTestConn) c = tunnel(host);
    BbTestResponse *r;
    g_assert_true(bb_test_conn_send(c, raw, (gssize)len));
    r = bb_test_conn_read_response(c);
    remember(r);
    return r;
}

static gchar *
post(const gchar *host, const gchar *path, const gchar *extra, const gchar *body, gsize len)
{
    return g_strdup_printf("POST %s HTTP/1.1\r\nHost: %s:%u\r\n%sContent-Length: %zu\r\n\r\n", path,
                           host, https_port(), extra != NULL ? extra : "", len);
}

static BbTestResponse *
send_post(const gchar *host, const gchar *path, const gchar *extra, const gchar *body, gsize len)
{
    g_autofree gchar *head = post(host, path, extra, body, len);
    g_autoptr(GByteArray) all = g_byte_array_new();
    g_byte_array_append(all, (const guint8 *)head, (guint)strlen(head));
    g_byte_array_append(all, (const guint8 *)body, (guint)len);
    return send_raw(host, (const gchar *)all->data, all->len);
}

static BbTestResponse *
send_get(const gchar *host, const gchar *path, const gchar *extra)
{
    g_autofree gchar *raw = req("GET", host, path, extra);
    return send_raw(host, raw, strlen(raw));
}

/* Refused with @code, and the upstream received nothing at all. */
static void
assert_dlp_blocked(BbTestResponse *r, const gchar *code, const gchar *what)
{
    g_autofree gchar *hdr = g_strdup_printf("X-Bot-Bottle-Block: %s\r\n", code);
    if (r == NULL || r->status != 403 || strstr(r->head, hdr) == NULL)
        g_error("%s: expected a 403 %s, got %u\n%s", what, code, r != NULL ? r->status : 0,
                r != NULL ? r->head : "(no response)");
    g_assert_nonnull(strstr((const gchar *)r->body->data, "ask the operator"));
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
    g_assert_cmpuint(bb_test_upstream_bytes_in(F.https), ==, 0);
}

static void
assert_passed(BbTestResponse *r, const gchar *what)
{
    if (r == NULL || r->status != 200)
        g_error("%s: control expected 200, got %u\n%s", what, r != NULL ? r->status : 0,
                r != NULL ? r->head : "(no response)");
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 1);
}

/* One surface: the secret's encoding is refused, the harmless value's passes. */
typedef BbTestResponse *(*SurfaceFunc)(const gchar *encoded);

static BbTestResponse *
in_query(const gchar *e)
{
    g_autofree gchar *safe = target_safe(e);
    g_autofree gchar *path = g_strdup_printf("/v1/search?page=2&q=%s", safe);
    return send_get("api.test", path, NULL);
}

static BbTestResponse *
in_path(const gchar *e)
{
    g_autofree gchar *path = g_strdup_printf("/v1/files/%s/raw", e);
    return send_get("api.test", path, NULL);
}

static BbTestResponse *
in_header(const gchar *e)
{
    g_autofree gchar *extra = g_strdup_printf("X-Debug-Info: %s\r\n", e);
    return send_get("api.test", "/v1/x", extra);
}

static BbTestResponse *
in_cookie(const gchar *e)
{
    g_autofree gchar *extra = g_strdup_printf("Cookie: theme=dark; sid=%s\r\n", e);
    return send_get("api.test", "/v1/x", extra);
}

static BbTestResponse *
in_body(const gchar *e)
{
    g_autofree gchar *body = g_strdup_printf("{\"note\": \"deploy\", \"blob\": \"%s\"}", e);
    return send_post("api.test", "/v1/notes", "Content-Type: application/json\r\n", body,
                     strlen(body));
}

static void
check_surface(const gchar *surface, SurfaceFunc send, gboolean path_only_safe)
{
    for (guint i = 0; i < G_N_ELEMENTS(encodings); i++) {
        const Encoding *enc = &encodings[i];
        g_autofree gchar *secret = NULL;
        g_autofree gchar *control = NULL;
        g_autofree gchar *what = g_strdup_printf("%s/%s", surface, enc->name);
        g_autoptr(BbTestResponse) bad = NULL;
        g_autoptr(BbTestResponse) good = NULL;
        if (path_only_safe && enc->safety != ENC_PATH_SAFE)
            continue;
        secret = enc->encode(SECRET);
        control = enc->encode(HARMLESS);
        reset();
        bad = send(secret);
        assert_dlp_blocked(bad, "dlp-secret", what);
        reset();
        good = send(control);
        assert_passed(good, what);
    }
}

static void
test_query(void)
{
    check_surface("query", in_query, FALSE);
}

static void
test_path(void)
{
    check_surface("path", in_path, TRUE);
}

static void
test_header(void)
{
    check_surface("header", in_header, FALSE);
}

static void
test_cookie(void)
{
    check_surface("cookie", in_cookie, FALSE);
}

static void
test_body(void)
{
    check_surface("body", in_body, FALSE);
}

/* The route's own injected credential is a known secret too: sent by the
 * agent, it is refused; the proxy's own injection of it is not a finding. */
static void
test_own_token(void)
{
    g_autoptr(BbTestResponse) bad = NULL;
    g_autoptr(BbTestResponse) good = NULL;
    BbTestRequest *seen;
    reset();
    bad = send_get("api.test", "/v1/x?access_token=" SECRET, NULL);
    assert_dlp_blocked(bad, "dlp-secret", "own token in query");
    reset();
    good = send_get("api.test", "/v1/x", "Authorization: Bearer " AGENT_TOKEN "\r\n");
    assert_passed(good, "injection control");
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_nonnull(strstr(seen->head, "Authorization: Bearer " SECRET "\r\n"));
}

/* A secret split across two query parameters or two headers. */
static void
test_split_values(void)
{
    gsize half = strlen(SECRET) / 2;
    g_autofree gchar *a = g_strndup(SECRET, half);
    const gchar *b = &SECRET[half];
    g_autofree gchar *q = g_strdup_printf("/v1/x?a=%s&b=%s", a, b);
    g_autofree gchar *h = g_strdup_printf("X-Part-1: %s\r\nX-Part-2: %s\r\n", a, b);
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autoptr(BbTestResponse) c1 = NULL;
    reset();
    r1 = send_get("api.test", q, NULL);
    assert_dlp_blocked(r1, "dlp-secret", "split query");
    reset();
    r2 = send_get("api.test", "/v1/x", h);
    assert_dlp_blocked(r2, "dlp-secret", "split headers");
    reset();
    c1 = send_get("api.test", "/v1/x?a=" HARMLESS "&b=" HARMLESS, NULL);
    assert_passed(c1, "split control");
}

static GBytes *
compress_zlib(GZlibCompressorFormat format, const gchar *data, gsize len)
{
    g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(format, 6);
    g_autoptr(GByteArray) out = g_byte_array_new();
    gsize in_done = 0;
    gboolean finished = FALSE;
    while (!finished) {
        guint8 buf[65536];
        gsize r = 0, w = 0;
        GConverterResult res =
            g_converter_convert(G_CONVERTER(z), data + in_done, len - in_done, buf, sizeof(buf),
                                G_CONVERTER_INPUT_AT_END, &r, &w, NULL);
        g_assert_cmpint(res, !=, G_CONVERTER_ERROR);
        in_done += r;
        g_byte_array_append(out, buf, (guint)w);
        finished = res == G_CONVERTER_FINISHED;
    }
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

static GBytes *
compress_as(const gchar *coding, const gchar *data, gsize len)
{
    if (g_str_equal(coding, "gzip"))
        return compress_zlib(G_ZLIB_COMPRESSOR_FORMAT_GZIP, data, len);
    if (g_str_equal(coding, "deflate"))
        return compress_zlib(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, data, len);
    if (g_str_equal(coding, "br")) {
        gsize out_len = BrotliEncoderMaxCompressedSize(len) + 64;
        guint8 *out = g_malloc(out_len);
        g_assert_true(BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len,
                                            (const guint8 *)data, &out_len, out));
        return g_bytes_new_take(out, out_len);
    }
    {
        gsize bound = ZSTD_compressBound(len);
        guint8 *out = g_malloc(bound);
        gsize n = ZSTD_compress(out, bound, data, len, 3);
        g_assert_false(ZSTD_isError(n));
        return g_bytes_new_take(out, n);
    }
}

static void
test_compressed_bodies(void)
{
    const gchar *codings[] = {"gzip", "deflate", "br", "zstd"};
    for (guint i = 0; i < G_N_ELEMENTS(codings); i++) {
        for (guint k = 0; k < 2; k++) {
            g_autofree gchar *enc = k == 0 ? g_strdup(SECRET) : b64(SECRET, FALSE, TRUE);
            g_autofree gchar *plain = g_strdup_printf("{\"log\": \"token %s\"}", enc);
            g_autofree gchar *ctl = g_strdup_printf("{\"log\": \"token %s\"}", HARMLESS);
            g_autoptr(GBytes) z = compress_as(codings[i], plain, strlen(plain));
            g_autoptr(GBytes) cz = compress_as(codings[i], ctl, strlen(ctl));
            g_autofree gchar *extra = g_strdup_printf("Content-Encoding: %s\r\n", codings[i]);
            g_autoptr(BbTestResponse) bad = NULL;
            g_autoptr(BbTestResponse) good = NULL;
            gsize n = 0;
            const gchar *d;
            reset();
            d = g_bytes_get_data(z, &n);
            bad = send_post("api.test", "/v1/logs", extra, d, n);
            assert_dlp_blocked(bad, "dlp-secret", codings[i]);
            reset();
            d = g_bytes_get_data(cz, &n);
            good = send_post("api.test", "/v1/logs", extra, d, n);
            assert_passed(good, codings[i]);
        }
    }
}

/* Decoded past the cap: refused, never forwarded unscanned. Unknown
 * codings likewise. */
static void
test_bomb_and_unknown_coding(void)
{
    gsize big = BB_EGRESS_DLP_DEFAULT_MAX_DECODED + 1024 * 1024;
    g_autofree gchar *zeros = g_malloc0(big);
    g_autoptr(GBytes) bomb = compress_zlib(G_ZLIB_COMPRESSOR_FORMAT_GZIP, zeros, big);
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) u = NULL;
    gsize n = 0;
    const gchar *d = g_bytes_get_data(bomb, &n);
    g_assert_cmpuint(n, <, HOLD_CAP); /* the cap that bites is the decoded one */
    reset();
    r = send_post("api.test", "/v1/logs", "Content-Encoding: gzip\r\n", d, n);
    assert_dlp_blocked(r, "dlp-cannot-scan", "gzip bomb");
    reset();
    u = send_post("api.test", "/v1/logs", "Content-Encoding: compress\r\n", "abc", 3);
    assert_dlp_blocked(u, "dlp-cannot-scan", "unknown coding");
}

/* Chunked, the secret straddling two chunks sent apart: nothing of the
 * request reaches the upstream, not even its head. */
static void
test_chunk_straddle(void)
{
    for (guint k = 0; k < 2; k++) {
        const gchar *value = k == 0 ? SECRET : HARMLESS;
        gsize half = strlen(value) / 2;
        g_autoptr(BbTestConn) c = tunnel("api.test");
        g_autofree gchar *head = g_strdup_printf(
            "POST /v1/upload HTTP/1.1\r\nHost: api.test:%u\r\nTransfer-Encoding: chunked\r\n\r\n",
            https_port());
        g_autofree gchar *c1 = g_strdup_printf("%zx\r\ndata=%.*s\r\n", half + 5, (gint)half, value);
        g_autofree gchar *c2 =
            g_strdup_printf("%zx\r\n%s\r\n0\r\n\r\n", strlen(value + half), value + half);
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        g_assert_true(bb_test_conn_send(c, head, -1));
        g_assert_true(bb_test_conn_send(c, c1, -1));
        g_usleep(100 * 1000);
        /* the first half must not have left yet */
        g_assert_cmpuint(bb_test_upstream_bytes_in(F.https), ==, 0);
        g_assert_true(bb_test_conn_send(c, c2, -1));
        r = bb_test_conn_read_response(c);
        remember(r);
        if (k == 0) {
            assert_dlp_blocked(r, "dlp-secret", "chunk straddle");
        } else {
            assert_passed(r, "chunk straddle control");
            g_assert_cmpuint(bb_test_upstream_get(F.https, 0)->body->len, ==, strlen(value) + 5);
        }
    }
}

/* Padding before the secret, under the hold cap: found; over the cap:
 * refused without scanning; a clean body under the cap passes. */
static void
test_padding_and_cap(void)
{
    gsize pad = HOLD_CAP / 2;
    g_autoptr(GString) body = g_string_new(NULL);
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) big = NULL;
    g_autoptr(BbTestResponse) ok = NULL;
    for (gsize i = 0; i < pad / 64; i++)
        g_string_append(body, "lorem ipsum dolor sit amet, consectetur adipiscing elit sed do\n");
    g_string_append(body, SECRET);
    reset();
    r = send_post("api.test", "/v1/logs", NULL, body->str, body->len);
    assert_dlp_blocked(r, "dlp-secret", "secret after padding");
    g_string_truncate(body, body->len - strlen(SECRET));
    reset();
    ok = send_post("api.test", "/v1/logs", NULL, body->str, body->len);
    assert_passed(ok, "padding control");
    /* declared over the cap: refused from the head alone */
    {
        g_autoptr(BbTestConn) c = tunnel("api.test");
        g_autofree gchar *head = post("api.test", "/v1/logs", NULL, NULL, HOLD_CAP + 1);
        reset();
        g_assert_true(bb_test_conn_send(c, head, -1));
        g_assert_true(bb_test_conn_send(c, body->str, 1000));
        big = bb_test_conn_read_response(c);
        remember(big);
        assert_dlp_blocked(big, "dlp-too-large", "over the hold cap");
    }
}

/* A chunked body that grows past the cap: the proxy stops reading and
 * refuses; not a byte of it (nor the head) reaches the upstream. */
static void
test_chunked_over_cap(void)
{
    g_autoptr(BbTestConn) c = tunnel("api.test");
    g_autofree gchar *head = g_strdup_printf(
        "POST /v1/logs HTTP/1.1\r\nHost: api.test:%u\r\nTransfer-Encoding: chunked\r\n\r\n",
        https_port());
    g_autofree gchar *chunk = g_strnfill(65536, 'a');
    g_autofree gchar *framed = g_strdup_printf("10000\r\n%s\r\n", chunk);
    g_autoptr(BbTestResponse) r = NULL;
    reset();
    g_assert_true(bb_test_conn_send(c, head, -1));
    for (guint i = 0; i < 2 * HOLD_CAP / 65536; i++) {
        if (!bb_test_conn_send(c, framed, -1))
            break;
    }
    r = bb_test_conn_read_response(c);
    remember(r);
    /* The 403 may be lost to the reset of a connection closed with
     * unread input; either way the upstream got nothing. */
    if (r != NULL)
        assert_dlp_blocked(r, "dlp-too-large", "chunked over the cap");
    g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
    g_assert_cmpuint(bb_test_upstream_bytes_in(F.https), ==, 0);
}

static void
test_multipart(void)
{
    for (guint k = 0; k < 3; k++) {
        g_autofree gchar *enc = b64(SECRET, FALSE, TRUE);
        const gchar *filename = k == 1 ? SECRET ".txt" : "notes.txt";
        const gchar *content = k == 0 ? enc : "just notes";
        g_autofree gchar *body = g_strdup_printf(
            "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n%s\r\n--XyZ--\r\n",
            filename, content);
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        r = send_post("api.test", "/v1/upload",
                      "Content-Type: multipart/form-data; boundary=XyZ\r\n", body, strlen(body));
        if (k < 2)
            assert_dlp_blocked(r, "dlp-secret", k == 0 ? "multipart part" : "multipart filename");
        else
            assert_passed(r, "multipart control");
    }
}

/* redact: the upstream receives the request with the secret replaced. */
static void
test_redact(void)
{
    g_autofree gchar *b = g_strdup_printf("{\"msg\": \"my key is %s, ok\"}", SECRET);
    g_autofree gchar *enc = b64(SECRET, FALSE, TRUE);
    g_autofree gchar *hdr = g_strdup_printf("X-Debug-Info: key=%s\r\n", enc);
    g_autoptr(GBytes) gz = compress_zlib(G_ZLIB_COMPRESSOR_FORMAT_GZIP, b, strlen(b));
    g_autoptr(BbTestResponse) r1 = NULL;
    g_autoptr(BbTestResponse) r2 = NULL;
    g_autoptr(BbTestResponse) r3 = NULL;
    g_autoptr(BbTestResponse) r4 = NULL;
    BbTestRequest *seen;
    gsize n = 0;
    const gchar *d;

    reset();
    r1 = send_post("keyed.test", "/v1/notes", NULL, b, strlen(b));
    assert_passed(r1, "redact body");
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_null(memmem(seen->body->data, seen->body->len, SECRET, strlen(SECRET)));
    g_assert_nonnull(memmem(seen->body->data, seen->body->len, "[REDACTED]", 10));
    g_assert_nonnull(memmem(seen->body->data, seen->body->len, ", ok\"}", 6));

    reset();
    r2 = send_get("keyed.test", "/v1/x?q=" SECRET "&page=2", hdr);
    assert_passed(r2, "redact query and header");
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_null(strstr(seen->target, SECRET));
    g_assert_nonnull(strstr(seen->target, "%5BREDACTED%5D&page=2"));
    g_assert_nonnull(strstr(seen->head, "X-Debug-Info: key=[REDACTED]\r\n"));
    g_assert_null(strstr(seen->head, enc));
    /* the only copy of the secret is the one the proxy injected */
    g_assert_nonnull(strstr(seen->head, "X-Api-Key: " SECRET "\r\n"));
    g_assert_true(strstr(seen->head, SECRET) == strstr(seen->head, "X-Api-Key: ") + 11);
    g_assert_null(strstr(strstr(seen->head, SECRET) + 1, SECRET));

    reset();
    d = g_bytes_get_data(gz, &n);
    r3 = send_post("keyed.test", "/v1/notes", "Content-Encoding: gzip\r\n", d, n);
    assert_passed(r3, "redact gzip body");
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_null(strstr(seen->head, "Content-Encoding"));
    g_assert_null(memmem(seen->body->data, seen->body->len, SECRET, strlen(SECRET)));
    g_assert_nonnull(memmem(seen->body->data, seen->body->len, "my key is [REDACTED], ok", 24));

    /* control: nothing to redact, forwarded byte for byte */
    reset();
    r4 = send_post("keyed.test", "/v1/notes", NULL, "{\"msg\": \"" HARMLESS "\"}",
                   strlen("{\"msg\": \"" HARMLESS "\"}"));
    assert_passed(r4, "redact control");
    seen = bb_test_upstream_get(F.https, 0);
    g_assert_cmpmem(seen->body->data, seen->body->len, "{\"msg\": \"" HARMLESS "\"}",
                    strlen("{\"msg\": \"" HARMLESS "\"}"));
}

/* supervise with nobody to answer: held, then refused; the upstream sees
 * nothing. */
static void
test_supervise_timeout(void)
{
    gint64 t0;
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) ok = NULL;
    reset();
    t0 = g_get_monotonic_time();
    r = send_get("open.test", "/v1/x?k=" SECRET, NULL);
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, SUPERVISE_MS * 1000);
    assert_dlp_blocked(r, "dlp-supervise-timeout", "supervise");
    g_assert_nonnull(strstr((const gchar *)r->body->data, "held for approval"));
    g_assert_nonnull(strstr((const gchar *)r->body->data, "no one answered"));
    g_assert_null(strstr((const gchar *)r->body->data, SECRET));
    reset();
    ok = send_get("open.test", "/v1/x?k=" HARMLESS, NULL);
    assert_passed(ok, "supervise control");
}

static gpointer
approver(gpointer data)
{
    BbSuperviseQueue *q = bb_egress_dlp_get_supervise_queue(dlp);
    for (guint i = 0; i < 200; i++) {
        g_autoptr(GArray) ids = bb_supervise_queue_list_pending(q);
        if (ids->len > 0) {
            guint64 id = g_array_index(ids, guint64, 0);
            g_autoptr(BbSuperviseProposal) p = bb_supervise_queue_get(q, id);
            g_assert_nonnull(p);
            g_assert_cmpstr(p->host, ==, "open.test");
            g_assert_cmpstr(p->bottle, ==, "testbottle");
            g_assert_nonnull(p->fingerprint);
            g_assert_null(strstr(p->snippet, SECRET));
            g_assert_null(strstr(p->path, SECRET));
            return GINT_TO_POINTER(bb_supervise_queue_decide(q, id, GPOINTER_TO_INT(data)));
        }
        g_usleep(2000);
    }
    return NULL;
}

/* The hold interface: an operator approving lets the request through,
 * denying refuses it. */
static void
test_supervise_decisions(void)
{
    for (gint approve = 1; approve >= 0; approve--) {
        GThread *t = g_thread_new("approver", approver, GINT_TO_POINTER(approve));
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        echo_allowed = approve;
        r = send_get("open.test", "/v1/x?k=" SECRET, NULL);
        echo_allowed = FALSE;
        g_assert_true(g_thread_join(t) != NULL);
        if (approve)
            assert_passed(r, "approved");
        else
            assert_dlp_blocked(r, "dlp-supervise-denied", "denied");
    }
}

/* dlp.outbound_detectors: false turns scanning off for that route only. */
static void
test_outbound_off(void)
{
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) b = NULL;
    reset();
    echo_allowed = TRUE;
    r = send_get("git.test", "/v1/x?k=" SECRET, NULL);
    echo_allowed = FALSE;
    assert_passed(r, "outbound off");
    reset();
    b = send_get("api.test", "/v1/x?k=" SECRET, NULL);
    assert_dlp_blocked(b, "dlp-secret", "outbound on (same request, other route)");
}

/* Structural blocks stay hard 403s whatever the DLP policy. */
static void
test_structural(void)
{
    const gchar *hosts[] = {"keyed.test", "open.test", "git.test"};
    for (guint i = 0; i < G_N_ELEMENTS(hosts); i++) {
        g_autoptr(BbTestResponse) r = NULL;
        reset();
        r = send_get(hosts[i], "/v1/../admin", NULL);
        assert_blocked(r, "bad-path");
        g_assert_cmpuint(bb_test_upstream_count(F.https), ==, 0);
    }
}

/* Inbound: an injection in a response is withheld; a benign one passes. */
static void
test_inbound(void)
{
    g_autoptr(BbTestResponse) r = NULL;
    g_autoptr(BbTestResponse) ok = NULL;
    g_autoptr(BbTestResponse) off = NULL;
    reset();
    r = send_get("api.test", "/v1/inject", NULL);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 403);
    g_assert_nonnull(strstr(r->head, "X-Bot-Bottle-Block: dlp-injection\r\n"));
    g_assert_null(strstr((const gchar *)r->body->data, "previous instructions"));
    reset();
    ok = send_get("api.test", "/v1/benign", NULL);
    assert_passed(ok, "inbound control");
    g_assert_nonnull(strstr((const gchar *)ok->body->data, "ok GET /v1/benign"));
    /* inbound_detectors: false on new.test */
    reset();
    off = send_get("new.test", "/v1/inject", NULL);
    assert_passed(off, "inbound off");
    g_assert_nonnull(strstr((const gchar *)off->body->data, "previous instructions"));
}

/* SECURITY.md category 10: after all of the above, the secret appears in
 * no audit line and no response the agent got, in no encoding. */
static void
test_logs_clean(void)
{
    g_autofree gchar *audit = NULL;
    gchar *forms[6];
    gsize len = 0;
    forms[0] = g_strdup(SECRET);
    forms[1] = b64(SECRET, FALSE, TRUE);
    forms[2] = b64(SECRET, TRUE, FALSE);
    forms[3] = hex(SECRET, FALSE, NULL);
    forms[4] = hex(SECRET, TRUE, NULL);
    forms[5] = pct_all(SECRET);
    g_assert_true(g_file_get_contents(F.audit_path, &audit, &len, NULL));
    g_assert_nonnull(strstr(audit, "\"dlp\":\"block"));
    g_assert_nonnull(strstr(audit, "dlp-secret"));
    for (guint i = 0; i < G_N_ELEMENTS(forms); i++) {
        g_assert_null(strstr(audit, forms[i]));
        for (guint k = 0; k < responses_seen->len; k++) {
            if (strstr(g_ptr_array_index(responses_seen, k), forms[i]) != NULL)
                g_error("response %u holds form %u: %s", k, i,
                        (const gchar *)g_ptr_array_index(responses_seen, k));
        }
        g_free(forms[i]);
    }
}

gint
main(gint argc, gchar **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    setup_dlp();
    g_test_add_func("/proxy/dlp/query", test_query);
    g_test_add_func("/proxy/dlp/path", test_path);
    g_test_add_func("/proxy/dlp/header", test_header);
    g_test_add_func("/proxy/dlp/cookie", test_cookie);
    g_test_add_func("/proxy/dlp/body", test_body);
    g_test_add_func("/proxy/dlp/own-token", test_own_token);
    g_test_add_func("/proxy/dlp/split-values", test_split_values);
    g_test_add_func("/proxy/dlp/compressed-bodies", test_compressed_bodies);
    g_test_add_func("/proxy/dlp/bomb-and-unknown-coding", test_bomb_and_unknown_coding);
    g_test_add_func("/proxy/dlp/chunk-straddle", test_chunk_straddle);
    g_test_add_func("/proxy/dlp/padding-and-cap", test_padding_and_cap);
    g_test_add_func("/proxy/dlp/chunked-over-cap", test_chunked_over_cap);
    g_test_add_func("/proxy/dlp/multipart", test_multipart);
    g_test_add_func("/proxy/dlp/redact", test_redact);
    g_test_add_func("/proxy/dlp/supervise-timeout", test_supervise_timeout);
    g_test_add_func("/proxy/dlp/supervise-decisions", test_supervise_decisions);
    g_test_add_func("/proxy/dlp/outbound-off", test_outbound_off);
    g_test_add_func("/proxy/dlp/structural", test_structural);
    g_test_add_func("/proxy/dlp/inbound", test_inbound);
    g_test_add_func("/proxy/dlp/logs-clean", test_logs_clean);
    return g_test_run();
}
