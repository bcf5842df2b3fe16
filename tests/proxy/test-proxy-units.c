/* Unit tests of the proxy's pure parts: host canonicalisation, the
 * strict request parser, the chunk decoder, path normalisation, the
 * scrubber, the CA, route JSON and the DNS answerer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bb-dns.h"
#include "bb-egress-ca.h"
#include "bb-egress-policy.h"
#include "bb-error.h"
#include "bb-egress-relay.h"
#include "bb-egress-upstream.h"
#include "bb-host.h"
#include "bb-http-parser.h"
#include "bb-route-json.h"
#include "bb-test-auth.h"

static void
test_host_canonical(void)
{
    struct {
        const gchar *in;
        const gchar *out; /* NULL = refused */
    } cases[] = {
        {"api.example.com", "api.example.com"},
        {"API.Example.COM", "api.example.com"},
        {"api.example.com.", "api.example.com"},
        {"b\xc3\xbc"
         "cher.example",
         "xn--bcher-kva.example"},
        {"xn--bcher-kva.example", "xn--bcher-kva.example"},
        {"127.0.0.1", NULL},
        {"2130706433", NULL},
        {"0x7f000001", NULL},
        {"0x7f.0.0.1", NULL},
        {"127.1", NULL},
        {"0177.0.0.1", NULL},
        {"::1", NULL},
        {"[::ffff:127.0.0.1]", NULL},
        {"user@api.example.com", NULL},
        {"api.example.com..", NULL},
        {".api.example.com", NULL},
        {"api..example.com", NULL},
        {"-api.example.com", NULL},
        {"api_x.example.com", NULL},
        {"api.example.com%00", NULL},
        {"api example.com", NULL},
        {"", NULL},
        {".", NULL},
        {"a.123", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const gchar *reason = NULL;
        g_autofree gchar *out = bb_host_canonicalize(cases[i].in, strlen(cases[i].in), &reason);
        g_assert_cmpstr(out, ==, cases[i].out);
        if (out == NULL)
            g_assert_nonnull(reason);
    }
}

static void
test_host_nul(void)
{
    const gchar *reason = NULL;
    g_assert_null(bb_host_canonicalize("api.test\0evil", 13, &reason));
}

static void
test_authority(void)
{
    g_autofree gchar *host = NULL;
    guint16 port = 0;
    const gchar *reason = NULL;
    g_assert_true(bb_authority_parse("Api.Test:8443", 13, 443, &host, &port, &reason));
    g_assert_cmpstr(host, ==, "api.test");
    g_assert_cmpuint(port, ==, 8443);
    g_clear_pointer(&host, g_free);
    g_assert_true(bb_authority_parse("api.test", 8, 443, &host, &port, &reason));
    g_assert_cmpuint(port, ==, 443);
    g_clear_pointer(&host, g_free);
    g_assert_false(bb_authority_parse("api.test:", 9, 443, &host, &port, &reason));
    g_assert_false(bb_authority_parse("api.test:0", 10, 443, &host, &port, &reason));
    g_assert_false(bb_authority_parse("api.test:65536", 14, 443, &host, &port, &reason));
    g_assert_false(bb_authority_parse("api.test:+80", 12, 443, &host, &port, &reason));
    g_assert_false(bb_authority_parse("a@api.test:80", 13, 443, &host, &port, &reason));
    g_assert_false(bb_authority_parse("[::1]:80", 8, 443, &host, &port, &reason));
}

static BbHttpParseResult
parse(const gchar *raw, BbHttpHead *head, const gchar **reason)
{
    return bb_http_parse_request(raw, strlen(raw), head, reason);
}

static void
test_parser_ok(void)
{
    BbHttpHead head;
    const gchar *reason = NULL;
    const gchar *raw = "POST /x?y=1 HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n"
                       "X-Pad:   v  \r\n\r\nhello";
    g_assert_cmpint(parse(raw, &head, &reason), ==, BB_HTTP_PARSE_OK);
    g_assert_cmpuint(head.method_len, ==, 4);
    g_assert_cmpint(strncmp(head.target, "/x?y=1", head.target_len), ==, 0);
    g_assert_cmpuint(head.framing, ==, BB_HTTP_BODY_LENGTH);
    g_assert_cmpuint(head.content_length, ==, 5);
    g_assert_cmpuint(head.n_fields, ==, 3);
    g_assert_cmpint(strncmp(head.fields[2].value, "v", head.fields[2].value_len), ==, 0);
    g_assert_cmpuint(head.head_len, ==, strlen(raw) - 5);
    g_assert_cmpint(parse("GET / HTTP/1.1\r\nHost: a", &head, &reason), ==,
                    BB_HTTP_PARSE_INCOMPLETE);
}

