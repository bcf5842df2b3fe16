/* bot-bottle doctor: every precondition for running bottles, each with a
 * fix. Exits non-zero when any check fails. */
#include <stdio.h>

#include "bb-cmd.h"
#include "bb-engine-ping.h"

typedef struct {
    gchar *name;
    gboolean ok;
    gchar *detail; /* what was found, or what is wrong and how to fix it */
} DoctorCheck;

static void
doctor_check_free(DoctorCheck *check)
{
    g_free(check->name);
    g_free(check->detail);
    g_free(check);
}

static void
add_check(GPtrArray *checks, const gchar *name, gboolean ok, gchar *detail)
{
    DoctorCheck *check = g_new0(DoctorCheck, 1);
    check->name = g_strdup(name);
    check->ok = ok;
    check->detail = detail;
    g_ptr_array_add(checks, check);
}

static void
check_config_dir(BbCli *cli, GPtrArray *checks)
{
    g_autofree gchar *bottles = g_build_filename(cli->config_dir, "bottles", NULL);
    if (!g_file_test(cli->config_dir, G_FILE_TEST_IS_DIR)) {
        add_check(checks, "config directory", FALSE,
                  g_strdup_printf("%s does not exist; create it with: mkdir -p %s/bottles "
                                  "%s/agents",
                                  cli->config_dir, cli->config_dir, cli->config_dir));
        return;
    }
    if (!g_file_test(bottles, G_FILE_TEST_IS_DIR)) {
        add_check(checks, "config directory", FALSE,
                  g_strdup_printf("%s has no bottles/ directory; create it with: mkdir -p %s",
                                  cli->config_dir, bottles));
        return;
    }
    add_check(checks, "config directory", TRUE, g_strdup(cli->config_dir));
}

static void
check_plugins(BbCli *cli, GPtrArray *checks)
{
    g_autoptr(GError) error = NULL;
    BbRegistry *registry = bb_cli_get_registry(cli, &error);
    GPtrArray *plugins;
    guint loaded = 0, contrib = 0;

    if (registry == NULL) {
        add_check(checks, "built-in plugins", FALSE,
                  g_strdup_printf("%s; reinstall bot-bottle", error->message));
        return;
    }
    plugins = bb_registry_get_plugins(registry);
    for (guint i = 0; i < plugins->len; i++) {
        const BbPluginInfo *info = g_ptr_array_index(plugins, i);
        if (info->status == BB_PLUGIN_STATUS_FAILED) {
            g_autofree gchar *name = g_strdup_printf("plugin %s", info->name);
            add_check(checks, name, FALSE,
                      g_strdup_printf("%s (fix or remove %s)", info->error->message, info->path));
        } else if (info->status == BB_PLUGIN_STATUS_LOADED) {
            loaded++;
            contrib += info->origin == BB_PLUGIN_ORIGIN_CONTRIB;
        }
    }
    /* Third-party code runs inside every sidecar: say so, it is not a fault. */
    add_check(checks, "plugins", TRUE,
              bb_registry_is_tainted(registry)
                  ? g_strdup_printf("%u loaded, %u of them contrib (third-party code is loaded)",
                                    loaded, contrib)
                  : g_strdup_printf("%u loaded, no contrib", loaded));
}

static void
check_engine(GPtrArray *checks)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *socket_path = bb_engine_socket_path(&error);

    if (socket_path == NULL || !bb_engine_ping(socket_path, 3, &error)) {
        add_check(checks, "docker engine", FALSE, g_strdup(error->message));
        return;
    }
    add_check(checks, "docker engine", TRUE, g_strdup_printf("reachable at %s", socket_path));
}

static void
print_json(GPtrArray *checks)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    json_builder_begin_array(b);
    for (guint i = 0; i < checks->len; i++) {
        const DoctorCheck *check = g_ptr_array_index(checks, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "check");
        json_builder_add_string_value(b, check->name);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, check->ok);
        json_builder_set_member_name(b, "detail");
        json_builder_add_string_value(b, check->detail);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    root = json_builder_get_root(b);
    bb_cli_print_json(root);
}

static void
print_text(BbCli *cli, GPtrArray *checks)
{
    for (guint i = 0; i < checks->len; i++) {
        const DoctorCheck *check = g_ptr_array_index(checks, i);
        g_autofree gchar *mark =
            check->ok ? bb_cli_paint(cli, "32", "ok  ") : bb_cli_paint(cli, "1;31", "FAIL");
        printf("%s %-18s %s\n", mark, check->name, check->detail);
    }
}

gint
bb_cmd_doctor(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func((GDestroyNotify)doctor_check_free);
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "",
                              "Check the config directory, the plugins and the Docker engine.\n"
                              "Each failed check says how to fix it; the exit status is 1 when "
                              "any check fails.",
                              entries))
        return BB_EXIT_USAGE;

    check_config_dir(cli, checks);
    check_plugins(cli, checks);
    check_engine(checks);

    if (json)
        print_json(checks);
    else
        print_text(cli, checks);
    for (guint i = 0; i < checks->len; i++) {
        if (!((DoctorCheck *)g_ptr_array_index(checks, i))->ok)
            return BB_EXIT_FAILURE;
    }
    return BB_EXIT_OK;
}
