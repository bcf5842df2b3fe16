/* Fuzzes host canonicalisation, authority parsing and path
 * normalisation: whatever they accept must be canonical and stable. */
#include <string.h>

#include "bb-egress-policy.h"
#include "bb-host.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
    const gchar *reason = NULL;
    gchar *host = bb_host_canonicalize((const gchar *)data, size, &reason);
    gchar *path;
    guint16 port = 0;

    if (host != NULL) {
        /* canonical form is a fixed point */
        gchar *again = bb_host_canonicalize(host, strlen(host), &reason);
        g_assert(again != NULL && strcmp(again, host) == 0);
        for (const gchar *p = host; *p != '\0'; p++)
            g_assert(g_ascii_isalnum(*p) ? !g_ascii_isupper(*p) : (*p == '.' || *p == '-'));
        g_free(again);
        g_free(host);
    }
    host = NULL;
    if (bb_authority_parse((const gchar *)data, size, 443, &host, &port, &reason)) {
        g_assert(port != 0);
        g_free(host);
    }
    path = bb_egress_normalize_path((const gchar *)data, size, &reason);
    if (path != NULL) {
        g_assert(path[0] == '/');
        g_assert(strstr(path, "/../") == NULL && strstr(path, "//") == NULL);
        g_free(path);
    }
    return 0;
}
