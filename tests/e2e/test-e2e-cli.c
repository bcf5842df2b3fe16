/* The "done when", through the built bot-bottle CLI on the real
 * engine: `run` of a shell agent reaches an allowed fixture host through
 * the proxy with the injected token (seen at the upstream), gets 403
 * elsewhere, reaches nothing directly (IP, DNS, gateway, another bottle),
 * holds only the placeholder, and the real secret shows up nowhere; exit
 * codes propagate; start's preflight, signals, SIGKILL + cleanup, commit
 * and resume. Every attack is judged at its destination with a control. */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bb-agent-provider.h"
#include "bb-docker-bottle.h"
#include "docker-e2e-fixture.h"

#define TOKEN_NAME "BB_E2E_TOKEN"
#define ALLOWED "api.fixture.test"
#define OTHER "other.fixture.test"
#define WAIT_STEPS 300 /* × 100 ms */
/* Agent names carry our pid: bottles are found by their agent label, and
 * another run of this test may share the engine. */
#define AGENT(role) agent_name(role)

static const gchar *
agent_name(const gchar *role)
{
    g_autofree gchar *name = g_strdup_printf("e2e%d-%s", (int)getpid(), role);
    return g_intern_string(name);
}

static BbE2e *e2e;
static gchar *token;
static gchar *ca_path;
static gchar *pins[4];
static GSocketService *host_listener;
static guint16 host_port;
static GString *host_seen; /* what reached the host listener */
static gchar *cli_home;    /* the CLI's $HOME, shared by every case */

typedef struct {
    gint status;
    gchar *out;
    gchar *err;
    gboolean timed_out; /* killed by cli_finish_within */
} CliRun;

static void
cli_run_free(CliRun *run)
{
    g_free(run->out);
    g_free(run->err);
    g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliRun, cli_run_free)

/* A test that aborts must not leave sessions behind: the CLI gets
 * SIGTERM (and tears its bottle down) when we die. */
static void
cli_child_setup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *
cli_launcher(gboolean with_secret, GSubprocessFlags flags)
{
    GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);
    g_subprocess_launcher_setenv(launcher, "HOME", cli_home, TRUE);
    g_subprocess_launcher_setenv(launcher, "NO_COLOR", "1", TRUE);
    g_subprocess_launcher_setenv(launcher, "BOT_BOTTLE_SIDECAR", g_getenv("BB_TEST_SIDECAR"), TRUE);
    g_subprocess_launcher_unsetenv(launcher, "BOT_BOTTLE_BACKEND");
    if (with_secret)
        g_subprocess_launcher_setenv(launcher, TOKEN_NAME, token, TRUE);
    else
        g_subprocess_launcher_unsetenv(launcher, TOKEN_NAME);
    g_subprocess_launcher_set_cwd(launcher, cli_home);
    g_subprocess_launcher_set_child_setup(launcher, cli_child_setup, NULL, NULL);
    return launcher;
}

/* argv after "bot-bottle"; the pins and upstream CA are added for start/run. */
static GPtrArray *
cli_argv(const gchar *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)g_getenv("BOT_BOTTLE_CLI"));
    g_ptr_array_add(argv, (gpointer)args[0]);
    if (g_str_equal(args[0], "run") || g_str_equal(args[0], "start") ||
        g_str_equal(args[0], "resume")) {
        for (guint i = 0; pins[i] != NULL; i++) {
            g_ptr_array_add(argv, "--resolve");
            g_ptr_array_add(argv, pins[i]);
        }
        g_ptr_array_add(argv, "--upstream-ca");
        g_ptr_array_add(argv, ca_path);
    }
    for (guint i = 1; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    return argv;
}

static GSubprocess *
cli_spawn(gboolean with_secret, GSubprocessFlags flags, const gchar *const *args)
{
    g_autoptr(GSubprocessLauncher) launcher = cli_launcher(with_secret, flags);
    g_autoptr(GPtrArray) argv = cli_argv(args);
    g_autoptr(GError) error = NULL;
    GSubprocess *process =
        g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
    g_assert_no_error(error);
    return process;
}

static CliRun *
cli_finish(GSubprocess *process, const gchar *input)
{
    g_autoptr(GError) error = NULL;
    CliRun *run = g_new0(CliRun, 1);
    g_subprocess_communicate_utf8(process, input, NULL, &run->out, &run->err, &error);
    g_assert_no_error(error);
    run->status = g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process)
                                                      : 128 + g_subprocess_get_term_sig(process);
    g_test_message("exit %d\nstdout:\n%s\nstderr:\n%s", run->status, run->out, run->err);
    return run;
}

typedef struct {
    gboolean finished;
    gchar *out;
    gchar *err;
    GError *error;
} Communicated;

static void
communicated(GObject *source, GAsyncResult *result, gpointer data)
{
    Communicated *done = data;
    g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &done->out, &done->err,
                                         &done->error);
    done->finished = TRUE;
}

static gboolean
set_flag(gpointer flag)
{
    *(gboolean *)flag = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the context until @done finishes or @seconds pass. */
static gboolean
communicate_within(GMainContext *context, Communicated *done, guint seconds)
{
    gboolean expired = FALSE;
    GSource *timer = g_timeout_source_new_seconds(seconds);
    g_source_set_callback(timer, set_flag, &expired, NULL);
    g_source_attach(timer, context);
    while (!done->finished && !expired)
        g_main_context_iteration(context, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    return done->finished;
}

/* cli_finish with a bound: a CLI still running after @seconds gets
 * SIGTERM (it tears its bottle down), then SIGKILL, and is marked. */
static CliRun *
cli_finish_within(GSubprocess *process, const gchar *input, guint seconds)
{
    g_autoptr(GMainContext) context = g_main_context_new();
    g_main_context_push_thread_default(context);
    Communicated done = {0};
    g_subprocess_communicate_utf8_async(process, input, NULL, communicated, &done);
    CliRun *run = g_new0(CliRun, 1);
    if (!communicate_within(context, &done, seconds)) {
        run->timed_out = TRUE;
        g_subprocess_send_signal(process, SIGTERM);
        if (!communicate_within(context, &done, 30)) {
            g_subprocess_force_exit(process);
            communicate_within(context, &done, 30);
        }
    }
    g_main_context_pop_thread_default(context);
    g_assert_true(done.finished);
    g_assert_no_error(done.error);
    run->out = done.out;
    run->err = done.err;
    run->status = g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process)
                                                      : 128 + g_subprocess_get_term_sig(process);
    g_test_message("exit %d%s\nstdout:\n%s\nstderr:\n%s", run->status,
                   run->timed_out ? " (timed out)" : "", run->out, run->err);
    return run;
}

static CliRun *
cli(gboolean with_secret, const gchar *const *args)
{
    g_autoptr(GSubprocess) process = cli_spawn(
        with_secret, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, args);
    return cli_finish(process, NULL);
}

/* The containers of @agent's bottles, optionally only @role ones. */
static JsonArray *
containers_of(const gchar *agent)
{
    g_autoptr(GError) error = NULL;
    JsonArray *list = bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_AGENT, agent, &error);
    g_assert_no_error(error);
    return list;
}

