/* SECURITY.md category 4: a known secret must be found in every form an
 * agent could dress it in, and the same dressing of an ordinary value must
 * not be flagged (the control). Each encoding is one test case. */
#include "dlp-test-util.h"

#include <string.h>

/* The encoders below take printf formats from the case table. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

#define SECRET "s3cr3t-Xq9vLm2Pz7Rk4Wn8"
#define CONTROL "n0t-a-s3cret-Abcdefghij"

typedef gchar *(*EncodeFunc)(const gchar *value);

static gchar *
enc_plain(const gchar *v)
{
    return g_strdup_printf("curl -d 'token=%s' https://example.com/", v);
}

static gchar *
b64(const gchar *prefix, const gchar *v, gboolean url, gboolean padded)
{
    g_autofree gchar *joined = g_strconcat(prefix, v, NULL);
    gchar *out = g_base64_encode((const guchar *)joined, strlen(joined));
    if (url)
        g_strdelimit(out, "+", '-'), g_strdelimit(out, "/", '_');
    if (!padded)
        g_strdelimit(out, "=", '\0');
    return out;
}

static gchar *
enc_b64(const gchar *v)
{
    g_autofree gchar *e = b64("", v, FALSE, TRUE);
    return g_strdup_printf("Authorization: Basic %s", e);
}

static gchar *
enc_b64_url_unpadded(const gchar *v)
{
    g_autofree gchar *e = b64("", v, TRUE, FALSE);
    return g_strdup_printf("/upload?d=%s", e);
}

static gchar *
enc_b64_align1(const gchar *v)
{
    g_autofree gchar *e = b64(" ", v, FALSE, TRUE);
    return g_strdup_printf("{\"blob\":\"%s\"}", e);
}

static gchar *
enc_b64_align2(const gchar *v)
{
    g_autofree gchar *e = b64(": ", v, TRUE, FALSE);
    return g_strdup_printf("data %s end", e);
}

/* The base64 of the secret glued into a longer base64 stream at an
 * arbitrary offset (no decoder sees a boundary). */
static gchar *
enc_b64_embedded(const gchar *v)
{
    g_autofree gchar *e = b64("some preamble bytes: ", v, FALSE, TRUE);
    return g_strdup_printf("AAAA%s", e);
}

static gchar *
enc_base32(const gchar *v)
{
    static const gchar alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    GString *out = g_string_new("otp ");
    guint64 acc = 0;
    guint bits = 0;
    for (const gchar *p = v; *p; p++) {
        acc = (acc << 8) | (guint8)*p;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            g_string_append_c(out, alphabet[(acc >> bits) & 31]);
        }
    }
    if (bits > 0)
        g_string_append_c(out, alphabet[(acc << (5 - bits)) & 31]);
    while ((out->len - 4) % 8 != 0)
        g_string_append_c(out, '=');
    return g_string_free(out, FALSE);
}

static gchar *
hex(const gchar *v, const gchar *format, const gchar *separator)
{
    GString *out = g_string_new(NULL);
    for (const gchar *p = v; *p; p++) {
        if (p != v)
            g_string_append(out, separator);
        g_string_append_printf(out, format, (guint8)*p);
    }
    return g_string_free(out, FALSE);
}

static gchar *
enc_hex_lower(const gchar *v)
{
    g_autofree gchar *e = hex(v, "%02x", "");
    return g_strdup_printf("x=%s", e);
}

static gchar *
enc_hex_upper(const gchar *v)
{
    g_autofree gchar *e = hex(v, "%02X", "");
    return g_strdup_printf("x=%s", e);
}

static gchar *
enc_hex_colons(const gchar *v)
{
    g_autofree gchar *e = hex(v, "%02x", ":");
    return g_strdup_printf("fingerprint %s.", e);
}

static gchar *
enc_hex_dashes(const gchar *v)
{
    g_autofree gchar *e = hex(v, "%02x", "-");
    return g_strdup_printf("id=%s;", e);
}

static gchar *
enc_hex_spaces(const gchar *v)
{
    g_autofree gchar *e = hex(v, "%02X", " ");
    return g_strdup_printf("dump: %s\n", e);
}

static gchar *
enc_c_escapes(const gchar *v)
{
    return hex(v, "\\x%02x", "");
}

static gchar *
percent_all(const gchar *v)
{
    return hex(v, "%%%02X", "");
}

