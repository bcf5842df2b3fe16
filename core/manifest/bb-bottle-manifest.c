#include "bb-frontmatter.h"
#include "bb-manifest-schema.h"
#include "bb-manifest.h"
#include "bb-plan-private.h"
#include "bb-route-manifest.h"

#define EXPECT_ENV_NAME "a name matching [A-Za-z_][A-Za-z0-9_]*"

static BbSourcePos
pos_of(BbSchemaCtx *ctx, const BbYamlNode *node)
{
    BbSourcePos pos = {ctx->file, node->line, node->column};
    return pos;
}

void
bb_manifest_route_free(BbManifestRoute *route)
{
    if (route == NULL)
        return;
    bb_route_unref(route->route);
    g_free(route->key_path);
    g_free(route);
}

BbBottleManifest *
bb_bottle_manifest_ref(BbBottleManifest *manifest)
{
    g_atomic_int_inc(&manifest->ref_count);
    return manifest;
}

void
bb_bottle_manifest_unref(BbBottleManifest *manifest)
{
    if (manifest == NULL || !g_atomic_int_dec_and_test(&manifest->ref_count))
        return;
    g_free(manifest->name);
    g_free(manifest->path);
    g_free(manifest->extends);
    g_free(manifest->template_name);
    g_free(manifest->auth_token_ref);
    g_free(manifest->dockerfile);
    g_hash_table_unref(manifest->env);
    g_free(manifest->git_user_name);
    g_free(manifest->git_user_email);
    g_ptr_array_unref(manifest->git_remotes);
    g_ptr_array_unref(manifest->routes);
    g_free(manifest->body);
    g_free(manifest);
}

/* A string that must also be an env var name (auth_token, token_ref). */
static gchar *
read_env_name(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path)
{
    g_autofree gchar *value = bb_schema_string(ctx, node, path, EXPECT_ENV_NAME);
    if (value != NULL && !bb_manifest_is_env_name(value)) {
        bb_schema_error(ctx, node, path, "'%s' is not an env var name; expected %s", value,
                        EXPECT_ENV_NAME);
        return NULL;
    }
    return g_steal_pointer(&value);
}

/* `~/x` is under the home directory; a relative path is relative to the
 * directory of the bottle file, not to wherever the command runs. */
static gchar *
absolute_path(const gchar *manifest_path, const gchar *value)
{
    g_autofree gchar *dir = g_path_get_dirname(manifest_path);
    if (g_str_has_prefix(value, "~/")) {
        g_autofree gchar *joined = g_build_filename(g_get_home_dir(), value + 2, NULL);
        return g_canonicalize_filename(joined, NULL);
    }
    return g_canonicalize_filename(value, dir);
}

static void
parse_agent_provider(BbSchemaCtx *ctx, const BbYamlNode *node, BbBottleManifest *m)
{
    static const gchar *const keys[] = {"template", "auth_token", "forward_host_credentials",
                                        "dockerfile", NULL};
    const BbYamlNode *value;

    if (!bb_schema_is_mapping(ctx, node, "agent_provider", "a mapping of provider settings"))
        return;
    bb_schema_check_keys(ctx, node, "agent_provider", keys);
    if ((value = bb_schema_lookup(node, "template")) != NULL) {
        const gchar *expected = "a provider name such as claude";
        g_autofree gchar *name = bb_schema_string(ctx, value, "agent_provider.template", expected);
        if (name != NULL && !bb_manifest_is_name(name)) {
            bb_schema_error(ctx, value, "agent_provider.template",
                            "'%s' is not a provider name; expected %s", name, expected);
        } else if (name != NULL) {
            m->template_name = g_steal_pointer(&name);
            m->template_pos = pos_of(ctx, value);
        }
    }
    if ((value = bb_schema_lookup(node, "auth_token")) != NULL)
        m->auth_token_ref = read_env_name(ctx, value, "agent_provider.auth_token");
    if ((value = bb_schema_lookup(node, "forward_host_credentials")) != NULL) {
        gboolean flag;
        if (bb_schema_bool(ctx, value, "agent_provider.forward_host_credentials", &flag))
            m->forward_host_credentials = flag ? BB_TRUE : BB_FALSE;
    }
    if ((value = bb_schema_lookup(node, "dockerfile")) != NULL) {
        g_autofree gchar *path =
            bb_schema_string(ctx, value, "agent_provider.dockerfile", "a path to a Dockerfile");
        if (path != NULL) {
            m->dockerfile = absolute_path(m->path, path);
            m->dockerfile_pos = pos_of(ctx, value);
        }
    }
}

