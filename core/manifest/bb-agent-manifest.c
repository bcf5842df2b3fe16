#include "bb-frontmatter.h"
#include "bb-manifest-schema.h"
#include "bb-manifest.h"

static void
manifest_skill_free(BbManifestSkill *skill)
{
    g_free(skill->name);
    g_free(skill);
}

BbAgentManifest *
bb_agent_manifest_ref(BbAgentManifest *manifest)
{
    g_atomic_int_inc(&manifest->ref_count);
    return manifest;
}

void
bb_agent_manifest_unref(BbAgentManifest *manifest)
{
    if (manifest == NULL || !g_atomic_int_dec_and_test(&manifest->ref_count))
        return;
    g_free(manifest->name);
    g_free(manifest->path);
    g_free(manifest->bottle);
    g_ptr_array_unref(manifest->skills);
    g_free(manifest->body);
    g_free(manifest);
}

static gboolean
has_skill(BbAgentManifest *m, const gchar *name)
{
    for (guint i = 0; i < m->skills->len; i++) {
        const BbManifestSkill *skill = g_ptr_array_index(m->skills, i);
        if (g_strcmp0(skill->name, name) == 0)
            return TRUE;
    }
    return FALSE;
}

static void
parse_skills(BbSchemaCtx *ctx, const BbYamlNode *node, BbAgentManifest *m)
{
    const gchar *expected = "a list of skill names";
    if (!bb_schema_is_list(ctx, node, "skills", expected))
        return;
    for (guint i = 0; i < node->items->len; i++) {
        const BbYamlNode *item = g_ptr_array_index(node->items, i);
        g_autofree gchar *path = bb_schema_path_index("skills", i);
        g_autofree gchar *name = bb_schema_string(ctx, item, path, "a skill name");
        BbManifestSkill *skill;
        if (name == NULL)
            continue;
        if (!bb_manifest_is_name(name)) {
            bb_schema_error(ctx, item, path, "'%s' is not a skill name; expected %s", name,
                            "the name of a directory under skills/ (letters, digits, ._-)");
            continue;
        }
        if (has_skill(m, name)) {
            bb_schema_error(ctx, item, path, "'%s' is listed twice; expected each skill once",
                            name);
            continue;
        }
        skill = g_new0(BbManifestSkill, 1);
        skill->name = g_steal_pointer(&name);
        skill->pos.file = ctx->file;
        skill->pos.line = item->line;
        skill->pos.column = item->column;
        g_ptr_array_add(m->skills, skill);
    }
}

static void
parse_agent_root(BbSchemaCtx *ctx, const BbYamlNode *root, BbAgentManifest *m)
{
    static const gchar *const keys[] = {"bottle", "skills", NULL};
    const gchar *expected = "the name of a bottle in ~/.bot-bottle/bottles";
    const BbYamlNode *value;

    if (!bb_schema_is_mapping(ctx, root, "frontmatter", "a mapping of agent keys"))
        return;
    bb_schema_check_keys(ctx, root, "", keys);
    value = bb_schema_lookup(root, "bottle");
    if (value == NULL) {
        bb_schema_missing(ctx, root, "bottle", expected);
    } else {
        g_autofree gchar *name = bb_schema_string(ctx, value, "bottle", expected);
        if (name != NULL && !bb_manifest_is_name(name)) {
            bb_schema_error(ctx, value, "bottle", "'%s' is not a bottle name; expected %s", name,
                            expected);
        } else if (name != NULL) {
            m->bottle = g_steal_pointer(&name);
            m->bottle_pos.file = ctx->file;
            m->bottle_pos.line = value->line;
            m->bottle_pos.column = value->column;
        }
    }
    if ((value = bb_schema_lookup(root, "skills")) != NULL)
        parse_skills(ctx, value, m);
}

BbAgentManifest *
bb_agent_manifest_parse(const gchar *path, const gchar *name, BbManifestOrigin origin,
                        const gchar *data, gsize len, GPtrArray *diagnostics)
{
    BbAgentManifest *m = g_new0(BbAgentManifest, 1);
    guint errors_before = bb_diagnostics_count_errors(diagnostics);
    guint first_new = diagnostics->len;
    g_autoptr(BbYamlNode) root = NULL;
    BbSchemaCtx ctx = {NULL, diagnostics, 0};

    m->ref_count = 1;
    m->name = g_strdup(name);
    m->path = g_strdup(path);
    m->origin = origin;
    m->skills = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_skill_free);
    ctx.file = m->path;

    root = bb_frontmatter_parse(path, data, len, &m->body, diagnostics);
    if (root != NULL)
        parse_agent_root(&ctx, root, m);
    if (m->body == NULL)
        m->body = g_strdup("");
    bb_diagnostics_sort_from(diagnostics, first_new);
    m->n_errors = bb_diagnostics_count_errors(diagnostics) - errors_before;
    return m;
}