static const gchar *
label_of(JsonObject *container, const gchar *label)
{
    JsonObject *labels = json_object_get_object_member(container, "Labels");
    return json_object_get_string_member_with_default(labels, label, NULL);
}

/* Waits for @agent's @role container to run; returns its id. */
static gchar *
wait_for(const gchar *agent, const gchar *role)
{
    for (guint i = 0; i < WAIT_STEPS; i++) {
        g_autoptr(JsonArray) list = containers_of(agent);
        for (guint j = 0; j < json_array_get_length(list); j++) {
            JsonObject *container = json_array_get_object_element(list, j);
            if (g_strcmp0(label_of(container, BB_DOCKER_LABEL_ROLE), role) == 0 &&
                g_strcmp0(json_object_get_string_member(container, "State"), "running") == 0)
                return g_strdup(json_object_get_string_member(container, "Id"));
        }
        g_usleep(100 * 1000);
    }
    g_error("no running %s container for %s", role, agent);
}

/* Nothing labelled with @slug is left: containers, networks, volumes. */
static void
assert_nothing_left(const gchar *slug)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    g_autoptr(JsonArray) networks =
        bb_docker_network_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    g_autoptr(JsonArray) volumes =
        bb_docker_volume_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(json_array_get_length(containers), ==, 0);
    g_assert_cmpuint(json_array_get_length(networks), ==, 0);
    g_assert_cmpuint(json_array_get_length(volumes), ==, 0);
}

static gchar *
slug_of(const gchar *container_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) info = bb_docker_container_inspect(e2e->client, container_id, &error);
    g_assert_no_error(error);
    JsonObject *config = json_object_get_object_member(info, "Config");
    return g_strdup(label_of(config, BB_DOCKER_LABEL_SLUG));
}

static gchar *
inspect_text(const gchar *container_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) info = bb_docker_container_inspect(e2e->client, container_id, &error);
    g_assert_no_error(error);
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), info);
    return json_to_string(node, FALSE);
}

/* ---- the shared `run` of the network checks ---- */

static CliRun *net_run;
static gchar *net_marker;
static gchar *net_inspect; /* docker inspect of the bottle's containers */
static gchar *peer_sidecar_ip;
static gint peer_control;

static gchar *
net_script(const gchar *m, const gchar *gateway)
{
    return g_strdup_printf(
        /* The test joins the sidecar to the fake internet after launch. */
        "for i in $(seq 150); do test \"$(curl -s -o /dev/null -w '%%{http_code}' --max-time 2 "
        "https://" ALLOWED "/ready)\" = 200 && break; sleep 0.2; done\n"
        "echo allowed=$(curl -sS -o /dev/null -w '%%{http_code}' --max-time 10 "
        "-H \"Authorization: Bearer $" TOKEN_NAME "\" https://" ALLOWED "/%s-allowed)\n"
        "echo other=$(curl -s -o /dev/null -w '%%{http_code}' --max-time 10 "
        "http://" OTHER "/%s-other)\n"
        "echo other_tls=$(curl -s -o /dev/null -w '%%{http_code}' --max-time 10 "
        "https://" OTHER "/%s-othertls)\n"
        "curl --noproxy '*' -s -o /dev/null --max-time 4 http://%s/%s-direct; echo direct=$?\n"
        "dig +short +time=2 +tries=1 @%s %s-dns.fixture.test >/dev/null 2>&1; echo dns=$?\n"
        "getent hosts %s-resolve.fixture.test >/dev/null; echo resolve=$?\n"
        "curl --noproxy '*' -s -o /dev/null --max-time 4 http://%s:%u/%s-gateway; "
        "echo gateway=$?\n"
        "gw=$(ip route | awk '/^default/ {print $3}'); "
        "if [ -n \"$gw\" ]; then curl --noproxy '*' -s -o /dev/null --max-time 4 "
        "http://$gw:%u/%s-own-gateway; echo own_gateway=$?; else echo own_gateway=none; fi\n"
        "curl --noproxy '*' -s -o /dev/null --max-time 4 http://%s:9099/; echo peer=$?\n"
        "echo placeholder=$(printenv " TOKEN_NAME ")\n"
        "printenv; cat /proc/self/environ /proc/1/environ 2>/dev/null | tr '\\0' '\\n'\n",
        m, m, m, e2e->fixture_ip, m, e2e->fixture_ip, m, m, gateway, host_port, m, host_port, m,
        peer_sidecar_ip);
}

static gchar *
internet_gateway(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *pid = g_strdup_printf("%d", (int)getpid());
    g_autoptr(JsonArray) networks =
        bb_docker_network_list(e2e->client, "bot-bottle.test", pid, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < json_array_get_length(networks); i++) {
        JsonObject *net = json_array_get_object_element(networks, i);
        if (!g_str_equal(json_object_get_string_member(net, "Name"), e2e->internet))
            continue;
        JsonObject *ipam = json_object_get_object_member(net, "IPAM");
        JsonArray *config = json_object_get_array_member(ipam, "Config");
        return g_strdup(
            json_object_get_string_member(json_array_get_object_element(config, 0), "Gateway"));
    }
    g_error("no fake internet network");
}

/* A bottle (`start`) the network run tries to reach. Returns the start process. */
static GSubprocess *start_session(const gchar *agent, gchar **slug);

