#include "bb-cli-bottle.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bb-agent-provider.h"
#include "bb-backend-select.h"
#include "bb-cli-catalog.h"
#include "bb-cli-prompt.h"
#include "bb-error.h"

/* After a signal tore the bottle down, how long the command may take to
 * notice before we leave anyway. */
#define BB_TEARDOWN_GRACE_SECONDS 10

struct _BbBottleSession {
    BbCli *cli;
    const BbBottleArgs *args;
    BbPlan *plan;
    BbAgentProvider *provider;
    BbBackend *backend;
    gchar *backend_name;
    GHashTable *secrets; /* env name → value, wiped when freed */
    gchar *image;        /* resume: the committed image */
    gchar *slug;
    guint signal_sources[3];
    guint grace_source; /* leave-anyway timer after a signal */
    gint signalled;     /* the signal that asked us to stop, or 0 */
    GMainLoop *loop;
};

void
bb_bottle_args_clear(BbBottleArgs *args)
{
    g_clear_pointer(&args->backend, g_free);
    g_clear_pointer(&args->resolve, g_strfreev);
    g_clear_pointer(&args->upstream_ca, g_free);
}

GOptionEntry *
bb_bottle_option_entries(BbBottleArgs *args, gboolean with_yes)
{
    const GOptionEntry entries[] = {
        {"yes", 'y', 0, G_OPTION_ARG_NONE, &args->yes, "Start without asking (no preflight prompt)",
         NULL},
        {"backend", 0, 0, G_OPTION_ARG_STRING, &args->backend,
         "Run on this backend ('help' lists them; default: $BOT_BOTTLE_BACKEND, else the best "
         "available)",
         "NAME"},
        {"resolve", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args->resolve,
         "Pin HOST:PORT to ADDR for the proxy's upstream connections (repeatable)",
         "HOST:PORT:ADDR"},
        {"upstream-ca", 0, 0, G_OPTION_ARG_FILENAME, &args->upstream_ca,
         "Also trust this PEM file for upstream TLS (private upstreams, fixtures)", "FILE"},
        {NULL},
    };
    const GOptionEntry *first = with_yes ? entries : entries + 1;
    gsize n = G_N_ELEMENTS(entries) - (with_yes ? 0 : 1);
    return g_memdup2(first, n * sizeof(GOptionEntry));
}

static void
bb_secret_wipe(gpointer value)
{
    gchar *secret = value;
    explicit_bzero(secret, strlen(secret));
    g_free(secret);
}

/* Every secret the plan references, from the host environment. The
 * first missing one is an error naming its variable and its user. */
static GHashTable *
bb_bottle_read_secrets(BbPlan *plan, GError **error)
{
    g_autoptr(GHashTable) secrets =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, bb_secret_wipe);
    GPtrArray *refs = bb_plan_get_secret_refs(plan);
    for (guint i = 0; refs != NULL && i < refs->len; i++) {
        const BbSecretRef *ref = g_ptr_array_index(refs, i);
        const gchar *value = g_getenv(ref->env_name);
        if (value == NULL || value[0] == '\0') {
            g_set_error(error, BB_ERROR, BB_ERROR_SECRET,
                        "$%s is not set (needed by %s of agent %s): export it in this shell, "
                        "then start again; nothing was created",
                        ref->env_name, ref->used_by, bb_plan_get_agent_name(plan));
            return NULL;
        }
        g_hash_table_replace(secrets, g_strdup(ref->env_name), g_strdup(value));
    }
    return g_steal_pointer(&secrets);
}

static gchar *
bb_backend_name_of(BbRegistry *registry, BbBackend *backend)
{
    g_autoptr(GPtrArray) impls = bb_registry_list(registry, BB_TYPE_BACKEND);
    for (guint i = 0; i < impls->len; i++) {
        const BbImplementation *impl = g_ptr_array_index(impls, i);
        if (impl->impl_type == G_OBJECT_TYPE(backend))
            return g_strdup(impl->name);
    }
    return g_strdup(G_OBJECT_TYPE_NAME(backend));
}