static void
test_parser_rejects(void)
{
    const gchar *bad[] = {
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: \x00\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
        "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        ": empty-name\r\n\r\n",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        BbHttpHead head;
        const gchar *reason = NULL;
        /* case 6 holds a NUL: count the bytes after it too */
        gsize len = i == 6 ? strlen(bad[i]) + 1 + 4 : strlen(bad[i]);
        if (bb_http_parse_request(bad[i], len, &head, &reason) != BB_HTTP_PARSE_ERROR)
            g_error("case %u accepted", i);
        g_assert_nonnull(reason);
    }
}

static void
test_parser_limits(void)
{
    g_autoptr(GString) s = g_string_new("GET / HTTP/1.1\r\nHost: a\r\n");
    BbHttpHead head;
    const gchar *reason = NULL;
    while (s->len < BB_HTTP_MAX_HEAD + 10)
        g_string_append(s, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    g_assert_cmpint(bb_http_parse_request(s->str, s->len, &head, &reason), ==, BB_HTTP_PARSE_ERROR);
}

static void
test_response_framing(void)
{
    BbHttpHead head;
    const gchar *reason = NULL;
    const gchar *r1 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
    const gchar *r2 = "HTTP/1.1 204 No Content\r\n\r\n";
    const gchar *r3 = "HTTP/1.1 200 OK\r\n\r\n";
    g_assert_cmpint(bb_http_parse_response(r1, strlen(r1), "GET", &head, &reason), ==,
                    BB_HTTP_PARSE_OK);
    g_assert_cmpuint(head.framing, ==, BB_HTTP_BODY_LENGTH);
    g_assert_cmpint(bb_http_parse_response(r1, strlen(r1), "HEAD", &head, &reason), ==,
                    BB_HTTP_PARSE_OK);
    g_assert_cmpuint(head.framing, ==, BB_HTTP_BODY_NONE);
    g_assert_cmpint(bb_http_parse_response(r2, strlen(r2), "GET", &head, &reason), ==,
                    BB_HTTP_PARSE_OK);
    g_assert_cmpuint(head.status, ==, 204);
    g_assert_cmpint(bb_http_parse_response(r3, strlen(r3), "GET", &head, &reason), ==,
                    BB_HTTP_PARSE_OK);
    g_assert_cmpuint(head.framing, ==, BB_HTTP_BODY_UNTIL_CLOSE);
}

/* Feeds @in one byte at a time and collects the body. */
static gboolean
decode_bytewise(const gchar *in, gsize len, GString *out)
{
    BbChunkDecoder d;
    bb_chunk_decoder_init(&d);
    for (gsize i = 0; i < len; i++) {
        gsize off = 0;
        while (off < 1) {
            gsize consumed = 0;
            const gchar *data;
            gsize data_len;
            const gchar *reason;
            BbChunkResult r = bb_chunk_decoder_feed(&d, in + i + off, 1 - off, &consumed, &data,
                                                    &data_len, &reason);
            off += consumed;
            if (r == BB_CHUNK_ERROR)
                return FALSE;
            if (r == BB_CHUNK_DATA)
                g_string_append_len(out, data, (gssize)data_len);
            if (r == BB_CHUNK_DONE)
                return i + 1 == len;
            if (r == BB_CHUNK_NEED_MORE)
                break;
        }
    }
    return FALSE;
}

static void
test_chunks(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const gchar *ok = "5\r\nhello\r\na;x=y\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n";
    const gchar *bad[] = {"5\r\nhello\r\n0\r\n",      "g\r\n",      "5\nhello\r\n0\r\n\r\n",
                          "5 \r\nhello\r\n0\r\n\r\n", "\r\n",       "1234567890abcdef0\r\n",
                          "5\r\nhelloX\r\n",          "5;\x01\r\n", "0\r\nBad Trailer\r\n\r\n"};
    g_assert_true(decode_bytewise(ok, strlen(ok), out));
    g_assert_cmpstr(out->str, ==, "hello0123456789");
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_string_truncate(out, 0);
        if (decode_bytewise(bad[i], strlen(bad[i]), out))
            g_error("bad chunk case %u accepted", i);
    }
}