static void
parse_env(BbSchemaCtx *ctx, const BbYamlNode *node, BbBottleManifest *m)
{
    if (!bb_schema_is_mapping(ctx, node, "env", "a mapping of NAME: value"))
        return;
    for (guint i = 0; i < node->keys->len; i++) {
        const BbYamlNode *key = g_ptr_array_index(node->keys, i);
        const BbYamlNode *value = g_ptr_array_index(node->values, i);
        g_autofree gchar *path = NULL;
        g_autofree gchar *text = NULL;
        if (key->kind != BB_YAML_SCALAR)
            continue;
        path = bb_schema_path_key("env", key->scalar);
        if (!bb_manifest_is_env_name(key->scalar)) {
            bb_schema_error(ctx, key, path, "not a valid env var name; expected %s",
                            EXPECT_ENV_NAME);
            continue;
        }
        text = bb_schema_string(ctx, value, path, "a string value (write \"\" for empty)");
        if (text != NULL)
            g_hash_table_replace(m->env, g_strdup(key->scalar), g_steal_pointer(&text));
    }
}

static void
parse_git_user(BbSchemaCtx *ctx, const BbYamlNode *node, BbBottleManifest *m)
{
    static const gchar *const keys[] = {"name", "email", NULL};
    const BbYamlNode *value;
    if (!bb_schema_is_mapping(ctx, node, "git.user", "a mapping with name and email"))
        return;
    bb_schema_check_keys(ctx, node, "git.user", keys);
    if ((value = bb_schema_lookup(node, "name")) != NULL)
        m->git_user_name = bb_schema_string(ctx, value, "git.user.name", "the commit author name");
    if ((value = bb_schema_lookup(node, "email")) != NULL)
        m->git_user_email =
            bb_schema_string(ctx, value, "git.user.email", "the commit author email");
}

static gchar *
read_remote_field(BbSchemaCtx *ctx, const BbYamlNode *remote, const gchar *path, const gchar *key,
                  gboolean required, const gchar *expected)
{
    const BbYamlNode *value = bb_schema_lookup(remote, key);
    g_autofree gchar *key_path = bb_schema_path_key(path, key);
    if (value == NULL) {
        if (required)
            bb_schema_missing(ctx, remote, key_path, expected);
        return NULL;
    }
    return bb_schema_string(ctx, value, key_path, expected);
}

static void
parse_git_remote(BbSchemaCtx *ctx, const BbYamlNode *key, const BbYamlNode *node,
                 BbBottleManifest *m)
{
    static const gchar *const keys[] = {"Name", "Upstream", "IdentityFile", "KnownHostKey", NULL};
    g_autofree gchar *path = bb_schema_path_key("git.remotes", key->scalar);
    g_autofree gchar *problem = NULL;
    g_autofree gchar *host = bb_manifest_canonical_host(key->scalar, &problem);
    BbGitRemote *remote;

    if (host == NULL)
        bb_schema_error(ctx, key, path, "'%s' %s; expected %s", key->scalar, problem,
                        "a bare host name such as github.com");
    if (!bb_schema_is_mapping(ctx, node, path, "a mapping with Name and Upstream"))
        return;
    bb_schema_check_keys(ctx, node, path, keys);
    remote = g_new0(BbGitRemote, 1);
    remote->host = g_steal_pointer(&host);
    remote->name = read_remote_field(ctx, node, path, "Name", TRUE, "the repository name");
    remote->upstream =
        read_remote_field(ctx, node, path, "Upstream", TRUE, "an ssh:// URL to push to");
    remote->identity_file =
        read_remote_field(ctx, node, path, "IdentityFile", FALSE, "a path to an SSH key");
    remote->known_host_key =
        read_remote_field(ctx, node, path, "KnownHostKey", FALSE, "an SSH host key line");
    if (remote->name != NULL && !bb_manifest_is_name(remote->name)) {
        g_autofree gchar *name_path = bb_schema_path_key(path, "Name");
        bb_schema_error(ctx, bb_schema_lookup(node, "Name"), name_path,
                        "'%s' is not a repository name; expected %s", remote->name,
                        "letters, digits and ._- only");
    }
    if (remote->identity_file != NULL) {
        gchar *absolute = absolute_path(m->path, remote->identity_file);
        g_free(remote->identity_file);
        remote->identity_file = absolute;
    }
    if (remote->host == NULL || remote->name == NULL || remote->upstream == NULL) {
        bb_git_remote_free(remote);
        return;
    }
    g_ptr_array_add(m->git_remotes, remote);
}

static void
parse_git(BbSchemaCtx *ctx, const BbYamlNode *node, BbBottleManifest *m)
{
    static const gchar *const keys[] = {"user", "remotes", NULL};
    const BbYamlNode *value;
    if (!bb_schema_is_mapping(ctx, node, "git", "a mapping with user and/or remotes"))
        return;
    bb_schema_check_keys(ctx, node, "git", keys);
    if ((value = bb_schema_lookup(node, "user")) != NULL)
        parse_git_user(ctx, value, m);
    value = bb_schema_lookup(node, "remotes");
    if (value == NULL ||
        !bb_schema_is_mapping(ctx, value, "git.remotes", "a mapping of host: remote settings"))
        return;
    for (guint i = 0; i < value->keys->len; i++) {
        const BbYamlNode *key = g_ptr_array_index(value->keys, i);
        if (key->kind == BB_YAML_SCALAR)
            parse_git_remote(ctx, key, g_ptr_array_index(value->values, i), m);
    }
}