static BbPlan *
bb_bottle_resolve(BbCli *cli, BbRegistry *registry, const gchar *agent, GError **error)
{
    g_autoptr(BbCatalog) catalog = bb_cli_load_catalog(cli);
    if (catalog == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "could not read the manifests");
        return NULL;
    }
    return bb_catalog_resolve(catalog, agent, registry, error);
}

BbBottleSession *
bb_bottle_session_new(BbCli *cli, const gchar *agent, const BbBottleArgs *args, gint *exit_code)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbBottleSession) session = g_new0(BbBottleSession, 1);
    session->cli = cli;
    session->args = args;
    *exit_code = BB_EXIT_USAGE;
    BbRegistry *registry = bb_cli_get_registry(cli, &error);
    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return NULL;
    }
    if (g_strcmp0(args->backend, "help") == 0) {
        g_autofree gchar *text = bb_backend_describe_all(registry);
        printf("%s", text);
        *exit_code = BB_EXIT_OK;
        return NULL;
    }
    session->plan = bb_bottle_resolve(cli, registry, agent, &error);
    if (session->plan == NULL) {
        bb_cli_error(cli, "%s", error->message);
        *exit_code = BB_EXIT_FAILURE;
        return NULL;
    }
    session->secrets = args->no_secrets ? g_hash_table_new(g_str_hash, g_str_equal)
                                        : bb_bottle_read_secrets(session->plan, &error);
    if (session->secrets == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return NULL;
    }
    session->provider = bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER,
                                           bb_plan_get_provider(session->plan), &error);
    if (session->provider == NULL) {
        bb_cli_error(cli, "provider %s: %s", bb_plan_get_provider(session->plan), error->message);
        *exit_code = BB_EXIT_FAILURE;
        return NULL;
    }
    session->backend = bb_backend_select(registry, args->backend, &error);
    if (session->backend == NULL) {
        bb_cli_error(cli, "%s", error->message);
        *exit_code = BB_EXIT_FAILURE;
        return NULL;
    }
    session->backend_name = bb_backend_name_of(registry, session->backend);
    *exit_code = BB_EXIT_OK;
    return g_steal_pointer(&session);
}

void
bb_bottle_session_free(BbBottleSession *session)
{
    if (session == NULL)
        return;
    bb_bottle_session_teardown(session);
    for (guint i = 0; i < G_N_ELEMENTS(session->signal_sources); i++) {
        if (session->signal_sources[i] != 0)
            g_source_remove(session->signal_sources[i]);
    }
    g_clear_handle_id(&session->grace_source, g_source_remove);
    g_clear_object(&session->plan);
    g_clear_object(&session->provider);
    g_clear_object(&session->backend);
    g_free(session->backend_name);
    g_clear_pointer(&session->secrets, g_hash_table_unref);
    g_free(session->image);
    g_clear_pointer(&session->loop, g_main_loop_unref);
    g_free(session);
}

void
bb_bottle_session_set_image(BbBottleSession *session, const gchar *image)
{
    g_free(session->image);
    session->image = g_strdup(image);
}

static const gchar *
bb_bottle_runtime(BbBottleSession *session)
{
    GObjectClass *klass = G_OBJECT_GET_CLASS(session->backend);
    GParamSpec *spec = g_object_class_find_property(klass, "runtime");
    if (spec == NULL || spec->value_type != G_TYPE_STRING)
        return NULL;
    g_autofree gchar *runtime = NULL;
    g_object_get(session->backend, "runtime", &runtime, NULL);
    return g_intern_string(runtime);
}

static void
bb_bottle_print_line(BbBottleSession *session, const gchar *label, const gchar *value)
{
    g_autofree gchar *painted = bb_cli_paint(session->cli, "1", label);
    /* Pad on the plain label: colour codes have no width. */
    fprintf(stderr, "  %s%*s %s\n", painted, (gint)(10 - strlen(label)), "", value);
}