static GSubprocess *
start_peer(void)
{
    g_autofree gchar *slug = NULL;
    /* Fully up (provisioned) before we probe it. */
    GSubprocess *peer = start_session(AGENT("peer"), &slug);
    g_autofree gchar *sidecar = wait_for(AGENT("peer"), "sidecar");
    g_autofree gchar *agent = wait_for(AGENT("peer"), "agent");
    g_autofree gchar *internal = g_strdup_printf("bb-%s-internal", slug);
    g_autoptr(GError) error = NULL;
    peer_sidecar_ip = bb_docker_container_ip(e2e->client, sidecar, internal, &error);
    g_assert_no_error(error);
    /* Control: inside the peer, its sidecar's proxy port answers. */
    g_autofree gchar *script =
        g_strdup_printf("curl --noproxy '*' -s -o /dev/null --max-time 4 http://%s:9099/; echo $?",
                        peer_sidecar_ip);
    g_autofree gchar *out = NULL;
    bb_e2e_sh(e2e, agent, NULL, script, &out);
    peer_control = atoi(out);
    return peer;
}

static void
ensure_net_run(void)
{
    if (net_run != NULL)
        return;
    g_autoptr(GSubprocess) peer = start_peer();
    net_marker = bb_e2e_marker("cli");
    g_autofree gchar *gateway = internet_gateway();
    g_autofree gchar *script = net_script(net_marker, gateway);
    const gchar *args[] = {"run", AGENT("net"), "--", "sh", "-c", script, NULL};
    g_autoptr(GSubprocess) run =
        cli_spawn(TRUE, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, args);
    g_autofree gchar *sidecar = wait_for(AGENT("net"), "sidecar");
    g_autofree gchar *agent = wait_for(AGENT("net"), "agent");
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_network_connect(e2e->client, e2e->internet, sidecar, &error));
    g_assert_no_error(error);
    g_autofree gchar *sidecar_json = inspect_text(sidecar);
    g_autofree gchar *agent_json = inspect_text(agent);
    net_inspect = g_strconcat(sidecar_json, agent_json, NULL);
    net_run = cli_finish(run, NULL);
    /* The peer's session ends when its input does; it removes its bottle. */
    g_autoptr(CliRun) peer_done = cli_finish(peer, "exit\n");
    g_assert_cmpint(peer_done->status, ==, 0);
}

static gchar *
net_value(const gchar *key)
{
    g_autofree gchar *prefix = g_strdup_printf("%s=", key);
    g_auto(GStrv) lines = g_strsplit(net_run->out, "\n", -1);
    for (gchar **line = lines; *line != NULL; line++) {
        if (g_str_has_prefix(*line, prefix))
            return g_strdup(*line + strlen(prefix));
    }
    g_error("no %s in the run's output", key);
}

static gboolean
fixture_saw(const gchar *suffix)
{
    g_autofree gchar *needle = g_strdup_printf("%s-%s", net_marker, suffix);
    return bb_e2e_log_contains(e2e, e2e->fixture_id, needle);
}

static gchar *
token_hash(const gchar *value)
{
    g_autofree gchar *bearer = g_strdup_printf("Bearer %s", value);
    g_autofree gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, bearer, -1);
    return g_strdup_printf("sha256=%s", hash);
}

static void
test_allowed_with_injected_token(void)
{
    ensure_net_run();
    g_assert_cmpint(net_run->status, ==, 0);
    g_autofree gchar *code = net_value("allowed");
    g_assert_cmpstr(code, ==, "200");
    g_assert_true(fixture_saw("allowed"));
    g_autofree gchar *real = token_hash(token);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, real));
    g_autofree gchar *fake = token_hash(BB_PLACEHOLDER_TOKEN);
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, fake));
}

static void
test_other_host_refused(void)
{
    ensure_net_run();
    g_autofree gchar *plain = net_value("other");
    g_autofree gchar *tls = net_value("other_tls");
    g_assert_cmpstr(plain, ==, "403");
    g_assert_cmpstr(tls, ==, "403");
    g_assert_false(fixture_saw("other"));
    g_assert_false(fixture_saw("othertls"));
}

/* Control for the direct probes: the same requests from a plain container
 * on the fake internet do arrive. */
static void
probe_controls(void)
{
    g_autofree gchar *script =
        g_strdup_printf("curl -s -o /dev/null --max-time 4 http://%s/%s-control-direct; "
                        "dig +short +time=2 +tries=1 @%s %s-control-dns.fixture.test",
                        e2e->fixture_ip, net_marker, e2e->fixture_ip, net_marker);
    bb_e2e_sh(e2e, e2e->probe_id, NULL, script, NULL);
    g_assert_true(fixture_saw("control-direct"));
    g_assert_true(fixture_saw("control-dns"));
}

static void
test_no_direct_ip_or_dns(void)
{
    ensure_net_run();
    probe_controls();
    g_autofree gchar *direct = net_value("direct");
    g_autofree gchar *dns = net_value("dns");
    g_autofree gchar *resolve = net_value("resolve");
    g_assert_cmpstr(direct, !=, "0");
    g_assert_cmpstr(dns, !=, "0");
    g_assert_cmpstr(resolve, !=, "0");
    g_assert_false(fixture_saw("direct"));
    g_assert_false(fixture_saw("dns"));
    g_assert_false(fixture_saw("resolve"));
}

static gboolean
host_on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
                 gpointer data)
{
    gchar buffer[512] = {0};
    g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(connection)), buffer,
                        sizeof buffer - 1, NULL, NULL);
    g_string_append(host_seen, buffer);
    return FALSE;
}

static gboolean
host_saw(const gchar *suffix)
{
    g_autofree gchar *needle = g_strdup_printf("%s-%s", net_marker, suffix);
    /* The listener runs on the default context. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    return strstr(host_seen->str, needle) != NULL;
}

static void
test_no_gateway(void)
{
    ensure_net_run();
    g_autofree gchar *gateway = internet_gateway();
    g_autofree gchar *script =
        g_strdup_printf("curl -s -o /dev/null --max-time 4 http://%s:%u/%s-control-gateway",
                        gateway, host_port, net_marker);
    /* The probe's request needs our main loop to be accepted. */
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) probe = g_subprocess_newv(
        (const gchar *const[]){"docker", "exec", e2e->probe_id, "sh", "-c", script, NULL},
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < WAIT_STEPS && !host_saw("control-gateway"); i++)
        g_usleep(20 * 1000);
    g_subprocess_wait(probe, NULL, NULL);
    g_assert_true(host_saw("control-gateway"));
    g_autofree gchar *via_gateway = net_value("gateway");
    g_autofree gchar *own = net_value("own_gateway");
    g_assert_cmpstr(via_gateway, !=, "0");
    g_assert_cmpstr(own, !=, "0");
    g_assert_false(host_saw("gateway"));
    g_assert_false(host_saw("own-gateway"));
}

