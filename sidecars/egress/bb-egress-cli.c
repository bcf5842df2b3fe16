#include "bb-egress-cli.h"
#include "bb-egress-runtime.h"

gint
bb_egress_cli_run(BbPlan *plan, BbRegistry *registry, gint argc, gchar **argv)
{
    g_autofree gchar *listen = NULL;
    g_autofree gchar *ca_cert = NULL;
    g_autofree gchar *upstream_ca = NULL;
    g_autofree gchar *audit = NULL;
    g_autofree gchar *dns = NULL;
    g_auto(GStrv) pins = NULL;
    gint supervise_timeout = 0;
    gint64 hold_cap = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) secrets = NULL;
    g_autoptr(GOptionContext) ctx = g_option_context_new("- serve a bottle's egress policy");
    GPtrArray *routes;
    const GOptionEntry entries[] = {
        {"listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on", "ADDR:PORT"},
        {"ca-cert", 0, 0, G_OPTION_ARG_FILENAME, &ca_cert, "Write the bottle CA certificate here",
         "FILE"},
        {"resolve", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pins, "Pin a host's address (repeatable)",
         "HOST:PORT:ADDR"},
        {"upstream-ca", 0, 0, G_OPTION_ARG_FILENAME, &upstream_ca,
         "Also trust this CA for upstream servers", "FILE"},
        {"audit", 0, 0, G_OPTION_ARG_FILENAME, &audit, "Append JSON audit lines here (- = stderr)",
         "FILE"},
        {"dns", 0, 0, G_OPTION_ARG_STRING, &dns, "Also answer DNS for route hosts here",
         "ADDR:PORT"},
        {"supervise-timeout", 0, 0, G_OPTION_ARG_INT, &supervise_timeout,
         "How long a supervise hold waits for approval (default 5000)", "MS"},
        {"dlp-hold-cap", 0, 0, G_OPTION_ARG_INT64, &hold_cap,
         "Largest request body held for DLP scanning (default 8 MiB); larger is refused", "BYTES"},
        {NULL},
    };
    BbEgressRunOptions options = {0};

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Serves the plan's routes as an HTTP proxy: point curl at it with\n"
             "  curl --proxy http://ADDR:PORT --cacert CA.pem https://HOST/PATH\n"
             "Route secrets are read from the host environment variables the routes name.\n"
             "SIGINT/SIGTERM stop it.");
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("error: %s\nRun 'bot-bottle proxy --help' for usage.\n", error->message);
        return 2;
    }
    if (plan == NULL)
        return 2;
    if (argc > 1) {
        g_printerr("error: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    routes = bb_plan_get_routes(plan);
    if (listen == NULL) {
        g_printerr("error: --listen ADDR:PORT is required (e.g. --listen 127.0.0.1:8080)\n");
        return 2;
    }
    secrets = bb_egress_secrets_from_env(routes, &error);
    if (secrets == NULL) {
        g_printerr("error: %s\n", error->message);
        return 1;
    }
    options.bottle_name = bb_plan_get_bottle_name(plan);
    options.listen = listen;
    options.ca_cert_out = ca_cert;
    options.upstream_ca = upstream_ca;
    options.pins = (const gchar *const *)pins;
    options.audit_path = audit;
    options.dns_listen = dns;
    options.dns_answer = "127.0.0.1";
    options.supervise_timeout_ms = (guint)MAX(supervise_timeout, 0);
    options.dlp_hold_cap = (gsize)MAX(hold_cap, 0);
    if (!bb_egress_run(&options, routes, registry, secrets, &error)) {
        g_printerr("error: %s\n", error->message);
        return 1;
    }
    return 0;
}
