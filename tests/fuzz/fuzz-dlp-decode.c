/* libFuzzer target for the DLP decode chain: the first byte picks a
 * Content-Encoding to undo (under a small cap) and a window margin; the
 * rest is walked through every decoder. Checks that every view maps
 * inside the input and depth stays bounded. Build with -Dfuzzing=true and
 * clang; run e.g. build-fuzz/tests/fuzz/fuzz-dlp-decode -max_total_time=60. */
#include "bb-dlp-decompress.h"
#include "bb-dlp-view.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

typedef struct {
    gsize len;
} FuzzWalk;

static gboolean
fuzz_check_view(const BbDlpView *view, gpointer user_data)
{
    FuzzWalk *walk = user_data;
    gsize off, len;

    if (view->depth > BB_DLP_MAX_DEPTH)
        abort();
    bb_dlp_view_to_root(view, 0, view->len, &off, &len);
    if (off > walk->len || len > walk->len - off)
        abort();
    if (view->len > 0) {
        bb_dlp_view_to_root(view, view->len - 1, 1, &off, &len);
        if (off > walk->len || len > walk->len - off)
            abort();
    }
    return TRUE;
}

static void
fuzz_walk(const guint8 *data, gsize len, gsize margin)
{
    FuzzWalk walk = {len};
    bb_dlp_decode_walk(data, len, margin, fuzz_check_view, &walk);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    static const gchar *const codings[] = {"identity", "gzip", "deflate", "br", "zstd"};
    guint8 mode;

    if (size == 0)
        return 0;
    mode = data[0];
    data++;
    size--;
    fuzz_walk(data, size, (mode & 0x80) ? G_MAXSIZE : 16 + (mode & 0x70));
    if ((mode & 7) < G_N_ELEMENTS(codings)) {
        g_autoptr(GBytes) body = bb_dlp_decompress(codings[mode & 7], data, size, 1 << 20, NULL);
        if (body != NULL)
            fuzz_walk(g_bytes_get_data(body, NULL), g_bytes_get_size(body), 64);
    }
    return 0;
}