static const BbManifestRoute *
find_route(BbBottleManifest *m, const gchar *host)
{
    for (guint i = 0; i < m->routes->len; i++) {
        const BbManifestRoute *route = g_ptr_array_index(m->routes, i);
        if (g_strcmp0(route->route->host, host) == 0)
            return route;
    }
    return NULL;
}

static void
parse_egress(BbSchemaCtx *ctx, const BbYamlNode *node, BbBottleManifest *m)
{
    static const gchar *const keys[] = {"routes", NULL};
    const BbYamlNode *routes;
    if (!bb_schema_is_mapping(ctx, node, "egress", "a mapping with routes"))
        return;
    bb_schema_check_keys(ctx, node, "egress", keys);
    routes = bb_schema_lookup(node, "routes");
    if (routes == NULL ||
        !bb_schema_is_list(ctx, routes, "egress.routes", "a list of route mappings"))
        return;
    for (guint i = 0; i < routes->items->len; i++) {
        const BbYamlNode *item = g_ptr_array_index(routes->items, i);
        g_autofree gchar *path = bb_schema_path_index("egress.routes", i);
        BbManifestRoute *route = bb_route_manifest_parse(ctx, item, path);
        const BbManifestRoute *first;
        if (route == NULL)
            continue;
        first = find_route(m, route->route->host);
        if (first != NULL) {
            g_autofree gchar *host_path = bb_schema_path_key(path, "host");
            BbYamlNode at = {.line = route->host_pos.line, .column = route->host_pos.column};
            bb_schema_error(ctx, &at, host_path,
                            "duplicate host '%s' (first at line %u); expected one route per host",
                            route->route->host, first->host_pos.line);
            bb_manifest_route_free(route);
            continue;
        }
        g_ptr_array_add(m->routes, route);
    }
}

static void
parse_bottle_root(BbSchemaCtx *ctx, const BbYamlNode *root, BbBottleManifest *m)
{
    static const gchar *const keys[] = {"extends", "agent_provider", "env", "git",
                                        "egress",  "supervise",      NULL};
    const BbYamlNode *value;

    if (!bb_schema_is_mapping(ctx, root, "frontmatter", "a mapping of bottle keys"))
        return;
    bb_schema_check_keys(ctx, root, "", keys);
    if ((value = bb_schema_lookup(root, "extends")) != NULL) {
        const gchar *expected = "the name of a bottle in ~/.bot-bottle/bottles";
        g_autofree gchar *name = bb_schema_string(ctx, value, "extends", expected);
        if (name != NULL && !bb_manifest_is_name(name)) {
            bb_schema_error(ctx, value, "extends", "'%s' is not a bottle name; expected %s", name,
                            expected);
        } else if (name != NULL) {
            m->extends = g_steal_pointer(&name);
            m->extends_pos = pos_of(ctx, value);
        }
    }
    if ((value = bb_schema_lookup(root, "agent_provider")) != NULL)
        parse_agent_provider(ctx, value, m);
    if ((value = bb_schema_lookup(root, "env")) != NULL)
        parse_env(ctx, value, m);
    if ((value = bb_schema_lookup(root, "git")) != NULL)
        parse_git(ctx, value, m);
    if ((value = bb_schema_lookup(root, "egress")) != NULL)
        parse_egress(ctx, value, m);
    if ((value = bb_schema_lookup(root, "supervise")) != NULL) {
        gboolean flag;
        if (bb_schema_bool(ctx, value, "supervise", &flag))
            m->supervise = flag ? BB_TRUE : BB_FALSE;
    }
}

BbBottleManifest *
bb_bottle_manifest_parse(const gchar *path, const gchar *name, const gchar *data, gsize len,
                         GPtrArray *diagnostics)
{
    BbBottleManifest *m = g_new0(BbBottleManifest, 1);
    guint errors_before = bb_diagnostics_count_errors(diagnostics);
    guint first_new = diagnostics->len;
    g_autoptr(BbYamlNode) root = NULL;
    BbSchemaCtx ctx = {path, diagnostics, 0};

    m->ref_count = 1;
    m->name = g_strdup(name);
    m->path = g_strdup(path);
    m->forward_host_credentials = BB_UNSET;
    m->supervise = BB_UNSET;
    m->env = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->git_remotes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_git_remote_free);
    m->routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_manifest_route_free);

    root = bb_frontmatter_parse(path, data, len, &m->body, diagnostics);
    if (root != NULL) {
        /* Positions keep a pointer to the file name; use the copy we own. */
        ctx.file = m->path;
        parse_bottle_root(&ctx, root, m);
    }
    if (m->body == NULL)
        m->body = g_strdup("");
    bb_diagnostics_sort_from(diagnostics, first_new);
    m->n_errors = bb_diagnostics_count_errors(diagnostics) - errors_before;
    return m;
}
