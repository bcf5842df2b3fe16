/* Side-by-side benchmark of the egress proxy against mitmproxy running
 * an equivalent addon (same allowlist, same header injection).
 *
 * Layout: the proxy under test is pinned to CPU 0; this process (load
 * client threads + a stub HTTPS upstream) to CPU 1. Each configuration
 * runs BENCH_RUNS times, interleaved; the table shows the median (min
 * to max). Keep-alive on both legs for throughput and latency.
 *
 * Usage: bb-bench-proxy SIDECAR_BINARY [mitmdump] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "bb-egress-ca.h"

#define TOKEN "bench-secret-token-0123456789"
#define RUNS 5

static gdouble duration_s = 2.0;

/* ---------- stub upstream ---------- */

typedef struct {
    BbEgressCa *ca;
    SSL_CTX *ctx;
    gint fd;
    guint16 port;
    gchar *ca_file;
} Stub;

static const gchar stub_reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: 13\r\n\r\nhello, bench\n";

static gpointer
stub_conn(gpointer data)
{
    SSL *ssl = data;
    gchar buf[16384];
    gsize have = 0;
    if (SSL_accept(ssl) == 1) {
        for (;;) {
            gint n = SSL_read(ssl, buf + have, (gint)(sizeof(buf) - have));
            gchar *end;
            if (n <= 0)
                break;
            have += (gsize)n;
            while ((end = memmem(buf, have, "\r\n\r\n", 4)) != NULL) {
                gsize used = (gsize)(end - buf) + 4;
                SSL_write(ssl, stub_reply, sizeof(stub_reply) - 1);
                memmove(buf, buf + used, have - used);
                have -= used;
            }
            if (have == sizeof(buf))
                break;
        }
    }
    close(SSL_get_fd(ssl));
    SSL_free(ssl);
    ERR_clear_error();
    return NULL;
}

static gpointer
stub_accept(gpointer data)
{
    Stub *stub = data;
    for (;;) {
        gint fd = accept(stub->fd, NULL, NULL);
        gint one = 1;
        SSL *ssl;
        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ssl = SSL_new(stub->ctx);
        SSL_set_fd(ssl, fd);
        g_thread_unref(g_thread_new("stub", stub_conn, ssl));
    }
    return NULL;
}

static gint
listen_any(guint16 *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    gint fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    g_assert(listen(fd, 1024) == 0);
    getsockname(fd, (struct sockaddr *)&sin, &len);
    *port = ntohs(sin.sin_port);
    return fd;
}

static guint16
free_port(void)
{
    guint16 port;
    close(listen_any(&port));
    return port;
}

static void
stub_start(Stub *stub, const gchar *dir)
{
    g_autofree gchar *pem = NULL;
    X509 *leaf;
    stub->ca = bb_egress_ca_new("bench upstream CA", NULL);
    pem = bb_egress_ca_get_cert_pem(stub->ca);
    stub->ca_file = g_build_filename(dir, "upstream-ca.pem", NULL);
    g_file_set_contents(stub->ca_file, pem, -1, NULL);
    stub->ctx = SSL_CTX_new(TLS_server_method());
    leaf = bb_egress_ca_get_leaf(stub->ca, "localhost", NULL);
    SSL_CTX_use_certificate(stub->ctx, leaf);
    SSL_CTX_use_PrivateKey(stub->ctx, bb_egress_ca_get_leaf_key(stub->ca));
    X509_free(leaf);
    stub->fd = listen_any(&stub->port);
    g_thread_unref(g_thread_new("stub-accept", stub_accept, stub));
}

/* ---------- load client ---------- */

typedef struct {
    guint16 proxy_port; /* 0 = talk to the upstream directly */
    guint16 upstream_port;
    SSL_CTX *ctx;
    gboolean new_conn_each_request;
    gint64 deadline;
    guint64 requests;
    GArray *latencies_ns; /* gint64, when non-NULL */
    guint64 errors;
} Load;