static gchar *
enc_percent_once(const gchar *v)
{
    g_autofree gchar *e = percent_all(v);
    return g_strdup_printf("/search?q=%s&x=1", e);
}

static gchar *
enc_percent_reserved(const gchar *v)
{
    g_autofree gchar *e = g_uri_escape_string(v, NULL, FALSE);
    g_autofree gchar *dashed = NULL;
    GString *s = g_string_new(NULL);
    /* escape the dash too, which g_uri_escape_string leaves alone */
    for (const gchar *p = e; *p; p++)
        *p == '-' ? g_string_append(s, "%2d") : g_string_append_c(s, *p);
    dashed = g_string_free(s, FALSE);
    return g_strdup_printf("/p/%s", dashed);
}

static gchar *
enc_percent_twice(const gchar *v)
{
    g_autofree gchar *once = percent_all(v);
    g_autofree gchar *twice = percent_all(once);
    return g_strdup_printf("/r?u=%s", twice);
}

static gchar *
enc_percent_thrice(const gchar *v)
{
    g_autofree gchar *once = percent_all(v);
    g_autofree gchar *twice = g_uri_escape_string(once, NULL, FALSE);
    g_autofree gchar *thrice = g_uri_escape_string(twice, NULL, FALSE);
    return g_strdup_printf("/r?u=%s", thrice);
}

static gchar *
enc_stacked_b64_of_percent(const gchar *v)
{
    g_autofree gchar *once = percent_all(v);
    return g_base64_encode((const guchar *)once, strlen(once));
}

static gchar *
enc_stacked_hex_of_b64(const gchar *v)
{
    g_autofree gchar *e = b64("", v, FALSE, TRUE);
    return hex(e, "%02x", "");
}

static gchar *
enc_stacked_percent_of_b64_of_b64(const gchar *v)
{
    g_autofree gchar *e1 = b64("", v, FALSE, TRUE);
    g_autofree gchar *e2 = g_base64_encode((const guchar *)e1, strlen(e1));
    return g_uri_escape_string(e2, NULL, FALSE);
}

static gchar *
enc_json_u(const gchar *v)
{
    g_autofree gchar *e = hex(v, "\\u%04x", "");
    return g_strdup_printf("{\"messages\":[{\"content\":\"%s\"}]}", e);
}

static gchar *
enc_json_u_upper(const gchar *v)
{
    g_autofree gchar *e = hex(v, "\\u%04X", "");
    return g_strdup_printf("{\"k\":\"%s\"}", e);
}

static gchar *
enc_html_decimal(const gchar *v)
{
    g_autofree gchar *e = hex(v, "&#%d;", "");
    return g_strdup_printf("<p>%s</p>", e);
}

static gchar *
enc_html_hex(const gchar *v)
{
    g_autofree gchar *e = hex(v, "&#x%x;", "");
    return g_strdup_printf("<p>%s</p>", e);
}

static gchar *
enc_zero_width(const gchar *v)
{
    GString *out = g_string_new(NULL);
    for (const gchar *p = v; *p; p++) {
        g_string_append_c(out, *p);
        g_string_append(out, (p - v) % 2 ? "\u200b" : "\u2060");
    }
    return g_string_free(out, FALSE);
}

static gchar *
enc_full_width(const gchar *v)
{
    GString *out = g_string_new(NULL);
    for (const gchar *p = v; *p; p++)
        g_string_append_unichar(out, *p >= 0x21 && *p <= 0x7e ? (gunichar)*p + 0xfee0
                                                              : (gunichar)(guchar)*p);
    return g_string_free(out, FALSE);
}

static gchar *
enc_unicode_tags(const gchar *v)
{
    GString *out = g_string_new("hello ");
    for (const gchar *p = v; *p; p++)
        g_string_append_unichar(out, 0xe0000 + (gunichar)*p);
    return g_string_free(out, FALSE);
}

static gchar *
enc_upper_case(const gchar *v)
{
    return g_ascii_strup(v, -1);
}

static gchar *
enc_multipart_filename(const gchar *v)
{
    return g_strdup_printf("--b\r\nContent-Disposition: form-data; name=\"f\"; "
                           "filename=\"%s.txt\"\r\n\r\nhello\r\n--b--\r\n",
                           v);
}

