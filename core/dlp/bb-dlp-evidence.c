#include "bb-dlp-evidence.h"

#include <sys/random.h>

#define BB_SNIPPET_PREFIX 4
#define BB_FINGERPRINT_HEX 16

static const guint8 *
bb_fingerprint_key(void)
{
    static guint8 key[32];
    static gsize initialised = 0;

    if (g_once_init_enter(&initialised)) {
        gsize filled = 0;
        while (filled < sizeof key) {
            gssize got = getrandom(key + filled, sizeof key - filled, 0);
            /* getrandom only fails before the pool is seeded or on EINTR;
             * a process without randomness must not pretend to hash. */
            if (got < 0)
                g_error("getrandom failed; cannot key DLP fingerprints");
            filled += (gsize)got;
        }
        g_once_init_leave(&initialised, 1);
    }
    return key;
}

void
bb_finding_set_snippet(BbFinding *finding, const guint8 *matched, gsize len)
{
    GString *snippet = g_string_new(NULL);

    g_return_if_fail(finding != NULL);
    for (gsize i = 0; i < len && i < BB_SNIPPET_PREFIX; i++) {
        /* Only printable ASCII: a snippet goes to terminals and logs. */
        guint8 c = matched[i];
        g_string_append_c(snippet, (c >= 0x20 && c < 0x7f) ? (gchar)c : '?');
    }
    g_string_append_printf(snippet, "\u2026(%" G_GSIZE_FORMAT ")", len);
    g_free(finding->snippet);
    finding->snippet = g_string_free(snippet, FALSE);
}

void
bb_finding_set_fingerprint(BbFinding *finding, const guint8 *value, gsize len)
{
    g_autoptr(GHmac) hmac = NULL;
    const gchar *hex;

    g_return_if_fail(finding != NULL);
    hmac = g_hmac_new(G_CHECKSUM_SHA256, bb_fingerprint_key(), 32);
    g_hmac_update(hmac, value, (gssize)len);
    hex = g_hmac_get_string(hmac);
    g_free(finding->fingerprint);
    finding->fingerprint = g_strndup(hex, BB_FINGERPRINT_HEX);
}

void
bb_finding_set_evidence(BbFinding *finding, const guint8 *matched, gsize len)
{
    bb_finding_set_snippet(finding, matched, len);
    bb_finding_set_fingerprint(finding, matched, len);
}
