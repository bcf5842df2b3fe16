/* bot-bottle run AGENT -- CMD…: headless. Never prompts, streams the
 * command's output, leaves with its exit code, removes the bottle. */
#include <stdio.h>
#include <string.h>

#include "bb-cli-bottle.h"
#include "bb-cmd.h"

gint
bb_cmd_run(BbCli *cli, gint argc, gchar **argv)
{
    g_auto(BbBottleArgs) args = {0};
    g_autofree GOptionEntry *entries = bb_bottle_option_entries(&args, TRUE);
    gint code = BB_EXIT_OK;

    /* Everything after "--" is the command, never our options. */
    gint split = argc;
    for (gint i = 1; i < argc; i++) {
        if (g_strcmp0(argv[i], "--") == 0) {
            split = i;
            break;
        }
    }
    gchar **command = split < argc ? argv + split + 1 : NULL;
    gint option_argc = split;
    g_autofree gchar **options = g_new0(gchar *, split + 1);
    memcpy(options, argv, split * sizeof(gchar *));
    gchar **option_argv = options;
    if (!bb_cli_parse_options(cli, &option_argc, &option_argv, "AGENT [-- CMD…]",
                              "Run CMD (default: the provider's command) in a new bottle for "
                              "AGENT, without a terminal\nor questions (--yes is implied). Output "
                              "is streamed; the exit code is CMD's; the bottle\nis removed "
                              "afterwards.",
                              entries))
        return BB_EXIT_USAGE;
    if (option_argc != 2) {
        bb_cli_error(cli, "usage: bot-bottle run AGENT [-- CMD…] (see 'bot-bottle run --help')");
        return BB_EXIT_USAGE;
    }
    if (command != NULL && command[0] == NULL) {
        bb_cli_error(cli, "nothing after '--': give the command to run, or leave '--' out");
        return BB_EXIT_USAGE;
    }
    args.yes = TRUE;
    g_autoptr(BbBottleSession) session = bb_bottle_session_new(cli, option_argv[1], &args, &code);
    if (session == NULL)
        return code;
    if (!bb_bottle_session_launch(session))
        return bb_bottle_session_failure_code(session);
    code = bb_bottle_session_exec(session, (const gchar *const *)command, FALSE);
    fflush(stdout);
    return code;
}
