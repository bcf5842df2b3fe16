/* The decode chain on its own: what each layer undoes, where decoded
 * bytes map back to, and that nesting stays bounded. */
#include "bb-dlp-view.h"

#include <string.h>

static gboolean
collect(const BbDlpView *view, gpointer user_data)
{
    g_ptr_array_add(user_data, g_strdup_printf("%s:%.*s", view->decoder, (int)view->len,
                                               (const gchar *)view->data));
    return TRUE;
}

static GPtrArray *
walk(const gchar *text)
{
    GPtrArray *views = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(
        bb_dlp_decode_walk((const guint8 *)text, strlen(text), G_MAXSIZE, collect, views));
    return views;
}

static gboolean
has_view(GPtrArray *views, const gchar *expected)
{
    for (guint i = 0; i < views->len; i++)
        if (g_str_equal(g_ptr_array_index(views, i), expected))
            return TRUE;
    return FALSE;
}

static void
test_plain_text_has_one_view(void)
{
    g_autoptr(GPtrArray) views = walk("int main(void) { return 0; }");
    g_assert_cmpuint(views->len, ==, 1);
}

static void
test_normalize_layers(void)
{
    /* percent, JSON \u, HTML decimal, zero-width, full-width low line */
    const gchar *text = "a%41x\\u0042y&#67;z\u200bD\uff3f";
    BbDlpView root;
    g_autoptr(BbDlpView) view = NULL;
    gsize off, len;

    bb_dlp_view_init_root(&root, (const guint8 *)text, strlen(text));
    view = bb_dlp_view_normalize(&root);
    g_assert_nonnull(view);
    g_assert_cmpmem(view->data, view->len, "aAxByCzD_", 9);
    /* 'B' came from the six bytes of \u0042 */
    bb_dlp_view_to_root(view, 3, 1, &off, &len);
    g_assert_cmpuint(off, ==, 5);
    g_assert_cmpuint(len, ==, 6);
    /* 'a' is untouched */
    bb_dlp_view_to_root(view, 0, 1, &off, &len);
    g_assert_cmpuint(off, ==, 0);
    g_assert_cmpuint(len, ==, 1);
}

static void
test_blob_thresholds(void)
{
    g_autoptr(GPtrArray) short_run = walk("id=aGVsbG8gd29y end"); /* 15 chars */
    g_autoptr(GPtrArray) snake = walk("this_is_a_rather_long_identifier_name = 1");
    g_autoptr(GPtrArray) real = walk("x aGVsbG8gd29ybGQgYmxvYg== y");

    g_assert_cmpuint(short_run->len, ==, 1);
    g_assert_cmpuint(snake->len, ==, 1);
    g_assert_true(has_view(real, "base64:hello world blob"));
}

static void
test_hex_separators(void)
{
    g_autoptr(GPtrArray) views = walk("68:65:6c:6c:6f:20:77:6f:72:6c:64");
    g_autoptr(GPtrArray) words = walk("be ad de fa ce be ad de and so on");
    g_assert_true(has_view(views, "hex:hello world"));
    g_assert_cmpuint(words->len, ==, 2); /* decoded, harmlessly, as hex bytes */
}

static gboolean
count_views(const BbDlpView *view, gpointer user_data)
{
    (*(guint *)user_data)++;
    g_assert_cmpuint(view->depth, <=, BB_DLP_MAX_DEPTH);
    return TRUE;
}

static void
test_depth_is_bounded(void)
{
    g_autofree gchar *text = g_strdup("secret");
    guint n = 0;

    for (guint i = 0; i < 12; i++) {
        g_autofree gchar *b64 = g_base64_encode((const guchar *)text, strlen(text));
        g_autofree gchar *pct = g_uri_escape_string(b64, NULL, FALSE);
        g_free(text);
        text = g_strdup_printf("%s%%25", pct);
    }
    g_assert_true(
        bb_dlp_decode_walk((const guint8 *)text, strlen(text), G_MAXSIZE, count_views, &n));
    g_assert_cmpuint(n, <=, 8 * BB_DLP_MAX_DEPTH);
}

static void
test_adversarial_escapes_stay_linear(void)
{
    gsize len = 4 * 1024 * 1024;
    g_autofree gchar *text = g_malloc(len + 1);
    guint n = 0;

    for (gsize i = 0; i < len; i++)
        text[i] = "%25\\u0025&#37;"[i % 14];
    text[len] = '\0';
    g_assert_true(bb_dlp_decode_walk((const guint8 *)text, len, G_MAXSIZE, count_views, &n));
    g_assert_cmpuint(n, <=, BB_DLP_MAX_DEPTH + 1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/dlp/decode/plain-text", test_plain_text_has_one_view);
    g_test_add_func("/dlp/decode/normalize/layers", test_normalize_layers);
    g_test_add_func("/dlp/decode/blobs/thresholds", test_blob_thresholds);
    g_test_add_func("/dlp/decode/blobs/hex-separators", test_hex_separators);
    g_test_add_func("/dlp/decode/depth-bounded", test_depth_is_bounded);
    g_test_add_func("/dlp/decode/adversarial-escapes", test_adversarial_escapes_stay_linear);
    return g_test_run();
}
