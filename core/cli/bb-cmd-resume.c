/* bot-bottle resume SLUG: a new bottle for the same agent, booted from
 * the image `commit` recorded for SLUG. */
#include "bb-cli-bottle.h"
#include "bb-cli-state.h"
#include "bb-cmd.h"

gint
bb_cmd_resume(BbCli *cli, gint argc, gchar **argv)
{
    g_auto(BbBottleArgs) args = {0};
    g_autofree GOptionEntry *entries = bb_bottle_option_entries(&args, TRUE);
    g_autoptr(GError) error = NULL;
    gint code = BB_EXIT_OK;

    if (!bb_cli_parse_options(cli, &argc, &argv, "SLUG",
                              "Start a new bottle from the image 'bot-bottle commit SLUG' "
                              "recorded, with SLUG's agent\nand its current bottle (routes, "
                              "secrets). Same preflight and options as start.",
                              entries))
        return BB_EXIT_USAGE;
    if (argc != 2) {
        bb_cli_error(cli, "resume takes one SLUG (see 'bot-bottle list')");
        return BB_EXIT_USAGE;
    }
    g_autoptr(BbBottleState) state = bb_bottle_state_load(cli, argv[1], &error);
    if (state == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    if (args.backend == NULL)
        args.backend = g_strdup(state->backend);
    g_autoptr(BbBottleSession) session = bb_bottle_session_new(cli, state->agent, &args, &code);
    if (session == NULL)
        return code;
    bb_bottle_session_set_image(session, state->image);
    if (!bb_bottle_session_preflight(session))
        return BB_EXIT_FAILURE;
    if (!bb_bottle_session_launch(session))
        return bb_bottle_session_failure_code(session);
    return bb_bottle_session_exec(session, NULL, TRUE);
}
