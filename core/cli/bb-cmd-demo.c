/* bot-bottle demo [--json]: the embedded default. A scripted agent (the
 * shell provider running data/demo/agent.sh) in a real bottle, with no
 * credentials and nothing from the internet: the demo starts its own
 * HTTPS upstream (its own CA, pinned for the sidecar like --resolve and
 * --upstream-ca), then narrates four things the bottle does, judging each
 * at the destination: what the upstream received. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "bb-cmd.h"
#include "bb-demo-upstream.h"
#include "bb-plan-private.h"
#include "bot-bottle.h"

#define DEMO_HOST "api.demo.test"
#define DEMO_TOKEN_ENV "DEMO_API_TOKEN"
#define DEMO_AGENT_SCRIPT BB_AGENT_HOME "/demo-agent.sh"

typedef struct {
    BbCli *cli;
    gboolean json;
    BbBackend *backend;
    gchar *slug;
    BbDemoUpstream *upstream;
    gchar *token; /* the demo's stand-in credential: fake, but never printed */
    JsonBuilder *steps;
    guint n_steps, n_ok;
} BbDemo;

/* Narration goes to stdout, or to stderr under --json (stdout is the JSON). */
static void G_GNUC_PRINTF(2, 3) say(BbDemo *demo, const gchar *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree gchar *text = g_strdup_vprintf(format, args);
    va_end(args);
    fputs(text, demo->json ? stderr : stdout);
    fflush(demo->json ? stderr : stdout);
}

static void
demo_progress(const gchar *step, gdouble fraction, gpointer data)
{
    BbDemo *demo = data;
    say(demo, "    %s\n", step);
}

/* Runs the demo agent's @step in the bottle; its output is captured (the
 * backend writes an exec's output to our stdout). */
static gchar *
run_agent_step(BbDemo *demo, const gchar *step, const gchar *arg, const gchar *arg2, gint *status)
{
    const gchar *argv[] = {"bash", DEMO_AGENT_SCRIPT, step, arg, arg2, NULL};
    g_autoptr(GError) error = NULL;
    g_autofree gchar *path = NULL;
    gint fd = g_file_open_tmp("bb-demo-XXXXXX", &path, &error);
    if (fd < 0)
        return g_strdup_printf("(cannot capture output: %s)", error->message);
    fflush(stdout);
    gint saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    gboolean ok = bb_backend_exec(demo->backend, demo->slug, argv, FALSE, status, &error);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    gchar *out = NULL;
    g_file_get_contents(path, &out, NULL, NULL);
    g_unlink(path);
    if (!ok) {
        g_free(out);
        *status = -1;
        return g_strdup_printf("(the bottle could not run the step: %s)", error->message);
    }
    return out != NULL ? out : g_strdup("");
}

