#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bb-dns.h"
#include "bb-egress-server.h"
#include "bb-error.h"
#include "bb-host.h"

enum {
    RCODE_OK = 0,
    RCODE_FORMERR = 1,
    RCODE_NXDOMAIN = 3,
    RCODE_NOTIMP = 4,
    RCODE_REFUSED = 5,
};

#define TYPE_A 1
#define CLASS_IN 1
#define ANSWER_TTL 60

static guint16
get16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static void
put16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

/* Reads an uncompressed QNAME (queries never need pointers) into
 * dotted form; returns the offset after it or 0 on any violation. */
static gsize
read_qname(const guint8 *pkt, gsize len, gsize off, gchar *name, gsize name_cap)
{
    gsize out = 0;
    for (;;) {
        guint8 label;
        if (off >= len)
            return 0;
        label = pkt[off++];
        if (label == 0)
            break;
        if (label > 63 || off + label > len || out + label + 2 > name_cap)
            return 0;
        if (out > 0)
            name[out++] = '.';
        for (guint i = 0; i < label; i++) {
            guint8 c = pkt[off + i];
            /* A NUL or a dot inside a label would change the name. */
            if (c == 0 || c == '.')
                return 0;
            name[out++] = (gchar)c;
        }
        off += label;
    }
    name[out] = '\0';
    return out == 0 ? 0 : off;
}

static gssize
reply(const guint8 *query, gsize question_end, guint8 rcode, const guint8 *answer, gsize ans_len,
      guint8 *out, gsize out_cap)
{
    gsize n = question_end;
    if (n + ans_len > out_cap)
        return -1;
    memcpy(out, query, question_end);
    /* QR=1, opcode kept, AA=1, TC=0, RD kept, RA=0, Z=0, rcode. */
    out[2] = (guint8)(0x80 | (query[2] & 0x78) | 0x04 | (query[2] & 0x01));
    out[3] = rcode;
    put16(out + 4, question_end > 12 ? 1 : 0);
    put16(out + 6, ans_len > 0 ? 1 : 0);
    put16(out + 8, 0);
    put16(out + 10, 0);
    if (ans_len > 0)
        memcpy(out + n, answer, ans_len);
    return (gssize)(n + ans_len);
}

gssize
bb_dns_answer(const guint8 *query, gsize len, BbDnsAllowFunc allow, gpointer user_data,
              const guint8 address[4], guint8 *out, gsize out_cap)
{
    gchar name[256];
    gsize off;
    guint16 qtype, qclass;
    const gchar *reason = NULL;
    g_autofree gchar *canonical = NULL;
    guint8 answer[16];

    if (len < 12 || out_cap < 12 || (query[2] & 0x80) != 0)
        return -1;
    if (((query[2] >> 3) & 0x0f) != 0)
        return reply(query, 12, RCODE_NOTIMP, NULL, 0, out, out_cap);
    if (get16(query + 4) != 1 || get16(query + 6) != 0 || get16(query + 8) != 0)
        return reply(query, 12, RCODE_FORMERR, NULL, 0, out, out_cap);
    off = read_qname(query, len, 12, name, sizeof(name));
    if (off == 0 || off + 4 > len)
        return reply(query, 12, RCODE_FORMERR, NULL, 0, out, out_cap);
    qtype = get16(query + off);
    qclass = get16(query + off + 2);
    off += 4;
    if (qclass != CLASS_IN)
        return reply(query, off, RCODE_REFUSED, NULL, 0, out, out_cap);
    canonical = bb_host_canonicalize(name, strlen(name), &reason);
    if (canonical == NULL || !allow(user_data, canonical))
        return reply(query, off, RCODE_NXDOMAIN, NULL, 0, out, out_cap);
    if (qtype != TYPE_A) /* the name exists, but only as an IPv4 address */
        return reply(query, off, RCODE_OK, NULL, 0, out, out_cap);
    put16(answer, 0xc00c); /* pointer to the question's name */
    put16(answer + 2, TYPE_A);
    put16(answer + 4, CLASS_IN);
    put16(answer + 6, 0);
    put16(answer + 8, ANSWER_TTL);
    put16(answer + 10, 4);
    memcpy(answer + 12, address, 4);
    return reply(query, off, RCODE_OK, answer, sizeof(answer), out, out_cap);
}

struct _BbDnsServer {
    guint8 address[4];
    BbDnsAllowFunc allow;
    gpointer user_data;
    gint udp_fd;
    gint tcp_fd;
    guint16 port;
    GThread *udp_thread;
    GThread *tcp_thread;
    gint stopping;
};