static void
bb_bottle_print_routes(BbBottleSession *session)
{
    GPtrArray *routes = bb_plan_get_routes(session->plan);
    if (routes == NULL || routes->len == 0)
        bb_bottle_print_line(session, "egress", "none (the agent reaches nothing)");
    for (guint i = 0; routes != NULL && i < routes->len; i++) {
        const BbRoute *route = g_ptr_array_index(routes, i);
        g_autofree gchar *port =
            route->port != 0 ? g_strdup_printf(":%u", route->port) : g_strdup("");
        g_autofree gchar *auth =
            route->token_ref != NULL
                ? g_strdup_printf("  %s $%s", route->auth_scheme != NULL ? route->auth_scheme : "",
                                  route->token_ref)
                : g_strdup("");
        g_autofree gchar *line = g_strdup_printf("%s%s%s", route->host, port, auth);
        bb_bottle_print_line(session, i == 0 ? "egress" : "", line);
    }
}

static void
bb_bottle_print_summary(BbBottleSession *session)
{
    BbPlan *plan = session->plan;
    const gchar *runtime = bb_bottle_runtime(session);
    g_autofree gchar *title = bb_cli_paint(session->cli, "1", "Bottle preflight");
    fprintf(stderr, "%s\n", title);
    g_autofree gchar *agent =
        g_strdup_printf("%s (%s)", bb_plan_get_agent_name(plan), bb_plan_get_agent_path(plan));
    bb_bottle_print_line(session, "agent", agent);
    bb_bottle_print_line(session, "bottle", bb_plan_get_bottle_name(plan));
    bb_bottle_print_line(session, "provider", bb_plan_get_provider(plan));
    g_autofree gchar *image =
        session->image != NULL ? g_strdup_printf("%s (committed)", session->image)
        : bb_plan_get_dockerfile(plan) != NULL
            ? g_strdup_printf("built from %s (offline, cached)", bb_plan_get_dockerfile(plan))
            : g_strdup("none: the bottle names no Dockerfile");
    bb_bottle_print_line(session, "image", image);
    bb_bottle_print_line(session, "backend", session->backend_name);
    bb_bottle_print_line(session, "runtime",
                         g_strcmp0(runtime, "runsc") == 0 ? "runsc (gVisor)"
                         : runtime != NULL                ? runtime
                                           : "engine default (runc; install gVisor's runsc for "
                                             "a second kernel)");
    bb_bottle_print_routes(session);
    GPtrArray *refs = bb_plan_get_secret_refs(plan);
    for (guint i = 0; refs != NULL && i < refs->len; i++) {
        const BbSecretRef *ref = g_ptr_array_index(refs, i);
        g_autofree gchar *line = g_strdup_printf("$%s set (for %s)", ref->env_name, ref->used_by);
        bb_bottle_print_line(session, i == 0 ? "secrets" : "", line);
    }
    if (refs == NULL || refs->len == 0)
        bb_bottle_print_line(session, "secrets", "none");
}

gboolean
bb_bottle_session_preflight(BbBottleSession *session)
{
    bb_bottle_print_summary(session);
    if (session->args->yes)
        return TRUE;
    if (!bb_cli_is_interactive()) {
        bb_cli_error(session->cli,
                     "no terminal to confirm the preflight on: pass --yes to start without "
                     "asking");
        return FALSE;
    }
    /* The question goes to stdout with the answer read from stdin. */
    fflush(stderr);
    if (!bb_cli_confirm("Start this bottle?", FALSE)) {
        fprintf(stderr, "Not started.\n");
        return FALSE;
    }
    return TRUE;
}

static void
bb_bottle_progress(const gchar *step, gdouble fraction, gpointer user_data)
{
    BbBottleSession *session = user_data;
    g_autofree gchar *line = g_strstrip(g_strdup(step));
    if (line[0] == '\0')
        return;
    g_autofree gchar *prefix = bb_cli_paint(session->cli, "2", "image:");
    if (fraction >= 0)
        fprintf(stderr, "  %s %s (%.0f%%)\n", prefix, line, fraction * 100);
    else
        fprintf(stderr, "  %s %s\n", prefix, line);
}

static gboolean
bb_bottle_quit_loop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_CONTINUE; /* removed with the session */
}

