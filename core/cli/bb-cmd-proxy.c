/* bot-bottle proxy AGENT --listen ADDR:PORT: the sidecar's egress proxy
 * on the host, serving AGENT's resolved routes (bottle chain plus the
 * provider's), so a policy can be tried with curl before an agent uses
 * it. Secrets come from the host environment variables the routes name. */
#include "bb-cli-catalog.h"
#include "bb-cmd.h"
#include "bb-egress-cli.h"

static gboolean
wants_help(gint argc, gchar **argv)
{
    for (gint i = 1; i < argc; i++) {
        if (g_strcmp0(argv[i], "--help") == 0 || g_strcmp0(argv[i], "-h") == 0)
            return TRUE;
    }
    return FALSE;
}

gint
bb_cmd_proxy(BbCli *cli, gint argc, gchar **argv)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autoptr(GError) error = NULL;
    BbRegistry *registry;

    if (wants_help(argc, argv)) {
        gchar *help_argv[] = {(gchar *)"bot-bottle proxy AGENT", (gchar *)"--help", NULL};
        return bb_egress_cli_run(NULL, NULL, 2, help_argv);
    }
    if (argc < 2 || argv[1][0] == '-') {
        bb_cli_error(cli, "proxy takes an AGENT name first: bot-bottle proxy AGENT --listen "
                          "127.0.0.1:8080 (see 'bot-bottle list')");
        return BB_EXIT_USAGE;
    }
    registry = bb_cli_get_registry(cli, &error);
    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_USAGE;
    }
    catalog = bb_cli_load_catalog(cli);
    if (catalog == NULL)
        return BB_EXIT_USAGE;
    plan = bb_catalog_resolve(catalog, argv[1], registry, &error);
    if (plan == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    return bb_egress_cli_run(plan, registry, argc - 1, argv + 1);
}