static void
test_no_other_bottle(void)
{
    ensure_net_run();
    /* Control: the peer's own agent reaches its sidecar (curl exit 0). */
    g_assert_cmpint(peer_control, ==, 0);
    g_autofree gchar *peer = net_value("peer");
    g_assert_cmpstr(peer, !=, "0");
}

static void
test_placeholder_only(void)
{
    ensure_net_run();
    g_autofree gchar *placeholder = net_value("placeholder");
    g_assert_cmpstr(placeholder, ==, BB_PLACEHOLDER_TOKEN);
    /* printenv and the process environments, the CLI's own output, and
     * docker inspect of both containers. */
    g_assert_null(strstr(net_run->out, token));
    g_assert_null(strstr(net_run->err, token));
    g_assert_nonnull(net_inspect);
    g_assert_null(strstr(net_inspect, token));
}

static void
test_exit_code(void)
{
    const gchar *args[] = {"run", AGENT("exit"), "--", "sh", "-c", "echo out; exit 7", NULL};
    g_autoptr(CliRun) run = cli(TRUE, args);
    g_assert_cmpint(run->status, ==, 7);
    g_assert_cmpstr(run->out, ==, "out\n");
    g_autoptr(JsonArray) left = containers_of(AGENT("exit"));
    g_assert_cmpuint(json_array_get_length(left), ==, 0);
    /* Control: success is 0. */
    const gchar *ok_args[] = {"run", AGENT("exit"), "--", "true", NULL};
    g_autoptr(CliRun) ok = cli(TRUE, ok_args);
    g_assert_cmpint(ok->status, ==, 0);
}

static void
test_missing_secret(void)
{
    const gchar *args[] = {"run", AGENT("missing"), "--", "true", NULL};
    g_autoptr(CliRun) run = cli(FALSE, args);
    g_assert_cmpint(run->status, !=, 0);
    g_assert_nonnull(strstr(run->err, "$" TOKEN_NAME " is not set"));
    g_autoptr(JsonArray) left = containers_of(AGENT("missing"));
    g_assert_cmpuint(json_array_get_length(left), ==, 0);
}

static void
test_preflight_needs_yes(void)
{
    const gchar *args[] = {"start", AGENT("preflight"), NULL};
    g_autoptr(GSubprocess) process =
        cli_spawn(TRUE,
                  G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                      G_SUBPROCESS_FLAGS_STDERR_PIPE,
                  args);
    g_autoptr(CliRun) run = cli_finish(process, "y\n");
    g_assert_cmpint(run->status, !=, 0);
    g_assert_nonnull(strstr(run->err, "Bottle preflight"));
    g_assert_nonnull(strstr(run->err, ALLOWED));
    g_assert_nonnull(strstr(run->err, "$" TOKEN_NAME " set"));
    g_assert_nonnull(strstr(run->err, "pass --yes"));
    g_assert_null(strstr(run->err, token));
    g_autoptr(JsonArray) left = containers_of(AGENT("preflight"));
    g_assert_cmpuint(json_array_get_length(left), ==, 0);
}

/* `start --yes` with its input held open: a live session until killed. */
static GSubprocess *
start_session(const gchar *agent, gchar **slug)
{
    const gchar *args[] = {"start", "--yes", agent, NULL};
    GSubprocess *process =
        cli_spawn(TRUE,
                  G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                      G_SUBPROCESS_FLAGS_STDERR_PIPE,
                  args);
    g_autofree gchar *agent_id = wait_for(agent, "agent");
    *slug = slug_of(agent_id);
    /* Up once provisioned: the prompt is the last file written. */
    for (guint i = 0; i < WAIT_STEPS; i++) {
        if (bb_e2e_sh(e2e, agent_id, NULL, "test -f /etc/bot-bottle/prompt.md", NULL) == 0)
            return process;
        g_usleep(100 * 1000);
    }
    g_error("bottle %s was never provisioned", *slug);
}

/* Reads from the pty master into @seen until it holds @needle (bounded). */
static gboolean
pty_read_until(gint master, GString *seen, const gchar *needle)
{
    for (guint i = 0; i < WAIT_STEPS * 2 && strstr(seen->str, needle) == NULL; i++) {
        GPollFD fd = {master, G_IO_IN, 0};
        if (g_poll(&fd, 1, 100) <= 0)
            continue;
        gchar buffer[4096];
        gssize got = read(master, buffer, sizeof buffer);
        if (got <= 0)
            break; /* EIO: the child closed the terminal */
        g_string_append_len(seen, buffer, got);
    }
    return strstr(seen->str, needle) != NULL;
}

/* On a real terminal: the preflight asks, "y" starts, the session is the
 * provider's shell with a TTY, and leaving it removes the bottle. */
