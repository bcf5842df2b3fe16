/* bot-bottle edit AGENT | --bottle NAME: open the manifest in $VISUAL /
 * $EDITOR, then validate it. An invalid result is never left in place
 * silently: on a terminal the user may reopen the editor; otherwise (or
 * if they decline) the previous file is restored and the rejected edit is
 * kept beside it as NAME.md.rejected. */
#include <stdio.h>

#include "bb-cli-catalog.h"
#include "bb-cli-prompt.h"
#include "bb-cli-validate.h"
#include "bb-cmd.h"

static gchar **
editor_argv(const gchar *path, GError **error)
{
    const gchar *editor = g_getenv("VISUAL");
    g_auto(GStrv) words = NULL;
    g_autoptr(GStrvBuilder) argv = g_strv_builder_new();

    if (editor == NULL || editor[0] == '\0')
        editor = g_getenv("EDITOR");
    if (editor == NULL || editor[0] == '\0')
        editor = "vi";
    if (!g_shell_parse_argv(editor, NULL, &words, error)) {
        g_prefix_error(error, "cannot parse the editor command '%s': ", editor);
        return NULL;
    }
    g_strv_builder_addv(argv, (const gchar **)words);
    g_strv_builder_add(argv, path);
    return g_strv_builder_end(argv);
}

static gboolean
run_editor(const gchar *path, GError **error)
{
    g_auto(GStrv) argv = editor_argv(path, error);
    gint wait_status = 0;

    if (argv == NULL)
        return FALSE;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL,
                      NULL, NULL, NULL, &wait_status, error)) {
        g_prefix_error(error, "cannot start the editor (set VISUAL or EDITOR): ");
        return FALSE;
    }
    return g_spawn_check_wait_status(wait_status, error);
}

static gchar *
find_manifest(BbCli *cli, const gchar *name, gboolean bottle)
{
    g_autoptr(BbCatalog) catalog = bb_cli_load_catalog(cli);
    g_autoptr(GPtrArray) entries = NULL;

    if (catalog == NULL)
        return NULL;
    entries = bottle ? bb_catalog_get_bottles(catalog) : bb_catalog_get_agents(catalog);
    for (guint i = 0; i < entries->len; i++) {
        const BbCatalogEntry *entry = g_ptr_array_index(entries, i);
        if (g_strcmp0(entry->name, name) == 0 && !entry->shadowed)
            return g_strdup(entry->path);
    }
    bb_cli_error(cli,
                 "no %s named '%s'; 'bot-bottle list' shows them, 'bot-bottle init' "
                 "creates one",
                 bottle ? "bottle" : "agent", name);
    return NULL;
}

/* Puts @original back and keeps the rejected edit beside it. */
static gint
restore(BbCli *cli, const gchar *path, const gchar *original)
{
    g_autofree gchar *rejected_path = g_strconcat(path, ".rejected", NULL);
    g_autofree gchar *rejected = NULL;
    g_autoptr(GError) error = NULL;

    if (g_file_get_contents(path, &rejected, NULL, NULL))
        g_file_set_contents_full(rejected_path, rejected, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 NULL);
    if (!g_file_set_contents_full(path, original, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  &error)) {
        bb_cli_error(cli, "could not restore %s: %s", path, error->message);
        return BB_EXIT_FAILURE;
    }
    bb_cli_error(cli, "%s is unchanged; your edit is saved in %s", path, rejected_path);
    return BB_EXIT_FAILURE;
}

static gint
edit_until_valid(BbCli *cli, const gchar *path)
{
    g_autofree gchar *original = NULL;
    g_autoptr(GError) error = NULL;
    const gchar *const paths[] = {path, NULL};

    if (!g_file_get_contents(path, &original, NULL, &error)) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    for (;;) {
        if (!run_editor(path, &error)) {
            bb_cli_error(cli, "%s", error->message);
            return restore(cli, path, original);
        }
        if (bb_cli_validate_files(cli, paths) == 0) {
            printf("%s is valid\n", path);
            return BB_EXIT_OK;
        }
        if (!bb_cli_is_interactive() || !bb_cli_confirm("Reopen the editor to fix it?", TRUE))
            return restore(cli, path, original);
    }
}

gint
bb_cmd_edit(BbCli *cli, gint argc, gchar **argv)
{
    gboolean bottle = FALSE;
    g_autofree gchar *path = NULL;
    const GOptionEntry entries[] = {
        {"bottle", 0, 0, G_OPTION_ARG_NONE, &bottle, "NAME is a bottle, not an agent", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "NAME",
                              "Open agent NAME's manifest (or bottle NAME's with --bottle) in "
                              "$VISUAL or $EDITOR,\nthen validate it. An invalid edit is never "
                              "kept silently: reopen it, or the old file is restored\nand the "
                              "edit saved as NAME.md.rejected.",
                              entries))
        return BB_EXIT_USAGE;
    if (argc != 2) {
        bb_cli_error(cli, "edit takes one NAME (see 'bot-bottle list')");
        return BB_EXIT_USAGE;
    }
    path = find_manifest(cli, argv[1], bottle);
    if (path == NULL)
        return BB_EXIT_FAILURE;
    return edit_until_valid(cli, path);
}
