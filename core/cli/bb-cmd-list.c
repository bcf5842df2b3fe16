/* bot-bottle list: every agent and bottle, and where each came from. */
#include <stdio.h>

#include "bb-cli-catalog.h"
#include "bb-cmd.h"

static void
add_entries_json(JsonBuilder *b, const gchar *member, GPtrArray *entries)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (guint i = 0; i < entries->len; i++) {
        const BbCatalogEntry *entry = g_ptr_array_index(entries, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, entry->name);
        json_builder_set_member_name(b, "origin");
        json_builder_add_string_value(b, bb_manifest_origin_to_string(entry->origin));
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, entry->path);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
print_entries(BbCli *cli, const gchar *title, GPtrArray *entries)
{
    g_autofree gchar *heading = bb_cli_paint(cli, "1", title);
    printf("%s\n", heading);
    if (entries->len == 0)
        printf("  (none)\n");
    for (guint i = 0; i < entries->len; i++) {
        const BbCatalogEntry *entry = g_ptr_array_index(entries, i);
        printf("  %-24s %-5s %s\n", entry->name, bb_manifest_origin_to_string(entry->origin),
               entry->path);
    }
}

gint
bb_cmd_list(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(GPtrArray) agents = NULL;
    g_autoptr(GPtrArray) bottles = NULL;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "",
                              "List agents (from ~/.bot-bottle/agents/ and the repo's "
                              ".bot-bottle/agents/)\nand bottles (from ~/.bot-bottle/bottles/ "
                              "only), with where each came from.",
                              entries))
        return BB_EXIT_USAGE;
    catalog = bb_cli_load_catalog(cli);
    if (catalog == NULL)
        return BB_EXIT_USAGE;
    agents = bb_catalog_get_agents(catalog);
    bottles = bb_catalog_get_bottles(catalog);

    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_object(b);
        add_entries_json(b, "agents", agents);
        add_entries_json(b, "bottles", bottles);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        bb_cli_print_json(root);
    } else {
        print_entries(cli, "Agents", agents);
        printf("\n");
        print_entries(cli, "Bottles", bottles);
    }
    return BB_EXIT_OK;
}