static void
test_normalize_path(void)
{
    struct {
        const gchar *in;
        const gchar *out;
    } cases[] = {
        {"/v1/models", "/v1/models"},
        {"/%76%31/x", "/v1/x"},
        {"/a%20b", "/a%20b"},
        {"/a%c3%a9", "/a%C3%A9"},
        {"/", "/"},
        {"/a/..b", "/a/..b"},
        {"/a/../b", NULL},
        {"/a/./b", NULL},
        {"/a/..", NULL},
        {"/a/.", NULL},
        {"/a%2e%2e/b", NULL},
        {"/a%2fb", NULL},
        {"/a%5cb", NULL},
        {"/a%25", NULL},
        {"/a%3bb", NULL},
        {"/a;b", NULL},
        {"/a//b", NULL},
        {"/a\\b", NULL},
        {"/a%0a", NULL},
        {"/a%g0", NULL},
        {"/a%", NULL},
        {"a", NULL},
        {"", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const gchar *reason = NULL;
        g_autofree gchar *out = bb_egress_normalize_path(cases[i].in, strlen(cases[i].in), &reason);
        if (g_strcmp0(out, cases[i].out) != 0)
            g_error("%s → %s, expected %s", cases[i].in, out, cases[i].out);
    }
}

static void
test_scrubber(void)
{
    g_autoptr(GPtrArray) secrets = g_ptr_array_new();
    g_autoptr(GString) out = g_string_new(NULL);
    const gchar *input = "a SECRET-VALUE b SECRET-VAL c SECRET-VALUE";
    BbScrubber s;
    g_ptr_array_add(secrets, (gpointer) "SECRET-VALUE");
    /* every split point, one byte at a time */
    bb_scrubber_init(&s, secrets);
    for (const gchar *p = input; *p != '\0'; p++)
        bb_scrubber_feed(&s, p, 1, out);
    bb_scrubber_finish(&s, out);
    bb_scrubber_clear(&s);
    g_assert_cmpuint(out->len, ==, strlen(input));
    g_assert_null(strstr(out->str, "SECRET-VALUE"));
    g_assert_nonnull(strstr(out->str, " b SECRET-VAL c "));
    /* a stream that never approaches the secret is released at once */
    g_string_truncate(out, 0);
    bb_scrubber_init(&s, secrets);
    bb_scrubber_feed(&s, "data: one\n\n", 11, out);
    g_assert_cmpuint(out->len, ==, 11);
    bb_scrubber_clear(&s);
}

static void
test_ca_mint(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbEgressCa) ca = bb_egress_ca_new("test CA", &error);
    X509 *leaf, *again;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    g_assert_no_error(error);
    leaf = bb_egress_ca_get_leaf(ca, "api.test", &error);
    g_assert_no_error(error);
    again = bb_egress_ca_get_leaf(ca, "api.test", &error);
    g_assert_true(leaf == again); /* cached */
    g_assert_cmpint(X509_check_host(leaf, "api.test", 0, 0, NULL), ==, 1);
    g_assert_cmpint(X509_check_host(leaf, "evil.test", 0, 0, NULL), !=, 1);
    X509_STORE_add_cert(store, bb_egress_ca_get_cert(ca));
    X509_STORE_CTX_init(ctx, store, leaf, NULL);
    g_assert_cmpint(X509_verify_cert(ctx), ==, 1);
    g_assert_cmpint(X509_check_private_key(leaf, bb_egress_ca_get_leaf_key(ca)), ==, 1);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(again);
}

