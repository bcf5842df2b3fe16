/* bot-bottle commit [SLUG]: snapshot a running bottle's agent to an
 * image and record it for `resume`. */
#include <stdio.h>

#include "bb-cli-running.h"
#include "bb-cli-state.h"
#include "bb-cmd.h"

/* The only running bottle, when SLUG is left out. */
static gchar *
bb_commit_default_slug(BbCli *cli, GPtrArray *backends)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) bottles = bb_cli_running_bottles(backends, &error);
    if (bottles == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return NULL;
    }
    if (bottles->len == 1)
        return g_strdup(((BbBottleInfo *)g_ptr_array_index(bottles, 0))->slug);
    bb_cli_error(cli, "%s: name the SLUG to commit (see 'bot-bottle list')",
                 bottles->len == 0 ? "no bottle is running" : "several bottles are running");
    return NULL;
}

gint
bb_cmd_commit(BbCli *cli, gint argc, gchar **argv)
{
    g_autoptr(GError) error = NULL;
    if (!bb_cli_parse_options(
            cli, &argc, &argv, "[SLUG]",
            "Snapshot the agent of running bottle SLUG (default: the only one) to an image,\n"
            "recorded in ~/.bot-bottle/state/SLUG.json so 'bot-bottle resume "
            "SLUG' boots from it.\nThe agent keeps running meanwhile: the "
            "image is its filesystem at that moment\n(a file being written "
            "right then may be caught half-written).",
            NULL))
        return BB_EXIT_USAGE;
    if (argc > 2) {
        bb_cli_error(cli, "commit takes at most one SLUG");
        return BB_EXIT_USAGE;
    }
    g_autoptr(GPtrArray) backends = bb_cli_backends(cli, &error);
    if (backends == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_USAGE;
    }
    g_autofree gchar *slug = argc == 2 ? g_strdup(argv[1]) : bb_commit_default_slug(cli, backends);
    if (slug == NULL)
        return BB_EXIT_FAILURE;
    if (!bb_bottle_state_valid_slug(slug)) {
        bb_cli_error(cli, "'%s' is not a bottle slug (see 'bot-bottle list')", slug);
        return BB_EXIT_USAGE;
    }
    g_autoptr(BbBottleInfo) info = NULL;
    BbBackend *backend = bb_cli_backend_of(backends, slug, &info, &error);
    g_autofree gchar *image = backend != NULL ? bb_backend_commit(backend, slug, &error) : NULL;
    if (image == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree gchar *committed = g_date_time_format_iso8601(now);
    BbBottleState state = {.slug = slug,
                           .agent = info->agent,
                           .backend = info->backend,
                           .image = image,
                           .committed = committed};
    if (!bb_bottle_state_save(cli, &state, &error)) {
        bb_cli_error(cli, "recording the image: %s", error->message);
        return BB_EXIT_FAILURE;
    }
    printf("%s\n", image);
    fprintf(stderr, "resume it with: bot-bottle resume %s\n", slug);
    return BB_EXIT_OK;
}
