#include "bb-cli-state.h"

#include <glib/gstdio.h>

#include "bb-error.h"

void
bb_bottle_state_free(BbBottleState *state)
{
    if (state == NULL)
        return;
    g_free(state->slug);
    g_free(state->agent);
    g_free(state->backend);
    g_free(state->image);
    g_free(state->committed);
    g_free(state);
}

gboolean
bb_bottle_state_valid_slug(const gchar *slug)
{
    if (slug == NULL || slug[0] == '\0' || slug[0] == '.' || strlen(slug) > 128)
        return FALSE;
    for (const gchar *c = slug; *c != '\0'; c++) {
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            return FALSE;
    }
    return TRUE;
}

gchar *
bb_bottle_state_path(BbCli *cli, const gchar *slug)
{
    g_autofree gchar *name = g_strdup_printf("%s.json", slug);
    return g_build_filename(cli->config_dir, "state", name, NULL);
}

gboolean
bb_bottle_state_save(BbCli *cli, const BbBottleState *state, GError **error)
{
    g_return_val_if_fail(bb_bottle_state_valid_slug(state->slug), FALSE);
    g_autofree gchar *path = bb_bottle_state_path(cli, state->slug);
    g_autofree gchar *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot create %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    const gchar *members[][2] = {{"slug", state->slug},
                                 {"agent", state->agent},
                                 {"backend", state->backend},
                                 {"image", state->image},
                                 {"committed", state->committed}};
    for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
        json_builder_set_member_name(b, members[i][0]);
        json_builder_add_string_value(b, members[i][1]);
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_root(generator, root);
    g_autofree gchar *text = json_generator_to_data(generator, NULL);
    return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static gchar *
bb_state_string(JsonObject *object, const gchar *member)
{
    return g_strdup(json_object_get_string_member_with_default(object, member, NULL));
}

BbBottleState *
bb_bottle_state_load(BbCli *cli, const gchar *slug, GError **error)
{
    if (!bb_bottle_state_valid_slug(slug)) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "'%s' is not a bottle slug (see 'bot-bottle list')", slug);
        return NULL;
    }
    g_autofree gchar *path = bb_bottle_state_path(cli, slug);
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "bottle %s was never committed (no %s): run 'bot-bottle commit %s' while "
                    "it runs",
                    slug, path, slug);
        return NULL;
    }
    if (!json_parser_load_from_file(parser, path, error)) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *object =
        root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    g_autoptr(BbBottleState) state = g_new0(BbBottleState, 1);
    if (object != NULL) {
        state->slug = bb_state_string(object, "slug");
        state->agent = bb_state_string(object, "agent");
        state->backend = bb_state_string(object, "backend");
        state->image = bb_state_string(object, "image");
        state->committed = bb_state_string(object, "committed");
    }
    if (state->agent == NULL || state->image == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "%s lacks the agent or the image: commit the bottle again", path);
        return NULL;
    }
    return g_steal_pointer(&state);
}
