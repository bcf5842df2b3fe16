/* bot-bottle start AGENT: preflight, then an interactive session in a
 * new bottle, removed when the session ends or a signal arrives. */
#include "bb-cli-bottle.h"
#include "bb-cli-prompt.h"
#include "bb-cmd.h"

gint
bb_cmd_start(BbCli *cli, gint argc, gchar **argv)
{
    g_auto(BbBottleArgs) args = {0};
    g_autofree GOptionEntry *entries = bb_bottle_option_entries(&args, TRUE);
    gint code = BB_EXIT_OK;

    if (!bb_cli_parse_options(
            cli, &argc, &argv, "AGENT",
            "Start AGENT in a new bottle and attach a terminal to it. A "
            "preflight shows the image,\nruntime, egress allowlist and secrets "
            "($NAME from this shell, never shown) and asks\nbefore anything is "
            "created. The bottle is removed when the session ends.\nWithout a terminal the "
            "session's input and output are streamed; the end of the\ninput ends it.",
            entries))
        return BB_EXIT_USAGE;
    if (argc != 2 && g_strcmp0(args.backend, "help") != 0) {
        bb_cli_error(cli, "start takes one AGENT name (see 'bot-bottle list')");
        return BB_EXIT_USAGE;
    }
    g_autoptr(BbBottleSession) session = bb_bottle_session_new(cli, argv[1], &args, &code);
    if (session == NULL)
        return code;
    if (!bb_bottle_session_preflight(session))
        return BB_EXIT_FAILURE;
    if (!bb_bottle_session_launch(session))
        return bb_bottle_session_failure_code(session);
    /* With a terminal the agent gets one too; otherwise its input and
     * output are streamed (scripts, tests). */
    return bb_bottle_session_exec(session, NULL, TRUE);
}
