/* bot-bottle list: every agent and bottle, and where each came from. */
#include <stdio.h>

#include "bb-cli-catalog.h"
#include "bb-cli-running.h"
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

/* "5m", "3h", "2d": how long a bottle has existed. */
static gchar *
bb_age(gint64 created)
{
    gint64 seconds = MAX(g_get_real_time() / G_USEC_PER_SEC - created, 0);
    if (seconds < 120)
        return g_strdup_printf("%" G_GINT64_FORMAT "s", seconds);
    if (seconds < 2 * 3600)
        return g_strdup_printf("%" G_GINT64_FORMAT "m", seconds / 60);
    if (seconds < 2 * 86400)
        return g_strdup_printf("%" G_GINT64_FORMAT "h", seconds / 3600);
    return g_strdup_printf("%" G_GINT64_FORMAT "d", seconds / 86400);
}

static void
add_running_json(JsonBuilder *b, GPtrArray *running)
{
    json_builder_set_member_name(b, "bottles_running");
    json_builder_begin_array(b);
    for (guint i = 0; running != NULL && i < running->len; i++) {
        const BbBottleInfo *info = g_ptr_array_index(running, i);
        const gchar *members[][2] = {{"slug", info->slug},
                                     {"agent", info->agent},
                                     {"state", info->state},
                                     {"backend", info->backend},
                                     {"image", info->image}};
        json_builder_begin_object(b);
        for (guint m = 0; m < G_N_ELEMENTS(members); m++) {
            json_builder_set_member_name(b, members[m][0]);
            json_builder_add_string_value(b, members[m][1]);
        }
        json_builder_set_member_name(b, "created");
        json_builder_add_int_value(b, info->created);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
print_running(BbCli *cli, GPtrArray *running, const gchar *problem)
{
    g_autofree gchar *heading = bb_cli_paint(cli, "1", "Running bottles");
    printf("%s\n", heading);
    if (running == NULL) {
        printf("  (unknown: %s)\n", problem);
        return;
    }
    if (running->len == 0)
        printf("  (none)\n");
    for (guint i = 0; i < running->len; i++) {
        const BbBottleInfo *info = g_ptr_array_index(running, i);
        g_autofree gchar *age = bb_age(info->created);
        printf("  %-24s %-16s %-9s %-8s %-5s %s\n", info->slug, info->agent, info->state,
               info->backend, age, info->image);
    }
}

/* Bottles on every backend that can run here; NULL with @problem when
 * none can be asked. */
static GPtrArray *
list_running(BbCli *cli, gchar **problem)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) backends = bb_cli_backends(cli, &error);
    if (backends == NULL) {
        *problem = g_strdup(error->message);
        return NULL;
    }
    /* With no backend to ask, "none" would be a guess. */
    g_autoptr(GString) reasons = g_string_new(NULL);
    for (guint i = 0; i < backends->len; i++) {
        BbCliBackend *entry = g_ptr_array_index(backends, i);
        if (entry->backend != NULL) {
            GPtrArray *running = bb_cli_running_bottles(backends, &error);
            if (running == NULL)
                *problem = g_strdup(error->message);
            return running;
        }
        g_string_append_printf(reasons, "%s%s: %s", reasons->len > 0 ? "; " : "", entry->name,
                               entry->problem);
    }
    *problem = g_strdup_printf("no backend is available (%s)",
                               reasons->len > 0 ? reasons->str : "none installed");
    return NULL;
}

gint
bb_cmd_list(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(GPtrArray) agents = NULL;
    g_autoptr(GPtrArray) bottles = NULL;
    g_autoptr(GPtrArray) running = NULL;
    g_autofree gchar *problem = NULL;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "",
                              "List agents (from ~/.bot-bottle/agents/ and the repo's "
                              ".bot-bottle/agents/)\nand bottles (from ~/.bot-bottle/bottles/ "
                              "only), with where each came from,\nand the bottles running on "
                              "every available backend.",
                              entries))
        return BB_EXIT_USAGE;
    catalog = bb_cli_load_catalog(cli);
    if (catalog == NULL)
        return BB_EXIT_USAGE;
    agents = bb_catalog_get_agents(catalog);
    bottles = bb_catalog_get_bottles(catalog);
    running = list_running(cli, &problem);

    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_object(b);
        add_entries_json(b, "agents", agents);
        add_entries_json(b, "bottles", bottles);
        add_running_json(b, running);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        bb_cli_print_json(root);
    } else {
        print_entries(cli, "Agents", agents);
        printf("\n");
        print_entries(cli, "Bottles", bottles);
        printf("\n");
        print_running(cli, running, problem);
    }
    return BB_EXIT_OK;
}