static gint64
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gint
tcp_to(guint16 port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    gint fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    gint one = 1;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static SSL *
open_session(Load *load)
{
    gint fd = tcp_to(load->proxy_port != 0 ? load->proxy_port : load->upstream_port);
    SSL *ssl;
    if (fd < 0)
        return NULL;
    if (load->proxy_port != 0) {
        gchar req[128];
        gchar resp[512];
        gsize have = 0;
        gint n = g_snprintf(req, sizeof(req),
                            "CONNECT localhost:%u HTTP/1.1\r\nHost: localhost:%u\r\n\r\n",
                            load->upstream_port, load->upstream_port);
        if (write(fd, req, (gsize)n) != n) {
            close(fd);
            return NULL;
        }
        while (have < sizeof(resp) - 1 && memmem(resp, have, "\r\n\r\n", 4) == NULL) {
            gssize r = read(fd, resp + have, sizeof(resp) - 1 - have);
            if (r <= 0) {
                close(fd);
                return NULL;
            }
            have += (gsize)r;
        }
        if (have < 12 || memcmp(resp + 9, "200", 3) != 0) {
            close(fd);
            return NULL;
        }
    }
    ssl = SSL_new(load->ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    if (SSL_connect(ssl) != 1) {
        close(fd);
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    return ssl;
}

static void
close_session(SSL *ssl)
{
    gint fd = SSL_get_fd(ssl);
    SSL_free(ssl);
    close(fd);
}

/* One GET, reads the whole response (Content-Length framing). */
static gboolean
one_request(SSL *ssl, guint16 upstream_port)
{
    gchar req[256];
    gchar buf[8192];
    gsize have = 0;
    gint n = g_snprintf(req, sizeof(req),
                        "GET /v1/models HTTP/1.1\r\nHost: localhost:%u\r\n"
                        "Authorization: Bearer agent-token\r\nAccept: */*\r\n\r\n",
                        upstream_port);
    if (SSL_write(ssl, req, n) != n)
        return FALSE;
    for (;;) {
        gchar *end, *cl;
        gint r = SSL_read(ssl, buf + have, (gint)(sizeof(buf) - 1 - have));
        if (r <= 0)
            return FALSE;
        have += (gsize)r;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        cl = strcasestr(buf, "content-length:");
        if (cl != NULL && cl < end) {
            gsize body = strtoul(cl + 15, NULL, 10);
            gsize need = (gsize)(end - buf) + 4 + body;
            if (have >= need) {
                if (memcmp(buf + 9, "200", 3) != 0)
                    return FALSE;
                return TRUE;
            }
        }
    }
}

static gpointer
load_thread(gpointer data)
{
    Load *load = data;
    SSL *ssl = NULL;
    while (now_ns() < load->deadline) {
        gint64 t0;
        if (ssl == NULL && (ssl = open_session(load)) == NULL) {
            load->errors++;
            g_usleep(1000);
            continue;
        }
        t0 = now_ns();
        if (!one_request(ssl, load->upstream_port)) {
            load->errors++;
            close_session(ssl);
            ssl = NULL;
            continue;
        }
        if (load->latencies_ns != NULL) {
            gint64 dt = now_ns() - t0;
            g_array_append_val(load->latencies_ns, dt);
        }
        load->requests++;
        if (load->new_conn_each_request) {
            close_session(ssl);
            ssl = NULL;
        }
    }
    if (ssl != NULL)
        close_session(ssl);
    return NULL;
}

typedef struct {
    gdouble per_second;
    gdouble p50_us;
    gdouble p99_us;
    gdouble cpu_s; /* proxy CPU seconds used during the run */
    guint64 errors;
} LoadResult;

static gdouble
proc_cpu_seconds(GPid pid)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree gchar *data = NULL;
    gchar *p;
    gulong utime = 0, stime = 0;
    if (pid <= 0 || !g_file_get_contents(path, &data, NULL, NULL))
        return 0;
    p = strrchr(data, ')');
    /* fields 14 and 15 after the comm */
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return 0;
    return (gdouble)(utime + stime) / (gdouble)sysconf(_SC_CLK_TCK);
}

static gint
cmp_i64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

static LoadResult
run_load(guint16 proxy_port, guint16 upstream_port, SSL_CTX *ctx, guint threads, gboolean new_conns,
         gboolean latencies, GPid proxy_pid)
{
    Load loads[64];
    GThread *ts[64];
    LoadResult res = {0};
    gint64 start = now_ns();
    gdouble cpu0 = proc_cpu_seconds(proxy_pid);
    g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(gint64));
    guint64 total = 0;

    for (guint i = 0; i < threads; i++) {
        loads[i] = (Load){.proxy_port = proxy_port,
                          .upstream_port = upstream_port,
                          .ctx = ctx,
                          .new_conn_each_request = new_conns,
                          .deadline = start + (gint64)(duration_s * 1e9)};
        loads[i].latencies_ns = latencies ? g_array_new(FALSE, FALSE, sizeof(gint64)) : NULL;
        ts[i] = g_thread_new("load", load_thread, &loads[i]);
    }
    for (guint i = 0; i < threads; i++) {
        g_thread_join(ts[i]);
        total += loads[i].requests;
        res.errors += loads[i].errors;
        if (loads[i].latencies_ns != NULL) {
            g_array_append_vals(all, loads[i].latencies_ns->data, loads[i].latencies_ns->len);
            g_array_unref(loads[i].latencies_ns);
        }
    }
    res.per_second = (gdouble)total / ((gdouble)(now_ns() - start) / 1e9);
    res.cpu_s = proc_cpu_seconds(proxy_pid) - cpu0;
    if (all->len > 0) {
        g_array_sort(all, cmp_i64);
        res.p50_us = (gdouble)g_array_index(all, gint64, all->len / 2) / 1000.0;
        res.p99_us = (gdouble)g_array_index(all, gint64, (all->len * 99) / 100) / 1000.0;
    }
    return res;
}

/* ---------- proxies under test ---------- */

typedef struct {
    const gchar *name;
    GPid pid;
    guint16 port;
    SSL_CTX *ctx;
} Proxy;

static gboolean
wait_port(guint16 port, const gchar *file)
{
    for (guint i = 0; i < 300; i++) {
        gint fd = (file == NULL || g_file_test(file, G_FILE_TEST_EXISTS)) ? tcp_to(port) : -1;
        if (fd >= 0) {
            close(fd);
            return TRUE;
        }
        g_usleep(50000);
    }
    return FALSE;
}

static SSL_CTX *
client_ctx(const gchar *ca_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)
        g_error("cannot load %s", ca_file);
    /* Each new connection is a full handshake, like a new agent process. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return ctx;
}

static void
spawn_pinned(Proxy *p, GPtrArray *argv)
{
    g_autoptr(GError) error = NULL;
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_async(NULL, (gchar **)argv->pdata, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                       NULL, NULL, &p->pid, &error))
        g_error("spawn %s: %s", p->name, error->message);
}

/* taskset execs the proxy, so the pid we hold is the proxy's own. */
/* @dlp: every built-in detector on both directions (the routes' default,
 * PERFORMANCE.md's "allowlist + full DLP on"); else the allowlist only. */
static void
start_ours(Proxy *p, const gchar *sidecar, const gchar *dir, const Stub *stub, gboolean dlp)
{
    g_autofree gchar *routes = g_build_filename(dir, "routes.json", NULL);
    g_autofree gchar *secrets = g_build_filename(dir, "secrets.json", NULL);
    g_autofree gchar *ca = g_build_filename(dir, "ours-ca.pem", NULL);
    g_autofree gchar *json = g_strdup_printf(
        "{\"routes\":[{\"host\":\"localhost\",\"port\":%u,\"auth_scheme\":\"Bearer\","
        "\"token_ref\":\"BENCH_TOKEN\",\"matches\":[{\"paths\":[{\"type\":\"prefix\","
        "\"value\":\"/v1/\"}]}]%s}]}",
        stub->port, dlp ? "" : ",\"outbound\":{\"enabled\":false},\"inbound\":{\"enabled\":false}");
    g_autofree gchar *listen = NULL;
    g_autofree gchar *pin = g_strdup_printf("localhost:%u:127.0.0.1", stub->port);
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    p->name = "bot-bottle";
    p->port = free_port();
    listen = g_strdup_printf("127.0.0.1:%u", p->port);
    g_file_set_contents(routes, json, -1, NULL);
    g_file_set_contents(secrets, "{\"BENCH_TOKEN\": \"" TOKEN "\"}", -1, NULL);
    unlink(ca);
    for (const gchar *const *a =
             (const gchar *const[]){"taskset", "-c", "0", sidecar, "--bottle", "bench", "--routes",
                                    routes, "--secrets", secrets, "--ca-cert", ca, "--listen",
                                    listen, "--upstream-ca", stub->ca_file, "--resolve", pin, NULL};
         *a != NULL; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    spawn_pinned(p, argv);
    g_ptr_array_unref(argv);
    if (!wait_port(p->port, ca))
        g_error("bot-bottle proxy did not start");
    p->ctx = client_ctx(ca);
}

static void
start_mitm(Proxy *p, const gchar *mitmdump, const gchar *dir, const Stub *stub)
{
    g_autofree gchar *confdir = g_build_filename(dir, "mitm", NULL);
    g_autofree gchar *ca = g_build_filename(confdir, "mitmproxy-ca-cert.pem", NULL);
    g_autofree gchar *addon = g_build_filename(BENCH_SOURCE_DIR, "mitm-addon.py", NULL);
    g_autofree gchar *port = NULL;
    g_autofree gchar *trust = g_strdup_printf("ssl_verify_upstream_trusted_ca=%s", stub->ca_file);
    g_autofree gchar *conf = g_strdup_printf("confdir=%s", confdir);
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    p->name = "mitmproxy";
    p->port = free_port();
    port = g_strdup_printf("%u", p->port);
    for (const gchar *const *a =
             (const gchar *const[]){"taskset", "-c", "0", mitmdump, "-q", "--listen-host",
                                    "127.0.0.1", "-p", port, "-s", addon, "--set", trust, "--set",
                                    conf, NULL};
         *a != NULL; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    spawn_pinned(p, argv);
    g_ptr_array_unref(argv);
    if (!wait_port(p->port, ca))
        g_error("mitmproxy did not start");
    p->ctx = client_ctx(ca);
}

static void
stop_proxy(Proxy *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGTERM);
    waitpid(p->pid, NULL, 0);
    g_spawn_close_pid(p->pid);
    SSL_CTX_free(p->ctx);
    p->pid = 0;
}

static gulong
rss_kb(GPid pid, const gchar *field)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%d/status", pid);
    g_autofree gchar *data = NULL;
    gchar *p;
    if (!g_file_get_contents(path, &data, NULL, NULL) || (p = strstr(data, field)) == NULL)
        return 0;
    return strtoul(p + strlen(field), NULL, 10);
}

/* ---------- report ---------- */

typedef struct {
    gdouble v[RUNS];
    guint n;
} Series;

static gint
cmp_d(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return x < y ? -1 : x > y;
}

static gdouble
median(Series *s, gdouble *min, gdouble *max)
{
    gdouble sorted[RUNS];
    *min = *max = 0;
    if (s->n == 0)
        return 0;
    memcpy(sorted, s->v, sizeof(gdouble) * s->n);
    qsort(sorted, s->n, sizeof(gdouble), cmp_d);
    *min = sorted[0];
    *max = sorted[s->n - 1];
    return sorted[s->n / 2];
}

static void
row(const gchar *what, Series *ours, Series *peer, gboolean higher_better)
{
    gdouble omin, omax, pmin, pmax;
    gdouble o = median(ours, &omin, &omax), p = median(peer, &pmin, &pmax);
    gdouble ratio = higher_better ? (p > 0 ? o / p : 0) : (o > 0 ? p / o : 0);
    g_print("%-38s %10.1f (%.1f-%.1f)  %10.1f (%.1f-%.1f)  %7.1fx\n", what, o, omin, omax, p, pmin,
            pmax, ratio);
}

static void
add(Series *s, gdouble v)
{
    s->v[s->n++] = v;
}

enum { M_KA_RPS, M_KA_RPCPU, M_LAT50, M_LAT99, M_NEWCONN, M_NEWCONN_CPU, M_RSS, N_METRICS };

/* Keep-alive throughput only (the DLP-off comparison row). */
static void
measure_keepalive(Proxy *p, const Stub *stub, Series *m)
{
    LoadResult ka;
    run_load(p->port, stub->port, p->ctx, 1, FALSE, FALSE, 0);
    ka = run_load(p->port, stub->port, p->ctx, 8, FALSE, FALSE, p->pid);
    add(&m[M_KA_RPS], ka.per_second);
    add(&m[M_KA_RPCPU], ka.cpu_s > 0 ? ka.per_second * duration_s / ka.cpu_s : 0);
}

static void
measure(Proxy *p, const Stub *stub, Series *m, gdouble direct_p50, gdouble direct_p99)
{
    LoadResult ka = {0}, lat = {0}, nc = {0};
    const gchar *only = g_getenv("BENCH_ONLY"); /* keepalive, latency or newconn */
    /* warm-up: mint, upstream handshake, pool */
    run_load(p->port, stub->port, p->ctx, 1, FALSE, FALSE, 0);
    if (only == NULL || g_strcmp0(only, "keepalive") == 0)
        ka = run_load(p->port, stub->port, p->ctx, 8, FALSE, FALSE, p->pid);
    if (only == NULL || g_strcmp0(only, "latency") == 0)
        lat = run_load(p->port, stub->port, p->ctx, 1, FALSE, TRUE, 0);
    if (only == NULL || g_strcmp0(only, "newconn") == 0)
        nc = run_load(p->port, stub->port, p->ctx, 4, TRUE, FALSE, p->pid);
    add(&m[M_KA_RPS], ka.per_second);
    add(&m[M_KA_RPCPU], ka.cpu_s > 0 ? ka.per_second * duration_s / ka.cpu_s : 0);
    add(&m[M_LAT50], MAX(lat.p50_us - direct_p50, 0));
    add(&m[M_LAT99], MAX(lat.p99_us - direct_p99, 0));
    add(&m[M_NEWCONN], nc.per_second);
    add(&m[M_NEWCONN_CPU], nc.cpu_s > 0 ? nc.per_second * duration_s / nc.cpu_s : 0);
    add(&m[M_RSS], (gdouble)rss_kb(p->pid, "VmHWM:") / 1024.0);
    if (ka.errors + lat.errors + nc.errors > 0)
        g_printerr("%s: %" G_GUINT64_FORMAT " errors\n", p->name,
                   ka.errors + lat.errors + nc.errors);
}

/* The straightforward OpenSSL 3.0 way, as the peer: a fresh provider
 * key per leaf, extensions from config strings, X509_sign(). */
static X509 *
naive_mint(BbEgressCa *ca, EVP_PKEY *ca_key, const gchar *host)
{
    g_autofree gchar *san = g_strconcat("DNS:", host, NULL);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    X509 *issuer = bb_egress_ca_get_cert(ca);
    X509V3_CTX v3;
    const gchar *exts[][2] = {{"subjectAltName", san},
                              {"extendedKeyUsage", "serverAuth"},
                              {"authorityKeyIdentifier", "keyid:always"}};
    ASN1_INTEGER_set(X509_get_serialNumber(cert), g_random_int());
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                               (const guchar *)host, -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(issuer));
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    for (guint i = 0; i < G_N_ELEMENTS(exts); i++) {
        X509_EXTENSION *ext = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(cert, ca_key, EVP_sha256());
    EVP_PKEY_free(key);
    return cert;
}

static void
bench_mint(void)
{
    g_autoptr(BbEgressCa) ca = bb_egress_ca_new("mint bench", NULL);
    EVP_PKEY *naive_ca_key = EVP_EC_gen("P-256");
    const guint n = 2000;
    gint64 t0 = now_ns();
    gdouble ours, naive;
    for (guint i = 0; i < n; i++) {
        g_autofree gchar *host = g_strdup_printf("host%u.example.com", i);
        X509_free(bb_egress_ca_mint_leaf(ca, host, NULL));
    }
    ours = (gdouble)(now_ns() - t0) / n / 1000.0;
    t0 = now_ns();
    for (guint i = 0; i < n / 4; i++) {
        g_autofree gchar *host = g_strdup_printf("naive%u.example.com", i);
        X509_free(naive_mint(ca, naive_ca_key, host));
    }
    naive = (gdouble)(now_ns() - t0) / (n / 4) / 1000.0;
    EVP_PKEY_free(naive_ca_key);
    g_print("%-38s %10.1f              %10.1f              %7.1fx\n",
            "leaf mint, cache miss (us; peer=naive)", ours, naive, naive / ours);
}

gint
main(gint argc, gchar **argv)
{
    g_autofree gchar *dir = g_dir_make_tmp("bb-bench-XXXXXX", NULL);
    const gchar *mitmdump = argc > 2 ? argv[2] : "mitmdump";
    g_autofree gchar *mitm_path = g_find_program_in_path(mitmdump);
    Stub stub = {0};
    Series ours[N_METRICS] = {0}, peer[N_METRICS] = {0}, nodlp[N_METRICS] = {0};
    SSL_CTX *direct_ctx;
    LoadResult direct;
    cpu_set_t set;

    if (g_getenv("BENCH_MINT_ONLY") != NULL) {
        bench_mint();
        return 0;
    }
    if (argc < 2) {
        g_printerr("usage: %s SIDECAR [MITMDUMP]\n", argv[0]);
        return 2;
    }
    if (g_getenv("BENCH_SECONDS") != NULL)
        duration_s = g_ascii_strtod(g_getenv("BENCH_SECONDS"), NULL);
    signal(SIGPIPE, SIG_IGN);
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        g_printerr("warning: cannot pin the load client to CPU 1\n");
    stub_start(&stub, dir);
    direct_ctx = client_ctx(stub.ca_file);
    direct = run_load(0, stub.port, direct_ctx, 1, FALSE, TRUE, 0);
    g_print("direct to upstream, 1 connection: p50 %.1f us, p99 %.1f us\n", direct.p50_us,
            direct.p99_us);
    if (g_getenv("BENCH_NO_PEER") != NULL)
        g_clear_pointer(&mitm_path, g_free);
    else if (mitm_path == NULL)
        g_printerr("warning: %s not found; the peer column stays empty\n", mitmdump);
    for (guint run = 0; run < RUNS; run++) {
        Proxy a = {0}, b = {0};
        /* the baseline drifts with the machine's load: re-measure it */
        if (run > 0)
            direct = run_load(0, stub.port, direct_ctx, 1, FALSE, TRUE, 0);
        start_ours(&a, argv[1], dir, &stub, TRUE);
        measure(&a, &stub, ours, direct.p50_us, direct.p99_us);
        stop_proxy(&a);
        if (g_getenv("BENCH_ONLY") == NULL || g_strcmp0(g_getenv("BENCH_ONLY"), "keepalive") == 0) {
            Proxy c = {0};
            start_ours(&c, argv[1], dir, &stub, FALSE);
            measure_keepalive(&c, &stub, nodlp);
            stop_proxy(&c);
        }
        if (mitm_path != NULL) {
            start_mitm(&b, mitm_path, dir, &stub);
            measure(&b, &stub, peer, direct.p50_us, direct.p99_us);
            stop_proxy(&b);
        }
        g_printerr("run %u/%u done\n", run + 1, RUNS);
    }
    g_print("\n%-38s %-24s %-24s %s\n", "metric (median (min-max))", "bot-bottle", "mitmproxy",
            "ratio");
    g_print("(bot-bottle: allowlist + full DLP on, every built-in detector both ways)\n");
    row("keep-alive req/s (8 conns, 1 core)", &ours[M_KA_RPS], &peer[M_KA_RPS], TRUE);
    row("keep-alive req per proxy CPU-second", &ours[M_KA_RPCPU], &peer[M_KA_RPCPU], TRUE);
    if (nodlp[M_KA_RPS].n > 0) {
        row("  same, DLP off: req/s", &nodlp[M_KA_RPS], &peer[M_KA_RPS], TRUE);
        row("  same, DLP off: req per CPU-second", &nodlp[M_KA_RPCPU], &peer[M_KA_RPCPU], TRUE);
    }
    row("added latency p50, 1 conn (us)", &ours[M_LAT50], &peer[M_LAT50], FALSE);
    row("added latency p99, 1 conn (us)", &ours[M_LAT99], &peer[M_LAT99], FALSE);
    row("new bumped connections/s", &ours[M_NEWCONN], &peer[M_NEWCONN], TRUE);
    row("new bumped conns per proxy CPU-second", &ours[M_NEWCONN_CPU], &peer[M_NEWCONN_CPU], TRUE);
    row("peak RSS (MiB)", &ours[M_RSS], &peer[M_RSS], FALSE);
    bench_mint();
    return 0;
}