static void
test_terminal_session(void)
{
    gint master = posix_openpt(O_RDWR | O_NOCTTY);
    g_assert_cmpint(master, >=, 0);
    g_assert_cmpint(grantpt(master), ==, 0);
    g_assert_cmpint(unlockpt(master), ==, 0);
    gint slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    g_assert_cmpint(slave, >=, 0);
    g_autoptr(GSubprocessLauncher) launcher = cli_launcher(TRUE, G_SUBPROCESS_FLAGS_NONE);
    g_subprocess_launcher_take_stdin_fd(launcher, dup(slave));
    g_subprocess_launcher_take_stdout_fd(launcher, dup(slave));
    g_subprocess_launcher_take_stderr_fd(launcher, slave);
    const gchar *args[] = {"start", AGENT("pty"), NULL};
    g_autoptr(GPtrArray) argv = cli_argv(args);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process =
        g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_autoptr(GString) seen = g_string_new(NULL);
    if (!pty_read_until(master, seen, "[y/N]"))
        g_error("no question on the terminal; it shows:\n%s", seen->str);
    g_assert_nonnull(strstr(seen->str, "Bottle preflight"));
    g_assert_cmpint(write(master, "y\n", 2), ==, 2);
    g_assert_true(pty_read_until(master, seen, "is up on docker"));
    const gchar *typed = "echo tty=$(tty | cut -c1-8) sum=$((6*7))\nexit\n";
    g_assert_cmpint(write(master, typed, strlen(typed)), ==, (gssize)strlen(typed));
    g_assert_true(pty_read_until(master, seen, "sum=42"));
    g_subprocess_wait(process, NULL, &error);
    g_test_message("terminal:\n%s", seen->str);
    close(master);
    g_assert_true(g_subprocess_get_if_exited(process));
    g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 0);
    /* The agent had a terminal of its own. */
    g_assert_nonnull(strstr(seen->str, "tty=/dev/pts"));
    g_autoptr(JsonArray) left = containers_of(AGENT("pty"));
    g_assert_cmpuint(json_array_get_length(left), ==, 0);
}

static void
test_sigkill_then_cleanup(void)
{
    g_autofree gchar *slug = NULL;
    g_autoptr(GSubprocess) process = start_session(AGENT("kill"), &slug);
    g_subprocess_send_signal(process, SIGKILL);
    g_subprocess_wait(process, NULL, NULL);
    /* The bottle outlives its CLI and shows as orphaned. */
    const gchar *list_args[] = {"list", "--json", NULL};
    g_autoptr(CliRun) list = cli(FALSE, list_args);
    g_autofree gchar *orphan = g_strdup_printf("\"slug\" : \"%s\"", slug);
    g_assert_nonnull(strstr(list->out, orphan));
    g_assert_nonnull(strstr(strstr(list->out, orphan), "\"state\" : \"orphaned\""));
    const gchar *args[] = {"cleanup", "--json", NULL};
    g_autoptr(CliRun) cleanup = cli(FALSE, args);
    g_assert_cmpint(cleanup->status, ==, 0);
    g_autofree gchar *removed = g_strdup_printf("\"%s\"", slug);
    g_assert_nonnull(strstr(cleanup->out, removed));
    assert_nothing_left(slug);
}

static void
test_sigterm_tears_down(void)
{
    g_autofree gchar *slug = NULL;
    g_autoptr(GSubprocess) process = start_session(AGENT("term"), &slug);
    g_subprocess_send_signal(process, SIGTERM);
    g_autoptr(CliRun) run = cli_finish(process, NULL);
    g_assert_cmpint(run->status, ==, 128 + SIGTERM);
    assert_nothing_left(slug);
}

static void
remove_image(gpointer ref)
{
    g_autoptr(GError) error = NULL;
    if (!bb_docker_image_remove(e2e->client, ref, &error))
        g_printerr("could not remove test image %s: %s\n", (gchar *)ref, error->message);
    g_free(ref);
}

static void
test_commit_and_resume(void)
{
    g_autofree gchar *slug = NULL;
    g_autoptr(GSubprocess) process = start_session(AGENT("commit"), &slug);
    g_autofree gchar *marker = bb_e2e_marker("kept");
    g_autofree gchar *agent_id = wait_for(AGENT("commit"), "agent");
    g_autofree gchar *write = g_strdup_printf("echo %s > /tmp/kept", marker);
    g_assert_cmpint(bb_e2e_sh(e2e, agent_id, NULL, write, NULL), ==, 0);
    const gchar *commit_args[] = {"commit", slug, NULL};
    g_autoptr(CliRun) commit = cli(FALSE, commit_args);
    g_assert_cmpint(commit->status, ==, 0);
    g_assert_true(g_str_has_prefix(commit->out, "bot-bottle-committed:"));
    /* The image goes when the test ends, by the exact tag we were given. */
    g_test_queue_destroy(remove_image, g_strstrip(g_strdup(commit->out)));
    g_autoptr(CliRun) ended = cli_finish(process, "exit\n");
    g_assert_cmpint(ended->status, ==, 0);
    assert_nothing_left(slug);

    const gchar *resume_args[] = {"resume", "--yes", slug, NULL};
    g_autoptr(GSubprocess) resumed =
        cli_spawn(TRUE,
                  G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                      G_SUBPROCESS_FLAGS_STDERR_PIPE,
                  resume_args);
    g_autoptr(CliRun) run = cli_finish(resumed, "cat /tmp/kept\nexit\n");
    g_assert_cmpint(run->status, ==, 0);
    g_assert_nonnull(strstr(run->err, "(committed)"));
    /* The input names the file, not the marker: only its content can show it. */
    g_assert_nonnull(strstr(run->out, marker));
}

/* The slug `start` announced on stderr ("bottle SLUG is up on …"). */
static gchar *
up_slug(const gchar *err)
{
    const gchar *up = strstr(err, " is up on ");
    const gchar *begin = up;
    while (begin != NULL && begin > err && begin[-1] != ' ')
        begin--;
    g_assert_nonnull(begin);
    return g_strndup(begin, up - begin);
}

/* `start --yes` without a terminal whose input is already closed: a
 * session whose input ended. The agent's shell reads EOF and leaves, the
 * bottle goes and the command returns. */
