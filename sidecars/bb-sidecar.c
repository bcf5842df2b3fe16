/* The bottle sidecar: the egress proxy and DNS responder for one
 * bottle's agent network. No secret is ever in argv: secrets come from a
 * file (or /dev/fd/N) named on the command line or, with
 * --launch-config, from the launch document on a pipe (bb-sidecar-launch.h). */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bb-dlp-scanner.h"
#include "bb-egress-runtime.h"
#include "bb-paths.h"
#include "bb-error.h"
#include "bb-sidecar-launch.h"

typedef struct {
    gchar *bottle;
    gchar *routes_path;
    gchar *secrets_path;
    gchar *launch_config;
    gchar *state_dir;
    gchar *listen;
    gchar *ca_cert;
    gchar *upstream_ca;
    gchar *audit;
    gchar *dns;
    gchar *dns_answer;
    GStrv pins;
    gint max_connections;
    gint supervise_timeout;
    gint64 hold_cap;
    gboolean precompile_dlp;
} BbSidecarArgs;

static void
bb_sidecar_args_clear(BbSidecarArgs *args)
{
    g_free(args->bottle);
    g_free(args->routes_path);
    g_free(args->secrets_path);
    g_free(args->launch_config);
    g_free(args->state_dir);
    g_free(args->listen);
    g_free(args->ca_cert);
    g_free(args->upstream_ca);
    g_free(args->audit);
    g_free(args->dns);
    g_free(args->dns_answer);
    g_strfreev(args->pins);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BbSidecarArgs, bb_sidecar_args_clear)

static gboolean
bb_sidecar_parse_args(BbSidecarArgs *a, gint *argc, gchar ***argv, GError **error)
{
    const GOptionEntry entries[] = {
        {"bottle", 0, 0, G_OPTION_ARG_STRING, &a->bottle, "Bottle name (for messages)", "NAME"},
        {"routes", 0, 0, G_OPTION_ARG_FILENAME, &a->routes_path, "Routes JSON (re-read on SIGHUP)",
         "FILE"},
        {"secrets", 0, 0, G_OPTION_ARG_FILENAME, &a->secrets_path,
         "Secrets JSON object, e.g. /dev/fd/3", "FILE"},
        {"launch-config", 0, 0, G_OPTION_ARG_FILENAME, &a->launch_config,
         "Make the CA, announce it, then read routes, secrets, pins and upstream CA from FILE "
         "(a pipe; replaces --routes, --secrets, --resolve, --upstream-ca)",
         "FILE"},
        {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &a->state_dir,
         "Where --launch-config keeps routes.json and upstream-ca.pem", "DIR"},
        {"listen", 0, 0, G_OPTION_ARG_STRING, &a->listen, "Proxy address", "ADDR:PORT"},
        {"ca-cert", 0, 0, G_OPTION_ARG_FILENAME, &a->ca_cert, "Write the CA certificate here",
         "FILE"},
        {"upstream-ca", 0, 0, G_OPTION_ARG_FILENAME, &a->upstream_ca, "Extra upstream CA", "FILE"},
        {"resolve", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->pins, "Pin HOST:PORT:ADDR", "SPEC"},
        {"audit", 0, 0, G_OPTION_ARG_FILENAME, &a->audit, "Audit log (- = stderr)", "FILE"},
        {"dns", 0, 0, G_OPTION_ARG_STRING, &a->dns, "DNS responder address", "ADDR:PORT"},
        {"dns-answer", 0, 0, G_OPTION_ARG_STRING, &a->dns_answer, "IPv4 address DNS hands out",
         "ADDR"},
        {"max-connections", 0, 0, G_OPTION_ARG_INT, &a->max_connections, "Connection limit", "N"},
        {"supervise-timeout", 0, 0, G_OPTION_ARG_INT, &a->supervise_timeout,
         "How long a supervise hold waits for approval (default 5000)", "MS"},
        {"precompile-dlp", 0, 0, G_OPTION_ARG_NONE, &a->precompile_dlp,
         "Compile every detector's rules into $BOT_BOTTLE_DLP_CACHE and exit (image builds)", NULL},
        {"dlp-hold-cap", 0, 0, G_OPTION_ARG_INT64, &a->hold_cap,
         "Largest request body held for DLP scanning (default 8 MiB)", "BYTES"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- bot-bottle egress sidecar");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (a->precompile_dlp)
        return TRUE;
    if (a->listen == NULL || (a->routes_path == NULL) == (a->launch_config == NULL)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "--listen ADDR:PORT and one of --routes FILE or --launch-config FILE are "
                    "required");
        return FALSE;
    }
    if (a->launch_config != NULL && a->state_dir == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "--launch-config needs --state-dir DIR");
        return FALSE;
    }
    return TRUE;
}

/* The CA comes first and is announced at once, so whoever installs it in
 * the agent's trust store need not wait for the launch document. */
static BbEgressCa *
bb_sidecar_make_ca(const BbSidecarArgs *a, GError **error)
{
    g_autofree gchar *cn = g_strdup_printf("bot-bottle %s CA", a->bottle);
    g_autoptr(BbEgressCa) ca = bb_egress_ca_new(cn, error);
    if (ca == NULL)
        return NULL;
    g_autofree gchar *pem = bb_egress_ca_get_cert_pem(ca);
    if (a->ca_cert != NULL && !g_file_set_contents(a->ca_cert, pem, -1, error))
        return NULL;
    g_autofree gchar *encoded = g_base64_encode((const guchar *)pem, strlen(pem));
    g_print("%s%s\n", BB_SIDECAR_CA_LINE, encoded);
    fflush(stdout);
    return g_steal_pointer(&ca);
}

