/* bot-bottle warm AGENT [--count N]: keep N bottles for AGENT made ahead
 * of time, so `run` and `start` of AGENT claim one and skip creating
 * networks and containers. No secret is read here: a warm bottle gets
 * its policy and secrets only when a launch claims it. */
#include <stdio.h>

#include "bb-cli-bottle.h"
#include "bb-cmd.h"

static void
bb_warm_print(gboolean json, const gchar *agent, guint count, guint made, guint removed)
{
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "agent");
        json_builder_add_string_value(b, agent);
        json_builder_set_member_name(b, "warm");
        json_builder_add_int_value(b, count);
        json_builder_set_member_name(b, "made");
        json_builder_add_int_value(b, made);
        json_builder_set_member_name(b, "removed");
        json_builder_add_int_value(b, removed);
        json_builder_end_object(b);
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        bb_cli_print_json(root);
        return;
    }
    printf("%u warm bottle(s) ready for %s (%u made, %u removed)\n", count, agent, made, removed);
}

gint
bb_cmd_warm(BbCli *cli, gint argc, gchar **argv)
{
    g_auto(BbBottleArgs) args = {0};
    gint count = 1;
    gboolean json = FALSE;
    g_autofree GOptionEntry *shared = bb_bottle_option_entries(&args, FALSE);
    /* Only --backend applies here: pins and upstream CA belong to a launch. */
    const GOptionEntry entries[] = {
        shared[0],
        {"count", 'n', 0, G_OPTION_ARG_INT, &count,
         "Keep this many warm bottles (default 1; 0 removes them)", "N"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {NULL},
    };
    if (!bb_cli_parse_options(
            cli, &argc, &argv, "AGENT",
            "Make bottles for AGENT ahead of time: networks, sidecar and agent container, "
            "started\nand idle, holding no policy and no secret. The next `run` or `start` of "
            "AGENT with\nthe same images and settings claims one and only hands its sidecar "
            "the routes and\nsecrets, which makes it start several times faster. Warm bottles "
            "of AGENT made for\nother settings are removed; `list` shows them as warm; "
            "`cleanup` keeps them.",
            entries))
        return BB_EXIT_USAGE;
    if (argc != 2) {
        bb_cli_error(cli, "warm takes one AGENT name (see 'bot-bottle list')");
        return BB_EXIT_USAGE;
    }
    if (count < 0 || count > 16) {
        bb_cli_error(cli, "--count must be between 0 and 16 (each warm bottle holds two idle "
                          "containers)");
        return BB_EXIT_USAGE;
    }
    args.no_secrets = TRUE;
    gint code = BB_EXIT_OK;
    g_autoptr(BbBottleSession) session = bb_bottle_session_new(cli, argv[1], &args, &code);
    if (session == NULL)
        return code;
    guint made = 0, removed = 0;
    if (!bb_bottle_session_warm(session, (guint)count, &made, &removed))
        return BB_EXIT_FAILURE;
    bb_warm_print(json, argv[1], (guint)count, made, removed);
    return BB_EXIT_OK;
}