static void
test_start_closed_stdin(void)
{
    g_autoptr(GSubprocessLauncher) launcher =
        cli_launcher(TRUE, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_set_stdin_file_path(launcher, "/dev/null");
    const gchar *args[] = {"start", "--yes", AGENT("eof"), NULL};
    g_autoptr(GPtrArray) argv = cli_argv(args);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process =
        g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_autoptr(CliRun) run = cli_finish_within(process, NULL, 180);
    g_assert_false(run->timed_out);
    g_assert_cmpint(run->status, ==, 0);
    g_autofree gchar *slug = up_slug(run->err);
    assert_nothing_left(slug);
    g_autoptr(JsonArray) left = containers_of(AGENT("eof"));
    g_assert_cmpuint(json_array_get_length(left), ==, 0);
}

/* Piped input without `exit`: the commands run, their output streams
 * back, and the end of the input ends the session. */
static void
test_start_piped_input_ends(void)
{
    const gchar *args[] = {"start", "--yes", AGENT("eof"), NULL};
    g_autoptr(GSubprocess) process =
        cli_spawn(TRUE,
                  G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                      G_SUBPROCESS_FLAGS_STDERR_PIPE,
                  args);
    g_autoptr(CliRun) run = cli_finish_within(process, "echo piped-$((6*7))\n", 180);
    g_assert_false(run->timed_out);
    g_assert_cmpint(run->status, ==, 0);
    g_assert_nonnull(strstr(run->out, "piped-42"));
    g_autofree gchar *slug = up_slug(run->err);
    assert_nothing_left(slug);
}

/* Two `cleanup SLUG` at once on an orphaned bottle: each finds the
 * other's removals in progress; both succeed and nothing is left. */
static void
test_concurrent_cleanups(void)
{
    g_autofree gchar *slug = NULL;
    g_autoptr(GSubprocess) session = start_session(AGENT("race"), &slug);
    g_subprocess_send_signal(session, SIGKILL);
    g_subprocess_wait(session, NULL, NULL);
    const gchar *args[] = {"cleanup", slug, NULL};
    GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
    g_autoptr(GSubprocess) first = cli_spawn(FALSE, flags, args);
    g_autoptr(GSubprocess) second = cli_spawn(FALSE, flags, args);
    g_autoptr(CliRun) first_run = cli_finish_within(first, NULL, 120);
    g_autoptr(CliRun) second_run = cli_finish_within(second, NULL, 120);
    g_assert_cmpint(first_run->status, ==, 0);
    g_assert_cmpint(second_run->status, ==, 0);
    g_assert_cmpstr(first_run->err, ==, "");
    g_assert_cmpstr(second_run->err, ==, "");
    assert_nothing_left(slug);
}

/* Slugs that name nothing: clear words, no crash, nothing touched. */
static void
test_unknown_slug(void)
{
    g_autofree gchar *slug = g_strdup_printf("e2e%d-nosuch-%08x", (int)getpid(), g_random_int());
    const gchar *cleanup_args[] = {"cleanup", slug, NULL};
    g_autoptr(CliRun) cleanup = cli(FALSE, cleanup_args);
    /* Idempotent: what is already gone is cleaned up. */
    g_assert_cmpint(cleanup->status, ==, 0);
    g_autofree gchar *no_bottle = g_strdup_printf("no bottle %s", slug);
    g_assert_nonnull(strstr(cleanup->out, no_bottle));
    const gchar *json_args[] = {"cleanup", "--json", slug, NULL};
    g_autoptr(CliRun) json = cli(FALSE, json_args);
    g_assert_cmpint(json->status, ==, 0);
    g_assert_nonnull(strstr(json->out, "\"removed\" : []"));
    const gchar *resume_args[] = {"resume", "--yes", slug, NULL};
    g_autoptr(CliRun) resume = cli(TRUE, resume_args);
    g_assert_cmpint(resume->status, ==, 1);
    g_assert_nonnull(strstr(resume->err, "was never committed"));
    const gchar *commit_args[] = {"commit", slug, NULL};
    g_autoptr(CliRun) commit = cli(FALSE, commit_args);
    g_assert_cmpint(commit->status, ==, 1);
    g_assert_nonnull(strstr(commit->err, "no bottle"));
    g_assert_cmpstr(commit->out, ==, "");
}

/* Builds are offline: a Dockerfile FROM a base image that is not here
 * fails, and the error says how to make it; nothing is left behind. */
static void
test_missing_base_image_hint(void)
{
    const gchar *args[] = {"run", AGENT("nobase"), "--", "true", NULL};
    g_autoptr(CliRun) run = cli(TRUE, args);
    g_assert_cmpint(run->status, ==, 1);
    g_assert_nonnull(strstr(run->err, "make-base-image.sh"));
    g_autoptr(JsonArray) left = containers_of(AGENT("nobase"));
    g_assert_cmpuint(json_array_get_length(left), ==, 0);
}

/* Git identity, prompt and skills reach the agent (the core defaults). */
static void
test_provisioned(void)
{
    const gchar *args[] = {"run",
                           AGENT("provision"),
                           "--",
                           "sh",
                           "-c",
                           "git config --global user.name; git config --global user.email; "
                           "cat /etc/bot-bottle/prompt.md /etc/bot-bottle/skills/review/SKILL.md",
                           NULL};
    g_autoptr(CliRun) run = cli(TRUE, args);
    g_assert_cmpint(run->status, ==, 0);
    g_assert_true(g_str_has_prefix(run->out, "E2E Tester\ne2e@example.com\n"));
    g_assert_nonnull(strstr(run->out, "An end-to-end test bottle."));
    g_assert_nonnull(strstr(run->out, "Provisioned agent prompt."));
    g_assert_true(g_str_has_suffix(run->out, "Review carefully.\n"));
}

static void
write_manifests(const gchar *dockerfile_dir)
{
    g_autofree gchar *home = g_build_filename(cli_home, ".bot-bottle", NULL);
    g_autofree gchar *bottles = g_build_filename(home, "bottles", NULL);
    g_autofree gchar *agents = g_build_filename(home, "agents", NULL);
    g_assert_cmpint(g_mkdir_with_parents(bottles, 0700), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(agents, 0700), ==, 0);
    g_autofree gchar *bottle = g_strdup_printf("---\n"
                                               "agent_provider:\n"
                                               "  template: shell\n"
                                               "  dockerfile: %s/Dockerfile\n"
                                               "git:\n"
                                               "  user: {name: E2E Tester, email: "
                                               "e2e@example.com}\n"
                                               "egress:\n"
                                               "  routes:\n"
                                               "    - host: " ALLOWED "\n"
                                               "      auth:\n"
                                               "        scheme: bearer\n"
                                               "        token_ref: " TOKEN_NAME "\n"
                                               "---\nAn end-to-end test bottle.\n",
                                               dockerfile_dir);
    g_autofree gchar *bottle_path = g_build_filename(bottles, "e2e.md", NULL);
    g_assert_true(g_file_set_contents(bottle_path, bottle, -1, NULL));
    /* A bottle whose image builds on a base that was never made. */
    g_autofree gchar *nobase_dir = g_build_filename(cli_home, "nobase", NULL);
    g_assert_cmpint(g_mkdir_with_parents(nobase_dir, 0700), ==, 0);
    g_autofree gchar *nobase_file = g_build_filename(nobase_dir, "Dockerfile", NULL);
    g_autofree gchar *nobase_recipe =
        g_strdup_printf("FROM bot-bottle-base:never-made-%08x\n", g_random_int());
    g_assert_true(g_file_set_contents(nobase_file, nobase_recipe, -1, NULL));
    g_autofree gchar *nobase = g_strdup_printf(
        "---\nagent_provider:\n  template: shell\n  dockerfile: %s\n---\n", nobase_file);
    g_autofree gchar *nobase_path = g_build_filename(bottles, "nobase.md", NULL);
    g_assert_true(g_file_set_contents(nobase_path, nobase, -1, NULL));
    g_autofree gchar *nobase_file_name = g_strdup_printf("%s.md", AGENT("nobase"));
    g_autofree gchar *nobase_agent = g_build_filename(agents, nobase_file_name, NULL);
    g_assert_true(
        g_file_set_contents(nobase_agent, "---\nbottle: nobase\n---\nNo base.\n", -1, NULL));
    /* An agent with a skill, for the provisioning test. */
    g_autofree gchar *skill = g_build_filename(home, "skills", "review", "SKILL.md", NULL);
    g_autofree gchar *skill_dir = g_path_get_dirname(skill);
    g_assert_cmpint(g_mkdir_with_parents(skill_dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(skill, "Review carefully.\n", -1, NULL));
    g_autofree gchar *skilled_name = g_strdup_printf("%s.md", AGENT("provision"));
    g_autofree gchar *skilled = g_build_filename(agents, skilled_name, NULL);
    g_assert_true(g_file_set_contents(
        skilled, "---\nbottle: e2e\nskills: [review]\n---\nProvisioned agent prompt.\n", -1, NULL));
    const gchar *names[] = {AGENT("net"),       AGENT("peer"), AGENT("exit"), AGENT("missing"),
                            AGENT("preflight"), AGENT("kill"), AGENT("term"), AGENT("commit"),
                            AGENT("pty"),       AGENT("eof"),  AGENT("race"), AGENT("warm"),
                            AGENT("warmkill"),  NULL};
    for (guint i = 0; names[i] != NULL; i++) {
        g_autofree gchar *file = g_strdup_printf("%s.md", names[i]);
        g_autofree gchar *path = g_build_filename(agents, file, NULL);
        g_assert_true(g_file_set_contents(path, "---\nbottle: e2e\n---\nTest agent.\n", -1, NULL));
    }
}

/* ---- warm bottles ---- */

/* The slug of @agent's only idle warm bottle, from `list --json`. */
static gchar *
warm_slug(const gchar *agent)
{
    const gchar *args[] = {"list", "--json", NULL};
    g_autoptr(CliRun) list = cli(FALSE, args);
    g_assert_cmpint(list->status, ==, 0);
    g_autoptr(JsonNode) root = json_from_string(list->out, NULL);
    g_assert_nonnull(root);
    JsonArray *bottles =
        json_object_get_array_member(json_node_get_object(root), "bottles_running");
    gchar *slug = NULL;
    for (guint i = 0; i < json_array_get_length(bottles); i++) {
        JsonObject *bottle = json_array_get_object_element(bottles, i);
        if (g_strcmp0(json_object_get_string_member(bottle, "agent"), agent) == 0 &&
            g_strcmp0(json_object_get_string_member(bottle, "state"), "warm") == 0) {
            g_assert_null(slug);
            slug = g_strdup(json_object_get_string_member(bottle, "slug"));
        }
    }
    g_assert_nonnull(slug);
    return slug;
}

static void
warm(const gchar *agent, const gchar *count, const gchar *expect)
{
    /* No secret in the environment: a warm bottle never needs one. */
    const gchar *args[] = {"warm", agent, "--count", count, NULL};
    g_autoptr(CliRun) run = cli(FALSE, args);
    g_assert_cmpint(run->status, ==, 0);
    g_assert_nonnull(strstr(run->out, expect));
}

/* A warm bottle is claimed by the next run of its agent, which gets the
 * run's policy and secret (judged at the fixture upstream), and the pool
 * is refilled with a new bottle; count 0 removes it. */
static void
test_warm_claim(void)
{
    const gchar *agent = AGENT("warm");
    warm(agent, "1", "(1 made, 0 removed)");
    g_autofree gchar *slug = warm_slug(agent);
    /* The fake internet, as the other runs get it (see ensure_net_run). */
    g_autofree gchar *sidecar = g_strdup_printf("bb-%s-sidecar", slug);
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_network_connect(e2e->client, e2e->internet, sidecar, &error));
    g_assert_no_error(error);
    g_autofree gchar *marker = bb_e2e_marker("warm");
    g_autofree gchar *script =
        g_strdup_printf("echo allowed=$(curl -sS -o /dev/null -w '%%{http_code}' --max-time 10 "
                        "https://" ALLOWED "/%s-allowed)\n"
                        "echo other=$(curl -s -o /dev/null -w '%%{http_code}' --max-time 10 "
                        "http://" OTHER "/%s-other)\n"
                        "echo placeholder=$(printenv " TOKEN_NAME ")\n",
                        marker, marker);
    const gchar *args[] = {"run", agent, "--", "sh", "-c", script, NULL};
    g_autoptr(CliRun) run = cli(TRUE, args);
    g_assert_cmpint(run->status, ==, 0);
    g_autofree gchar *up = g_strdup_printf("bottle %s is up", slug);
    g_assert_nonnull(strstr(run->err, up));
    g_assert_nonnull(strstr(run->out, "allowed=200\n"));
    g_assert_nonnull(strstr(run->out, "other=403\n"));
    g_autofree gchar *placeholder = g_strdup_printf("placeholder=%s\n", BB_PLACEHOLDER_TOKEN);
    g_assert_nonnull(strstr(run->out, placeholder));
    /* At the upstream: the allowed request came, with the real token; the
     * refused one never did. */
    g_autofree gchar *allowed = g_strdup_printf("%s-allowed", marker);
    g_autofree gchar *other = g_strdup_printf("%s-other", marker);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, allowed));
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, other));
    g_autofree gchar *real = token_hash(token);
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, real));
    assert_nothing_left(slug);
    /* Refilled: one idle bottle again, a new one. */
    g_autofree gchar *refill = warm_slug(agent);
    g_assert_cmpstr(refill, !=, slug);
    warm(agent, "0", "(0 made, 1 removed)");
    assert_nothing_left(refill);
}

