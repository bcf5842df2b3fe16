/* bot-bottle info AGENT: the resolved plan — what would be launched. */
#include <stdio.h>

#include "bb-cli-catalog.h"
#include "bb-cmd.h"
#include "bb-plan-print.h"

gint
bb_cmd_info(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autoptr(GError) error = NULL;
    BbRegistry *registry;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "AGENT",
                              "Show AGENT's resolved plan: bottle chain, provider, env, egress "
                              "routes (provider routes included),\nskills, git, and the secrets it "
                              "needs as $NAME (set|unset) — never their values.",
                              entries))
        return BB_EXIT_USAGE;
    if (argc != 2) {
        bb_cli_error(cli, "info takes one AGENT name (see 'bot-bottle list')");
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
    if (json) {
        g_autoptr(JsonNode) root = bb_plan_to_json(plan);
        bb_cli_print_json(root);
    } else {
        bb_plan_print_text(cli, plan);
    }
    return BB_EXIT_OK;
}