BbDnsServer *
bb_dns_server_new(const gchar *address, BbDnsAllowFunc allow, gpointer user_data, GError **error)
{
    BbDnsServer *self;
    struct in_addr in;
    if (inet_pton(AF_INET, address, &in) != 1) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "DNS answer address '%s' is not IPv4",
                    address);
        return NULL;
    }
    self = g_new0(BbDnsServer, 1);
    memcpy(self->address, &in, 4);
    self->allow = allow;
    self->user_data = user_data;
    self->udp_fd = -1;
    self->tcp_fd = -1;
    return self;
}

static gpointer
udp_loop(gpointer data)
{
    BbDnsServer *self = data;
    guint8 in[BB_DNS_MAX_PACKET * 2];
    guint8 out[BB_DNS_MAX_PACKET];
    while (!g_atomic_int_get(&self->stopping)) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof(peer);
        gssize n = recvfrom(self->udp_fd, in, sizeof(in), 0, (struct sockaddr *)&peer, &peer_len);
        gssize r;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            break;
        }
        r = bb_dns_answer(in, (gsize)n, self->allow, self->user_data, self->address, out,
                          sizeof(out));
        if (r > 0)
            sendto(self->udp_fd, out, (gsize)r, 0, (struct sockaddr *)&peer, peer_len);
    }
    return NULL;
}

static gboolean
read_full(gint fd, guint8 *buf, gsize len)
{
    while (len > 0) {
        gssize n = read(fd, buf, len);
        if (n <= 0)
            return FALSE;
        buf += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* DNS over TCP, one connection at a time with a short timeout: the
 * agent only needs it for the rare truncated answer. */
static void
serve_tcp(BbDnsServer *self, gint fd)
{
    struct timeval tv = {.tv_sec = 2};
    guint8 in[BB_DNS_MAX_PACKET * 2];
    guint8 out[2 + BB_DNS_MAX_PACKET];
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    for (guint i = 0; i < 16; i++) {
        guint8 lenbuf[2];
        guint16 qlen;
        gssize r;
        if (!read_full(fd, lenbuf, 2))
            return;
        qlen = get16(lenbuf);
        if (qlen == 0 || qlen > sizeof(in) || !read_full(fd, in, qlen))
            return;
        r = bb_dns_answer(in, qlen, self->allow, self->user_data, self->address, out + 2,
                          sizeof(out) - 2);
        if (r <= 0)
            return;
        put16(out, (guint16)r);
        if (send(fd, out, (gsize)r + 2, MSG_NOSIGNAL) != r + 2)
            return;
    }
}

static gpointer
tcp_loop(gpointer data)
{
    BbDnsServer *self = data;
    while (!g_atomic_int_get(&self->stopping)) {
        gint fd = accept4(self->tcp_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break;
        }
        serve_tcp(self, fd);
        close(fd);
    }
    return NULL;
}

static gint
bind_socket(const struct sockaddr_storage *ss, socklen_t len, gint type, GError **error)
{
    gint one = 1;
    gint fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (const struct sockaddr *)ss, len) < 0 ||
        (type == SOCK_STREAM && listen(fd, 64) < 0)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "DNS: cannot bind: %s", g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

gboolean
bb_dns_server_start(BbDnsServer *self, const gchar *listen_spec, GError **error)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (!bb_egress_parse_listen(listen_spec, &ss, &len, error))
        return FALSE;
    self->udp_fd = bind_socket(&ss, len, SOCK_DGRAM, error);
    if (self->udp_fd < 0)
        return FALSE;
    /* Use the UDP port for TCP too when the caller asked for any port. */
    getsockname(self->udp_fd, (struct sockaddr *)&ss, &len);
    self->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                               : ((struct sockaddr_in6 *)&ss)->sin6_port);
    self->tcp_fd = bind_socket(&ss, len, SOCK_STREAM, error);
    if (self->tcp_fd < 0)
        return FALSE;
    self->udp_thread = g_thread_new("bb-dns-udp", udp_loop, self);
    self->tcp_thread = g_thread_new("bb-dns-tcp", tcp_loop, self);
    return TRUE;
}

guint16
bb_dns_server_get_port(BbDnsServer *self)
{
    return self->port;
}

void
bb_dns_server_free(BbDnsServer *self)
{
    if (self == NULL)
        return;
    g_atomic_int_set(&self->stopping, 1);
    if (self->udp_fd >= 0)
        shutdown(self->udp_fd, SHUT_RDWR);
    if (self->tcp_fd >= 0)
        shutdown(self->tcp_fd, SHUT_RDWR);
    if (self->udp_thread != NULL)
        g_thread_join(self->udp_thread);
    if (self->tcp_thread != NULL)
        g_thread_join(self->tcp_thread);
    if (self->udp_fd >= 0)
        close(self->udp_fd);
    if (self->tcp_fd >= 0)
        close(self->tcp_fd);
    g_free(self);
}
