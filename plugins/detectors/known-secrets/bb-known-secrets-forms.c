#include "bb-known-secrets-forms.h"

#include <string.h>

void
bb_secret_form_clear(BbSecretForm *form)
{
    if (form->text != NULL)
        explicit_bzero(form->text, form->len);
    g_clear_pointer(&form->text, g_free);
}

static void
bb_forms_add(GArray *forms, gchar *text, gsize len, gboolean caseless, const gchar *name)
{
    BbSecretForm form = {text, len, caseless, name};
    if (len < BB_KNOWN_SECRET_MIN_FORM && g_strcmp0(name, "raw") != 0) {
        bb_secret_form_clear(&form);
        return;
    }
    g_array_append_val(forms, form);
}

/* Base-2^@bits encoding (6: base64, 5: base32) of @prefix zero bytes
 * then @value, keeping only the characters that depend on @value alone:
 * the stable middle that appears whatever surrounds the secret. */
static gchar *
bb_encode_middle(const guint8 *value, gsize len, guint prefix, guint bits, const gchar *alphabet,
                 gsize *out_len)
{
    gsize total_bits = 8 * (prefix + len);
    gsize first = (8 * prefix + bits - 1) / bits; /* ceil */
    gsize last = total_bits / bits;               /* exclusive */
    GString *out = g_string_new(NULL);

    for (gsize i = first; i < last; i++) {
        guint v = 0;
        for (guint b = 0; b < bits; b++) {
            gsize bit = i * bits + b;
            gsize byte = bit / 8;
            guint8 c = byte < prefix ? 0 : value[byte - prefix];
            v = (v << 1) | ((c >> (7 - bit % 8)) & 1);
        }
        g_string_append_c(out, alphabet[v]);
    }
    *out_len = out->len;
    return g_string_free(out, FALSE);
}

static gchar *
bb_to_url_safe(const gchar *text, gsize len)
{
    gchar *out = g_strndup(text, len);
    for (gsize i = 0; i < len; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}

/* Each byte as @prefix then two hex digits: "", "%", "\\u00". */
static gchar *
bb_escape_each_byte(const guint8 *value, gsize len, const gchar *prefix)
{
    static const gchar digits[] = "0123456789abcdef";
    GString *out = g_string_sized_new(len * (strlen(prefix) + 2));
    for (gsize i = 0; i < len; i++) {
        g_string_append(out, prefix);
        g_string_append_c(out, digits[value[i] >> 4]);
        g_string_append_c(out, digits[value[i] & 15]);
    }
    return g_string_free(out, FALSE);
}

void
bb_known_secret_forms(const guint8 *value, gsize len, GArray *forms)
{
    static const gchar b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const gchar b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    if (len < BB_KNOWN_SECRET_MIN_RAW)
        return;
    bb_forms_add(forms, g_strndup((const gchar *)value, len), len, TRUE, "raw");
    if (len < BB_KNOWN_SECRET_MIN_ENCODED)
        return;
    for (guint prefix = 0; prefix < 3; prefix++) {
        gsize n;
        gchar *std = bb_encode_middle(value, len, prefix, 6, b64, &n);
        gchar *url = bb_to_url_safe(std, n);
        if (memcmp(std, url, n) != 0)
            bb_forms_add(forms, url, n, FALSE, "base64url");
        else
            g_free(url);
        bb_forms_add(forms, std, n, FALSE, "base64");
    }
    for (guint prefix = 0; prefix < 5; prefix++) {
        gsize n;
        gchar *text = bb_encode_middle(value, len, prefix, 5, b32, &n);
        bb_forms_add(forms, text, n, TRUE, "base32");
    }
    bb_forms_add(forms, bb_escape_each_byte(value, len, ""), len * 2, TRUE, "hex");
    bb_forms_add(forms, bb_escape_each_byte(value, len, "%"), len * 3, TRUE, "percent");
    bb_forms_add(forms, bb_escape_each_byte(value, len, "\\u00"), len * 6, TRUE, "json");
}
