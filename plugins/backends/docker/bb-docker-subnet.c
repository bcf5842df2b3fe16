#include "bb-docker-subnet.h"

#include <arpa/inet.h>
#include <string.h>
#include "bb-error.h"

static gboolean
bb_parse_prefix(const gchar *text, guint32 *address, guint *length)
{
    g_auto(GStrv) parts = g_strsplit(text, "/", 2);
    struct in_addr in;
    guint64 bits = 32;
    if (parts[0] == NULL || inet_pton(AF_INET, parts[0], &in) != 1)
        return FALSE;
    if (parts[1] != NULL && !g_ascii_string_to_unsigned(parts[1], 10, 0, 32, &bits, NULL))
        return FALSE;
    *address = ntohl(in.s_addr);
    *length = bits;
    return TRUE;
}

static guint32
bb_mask(guint length)
{
    return length == 0 ? 0 : G_MAXUINT32 << (32 - length);
}

gboolean
bb_docker_subnets_overlap(const gchar *a, const gchar *b)
{
    guint32 address_a, address_b;
    guint length_a, length_b;
    if (!bb_parse_prefix(a, &address_a, &length_a) || !bb_parse_prefix(b, &address_b, &length_b))
        return TRUE; /* unreadable: assume the worst */
    guint32 mask = bb_mask(MIN(length_a, length_b));
    return (address_a & mask) == (address_b & mask);
}

/* Host routes other than the default route, as prefixes. */
static void
bb_add_host_routes(GPtrArray *prefixes)
{
    g_autofree gchar *table = NULL;
    if (!g_file_get_contents("/proc/net/route", &table, NULL, NULL))
        return;
    g_auto(GStrv) lines = g_strsplit(table, "\n", -1);
    for (gchar **line = lines; *line != NULL; line++) {
        g_auto(GStrv) fields = g_strsplit_set(*line, " \t", -1);
        g_autoptr(GPtrArray) columns = g_ptr_array_new();
        for (gchar **field = fields; *field != NULL; field++)
            if (**field != '\0')
                g_ptr_array_add(columns, *field);
        if (columns->len < 8 || g_str_equal(g_ptr_array_index(columns, 0), "Iface"))
            continue;
        /* Destination and Mask are hex in network byte order. */
        guint32 destination = (guint32)g_ascii_strtoull(g_ptr_array_index(columns, 1), NULL, 16);
        guint32 mask = (guint32)g_ascii_strtoull(g_ptr_array_index(columns, 7), NULL, 16);
        guint length = __builtin_popcount(mask);
        if (length == 0)
            continue;
        struct in_addr in = {.s_addr = destination};
        gchar text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in, text, sizeof text);
        g_ptr_array_add(prefixes, g_strdup_printf("%s/%u", text, length));
    }
}

typedef struct {
    guint32 address;
    guint length;
} BbPrefix;

gchar *
bb_docker_subnet_pick_free(GPtrArray *texts, GError **error)
{
    g_autoptr(GArray) taken = g_array_new(FALSE, FALSE, sizeof(BbPrefix));
    for (guint i = 0; i < texts->len; i++) {
        BbPrefix prefix = {0, 0}; /* unreadable: 0/0 overlaps everything */
        bb_parse_prefix(g_ptr_array_index(texts, i), &prefix.address, &prefix.length);
        g_array_append_val(taken, prefix);
    }
    /* Random first, so parallel launches rarely race for the same /24;
     * then every /24 in order, so a nearly full range still finds one.
     * 172.16.0.0/12 holds 4096 /24s. */
    for (guint attempt = 0; attempt < 64 + 4096; attempt++) {
        guint index = attempt < 64 ? (guint)g_random_int_range(0, 4096) : attempt - 64;
        guint32 candidate = (172u << 24) | ((16u + index / 256) << 16) | ((index % 256) << 8);
        gboolean free_subnet = TRUE;
        for (guint i = 0; i < taken->len && free_subnet; i++) {
            const BbPrefix *prefix = &g_array_index(taken, BbPrefix, i);
            guint32 mask = bb_mask(MIN(prefix->length, 24));
            free_subnet = (candidate & mask) != (prefix->address & mask);
        }
        if (free_subnet)
            return g_strdup_printf("172.%u.%u.0/24", 16 + index / 256, index % 256);
    }
    g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                "No free /24 left in 172.16.0.0/12 for a bottle network: remove unused Docker "
                "networks (`bot-bottle cleanup`, `docker network prune`)");
    return NULL;
}

gchar *
bb_docker_subnet_pick(GPtrArray *used, GError **error)
{
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; used != NULL && i < used->len; i++)
        g_ptr_array_add(texts, g_strdup(g_ptr_array_index(used, i)));
    bb_add_host_routes(texts);
    return bb_docker_subnet_pick_free(texts, error);
}

gchar *
bb_docker_subnet_address(const gchar *subnet, guint host)
{
    g_autofree gchar *base = g_strndup(subnet, strcspn(subnet, "/"));
    gchar *last_dot = strrchr(base, '.');
    if (last_dot != NULL)
        *last_dot = '\0';
    return g_strdup_printf("%s.%u", base, host);
}
