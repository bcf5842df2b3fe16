/* End-to-end: `bot-bottle proxy AGENT` from a real manifest and the
 * bb-sidecar binary, driven with curl against the fixture upstream.
 * The "done when" of the proxy issue: an allowed request carries the
 * injected token (not the agent's), refused ones never reach the
 * upstream, and the sidecar reloads routes on SIGHUP. */
#include <arpa/inet.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bb-test-upstream.h"

#define SECRET "cli-s3cret-value-42"

static BbTestUpstream *upstream;

static guint16
free_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    gint fd = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    getsockname(fd, (struct sockaddr *)&sin, &len);
    close(fd);
    return ntohs(sin.sin_port);
}

static void
write_file(const gchar *path, const gchar *contents)
{
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, contents, -1, NULL));
}

typedef struct {
    gint status;
    gchar *out;
    gchar *err;
} Curl;

static void
curl_free(Curl *c)
{
    g_free(c->out);
    g_free(c->err);
    g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Curl, curl_free)

/* curl through the proxy; -w appends the status code on its own line. */
static Curl *
curl(guint16 proxy_port, const gchar *ca, const gchar *url)
{
    g_autofree gchar *proxy = g_strdup_printf("http://127.0.0.1:%u", proxy_port);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) p =
        g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                         "curl", "-sS", "--max-time", "10", "--proxy", proxy, "--cacert", ca, "-H",
                         "Authorization: Bearer agent-token", "-w", "\n%{http_code}", url, NULL);
    Curl *c = g_new0(Curl, 1);
    g_assert_no_error(error);
    g_subprocess_communicate_utf8(p, NULL, NULL, &c->out, &c->err, &error);
    g_assert_no_error(error);
    c->status = g_subprocess_get_exit_status(p);
    return c;
}