static gchar *
indent(const gchar *text)
{
    g_autofree gchar *trimmed = g_strchomp(g_strdup(text));
    g_auto(GStrv) lines = g_strsplit(trimmed, "\n", -1);
    g_autoptr(GString) out = g_string_new(NULL);
    for (gchar **line = lines; *line != NULL; line++)
        g_string_append_printf(out, "    | %s\n", *line);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Records one check of a step, narrated as ✔/✘. */
static gboolean
check(BbDemo *demo, gboolean ok, const gchar *what)
{
    g_autofree gchar *mark = bb_cli_paint(demo->cli, ok ? "1;32" : "1;31", ok ? "✔" : "✘");
    say(demo, "  %s %s\n", mark, what);
    json_builder_begin_object(demo->steps);
    json_builder_set_member_name(demo->steps, "what");
    json_builder_add_string_value(demo->steps, what);
    json_builder_set_member_name(demo->steps, "ok");
    json_builder_add_boolean_value(demo->steps, ok);
    json_builder_end_object(demo->steps);
    return ok;
}

static void
step_begin(BbDemo *demo, const gchar *name, const gchar *title, const gchar *narration,
           const gchar *output)
{
    g_autofree gchar *heading = g_strdup_printf("Step %u: %s", demo->n_steps + 1, title);
    g_autofree gchar *painted = bb_cli_paint(demo->cli, "1", heading);
    g_autofree gchar *shown = indent(output);
    say(demo, "\n%s\n  %s\n%s", painted, narration, shown);
    json_builder_begin_object(demo->steps);
    json_builder_set_member_name(demo->steps, "name");
    json_builder_add_string_value(demo->steps, name);
    json_builder_set_member_name(demo->steps, "title");
    json_builder_add_string_value(demo->steps, title);
    json_builder_set_member_name(demo->steps, "agent_output");
    json_builder_add_string_value(demo->steps, output);
    json_builder_set_member_name(demo->steps, "checks");
    json_builder_begin_array(demo->steps);
}

static void
step_end(BbDemo *demo, gboolean ok)
{
    json_builder_end_array(demo->steps);
    json_builder_set_member_name(demo->steps, "ok");
    json_builder_add_boolean_value(demo->steps, ok);
    json_builder_end_object(demo->steps);
    demo->n_steps++;
    demo->n_ok += ok;
}

static guint
count_requests(BbDemo *demo)
{
    g_autoptr(GPtrArray) requests = bb_demo_upstream_get_requests(demo->upstream);
    return requests->len;
}

/* Whether any request the upstream received contains @needle. */
static gboolean
upstream_saw(BbDemo *demo, const gchar *needle)
{
    g_autoptr(GPtrArray) requests = bb_demo_upstream_get_requests(demo->upstream);
    for (guint i = 0; i < requests->len; i++) {
        const BbDemoRequest *r = g_ptr_array_index(requests, i);
        if (strstr(r->request_line, needle) != NULL || strstr(r->body, needle) != NULL ||
            (r->authorization != NULL && strstr(r->authorization, needle) != NULL))
            return TRUE;
    }
    return FALSE;
}

static void
step_allowed(BbDemo *demo)
{
    gint status = -1;
    g_autofree gchar *out = run_agent_step(demo, "allowed", NULL, NULL, &status);
    step_begin(demo, "allowed", "an allowed request, credential injected",
               "The agent calls " DEMO_HOST ", a host its bottle allows, with the token it holds.",
               out);
    g_autofree gchar *bearer = g_strdup_printf("Bearer %s", demo->token);
    g_autofree gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, demo->token, -1);
    gboolean ok = check(demo, strstr(out, BB_PLACEHOLDER_TOKEN) != NULL,
                        "the agent holds only the placeholder " BB_PLACEHOLDER_TOKEN);
    ok &= check(demo, strstr(out, "HTTP 200") != NULL, "the request succeeded (HTTP 200)");
    g_autofree gchar *injected = g_strdup_printf(
        "the upstream received the real token (sha256 %.12s…), injected by the proxy", hash);
    ok &= check(demo, upstream_saw(demo, bearer), injected);
    ok &= check(demo, !upstream_saw(demo, BB_PLACEHOLDER_TOKEN),
                "the placeholder never reached the upstream");
    step_end(demo, ok);
}

static void
step_blocked(BbDemo *demo)
{
    guint before = count_requests(demo);
    gint status = -1;
    g_autofree gchar *out = run_agent_step(demo, "blocked", NULL, NULL, &status);
    step_begin(demo, "blocked-host", "a host outside the bottle is blocked",
               "The agent fetches pastebin.demo.test, which its bottle does not list.", out);
    gboolean ok = check(demo, strstr(out, "HTTP 403") != NULL,
                        "the proxy answered 403, and its text tells the agent why and how to ask");
    ok &= check(demo, count_requests(demo) == before, "nothing reached any upstream");
    step_end(demo, ok);
}

/* A credential-shaped secret the agent "found" (GitHub token pattern). */
static gchar *
demo_secret(void)
{
    static const gchar alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    g_autoptr(GString) secret = g_string_new("ghp_");
    for (guint i = 0; i < 36; i++)
        g_string_append_c(secret, alphabet[g_random_int_range(0, sizeof alphabet - 1)]);
    return g_string_free(g_steal_pointer(&secret), FALSE);
}

/* Every encoding the proxy's DLP decodes that the demo agent uses. */
static const gchar *const demo_encodings[] = {
    "raw",           "base64",     "base64url",     "base32", "hex",
    "hex-colon",     "percent",    "percent-twice", "json-u", "html-entities",
    "hex-in-base64", "zero-width", "full-width",    "gzip",   NULL,
};

