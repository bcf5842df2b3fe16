/* bot-bottle cleanup [SLUG]: remove bottles whose owner is gone (after a
 * crash or SIGKILL), or one bottle, on every available backend; with
 * --images also the sidecar and agent images nothing uses any more. */
#include <stdio.h>

#include "bb-cli-running.h"
#include "bb-cli-state.h"
#include "bb-cmd.h"

static GHashTable *
bb_cleanup_slugs(GPtrArray *backends, GError **error)
{
    g_autoptr(GPtrArray) bottles = bb_cli_running_bottles(backends, error);
    if (bottles == NULL)
        return NULL;
    GHashTable *slugs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < bottles->len; i++)
        g_hash_table_add(slugs, g_strdup(((BbBottleInfo *)g_ptr_array_index(bottles, i))->slug));
    return slugs;
}

static gint
bb_compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static void
bb_cleanup_json_list(JsonBuilder *b, const gchar *name, GPtrArray *list)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; list != NULL && i < list->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(list, i));
    json_builder_end_array(b);
}

/* @slug: the one bottle asked for, or NULL for every orphan; @images is
 * NULL without --images. */
static void
bb_cleanup_print(gboolean json, const gchar *slug, GPtrArray *removed, GPtrArray *images)
{
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        bb_cleanup_json_list(b, "removed", removed);
        if (images != NULL)
            bb_cleanup_json_list(b, "images", images);
        json_builder_end_object(b);
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        bb_cli_print_json(root);
        return;
    }
    gboolean no_images = images == NULL || images->len == 0;
    /* Not an error: a bottle already gone (or removed by a cleanup
     * running beside us) is cleaned up. */
    if (removed->len == 0 && no_images && slug != NULL)
        printf("no bottle %s is left: nothing to clean up\n", slug);
    else if (removed->len == 0 && no_images)
        printf("nothing to clean up\n");
    for (guint i = 0; i < removed->len; i++)
        printf("removed %s\n", (const gchar *)g_ptr_array_index(removed, i));
    for (guint i = 0; images != NULL && i < images->len; i++)
        printf("removed image %s\n", (const gchar *)g_ptr_array_index(images, i));
}

/* After the bottles: their images are then no longer in use. */
static GPtrArray *
bb_cleanup_images(GPtrArray *backends, GError **error)
{
    g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < backends->len; i++) {
        BbCliBackend *entry = g_ptr_array_index(backends, i);
        g_autoptr(GPtrArray) removed =
            entry->backend != NULL ? bb_backend_prune_images(entry->backend, error) : NULL;
        if (entry->backend != NULL && removed == NULL) {
            g_prefix_error(error, "%s: ", entry->name);
            return NULL;
        }
        for (guint r = 0; removed != NULL && r < removed->len; r++)
            g_ptr_array_add(images, g_strdup(g_ptr_array_index(removed, r)));
    }
    g_ptr_array_sort(images, bb_compare_strings);
    return g_steal_pointer(&images);
}

gint
bb_cmd_cleanup(BbCli *cli, gint argc, gchar **argv)
{
    gboolean json = FALSE;
    gboolean images = FALSE;
    g_autoptr(GError) error = NULL;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL},
        {"images", 0, 0, G_OPTION_ARG_NONE, &images,
         "Also remove bot-bottle-sidecar and bot-bottle-agent images no container uses, except "
         "the current ones",
         NULL},
        {NULL},
    };
    if (!bb_cli_parse_options(cli, &argc, &argv, "[SLUG]",
                              "Remove every bottle whose bot-bottle process is gone (containers, "
                              "networks, volumes),\nor, with SLUG, that bottle whatever its "
                              "state. Safe to run any time.\nWith --images, also the sidecar and "
                              "agent images earlier builds left behind.",
                              entries))
        return BB_EXIT_USAGE;
    if (argc > 2 || (argc == 2 && !bb_bottle_state_valid_slug(argv[1]))) {
        bb_cli_error(cli, "cleanup takes at most one SLUG (see 'bot-bottle list')");
        return BB_EXIT_USAGE;
    }
    const gchar *slug = argc == 2 ? argv[1] : NULL;
    g_autoptr(GPtrArray) backends = bb_cli_backends(cli, &error);
    g_autoptr(GHashTable) before = backends != NULL ? bb_cleanup_slugs(backends, &error) : NULL;
    if (before == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    for (guint i = 0; i < backends->len; i++) {
        BbCliBackend *entry = g_ptr_array_index(backends, i);
        if (entry->backend != NULL && !bb_backend_cleanup(entry->backend, slug, &error)) {
            bb_cli_error(cli, "%s: %s", entry->name, error->message);
            return BB_EXIT_FAILURE;
        }
    }
    g_autoptr(GHashTable) after = bb_cleanup_slugs(backends, &error);
    if (after == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    g_autoptr(GPtrArray) removed = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, before);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_hash_table_contains(after, key))
            g_ptr_array_add(removed, key);
    }
    g_ptr_array_sort(removed, bb_compare_strings);
    g_autoptr(GPtrArray) removed_images = images ? bb_cleanup_images(backends, &error) : NULL;
    if (images && removed_images == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    bb_cleanup_print(json, slug, removed, removed_images);
    return BB_EXIT_OK;
}
