#include <stdio.h>
#include <unistd.h>

#include "bb-cli.h"
#include "bb-config.h"
#include "bb-error.h"

BbRegistry *
bb_cli_get_registry(BbCli *cli, GError **error)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *contrib_dir = NULL;

    if (cli->registry != NULL)
        return cli->registry;
    registry = bb_registry_new();
    contrib_dir = g_build_filename(cli->config_dir, "contrib", NULL);
    if (!bb_registry_load_all(registry, contrib_dir, error))
        return NULL;
    cli->registry = g_steal_pointer(&registry);
    return cli->registry;
}

gboolean
bb_cli_parse_options(BbCli *cli, gint *argc, gchar ***argv, const gchar *parameter_string,
                     const gchar *summary, const GOptionEntry *entries)
{
    g_autoptr(GOptionContext) context = g_option_context_new(parameter_string);
    g_autoptr(GError) error = NULL;

    g_option_context_set_summary(context, summary);
    if (entries != NULL)
        g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, argc, argv, &error)) {
        bb_cli_error(cli, "%s (see 'bot-bottle %s --help')", error->message, (*argv)[0]);
        return FALSE;
    }
    return TRUE;
}

gchar *
bb_cli_paint(BbCli *cli, const gchar *sgr, const gchar *text)
{
    if (!cli->use_color)
        return g_strdup(text);
    return g_strdup_printf("\033[%sm%s\033[0m", sgr, text);
}

static void print_labelled(BbCli *cli, const gchar *label, const gchar *sgr, const gchar *format,
                           va_list args) G_GNUC_PRINTF(4, 0);

static void
print_labelled(BbCli *cli, const gchar *label, const gchar *sgr, const gchar *format, va_list args)
{
    g_autofree gchar *message = g_strdup_vprintf(format, args);
    g_autofree gchar *painted = bb_cli_paint(cli, sgr, label);
    fprintf(stderr, "%s: %s\n", painted, message);
}

void
bb_cli_error(BbCli *cli, const gchar *format, ...)
{
    va_list args;
    va_start(args, format);
    print_labelled(cli, "error", "1;31", format, args);
    va_end(args);
}

void
bb_cli_warning(BbCli *cli, const gchar *format, ...)
{
    va_list args;
    va_start(args, format);
    print_labelled(cli, "warning", "1;33", format, args);
    va_end(args);
}

void
bb_cli_print_json(JsonNode *node)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autofree gchar *text = NULL;
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_root(generator, node);
    text = json_generator_to_data(generator, NULL);
    printf("%s\n", text);
}
