/* The bottle sidecar: the egress proxy and DNS responder for one
 * bottle's agent network. Its configuration comes from files (or
 * /dev/fd/N) named on the command line so no secret is ever in argv. */
#include <locale.h>

#include "bb-egress-runtime.h"
#include "bb-error.h"

gint
main(gint argc, gchar **argv)
{
    g_autofree gchar *bottle = NULL;
    g_autofree gchar *routes_path = NULL;
    g_autofree gchar *secrets_path = NULL;
    g_autofree gchar *listen = NULL;
    g_autofree gchar *ca_cert = NULL;
    g_autofree gchar *upstream_ca = NULL;
    g_autofree gchar *audit = NULL;
    g_autofree gchar *dns = NULL;
    g_autofree gchar *dns_answer = NULL;
    g_auto(GStrv) pins = NULL;
    gint max_connections = 0;
    gint supervise_timeout = 0;
    gint64 hold_cap = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(GOptionContext) ctx = g_option_context_new("- bot-bottle egress sidecar");
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(GHashTable) secrets = NULL;
    g_autoptr(BbRegistry) registry = NULL;
    const GOptionEntry entries[] = {
        {"bottle", 0, 0, G_OPTION_ARG_STRING, &bottle, "Bottle name (for messages)", "NAME"},
        {"routes", 0, 0, G_OPTION_ARG_FILENAME, &routes_path, "Routes JSON (re-read on SIGHUP)",
         "FILE"},
        {"secrets", 0, 0, G_OPTION_ARG_FILENAME, &secrets_path,
         "Secrets JSON object, e.g. /dev/fd/3", "FILE"},
        {"listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Proxy address", "ADDR:PORT"},
        {"ca-cert", 0, 0, G_OPTION_ARG_FILENAME, &ca_cert, "Write the CA certificate here", "FILE"},
        {"upstream-ca", 0, 0, G_OPTION_ARG_FILENAME, &upstream_ca, "Extra upstream CA", "FILE"},
        {"resolve", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pins, "Pin HOST:PORT:ADDR", "SPEC"},
        {"audit", 0, 0, G_OPTION_ARG_FILENAME, &audit, "Audit log (- = stderr)", "FILE"},
        {"dns", 0, 0, G_OPTION_ARG_STRING, &dns, "DNS responder address", "ADDR:PORT"},
        {"dns-answer", 0, 0, G_OPTION_ARG_STRING, &dns_answer, "IPv4 address DNS hands out",
         "ADDR"},
        {"max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections, "Connection limit", "N"},
        {"supervise-timeout", 0, 0, G_OPTION_ARG_INT, &supervise_timeout,
         "How long a supervise hold waits for approval (default 5000)", "MS"},
        {"dlp-hold-cap", 0, 0, G_OPTION_ARG_INT64, &hold_cap,
         "Largest request body held for DLP scanning (default 8 MiB)", "BYTES"},
        {NULL},
    };
    BbEgressRunOptions options = {0};

    setlocale(LC_ALL, "");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("bb-sidecar: %s\n", error->message);
        return 2;
    }
    if (routes_path == NULL || listen == NULL) {
        g_printerr("bb-sidecar: --routes FILE and --listen ADDR:PORT are required\n");
        return 2;
    }
    routes = bb_egress_routes_from_file(routes_path, &error);
    if (routes == NULL) {
        g_printerr("bb-sidecar: %s\n", error->message);
        return 1;
    }
    secrets = secrets_path != NULL ? bb_egress_secrets_from_file(secrets_path, &error)
                                   : g_hash_table_new(g_str_hash, g_str_equal);
    if (secrets == NULL) {
        g_printerr("bb-sidecar: %s\n", error->message);
        return 1;
    }
    registry = bb_registry_new();
    /* Built-ins, and the contrib detectors and auth schemes the host's
     * loader accepted, copied root-owned into the image (unset: none). */
    if (!bb_registry_load_all(registry, g_getenv("BOT_BOTTLE_SIDECAR_CONTRIB"), &error)) {
        g_printerr("bb-sidecar: %s\n", error->message);
        return 1;
    }
    options.bottle_name = bottle != NULL ? bottle : "default";
    options.listen = listen;
    options.ca_cert_out = ca_cert;
    options.upstream_ca = upstream_ca;
    options.pins = (const gchar *const *)pins;
    options.audit_path = audit;
    options.dns_listen = dns;
    options.dns_answer = dns_answer;
    options.routes_path = routes_path;
    options.max_connections = (guint)MAX(max_connections, 0);
    options.supervise_timeout_ms = (guint)MAX(supervise_timeout, 0);
    options.dlp_hold_cap = (gsize)MAX(hold_cap, 0);
    if (!bb_egress_run(&options, routes, registry, secrets, &error)) {
        g_printerr("bb-sidecar: %s\n", error->message);
        return 1;
    }
    return 0;
}