static void
step_exfil(BbDemo *demo)
{
    g_autofree gchar *secret = demo_secret();
    g_autofree gchar *b64 = g_base64_encode((const guchar *)secret, strlen(secret));
    guint before = count_requests(demo);
    gint status = -1;
    g_autofree gchar *out = run_agent_step(demo, "exfil", DEMO_HOST, secret, &status);
    g_autofree gchar *paste = run_agent_step(demo, "paste", secret, NULL, &status);
    g_autofree gchar *both = g_strconcat(out, paste, NULL);
    step_begin(demo, "exfiltration", "a secret's exfiltration is caught",
               "The agent uploads a GitHub token it found to " DEMO_HOST
               " (allowed) in every encoding the proxy's DLP decodes, sends a harmless "
               "control, then tries a paste site.",
               both);
    gboolean ok = TRUE;
    for (const gchar *const *e = demo_encodings; *e != NULL; e++) {
        g_autofree gchar *line = g_strdup_printf("\n%s HTTP 403", *e);
        g_autofree gchar *what = g_strdup_printf("%s: blocked by DLP (403)", *e);
        g_autofree gchar *haystack = g_strconcat("\n", out, NULL);
        ok &= check(demo, strstr(haystack, line) != NULL, what);
    }
    ok &= check(demo, strstr(out, "control HTTP 200") != NULL,
                "control: the harmless upload to the same host went through (HTTP 200)");
    ok &= check(demo, strstr(paste, "pastebin HTTP 403") != NULL,
                "the paste site is not in the bottle: refused with 403");
    ok &= check(demo,
                !upstream_saw(demo, secret) && !upstream_saw(demo, b64) &&
                    count_requests(demo) == before + 1,
                "only the control reached the upstream; the secret, in no encoding");
    step_end(demo, ok);
}

static void
step_direct(BbDemo *demo)
{
    guint before = count_requests(demo);
    gint status = -1;
    g_autofree gchar *out =
        run_agent_step(demo, "direct", bb_demo_upstream_get_address(demo->upstream), NULL, &status);
    step_begin(demo, "direct-network", "going around the proxy fails",
               "The agent connects straight to the upstream's address, and resolves a name "
               "itself.",
               out);
    gboolean ok = check(demo, strstr(out, "CONNECTED") == NULL && strstr(out, "failed") != NULL,
                        "no direct connection: the bottle's only way out is the proxy");
    ok &= check(demo, strstr(out, "no answer") != NULL, "DNS answers only for the bottle's routes");
    ok &= check(demo, count_requests(demo) == before, "nothing reached the upstream");
    step_end(demo, ok);
}

static BbPlan *
demo_plan(const gchar *dockerfile)
{
    BbPlan *plan = bb_plan_new();
    bb_plan_set_agent(plan, "demo", "(built-in demo)", BB_ORIGIN_HOME);
    bb_plan_set_provider(plan, "shell", dockerfile, NULL, FALSE);
    bb_plan_set_env(plan, DEMO_TOKEN_ENV, BB_PLACEHOLDER_TOKEN);
    g_autoptr(BbRoute) route = bb_route_new(DEMO_HOST);
    route->auth_scheme = g_strdup("bearer");
    route->token_ref = g_strdup(DEMO_TOKEN_ENV);
    /* Outbound DLP with every detector, and a match blocks (no operator is
     * there to supervise); the injected token is a known secret too. */
    route->outbound.enabled = TRUE;
    route->outbound_on_match = BB_ON_MATCH_BLOCK;
    route->inbound.enabled = FALSE;
    bb_plan_add_route(plan, route);
    bb_plan_seal(plan);
    return plan;
}

static gboolean
demo_launch(BbDemo *demo, BbRegistry *registry, GError **error)
{
    g_autoptr(BbAgentProvider) shell =
        bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER, "shell", error);
    if (shell == NULL)
        return FALSE;
    g_autofree gchar *dockerfile =
        bb_dockerfile_cascade(NULL, NULL, demo->cli->config_dir, "shell", shell);
    if (dockerfile == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "the shell provider's Dockerfile is missing; reinstall bot-bottle");
        return FALSE;
    }
    g_autoptr(BbPlan) plan = demo_plan(dockerfile);
    say(demo, "Preparing the bottle's images (built locally, no registry)…\n");
    if (!bb_backend_prepare_images(demo->backend, plan, demo_progress, demo, NULL, error))
        return FALSE;
    g_autofree gchar *ca_path = NULL;
    gint fd = g_file_open_tmp("bb-demo-ca-XXXXXX.pem", &ca_path, error);
    if (fd < 0)
        return FALSE;
    close(fd);
    const gchar *ca = bb_demo_upstream_get_ca_pem(demo->upstream);
    if (!g_file_set_contents(ca_path, ca, -1, error))
        return FALSE;
    g_autofree gchar *pin =
        g_strdup_printf(DEMO_HOST ":443:%s", bb_demo_upstream_get_address(demo->upstream));
    gchar *resolve[] = {pin, NULL};
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(secrets, DEMO_TOKEN_ENV, demo->token);
    BbLaunchOptions options = {.resolve = resolve, .upstream_ca = ca_path, .secrets = secrets};
    say(demo, "Starting a bottle: the agent container, and its sidecar proxy…\n");
    demo->slug = bb_backend_launch(demo->backend, plan, &options, NULL, error);
    g_unlink(ca_path);
    if (demo->slug == NULL)
        return FALSE;
    g_autofree gchar *script_path = bb_data_path("demo", "agent.sh", NULL);
    g_autoptr(GMappedFile) script = g_mapped_file_new(script_path, FALSE, error);
    if (script == NULL)
        return FALSE;
    g_autoptr(GBytes) contents = g_mapped_file_get_bytes(script);
    g_autoptr(BbAgentTarget) target = bb_backend_get_target(demo->backend, demo->slug, error);
    return target != NULL &&
           bb_agent_target_write_file(target, DEMO_AGENT_SCRIPT, contents, 0755, FALSE, error);
}

