/* Fuzzes the DNS responder's packet handling. */
#include "bb-dns.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

static gboolean
allow(gpointer user_data, const gchar *host)
{
    return host[0] == 'a';
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
    static const guint8 addr[4] = {10, 0, 0, 1};
    guint8 out[BB_DNS_MAX_PACKET];
    gssize n = bb_dns_answer(data, size, allow, NULL, addr, out, sizeof(out));
    g_assert(n <= (gssize)sizeof(out));
    return 0;
}
