/* Shared state and helpers for the bot-bottle command line. Each command
 * lives in bb-cmd-<name>.c and is listed in bb-cli-commands.c. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "bb-registry.h"

G_BEGIN_DECLS

/* Exit codes every command uses. */
enum {
    BB_EXIT_OK = 0,
    BB_EXIT_FAILURE = 1, /* the command ran and found a problem */
    BB_EXIT_USAGE = 2,   /* bad arguments or an error before any work */
};

typedef struct {
    gboolean use_color;
    gchar *config_dir;    /* ~/.bot-bottle unless BOT_BOTTLE_CONFIG_DIR */
    BbRegistry *registry; /* loaded on first bb_cli_get_registry() */
} BbCli;

/* A command: argv[0] is the command name; returns a BB_EXIT_* code. */
typedef gint (*BbCommandFunc)(BbCli *cli, gint argc, gchar **argv);

typedef struct {
    const gchar *name;
    const gchar *summary; /* one line for `bot-bottle --help` */
    BbCommandFunc run;
} BbCommand;

const BbCommand *bb_cli_commands(gsize *n_commands);
const BbCommand *bb_cli_find_command(const gchar *name);

/* Loads built-in and contrib plugins once; a broken built-in is fatal. */
BbRegistry *bb_cli_get_registry(BbCli *cli, GError **error);

/* Parses @argv with @entries and the standard --help; on a usage error
 * prints it with a hint and returns FALSE. */
gboolean bb_cli_parse_options(BbCli *cli, gint *argc, gchar ***argv, const gchar *parameter_string,
                              const gchar *summary, const GOptionEntry *entries);

/* "error: …" on stderr, red when colour is on. */
void bb_cli_error(BbCli *cli, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
void bb_cli_warning(BbCli *cli, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
/* Wraps @text in an SGR colour (e.g. "1;32") when colour is on. */
gchar *bb_cli_paint(BbCli *cli, const gchar *sgr, const gchar *text);

/* Prints @node as pretty JSON on stdout. */
void bb_cli_print_json(JsonNode *node);

G_END_DECLS
