/* bot-bottle check: validate every manifest, print every problem. */
#include <stdio.h>

#include "bb-cli-catalog.h"
#include "bb-cmd.h"
#include "bb-diagnostic.h"

static void
print_json(gboolean ok, GPtrArray *diagnostics)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, ok);
    json_builder_set_member_name(b, "diagnostics");
    json_builder_begin_array(b);
    for (guint i = 0; i < diagnostics->len; i++) {
        const BbDiagnostic *d = g_ptr_array_index(diagnostics, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, d->file);
        json_builder_set_member_name(b, "line");
        json_builder_add_int_value(b, d->line);
        json_builder_set_member_name(b, "column");
        json_builder_add_int_value(b, d->column);
        json_builder_set_member_name(b, "severity");
        json_builder_add_string_value(b, d->is_warning ? "warning" : "error");
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, d->message);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    bb_cli_print_json(root);
}

static void
print_text(BbCli *cli, BbCatalog *catalog, GPtrArray *diagnostics)
{
    guint errors = 0, warnings = 0;
    g_autoptr(GPtrArray) agents = bb_catalog_get_agents(catalog);
    g_autoptr(GPtrArray) bottles = bb_catalog_get_bottles(catalog);

    for (guint i = 0; i < diagnostics->len; i++) {
        const BbDiagnostic *d = g_ptr_array_index(diagnostics, i);
        g_autofree gchar *text = bb_diagnostic_to_string(d);
        fprintf(stderr, "%s\n", text);
        if (d->is_warning)
            warnings++;
        else
            errors++;
    }
    if (errors == 0) {
        g_autofree gchar *ok = bb_cli_paint(cli, "32", "ok");
        printf("%s: %u agents, %u bottles, %u warnings\n", ok, agents->len, bottles->len, warnings);
    } else {
        printf("%u errors, %u warnings in %u agents and %u bottles\n", errors, warnings,
               agents->len, bottles->len);
    }
}

gint
bb_cmd_check(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(GError) error = NULL;
    BbRegistry *registry;
    gboolean ok;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "",
                              "Validate every bottle and agent manifest under ~/.bot-bottle/ and "
                              "the current repo's .bot-bottle/,\nresolving every agent. Prints "
                              "every problem as FILE:LINE:COLUMN and exits 1 if there is any.",
                              entries))
        return BB_EXIT_USAGE;

    registry = bb_cli_get_registry(cli, &error);
    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_USAGE;
    }
    catalog = bb_cli_load_catalog(cli);
    if (catalog == NULL)
        return BB_EXIT_USAGE;
    ok = bb_catalog_check(catalog, registry);
    if (json)
        print_json(ok, bb_catalog_get_diagnostics(catalog));
    else
        print_text(cli, catalog, bb_catalog_get_diagnostics(catalog));
    return ok ? BB_EXIT_OK : BB_EXIT_FAILURE;
}
