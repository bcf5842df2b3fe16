/* bot-bottle plugins: what loaded, from where, and what failed and why. */
#include <stdio.h>

#include "bb-cmd.h"
#include "bb-registry-private.h"

static const gchar *
origin_name(BbPluginOrigin origin)
{
    return origin == BB_PLUGIN_ORIGIN_CONTRIB ? "contrib" : "built-in";
}

static const gchar *
status_name(BbPluginStatus status)
{
    switch (status) {
    case BB_PLUGIN_STATUS_LOADED:
        return "loaded";
    case BB_PLUGIN_STATUS_FAILED:
        return "failed";
    case BB_PLUGIN_STATUS_DISABLED:
        return "disabled";
    }
    return "unknown";
}

static gchar *
kinds_text(const BbPluginInfo *info)
{
    if (info->kinds == NULL || info->kinds[0] == NULL)
        return g_strdup("-");
    return g_strjoinv(",", info->kinds);
}

static JsonNode *
plugin_to_json(const BbPluginInfo *info)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree gchar *abi = g_strdup_printf("%u.%u", info->abi_major, info->abi_minor);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, info->name);
    json_builder_set_member_name(b, "kinds");
    json_builder_begin_array(b);
    for (guint i = 0; info->kinds != NULL && info->kinds[i] != NULL; i++)
        json_builder_add_string_value(b, info->kinds[i]);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, info->version);
    json_builder_set_member_name(b, "license");
    json_builder_add_string_value(b, info->license);
    json_builder_set_member_name(b, "description");
    json_builder_add_string_value(b, info->description);
    json_builder_set_member_name(b, "origin");
    json_builder_add_string_value(b, origin_name(info->origin));
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, info->path);
    json_builder_set_member_name(b, "abi");
    json_builder_add_string_value(b, abi);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, status_name(info->status));
    json_builder_set_member_name(b, "error");
    if (info->error != NULL)
        json_builder_add_string_value(b, info->error->message);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void
print_json(BbRegistry *registry)
{
    GPtrArray *plugins = bb_registry_get_plugins(registry);
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "tainted");
    json_builder_add_boolean_value(b, bb_registry_is_tainted(registry));
    json_builder_set_member_name(b, "contrib_disabled");
    json_builder_add_boolean_value(b, bb_registry_get_contrib_disabled(registry));
    json_builder_set_member_name(b, "plugins");
    json_builder_begin_array(b);
    for (guint i = 0; i < plugins->len; i++)
        json_builder_add_value(b, plugin_to_json(g_ptr_array_index(plugins, i)));
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    bb_cli_print_json(root);
}

static void
print_text(BbCli *cli, BbRegistry *registry)
{
    GPtrArray *plugins = bb_registry_get_plugins(registry);

    printf("%-18s %-16s %-8s %-8s %-8s %s\n", "NAME", "KIND", "VERSION", "ORIGIN", "STATUS",
           "PATH");
    for (guint i = 0; i < plugins->len; i++) {
        const BbPluginInfo *info = g_ptr_array_index(plugins, i);
        g_autofree gchar *kinds = kinds_text(info);
        g_autofree gchar *status =
            bb_cli_paint(cli, info->status == BB_PLUGIN_STATUS_FAILED ? "1;31" : "32",
                         status_name(info->status));
        printf("%-18s %-16s %-8s %-8s %-8s %s\n", info->name, kinds,
               info->version != NULL ? info->version : "-", origin_name(info->origin), status,
               info->path);
        if (info->error != NULL)
            printf("    %s\n", info->error->message);
    }
    if (bb_registry_get_contrib_disabled(registry))
        printf("\ncontrib plugins are disabled (BOT_BOTTLE_NO_CONTRIB is set)\n");
    if (bb_registry_is_tainted(registry))
        printf("\nthird-party (contrib) code is loaded in this process\n");
}

gint
bb_cmd_plugins(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    BbRegistry *registry;
    g_autoptr(GError) error = NULL;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "",
                              "List built-in and contrib plugins: kind, name, version, origin, "
                              "ABI and status.\nA broken contrib plugin is listed with its error "
                              "and skipped.",
                              entries))
        return BB_EXIT_USAGE;
    registry = bb_cli_get_registry(cli, &error);
    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    if (json)
        print_json(registry);
    else
        print_text(cli, registry);
    return BB_EXIT_OK;
}
