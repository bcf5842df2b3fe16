/* bot-bottle: entry point. Global flags, then dispatch to a command. */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bb-cli.h"
#include "bb-config.h"
#include "bb-version.h"

/* https://no-color.org: any non-empty NO_COLOR turns colour off; so does
 * output that is not a terminal. */
static gboolean
want_color(void)
{
    const gchar *no_color = g_getenv("NO_COLOR");
    const gchar *term = g_getenv("TERM");
    if (no_color != NULL && no_color[0] != '\0')
        return FALSE;
    if (g_strcmp0(term, "dumb") == 0)
        return FALSE;
    return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}

static void
print_usage(FILE *out)
{
    gsize n_commands = 0;
    const BbCommand *commands = bb_cli_commands(&n_commands);

    fprintf(out, "Usage: bot-bottle [--version] [--help] COMMAND [ARGS…]\n\n"
                 "Run coding agents in bottles whose only way out is a policy proxy.\n\n"
                 "Commands:\n");
    for (gsize i = 0; i < n_commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'bot-bottle COMMAND --help' for a command's options.\n"
                 "Manifests live in ~/.bot-bottle/ (see 'man bot-bottle' and docs/manifest.md).\n");
}

int
main(int argc, char **argv)
{
    BbCli cli = {0};
    const BbCommand *command;
    gint status;

    setlocale(LC_ALL, "");
    cli.use_color = want_color();
    cli.config_dir = bb_config_dir();

    if (argc < 2) {
        print_usage(stderr);
        g_free(cli.config_dir);
        return BB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && bb_cli_find_command(argv[2]) != NULL) {
            gchar *help_argv[] = {argv[2], (gchar *)"--help", NULL};
            status = bb_cli_find_command(argv[2])->run(&cli, 2, help_argv);
        } else {
            print_usage(stdout);
            status = BB_EXIT_OK;
        }
        g_free(cli.config_dir);
        return status;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("bot-bottle %s (plugin ABI %d.%d)\n", BB_VERSION, BB_PLUGIN_ABI_MAJOR,
               BB_PLUGIN_ABI_MINOR);
        g_free(cli.config_dir);
        return BB_EXIT_OK;
    }

    command = bb_cli_find_command(argv[1]);
    if (command == NULL) {
        bb_cli_error(&cli, "unknown command '%s'; run 'bot-bottle --help' for the list", argv[1]);
        g_free(cli.config_dir);
        return BB_EXIT_USAGE;
    }
    status = command->run(&cli, argc - 1, argv + 1);
    g_clear_object(&cli.registry);
    g_free(cli.config_dir);
    return status;
}