/* A claimed warm bottle whose CLI is SIGKILLed is an orphan for cleanup,
 * like any other bottle; idle warm bottles are not. */
static void
test_warm_claimed_then_sigkill(void)
{
    const gchar *agent = AGENT("warmkill");
    warm(agent, "1", "(1 made, 0 removed)");
    g_autofree gchar *slug = warm_slug(agent);
    const gchar *args[] = {"start", "--yes", agent, NULL};
    g_autoptr(GSubprocess) process =
        cli_spawn(TRUE,
                  G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                      G_SUBPROCESS_FLAGS_STDERR_PIPE,
                  args);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *agent_id = bb_docker_bottle_find_agent(e2e->client, slug, &error);
    g_assert_no_error(error);
    guint i = 0;
    for (; i < WAIT_STEPS; i++) {
        if (bb_e2e_sh(e2e, agent_id, NULL, "test -f /etc/bot-bottle/prompt.md", NULL) == 0)
            break;
        g_usleep(100 * 1000);
    }
    g_assert_cmpuint(i, <, WAIT_STEPS);
    g_subprocess_send_signal(process, SIGKILL);
    g_subprocess_wait(process, NULL, NULL);
    const gchar *cleanup_args[] = {"cleanup", "--json", NULL};
    g_autoptr(CliRun) cleanup = cli(FALSE, cleanup_args);
    g_assert_cmpint(cleanup->status, ==, 0);
    g_autofree gchar *removed = g_strdup_printf("\"%s\"", slug);
    g_assert_nonnull(strstr(cleanup->out, removed));
    assert_nothing_left(slug);
    /* Whatever the killed CLI's refill got to is either gone (half-made:
     * an orphan) or an idle warm bottle, which count 0 removes. */
    const gchar *drain[] = {"warm", agent, "--count", "0", NULL};
    g_autoptr(CliRun) drained = cli(FALSE, drain);
    g_assert_cmpint(drained->status, ==, 0);
    g_autoptr(JsonArray) left = containers_of(agent);
    g_assert_cmpuint(json_array_get_length(left), ==, 0);
}

