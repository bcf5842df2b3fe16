/* bot-bottle scan [--json] [--bottle NAME] [FILE…|-]: the outbound
 * detectors over files or stdin (the work is bb_scan_cli_run). This file
 * only turns --bottle NAME into a plan, through a stand-in agent that
 * names the bottle, so the bottle's secret references are known. */
#include <string.h>

#include "bb-cli-catalog.h"
#include "bb-cmd.h"
#include "bb-diagnostic.h"
#include "bb-resolve.h"
#include "bb-scan-cli.h"

/* The value of --bottle in @argv, or NULL. */
static const gchar *
bb_scan_bottle_arg(gint argc, gchar **argv)
{
    for (gint i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "--"))
            return NULL;
        if (g_str_equal(argv[i], "--bottle") && i + 1 < argc)
            return argv[i + 1];
        if (g_str_has_prefix(argv[i], "--bottle="))
            return argv[i] + strlen("--bottle=");
    }
    return NULL;
}

static BbPlan *
bb_scan_resolve_bottle(BbCli *cli, BbRegistry *registry, const gchar *bottle)
{
    g_autoptr(BbCatalog) catalog = bb_cli_load_catalog(cli);
    g_autoptr(GPtrArray) diagnostics = bb_diagnostics_new();
    g_autofree gchar *stand_in = NULL;
    g_autoptr(BbAgentManifest) agent = NULL;
    BbPlan *plan;

    if (catalog == NULL)
        return NULL;
    if (strchr(bottle, '\n') != NULL || strchr(bottle, '"') != NULL) {
        bb_cli_error(cli, "no bottle named that");
        return NULL;
    }
    stand_in = g_strdup_printf("---\nbottle: \"%s\"\n---\n", bottle);
    agent = bb_agent_manifest_parse("(scan --bottle)", "scan", BB_ORIGIN_HOME, stand_in,
                                    strlen(stand_in), diagnostics);
    plan = agent != NULL ? bb_resolve_agent(catalog, agent, registry, diagnostics) : NULL;
    if (plan == NULL) {
        for (guint i = 0; i < diagnostics->len; i++) {
            g_autofree gchar *line = bb_diagnostic_to_string(g_ptr_array_index(diagnostics, i));
            bb_cli_error(cli, "%s", line);
        }
        if (diagnostics->len == 0)
            bb_cli_error(cli, "cannot resolve bottle '%s' (see 'bot-bottle list')", bottle);
    }
    return plan;
}

gint
bb_cmd_scan(BbCli *cli, gint argc, gchar **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbPlan) plan = NULL;
    const gchar *bottle = bb_scan_bottle_arg(argc, argv);
    BbRegistry *registry = bb_cli_get_registry(cli, &error);

    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_USAGE;
    }
    if (bottle != NULL) {
        plan = bb_scan_resolve_bottle(cli, registry, bottle);
        if (plan == NULL)
            return BB_EXIT_USAGE;
    }
    return bb_scan_cli_run(registry, plan, argc, argv);
}