static BbRegistry *
bb_sidecar_load_plugins(GError **error)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    /* Built-ins, and the contrib detectors and auth schemes the host's
     * loader accepted, copied root-owned into the image (unset: none). */
    if (!bb_registry_load_all(registry, g_getenv("BOT_BOTTLE_SIDECAR_CONTRIB"), error))
        return NULL;
    return g_steal_pointer(&registry);
}

/* Compiles every detector's rules once while the launch document has not
 * come yet (a warm bottle waits here for minutes; a new one overlaps it
 * with the agent's start). The real scanners, built per route with the
 * secrets, reuse the compiled databases (bb-hs-matcher's cache). */
static gboolean
bb_sidecar_precompile(BbRegistry *registry, GError **error)
{
    g_autofree gchar *data_dir = bb_data_dir();
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    BbDetectorContext context = {data_dir, none};
    const BbDetectorDirection directions[] = {BB_DETECTOR_OUTBOUND, BB_DETECTOR_INBOUND};
    for (guint i = 0; i < G_N_ELEMENTS(directions); i++) {
        g_autoptr(BbDlpScanner) scanner =
            bb_dlp_scanner_new_from_registry(registry, directions[i], NULL, &context, error);
        if (scanner == NULL)
            return FALSE;
    }
    return TRUE;
}

static gboolean
bb_sidecar_serve(BbSidecarArgs *a, BbRegistry *registry, GPtrArray *routes, GHashTable *secrets,
                 const gchar *routes_path, const gchar *upstream_ca, const gchar *const *pins,
                 BbEgressCa **ca, GError **error)
{
    BbEgressRunOptions options = {
        .bottle_name = a->bottle,
        .listen = a->listen,
        .ca_cert_out = ca != NULL ? NULL : a->ca_cert,
        .ca = ca,
        .upstream_ca = upstream_ca,
        .pins = pins,
        .audit_path = a->audit,
        .dns_listen = a->dns,
        .dns_answer = a->dns_answer,
        .routes_path = routes_path,
        .max_connections = (guint)MAX(a->max_connections, 0),
        .supervise_timeout_ms = (guint)MAX(a->supervise_timeout, 0),
        .dlp_hold_cap = (gsize)MAX(a->hold_cap, 0),
    };
    return bb_egress_run(&options, routes, registry, secrets, error);
}

/* --launch-config: CA, announcement, then the document from the pipe. */
static gboolean
bb_sidecar_run_launched(BbSidecarArgs *a, GError **error)
{
    g_autoptr(BbEgressCa) ca = bb_sidecar_make_ca(a, error);
    if (ca == NULL)
        return FALSE;
    g_autoptr(BbRegistry) registry = bb_sidecar_load_plugins(error);
    if (registry == NULL)
        return FALSE;
    /* A broken rule pack is reported when the routes need it. */
    g_autoptr(GError) precompile_error = NULL;
    bb_sidecar_precompile(registry, &precompile_error);
    gint fd = g_strcmp0(a->launch_config, "-") == 0 ? 0 : -1;
    if (fd < 0) {
        fd = open(a->launch_config, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "%s: %s", a->launch_config,
                        g_strerror(errno));
            return FALSE;
        }
    }
    g_autoptr(BbSidecarLaunch) launch = bb_sidecar_launch_read(fd, a->state_dir, error);
    if (fd > 0)
        close(fd);
    if (launch == NULL)
        return FALSE;
    return bb_sidecar_serve(a, registry, launch->routes, launch->secrets, launch->routes_path,
                            launch->upstream_ca, (const gchar *const *)launch->pins, &ca, error);
}

static gboolean
bb_sidecar_run_files(BbSidecarArgs *a, GError **error)
{
    g_autoptr(GPtrArray) routes = bb_egress_routes_from_file(a->routes_path, error);
    if (routes == NULL)
        return FALSE;
    g_autoptr(GHashTable) secrets = a->secrets_path != NULL
                                        ? bb_egress_secrets_from_file(a->secrets_path, error)
                                        : g_hash_table_new(g_str_hash, g_str_equal);
    if (secrets == NULL)
        return FALSE;
    g_autoptr(BbRegistry) registry = bb_sidecar_load_plugins(error);
    if (registry == NULL)
        return FALSE;
    return bb_sidecar_serve(a, registry, routes, secrets, a->routes_path, a->upstream_ca,
                            (const gchar *const *)a->pins, NULL, error);
}

static gboolean
bb_sidecar_run_precompile(GError **error)
{
    g_autoptr(BbRegistry) registry = bb_sidecar_load_plugins(error);
    if (registry == NULL)
        return FALSE;
    return bb_sidecar_precompile(registry, error);
}

gint
main(gint argc, gchar **argv)
{
    g_auto(BbSidecarArgs) args = {0};
    g_autoptr(GError) error = NULL;
    setlocale(LC_ALL, "");
    if (!bb_sidecar_parse_args(&args, &argc, &argv, &error)) {
        g_printerr("bb-sidecar: %s\n", error->message);
        return 2;
    }
    if (args.bottle == NULL)
        args.bottle = g_strdup("default");
    gboolean ok = args.precompile_dlp          ? bb_sidecar_run_precompile(&error)
                  : args.launch_config != NULL ? bb_sidecar_run_launched(&args, &error)
                                               : bb_sidecar_run_files(&args, &error);
    if (!ok) {
        g_printerr("bb-sidecar: %s\n", error->message);
        return 1;
    }
    return 0;
}
