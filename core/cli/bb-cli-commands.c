#include "bb-cli.h"
#include "bb-cmd.h"

/* Keep alphabetical: `bot-bottle --help` prints them in this order. */
static const BbCommand commands[] = {
    {"check", "validate every manifest and list all problems", bb_cmd_check},
    {"cleanup", "remove bottles left by a crashed or killed bot-bottle", bb_cmd_cleanup},
    {"commit", "snapshot a running bottle's agent for resume", bb_cmd_commit},
    {"demo", "watch a scripted agent in a real bottle (no credentials needed)", bb_cmd_demo},
    {"doctor", "check this machine can run bottles, with fixes", bb_cmd_doctor},
    {"edit", "edit an agent or bottle, then validate it", bb_cmd_edit},
    {"info", "show an agent's resolved plan", bb_cmd_info},
    {"init", "write a base bottle and an agent that uses it", bb_cmd_init},
    {"list", "list agents and bottles and where each came from", bb_cmd_list},
    {"plugins", "list loaded plugins and any that failed", bb_cmd_plugins},
    {"proxy", "serve an agent's egress policy as a local HTTP(S) proxy", bb_cmd_proxy},
    {"resume", "start a new bottle from a committed snapshot", bb_cmd_resume},
    {"run", "run a command in a new bottle, headless; exit code propagates", bb_cmd_run},
    {"scan", "look for secrets in files or stdin (a pre-commit hook)", bb_cmd_scan},
    {"start", "start an agent in a new bottle with a terminal", bb_cmd_start},
    {"warm", "make bottles ahead of time so the next start is fast", bb_cmd_warm},
};

const BbCommand *
bb_cli_commands(gsize *n_commands)
{
    *n_commands = G_N_ELEMENTS(commands);
    return commands;
}

const BbCommand *
bb_cli_find_command(const gchar *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_strcmp0(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}