/* Starts @argv and waits for its ready line on stdout. */
static GSubprocess *
start_ready(const gchar *const *argv, GSubprocessLauncher *launcher)
{
    g_autoptr(GError) error = NULL;
    GSubprocess *p = g_subprocess_launcher_spawnv(launcher, argv, &error);
    g_autoptr(GDataInputStream) lines = NULL;
    g_autofree gchar *line = NULL;
    g_assert_no_error(error);
    lines = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
    line = g_data_input_stream_read_line(lines, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(line);
    g_assert_nonnull(strstr(line, "ready on port"));
    return p;
}

static void
stop(GSubprocess *p)
{
    g_subprocess_send_signal(p, SIGTERM);
    g_assert_true(g_subprocess_wait(p, NULL, NULL));
}

static void
test_cli_proxy(void)
{
    guint up = bb_test_upstream_get_port(upstream);
    guint16 port = free_port();
    g_autofree gchar *home = g_strdup(g_get_home_dir());
    g_autofree gchar *bottle = g_build_filename(home, ".bot-bottle/bottles/web.md", NULL);
    g_autofree gchar *agent = g_build_filename(home, ".bot-bottle/agents/tester.md", NULL);
    g_autofree gchar *ca = g_build_filename(home, "bottle-ca.pem", NULL);
    g_autofree gchar *manifest = g_strdup_printf(
        "---\nagent_provider:\n  template: shell\negress:\n  routes:\n"
        "    - host: api.test\n      port: %u\n      auth:\n        scheme: Bearer\n"
        "        token_ref: BB_PROXY_TEST_TOKEN\n      matches:\n        - paths:\n"
        "            - type: prefix\n              value: /v1/\n          methods: [GET]\n"
        "---\nA web bottle.\n",
        up);
    g_autofree gchar *listen = g_strdup_printf("127.0.0.1:%u", port);
    g_autofree gchar *pin = g_strdup_printf("api.test:%u:127.0.0.1", up);
    g_autofree gchar *evil_pin = g_strdup_printf("evil.test:%u:127.0.0.1", up);
    g_autofree gchar *ok_url = g_strdup_printf("https://api.test:%u/v1/models", up);
    g_autofree gchar *bad_path = g_strdup_printf("https://api.test:%u/admin", up);
    g_autofree gchar *bad_host = g_strdup_printf("https://evil.test:%u/v1/models", up);
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    const gchar *argv[] = {g_getenv("BOT_BOTTLE_CLI"),
                           "proxy",
                           "tester",
                           "--listen",
                           listen,
                           "--ca-cert",
                           ca,
                           "--upstream-ca",
                           bb_test_upstream_get_ca_file(upstream),
                           "--resolve",
                           pin,
                           "--resolve",
                           evil_pin,
                           NULL};
    g_autoptr(GSubprocess) proxy = NULL;
    g_autoptr(Curl) ok = NULL;
    g_autoptr(Curl) path = NULL;
    g_autoptr(Curl) host = NULL;
    BbTestRequest *seen;

    write_file(bottle, manifest);
    write_file(agent, "---\nbottle: web\n---\nYou test.\n");
    g_subprocess_launcher_setenv(launcher, "BB_PROXY_TEST_TOKEN", SECRET, TRUE);
    g_subprocess_launcher_setenv(launcher, "HOME", home, TRUE);
    g_subprocess_launcher_unsetenv(launcher, "BOT_BOTTLE_CONFIG_DIR");
    g_subprocess_launcher_set_cwd(launcher, home);
    proxy = start_ready(argv, launcher);
    bb_test_upstream_reset(upstream);

    ok = curl(port, ca, ok_url);
    g_assert_cmpint(ok->status, ==, 0);
    g_assert_true(g_str_has_suffix(ok->out, "\n200"));
    g_assert_cmpuint(bb_test_upstream_count(upstream), ==, 1);
    seen = bb_test_upstream_get(upstream, 0);
    g_assert_nonnull(strstr(seen->head, "Authorization: Bearer " SECRET "\r\n"));
    g_assert_null(strstr(seen->head, "agent-token"));

    path = curl(port, ca, bad_path);
    g_assert_true(g_str_has_suffix(path->out, "\n403"));
    g_assert_nonnull(strstr(path->out, "ask the operator"));
    host = curl(port, ca, bad_host);
    g_assert_true(g_str_has_suffix(host->out, "\n403"));
    g_assert_nonnull(strstr(host->out, "evil.test"));
    g_assert_cmpuint(bb_test_upstream_count(upstream), ==, 1);
    g_assert_cmpuint(bb_test_upstream_connections(upstream), ==, 1);
    stop(proxy);
}

static void
test_sidecar_reload_and_dns(void)
{
    guint up = bb_test_upstream_get_port(upstream);
    guint16 port = free_port();
    guint16 dns_port = free_port();
    g_autofree gchar *dir = g_dir_make_tmp("bb-sidecar-XXXXXX", NULL);
    g_autofree gchar *routes = g_build_filename(dir, "routes.json", NULL);
    g_autofree gchar *secrets = g_build_filename(dir, "secrets.json", NULL);
    g_autofree gchar *ca = g_build_filename(dir, "ca.pem", NULL);
    g_autofree gchar *audit = g_build_filename(dir, "audit.log", NULL);
    g_autofree gchar *one = g_strdup_printf(
        "{\"routes\":[{\"host\":\"api.test\",\"port\":%u,\"auth_scheme\":\"Bearer\","
        "\"token_ref\":\"TOK\"}]}",
        up);
    g_autofree gchar *two = g_strdup_printf(
        "{\"routes\":[{\"host\":\"api.test\",\"port\":%u,\"auth_scheme\":\"Bearer\","
        "\"token_ref\":\"TOK\"},{\"host\":\"new.test\",\"port\":%u}]}",
        up, up);
    g_autofree gchar *listen = g_strdup_printf("127.0.0.1:%u", port);
    g_autofree gchar *dns = g_strdup_printf("127.0.0.1:%u", dns_port);
    g_autofree gchar *pin1 = g_strdup_printf("api.test:%u:127.0.0.1", up);
    g_autofree gchar *pin2 = g_strdup_printf("new.test:%u:127.0.0.1", up);
    g_autofree gchar *new_url = g_strdup_printf("https://new.test:%u/x", up);
    g_autofree gchar *api_url = g_strdup_printf("https://api.test:%u/x", up);
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    const gchar *argv[] = {g_getenv("BB_SIDECAR"),
                           "--bottle",
                           "web",
                           "--routes",
                           routes,
                           "--secrets",
                           secrets,
                           "--listen",
                           listen,
                           "--ca-cert",
                           ca,
                           "--upstream-ca",
                           bb_test_upstream_get_ca_file(upstream),
                           "--resolve",
                           pin1,
                           "--resolve",
                           pin2,
                           "--audit",
                           audit,
                           "--dns",
                           dns,
                           "--dns-answer",
                           "10.1.2.3",
                           NULL};
    g_autoptr(GSubprocess) sidecar = NULL;
    g_autoptr(Curl) before = NULL;
    g_autoptr(Curl) after = NULL;
    g_autoptr(Curl) api = NULL;
    g_autofree gchar *log = NULL;
    g_autoptr(GError) error = NULL;

    write_file(routes, one);
    write_file(secrets, "{\"TOK\": \"" SECRET "\"}");
    sidecar = start_ready(argv, launcher);
    before = curl(port, ca, new_url);
    g_assert_true(g_str_has_suffix(before->out, "\n403"));
    write_file(routes, two);
    g_subprocess_send_signal(sidecar, SIGHUP);
    for (guint i = 0; i < 50; i++) {
        g_clear_pointer(&after, curl_free);
        after = curl(port, ca, new_url);
        if (g_str_has_suffix(after->out, "\n200"))
            break;
        g_usleep(100000);
    }
    g_assert_true(g_str_has_suffix(after->out, "\n200"));
    api = curl(port, ca, api_url);
    g_assert_true(g_str_has_suffix(api->out, "\n200"));
    g_assert_true(g_file_get_contents(audit, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "\"host\":\"new.test\""));
    g_assert_null(strstr(log, SECRET));

    /* DNS: allowed names get the sidecar's address, nothing else resolves. */
    {
        g_autofree gchar *at = g_strdup_printf("-p%u", dns_port);
        const gchar *const names[] = {"api.test", "evil.test"};
        for (guint i = 0; i < 2; i++) {
            g_autoptr(GSubprocess) p = g_subprocess_new(
                G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                "python3", "-c",
                "import socket,sys,struct\n"
                "n=sys.argv[1];p=int(sys.argv[2])\n"
                "q=b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00'+b''.join("
                "bytes([len(l)])+l.encode() for l in n.split('.'))+b'\\x00\\x00\\x01\\x00\\x01'\n"
                "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(3)\n"
                "s.sendto(q,('127.0.0.1',p));r=s.recv(512)\n"
                "print(r[3]&15, '.'.join(str(b) for b in r[-4:]) if r[7] else '-')\n",
                names[i], at + 2, NULL);
            g_autofree gchar *out = NULL;
            g_assert_no_error(error);
            g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error);
            g_assert_no_error(error);
            g_assert_cmpstr(out, ==, i == 0 ? "0 10.1.2.3\n" : "3 -\n");
        }
    }
    stop(sidecar);
}

gint
main(gint argc, gchar **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    upstream = bb_test_upstream_new(TRUE, SECRET);
    g_test_add_func("/proxy/cli/curl", test_cli_proxy);
    g_test_add_func("/proxy/sidecar/reload-dns", test_sidecar_reload_and_dns);
    return g_test_run();
}