static gchar *
enc_after_padding(const gchar *v)
{
    g_autofree gchar *padding = g_strnfill(1024 * 1024, 'a');
    return g_strdup_printf("%s %s", padding, v);
}

typedef struct {
    const gchar *name;
    EncodeFunc encode;
} EncodingCase;

static const EncodingCase cases[] = {
    {"plain", enc_plain},
    {"base64", enc_b64},
    {"base64-url-unpadded", enc_b64_url_unpadded},
    {"base64-align1", enc_b64_align1},
    {"base64-align2", enc_b64_align2},
    {"base64-embedded", enc_b64_embedded},
    {"base32", enc_base32},
    {"hex-lower", enc_hex_lower},
    {"hex-upper", enc_hex_upper},
    {"hex-colons", enc_hex_colons},
    {"hex-spaces", enc_hex_spaces},
    {"hex-dashes", enc_hex_dashes},
    {"c-escapes", enc_c_escapes},
    {"percent-once", enc_percent_once},
    {"percent-reserved", enc_percent_reserved},
    {"percent-twice", enc_percent_twice},
    {"percent-thrice", enc_percent_thrice},
    {"stacked-base64-of-percent", enc_stacked_b64_of_percent},
    {"stacked-hex-of-base64", enc_stacked_hex_of_b64},
    {"stacked-percent-of-base64-of-base64", enc_stacked_percent_of_b64_of_b64},
    {"json-u-escapes", enc_json_u},
    {"json-u-escapes-upper", enc_json_u_upper},
    {"html-decimal", enc_html_decimal},
    {"html-hex", enc_html_hex},
    {"zero-width", enc_zero_width},
    {"full-width", enc_full_width},
    {"unicode-tags", enc_unicode_tags},
    {"upper-case", enc_upper_case},
    {"multipart-filename", enc_multipart_filename},
    {"after-1mib-padding", enc_after_padding},
};

static void
test_encoding(gconstpointer data)
{
    const EncodingCase *c = data;
    const gchar *secrets[] = {"TEST_SECRET", SECRET, NULL};
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(secrets);
    g_autofree gchar *dressed = c->encode(SECRET);
    g_autofree gchar *control = c->encode(CONTROL);
    g_autoptr(GPtrArray) found = dlp_test_scan(scanner, dressed);
    g_autoptr(GPtrArray) quiet = dlp_test_scan(scanner, control);

    g_assert_true(dlp_test_has_rule(found, "known-secret/TEST_SECRET"));
    dlp_test_assert_no_leak(found, SECRET);
    for (guint i = 0; i < found->len; i++) {
        const BbFinding *f = g_ptr_array_index(found, i);
        g_assert_cmpuint(f->offset + f->length, <=, strlen(dressed));
    }
    g_assert_cmpuint(quiet->len, ==, 0);
}

/* The decode chain on its own: a GitHub token (found by token_patterns,
 * which has no precomputed encodings) dressed the same way. */
#define TOKEN "ghp_R8x2Kq7LmN4pV9sT1wY6zB3cD5fG0hJ2kL4m"
#define TOKEN_CONTROL "ghp_R8x2Kq7LmN4pV9sT1wY6z"

static void
test_decoded_token(gconstpointer data)
{
    const EncodingCase *c = data;
    g_autoptr(BbDlpScanner) scanner = dlp_test_outbound_scanner(NULL);
    g_autofree gchar *dressed = c->encode(TOKEN);
    g_autofree gchar *control = c->encode(TOKEN_CONTROL);
    g_autoptr(GPtrArray) found = dlp_test_scan(scanner, dressed);
    g_autoptr(GPtrArray) quiet = dlp_test_scan(scanner, control);

    g_assert_true(dlp_test_has_rule(found, "github-pat"));
    dlp_test_assert_no_leak(found, TOKEN);
    g_assert_cmpuint(quiet->len, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree gchar *path = g_strdup_printf("/dlp/known-secrets/encoding/%s", cases[i].name);
        g_autofree gchar *token_path =
            g_strdup_printf("/dlp/decode/token-encoding/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], test_encoding);
        /* Upper-casing destroys a token's prefix; only known secrets
         * (matched caselessly) survive it. */
        if (cases[i].encode != enc_upper_case)
            g_test_add_data_func(token_path, &cases[i], test_decoded_token);
    }
    return g_test_run();
}