static BbBackend *
demo_backend(BbRegistry *registry, GError **error)
{
    const gchar *name = g_getenv("BOT_BOTTLE_BACKEND");
    BbBackend *backend = bb_registry_create(registry, BB_TYPE_BACKEND,
                                            name != NULL && *name != '\0' ? name : "docker", error);
    if (backend != NULL && !bb_backend_is_available(backend, error)) {
        g_object_unref(backend);
        return NULL;
    }
    return backend;
}

static void
demo_summary(BbDemo *demo, gboolean ok)
{
    g_autofree gchar *verdict =
        bb_cli_paint(demo->cli, ok ? "1;32" : "1;31",
                     ok ? "The bottle held." : "The demo found a problem (see ✘ above).");
    say(demo,
        "\nSummary: %u of %u steps behaved as expected. %s\n"
        "  - the agent worked with an API and never held its credential;\n"
        "  - hosts outside its bottle were refused with a 403 that says why;\n"
        "  - a stolen secret found no way out, in any encoding, even to an allowed host;\n"
        "  - there is no way around the proxy.\n"
        "Next: `bot-bottle init` writes your first bottle and agent.\n",
        demo->n_ok, demo->n_steps, verdict);
}

static gint
demo_run(BbDemo *demo, BbRegistry *registry)
{
    g_autoptr(GError) error = NULL;
    demo->backend = demo_backend(registry, &error);
    if (demo->backend == NULL) {
        bb_cli_error(demo->cli, "no backend to run the demo: %s (bot-bottle doctor says more)",
                     error->message);
        return BB_EXIT_FAILURE;
    }
    demo->upstream = bb_demo_upstream_start(DEMO_HOST, &error);
    if (demo->upstream == NULL) {
        bb_cli_error(demo->cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    say(demo, "bot-bottle demo: a scripted agent in a real bottle, no credentials needed.\n");
    say(demo, "A fixture upstream for " DEMO_HOST " is listening at %s, with its own CA.\n",
        bb_demo_upstream_get_address(demo->upstream));
    if (!demo_launch(demo, registry, &error)) {
        bb_cli_error(demo->cli, "the demo bottle did not start: %s", error->message);
        return BB_EXIT_FAILURE;
    }
    step_allowed(demo);
    step_blocked(demo);
    step_exfil(demo);
    step_direct(demo);
    return demo->n_ok == demo->n_steps ? BB_EXIT_OK : BB_EXIT_FAILURE;
}

gint
bb_cmd_demo(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the steps and their checks as JSON", NULL},
        {NULL},
    };
    if (!bb_cli_parse_options(cli, &argc, &argv, "",
                              "A scripted agent in a real bottle: an allowed request with its "
                              "credential injected, a blocked host, a secret's exfiltration "
                              "caught, direct network access failing. No credentials, nothing "
                              "from the internet.",
                              entries))
        return BB_EXIT_USAGE;
    g_autoptr(GError) error = NULL;
    BbRegistry *registry = bb_cli_get_registry(cli, &error);
    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_USAGE;
    }
    g_autoptr(JsonBuilder) steps = json_builder_new();
    json_builder_begin_array(steps);
    g_autofree gchar *token =
        g_strdup_printf("demo-real-token-%08x%08x", g_random_int(), g_random_int());
    BbDemo demo = {.cli = cli, .json = json, .steps = steps, .token = token};
    gint code = demo_run(&demo, registry);
    if (demo.slug != NULL) {
        say(&demo, "\nRemoving the bottle…\n");
        bb_backend_stop(demo.backend, demo.slug, NULL);
    }
    if (demo.n_steps > 0)
        demo_summary(&demo, code == BB_EXIT_OK);
    json_builder_end_array(steps);
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, code == BB_EXIT_OK);
        json_builder_set_member_name(b, "dlp_in_proxy");
        json_builder_add_boolean_value(b, TRUE);
        json_builder_set_member_name(b, "steps");
        json_builder_add_value(b, json_builder_get_root(steps));
        json_builder_end_object(b);
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        bb_cli_print_json(root);
    }
    bb_demo_upstream_stop(demo.upstream);
    g_free(demo.slug);
    g_clear_object(&demo.backend);
    return code;
}