static gboolean
bb_bottle_on_signal(gpointer user_data, gint signo)
{
    BbBottleSession *session = user_data;
    if (session->signalled == 0)
        session->signalled = signo;
    bb_bottle_session_teardown(session);
    /* The command ends with its bottle; if it does not, leave anyway. */
    if (session->loop != NULL && session->grace_source == 0)
        session->grace_source =
            g_timeout_add_seconds(BB_TEARDOWN_GRACE_SECONDS, bb_bottle_quit_loop, session->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean
bb_bottle_on_sigint(gpointer data)
{
    return bb_bottle_on_signal(data, SIGINT);
}
static gboolean
bb_bottle_on_sigterm(gpointer data)
{
    return bb_bottle_on_signal(data, SIGTERM);
}
static gboolean
bb_bottle_on_sighup(gpointer data)
{
    return bb_bottle_on_signal(data, SIGHUP);
}

/* Dispatches signals that arrived while we were busy. TRUE when one did. */
static gboolean
bb_bottle_check_signals(BbBottleSession *session)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
    return session->signalled != 0;
}

/* Whether the agent's Dockerfile builds on the base image we make
 * offline, so a failed build can say how to make it. */
static gboolean
bb_bottle_uses_base_image(BbPlan *plan)
{
    const gchar *dockerfile = bb_plan_get_dockerfile(plan);
    g_autofree gchar *text = NULL;
    if (dockerfile == NULL || !g_file_get_contents(dockerfile, &text, NULL, NULL))
        return FALSE;
    return strstr(text, "bot-bottle-base:") != NULL;
}

/* Git identity, prompt and skills, through the provider (or the core
 * defaults) into the running agent. The CA is the backend's: it is in
 * place before the agent's first command. */
static gboolean
bb_bottle_provision(BbBottleSession *session, GError **error)
{
    g_autoptr(BbAgentTarget) target = bb_backend_get_target(session->backend, session->slug, error);
    if (target == NULL)
        return FALSE;
    BbAgentProvider *provider = session->provider;
    BbPlan *plan = session->plan;
    return bb_agent_provider_provision_git(provider, plan, target, error) &&
           bb_agent_provider_provision_prompt(provider, plan, target, error) &&
           bb_agent_provider_provision_skills(provider, plan, target, error);
}

/* The plan's images (built or found in the cache), progress on stderr. */
static gboolean
bb_bottle_prepare_images(BbBottleSession *session)
{
    g_autoptr(GError) error = NULL;
    if (!bb_backend_prepare_images(session->backend, session->plan, bb_bottle_progress, session,
                                   NULL, &error)) {
        const gchar *hint = bb_bottle_uses_base_image(session->plan)
                                ? "; builds are offline, so make the base image once with "
                                  "'sudo make-base-image.sh' (in bot-bottle's data directory; "
                                  "data/ in a checkout)"
                                : "";
        bb_cli_error(session->cli, "preparing images: %s%s", error->message, hint);
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_bottle_session_warm(BbBottleSession *session, guint count, guint *made, guint *removed)
{
    g_autoptr(GError) error = NULL;
    if (!bb_bottle_prepare_images(session))
        return FALSE;
    if (!bb_backend_warm(session->backend, session->plan, count, made, removed, &error)) {
        bb_cli_error(session->cli, "warming bottles: %s", error->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_bottle_session_launch(BbBottleSession *session)
{
    g_autoptr(GError) error = NULL;
    session->signal_sources[0] = g_unix_signal_add(SIGINT, bb_bottle_on_sigint, session);
    session->signal_sources[1] = g_unix_signal_add(SIGTERM, bb_bottle_on_sigterm, session);
    session->signal_sources[2] = g_unix_signal_add(SIGHUP, bb_bottle_on_sighup, session);
    gint64 started = g_get_monotonic_time();
    if (!bb_bottle_prepare_images(session))
        return FALSE;
    if (bb_bottle_check_signals(session))
        return FALSE;
    gint64 prepared = g_get_monotonic_time();
    BbLaunchOptions options = {
        .resolve = session->args->resolve,
        .upstream_ca = session->args->upstream_ca,
        .image = session->image,
        .secrets = session->secrets,
    };
    session->slug = bb_backend_launch(session->backend, session->plan, &options, NULL, &error);
    if (session->slug == NULL) {
        bb_cli_error(session->cli, "launching the bottle: %s", error->message);
        return FALSE;
    }
    if (bb_bottle_check_signals(session))
        return FALSE;
    gint64 launched = g_get_monotonic_time();
    if (!bb_bottle_provision(session, &error)) {
        bb_cli_error(session->cli, "provisioning the agent: %s", error->message);
        return FALSE;
    }
    g_debug("images %.1f ms, launch %.1f ms, provisioning %.1f ms", (prepared - started) / 1000.0,
            (launched - prepared) / 1000.0, (g_get_monotonic_time() - launched) / 1000.0);
    g_autofree gchar *slug = bb_cli_paint(session->cli, "1", session->slug);
    fprintf(stderr, "bottle %s is up on %s\n", slug, session->backend_name);
    return TRUE;
}

/* The command on its thread holds its own references: after a signal we
 * may leave before it ends. */
gint
bb_bottle_session_failure_code(BbBottleSession *session)
{
    return session->signalled != 0 ? 128 + session->signalled : BB_EXIT_FAILURE;
}

typedef struct {
    BbBackend *backend;
    gchar *slug;
    GStrv argv;
    gboolean interactive;
    GMainLoop *loop;
    gint status;
    gboolean ok;
    GError *error;
    gint finished;
} BbExecJob;

static void
bb_exec_job_free(BbExecJob *job)
{
    g_object_unref(job->backend);
    g_free(job->slug);
    g_strfreev(job->argv);
    g_main_loop_unref(job->loop);
    g_clear_error(&job->error);
    g_free(job);
}

static gboolean
bb_exec_job_done(gpointer data)
{
    BbExecJob *job = data;
    g_main_loop_quit(job->loop);
    return G_SOURCE_REMOVE;
}

static gpointer
bb_exec_job_run(gpointer data)
{
    BbExecJob *job = data;
    job->ok = bb_backend_exec(job->backend, job->slug, (const gchar *const *)job->argv,
                              job->interactive, &job->status, &job->error);
    g_atomic_int_set(&job->finished, 1);
    /* Always queued (never run here): a quit before the loop runs would
     * be lost and the loop would never end. */
    g_idle_add(bb_exec_job_done, job);
    return NULL;
}

gint
bb_bottle_session_exec(BbBottleSession *session, const gchar *const *argv, gboolean interactive)
{
    g_return_val_if_fail(session->slug != NULL, BB_EXIT_FAILURE);
    BbExecJob *job = g_new0(BbExecJob, 1);
    job->backend = g_object_ref(session->backend);
    job->slug = g_strdup(session->slug);
    job->interactive = interactive;
    job->argv = bb_agent_provider_build_command(session->provider, session->plan, argv);
    session->loop = g_main_loop_new(NULL, FALSE);
    job->loop = g_main_loop_ref(session->loop);
    /* The command runs on a thread so the main loop can take signals. */
    GThread *thread = g_thread_new("bb-exec", bb_exec_job_run, job);
    g_main_loop_run(session->loop);
    if (!g_atomic_int_get(&job->finished)) {
        /* Torn down by a signal and the command did not end in the grace
         * period: leave it to the process exit. */
        g_thread_unref(thread);
        return 128 + session->signalled;
    }
    g_thread_join(thread);
    g_idle_remove_by_data(job);
    gint code = job->status;
    if (session->signalled != 0)
        code = 128 + session->signalled;
    else if (!job->ok) {
        bb_cli_error(session->cli, "running in the bottle: %s", job->error->message);
        code = BB_EXIT_FAILURE;
    }
    bb_exec_job_free(job);
    return code;
}

void
bb_bottle_session_teardown(BbBottleSession *session)
{
    if (session->slug == NULL)
        return;
    g_autofree gchar *slug = g_steal_pointer(&session->slug);
    g_autoptr(GError) error = NULL;
    if (!bb_backend_stop(session->backend, slug, &error))
        bb_cli_warning(session->cli, "could not remove bottle %s: %s; run 'bot-bottle cleanup %s'",
                       slug, error->message, slug);
}