static gchar *
fixture_certificate_file(void)
{
    g_autoptr(GError) error = NULL;
    gchar *path = bb_e2e_fixture_ca_file(e2e, cli_home, &error);
    g_assert_no_error(error);
    return path;
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    cli_home = g_dir_make_tmp("bb-e2e-home-XXXXXX", &error);
    g_assert_no_error(error);
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    g_autofree gchar *dir = g_build_filename(cli_home, "agent-image", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_autofree gchar *dockerfile = g_build_filename(dir, "Dockerfile", NULL);
    g_autofree gchar *recipe = g_strdup_printf("FROM %s\n", e2e->base_image);
    g_assert_true(g_file_set_contents(dockerfile, recipe, -1, NULL));
    write_manifests(dir);
    ca_path = fixture_certificate_file();
    pins[0] = g_strdup_printf(ALLOWED ":443:%s", e2e->fixture_ip);
    pins[1] = g_strdup_printf(OTHER ":80:%s", e2e->fixture_ip);
    pins[2] = g_strdup_printf(OTHER ":443:%s", e2e->fixture_ip);
    token = bb_e2e_marker("real-e2e-token");

    host_seen = g_string_new(NULL);
    host_listener = g_socket_service_new();
    host_port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(host_listener), NULL, &error);
    g_assert_no_error(error);
    g_signal_connect(host_listener, "incoming", G_CALLBACK(host_on_incoming), NULL);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    setup();
    g_test_add_func("/e2e/cli/run/allowed-with-injected-token", test_allowed_with_injected_token);
    g_test_add_func("/e2e/cli/run/other-host-refused", test_other_host_refused);
    g_test_add_func("/e2e/cli/run/no-direct-ip-or-dns", test_no_direct_ip_or_dns);
    g_test_add_func("/e2e/cli/run/no-gateway", test_no_gateway);
    g_test_add_func("/e2e/cli/run/no-other-bottle", test_no_other_bottle);
    g_test_add_func("/e2e/cli/run/placeholder-only", test_placeholder_only);
    g_test_add_func("/e2e/cli/run/exit-code", test_exit_code);
    g_test_add_func("/e2e/cli/run/missing-secret-before-anything", test_missing_secret);
    g_test_add_func("/e2e/cli/run/missing-base-image-hint", test_missing_base_image_hint);
    g_test_add_func("/e2e/cli/run/provisioned", test_provisioned);
    g_test_add_func("/e2e/cli/start/preflight-needs-yes", test_preflight_needs_yes);
    g_test_add_func("/e2e/cli/start/terminal-session", test_terminal_session);
    g_test_add_func("/e2e/cli/start/sigterm-tears-down", test_sigterm_tears_down);
    g_test_add_func("/e2e/cli/start/sigkill-then-cleanup", test_sigkill_then_cleanup);
    g_test_add_func("/e2e/cli/start/closed-stdin", test_start_closed_stdin);
    g_test_add_func("/e2e/cli/start/piped-input-ends", test_start_piped_input_ends);
    g_test_add_func("/e2e/cli/cleanup/concurrent", test_concurrent_cleanups);
    g_test_add_func("/e2e/cli/unknown-slug", test_unknown_slug);
    g_test_add_func("/e2e/cli/commit-and-resume", test_commit_and_resume);
    g_test_add_func("/e2e/cli/warm/claimed-by-run", test_warm_claim);
    g_test_add_func("/e2e/cli/warm/claimed-then-sigkill", test_warm_claimed_then_sigkill);
    int result = g_test_run();
    g_socket_service_stop(host_listener);
    g_clear_object(&host_listener);
    bb_e2e_teardown(e2e);
    const gchar *rm[] = {"rm", "-rf", cli_home, NULL};
    g_spawn_sync(NULL, (gchar **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    return result;
}