static void
test_route_json_roundtrip(void)
{
    const gchar *json =
        "{\"routes\":[{\"host\":\"api.test\",\"port\":8443,\"auth_scheme\":\"Bearer\","
        "\"token_ref\":\"TOK\",\"git_fetch\":true,\"outbound_on_match\":\"block\","
        "\"matches\":[{\"paths\":[{\"type\":\"regex\",\"value\":\"/a/[0-9]+\"}],"
        "\"methods\":[\"GET\"],\"headers\":[{\"name\":\"X-T\",\"type\":\"exact\","
        "\"value\":\"v\"}]}],\"inbound\":{\"enabled\":false,\"detectors\":null}}]}";
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) routes = bb_routes_from_json_string(json, -1, &error);
    g_autoptr(GPtrArray) again = NULL;
    g_autofree gchar *out = NULL;
    BbRoute *r;
    BbRouteMatch *m;
    g_assert_no_error(error);
    r = g_ptr_array_index(routes, 0);
    g_assert_cmpuint(r->port, ==, 8443);
    g_assert_true(r->git_fetch);
    g_assert_false(r->inbound.enabled);
    g_assert_cmpint(r->outbound_on_match, ==, BB_ON_MATCH_BLOCK);
    m = g_ptr_array_index(r->matches, 0);
    g_assert_nonnull(((BbPathMatch *)g_ptr_array_index(m->paths, 0))->regex);
    g_assert_cmpstr(((BbHeaderMatch *)g_ptr_array_index(m->headers, 0))->name, ==, "x-t");
    out = bb_routes_to_json_string(routes, FALSE);
    again = bb_routes_from_json_string(out, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(((BbRoute *)g_ptr_array_index(again, 0))->token_ref, ==, "TOK");
    g_assert_null(bb_routes_from_json_string("{\"routes\":[{\"port\":1}]}", -1, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST);
}

static BbEgressPolicy *
policy_from(const gchar *json, GHashTable *secrets, GError **error)
{
    g_autoptr(BbRegistry) reg = bb_test_auth_registry_new();
    g_autoptr(GPtrArray) routes = bb_routes_from_json_string(json, -1, NULL);
    g_assert_nonnull(routes);
    return bb_egress_policy_new(routes, reg, secrets, error);
}

static void
test_policy_load(void)
{
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) error = NULL;
    g_autoptr(BbEgressPolicy) ok = NULL;
    const BbEgressRouteEntry *entry;
    g_hash_table_insert(secrets, (gpointer) "TOK", (gpointer) "abc123");
    ok = policy_from("{\"routes\":[{\"host\":\"a.test\",\"auth_scheme\":\"bearer\","
                     "\"token_ref\":\"TOK\"}]}",
                     secrets, &error);
    g_assert_no_error(error);
    entry = bb_egress_policy_lookup(ok, "a.test");
    g_assert_cmpstr(entry->inject, ==, "Authorization: Bearer abc123\r\n");
    g_assert_cmpstr(entry->inject_names[0], ==, "authorization");
    g_assert_null(bb_egress_policy_lookup(ok, "b.test"));

    g_assert_null(policy_from("{\"routes\":[{\"host\":\"A.test.\"}]}", secrets, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST);
    g_clear_error(&error);
    g_assert_null(policy_from("{\"routes\":[{\"host\":\"127.0.0.1\"}]}", secrets, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST);
    g_clear_error(&error);
    g_assert_null(
        policy_from("{\"routes\":[{\"host\":\"a.test\"},{\"host\":\"a.test\"}]}", secrets, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST);
    g_clear_error(&error);
    g_assert_null(policy_from("{\"routes\":[{\"host\":\"a.test\",\"auth_scheme\":\"Bearer\","
                              "\"token_ref\":\"MISSING\"}]}",
                              secrets, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_SECRET);
    g_clear_error(&error);
    g_hash_table_insert(secrets, (gpointer) "BAD", (gpointer) "abc\r\nX-Evil: 1");
    g_assert_null(policy_from("{\"routes\":[{\"host\":\"a.test\",\"auth_scheme\":\"Bearer\","
                              "\"token_ref\":\"BAD\"}]}",
                              secrets, &error));
    g_assert_nonnull(error);
    g_assert_null(strstr(error->message, "X-Evil"));
    g_clear_error(&error);
    g_assert_null(policy_from("{\"routes\":[{\"host\":\"a.test\",\"auth_scheme\":\"Nope\","
                              "\"token_ref\":\"TOK\"}]}",
                              secrets, &error));
    g_assert_nonnull(error);
}

static gboolean
allow_api(gpointer data, const gchar *host)
{
    return g_strcmp0(host, "api.test") == 0;
}

static gsize
dns_query(guint8 *buf, guint16 id, const gchar *name, guint16 qtype)
{
    gsize n = 12;
    g_auto(GStrv) labels = g_strsplit(name, ".", -1);
    memset(buf, 0, 12);
    buf[0] = (guint8)(id >> 8);
    buf[1] = (guint8)id;
    buf[2] = 0x01; /* RD */
    buf[5] = 1;    /* QDCOUNT */
    for (guint i = 0; labels[i] != NULL; i++) {
        buf[n++] = (guint8)strlen(labels[i]);
        memcpy(buf + n, labels[i], strlen(labels[i]));
        n += strlen(labels[i]);
    }
    buf[n++] = 0;
    buf[n++] = (guint8)(qtype >> 8);
    buf[n++] = (guint8)qtype;
    buf[n++] = 0;
    buf[n++] = 1;
    return n;
}

static void
test_dns_answer(void)
{
    const guint8 addr[4] = {10, 9, 8, 7};
    guint8 q[512], out[512];
    gsize n = dns_query(q, 0x1234, "API.test", 1);
    gssize r = bb_dns_answer(q, n, allow_api, NULL, addr, out, sizeof(out));
    g_assert_cmpint(r, ==, (gssize)n + 16);
    g_assert_cmpuint(out[0], ==, 0x12);
    g_assert_cmpuint(out[3] & 0x0f, ==, 0); /* NOERROR */
    g_assert_cmpuint(out[7], ==, 1);        /* one answer */
    g_assert_cmpint(memcmp(out + r - 4, addr, 4), ==, 0);
    n = dns_query(q, 1, "evil.test", 1);
    r = bb_dns_answer(q, n, allow_api, NULL, addr, out, sizeof(out));
    g_assert_cmpuint(out[3] & 0x0f, ==, 3); /* NXDOMAIN */
    g_assert_cmpuint(out[7], ==, 0);
    n = dns_query(q, 1, "api.test", 28); /* AAAA: name exists, no data */
    r = bb_dns_answer(q, n, allow_api, NULL, addr, out, sizeof(out));
    g_assert_cmpuint(out[3] & 0x0f, ==, 0);
    g_assert_cmpuint(out[7], ==, 0);
    /* a response, a truncated packet, a compression pointer */
    n = dns_query(q, 1, "api.test", 1);
    q[2] |= 0x80;
    g_assert_cmpint(bb_dns_answer(q, n, allow_api, NULL, addr, out, sizeof(out)), ==, -1);
    g_assert_cmpint(bb_dns_answer(q, 5, allow_api, NULL, addr, out, sizeof(out)), ==, -1);
    n = dns_query(q, 1, "api.test", 1);
    q[12] = 0xc0;
    r = bb_dns_answer(q, n, allow_api, NULL, addr, out, sizeof(out));
    g_assert_cmpuint(out[3] & 0x0f, ==, 1); /* FORMERR */
    /* a dot inside a label cannot spell an allowed name */
    n = dns_query(q, 1, "x", 1);
    memcpy(q + 12,
           "\x08"
           "api.test\x00\x00\x01\x00\x01",
           14);
    r = bb_dns_answer(q, 26, allow_api, NULL, addr, out, sizeof(out));
    g_assert_cmpuint(out[3] & 0x0f, !=, 0);
}

static void
test_dns_server(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDnsServer) dns = bb_dns_server_new("10.0.0.5", allow_api, NULL, &error);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    struct timeval tv = {.tv_sec = 3};
    guint8 q[512], out[512];
    gsize n;
    gssize r;
    gint fd;
    g_assert_no_error(error);
    g_assert_true(bb_dns_server_start(dns, "127.0.0.1:0", &error));
    sin.sin_port = htons(bb_dns_server_get_port(dns));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    n = dns_query(q, 7, "api.test", 1);
    g_assert_cmpint(sendto(fd, q, n, 0, (struct sockaddr *)&sin, sizeof(sin)), ==, (gssize)n);
    r = recv(fd, out, sizeof(out), 0);
    g_assert_cmpint(r, ==, (gssize)n + 16);
    g_assert_cmpuint(out[r - 4], ==, 10);
    g_assert_cmpuint(out[r - 1], ==, 5);
    n = dns_query(q, 8, "example.com", 1);
    sendto(fd, q, n, 0, (struct sockaddr *)&sin, sizeof(sin));
    r = recv(fd, out, sizeof(out), 0);
    g_assert_cmpint(r, >, 0);
    g_assert_cmpuint(out[3] & 0x0f, ==, 3);
    close(fd);
    /* TCP, length-prefixed */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    n = dns_query(q + 2, 9, "api.test", 1);
    q[0] = 0;
    q[1] = (guint8)n;
    g_assert_cmpint(send(fd, q, n + 2, 0), ==, (gssize)n + 2);
    r = recv(fd, out, sizeof(out), MSG_WAITALL);
    g_assert_cmpint(r, ==, (gssize)n + 2 + 16);
    close(fd);
}

/* --resolve HOST:PORT:ADDR[:PORT]: the pin may name another port, and a
 * connection to HOST:PORT then lands on ADDR:PORT (judged at a listener). */
static void
test_pin_port(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbEgressUpstreams) ups = bb_egress_upstreams_new(NULL, &error);
    g_assert_no_error(error);
    g_autoptr(GSocket) listener =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
    g_assert_true(g_socket_bind(listener, any_port, TRUE, &error));
    g_assert_true(g_socket_listen(listener, &error));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(listener, &error);
    guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));

    g_autofree gchar *pin = g_strdup_printf("api.pinned.test:443:127.0.0.1:%u", port);
    g_assert_true(bb_egress_upstreams_add_pin(ups, pin, &error));
    g_assert_no_error(error);
    gboolean reused = FALSE;
    BbConn *conn = bb_egress_upstreams_get(ups, "api.pinned.test", 443, FALSE, &reused, &error);
    g_assert_no_error(error);
    g_assert_nonnull(conn);
    g_socket_set_timeout(listener, 5);
    g_autoptr(GSocket) accepted = g_socket_accept(listener, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(accepted);
    bb_egress_upstreams_discard(conn);

    /* Bracketed IPv6 with a port parses; malformed ports are refused. */
    g_assert_true(bb_egress_upstreams_add_pin(ups, "v6.test:443:[::1]:8443", &error));
    g_assert_true(bb_egress_upstreams_add_pin(ups, "v6bare.test:443:[::1]", &error));
    g_assert_true(bb_egress_upstreams_add_pin(ups, "v6plain.test:443:::1", &error));
    g_assert_no_error(error);
    g_assert_false(bb_egress_upstreams_add_pin(ups, "bad.test:443:127.0.0.1:99999", &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_FAILED);
    g_clear_error(&error);
    g_assert_false(bb_egress_upstreams_add_pin(ups, "bad.test:443:127.0.0.1:x", &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_FAILED);
}

gint
main(gint argc, gchar **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/proxy/upstream/pin-port", test_pin_port);
    g_test_add_func("/proxy/host/canonical", test_host_canonical);
    g_test_add_func("/proxy/host/nul", test_host_nul);
    g_test_add_func("/proxy/host/authority", test_authority);
    g_test_add_func("/proxy/parser/ok", test_parser_ok);
    g_test_add_func("/proxy/parser/rejects", test_parser_rejects);
    g_test_add_func("/proxy/parser/limits", test_parser_limits);
    g_test_add_func("/proxy/parser/response-framing", test_response_framing);
    g_test_add_func("/proxy/parser/chunks", test_chunks);
    g_test_add_func("/proxy/policy/normalize-path", test_normalize_path);
    g_test_add_func("/proxy/scrub/stream", test_scrubber);
    g_test_add_func("/proxy/ca/mint", test_ca_mint);
    g_test_add_func("/proxy/routes/json", test_route_json_roundtrip);
    g_test_add_func("/proxy/policy/load", test_policy_load);
    g_test_add_func("/proxy/dns/answer", test_dns_answer);
    g_test_add_func("/proxy/dns/server", test_dns_server);
    return g_test_run();
}
