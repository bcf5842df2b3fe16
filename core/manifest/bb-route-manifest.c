#include <string.h>

#include "bb-route-manifest.h"

#define EXPECT_HOST "a bare host name such as api.example.com"

static BbSourcePos
pos_of(BbSchemaCtx *ctx, const BbYamlNode *node)
{
    BbSourcePos pos = {ctx->file, node->line, node->column};
    return pos;
}

static gboolean
is_token(const gchar *s)
{
    static const gchar extra[] = "!#$%&'*+-.^_`|~";
    if (s[0] == '\0')
        return FALSE;
    for (const gchar *p = s; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr(extra, *p) == NULL)
            return FALSE;
    }
    return TRUE;
}

static gboolean
is_method(const gchar *s)
{
    if (s[0] == '\0')
        return FALSE;
    for (const gchar *p = s; *p != '\0'; p++) {
        if (!g_ascii_isupper(*p) && *p != '-' && *p != '_')
            return FALSE;
    }
    return TRUE;
}

static gboolean
parse_match_type(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, gboolean allow_prefix,
                 BbMatchType *out)
{
    const gchar *expected = allow_prefix ? "one of prefix, exact, regex" : "one of exact, regex";
    g_autofree gchar *value = bb_schema_string(ctx, node, path, expected);
    if (value == NULL)
        return FALSE;
    if (allow_prefix && g_strcmp0(value, "prefix") == 0)
        *out = BB_MATCH_PREFIX;
    else if (g_strcmp0(value, "exact") == 0)
        *out = BB_MATCH_EXACT;
    else if (g_strcmp0(value, "regex") == 0)
        *out = BB_MATCH_REGEX;
    else {
        bb_schema_error(ctx, node, path, "unknown match type '%s'; expected %s", value, expected);
        return FALSE;
    }
    return TRUE;
}

static void
parse_path_entry(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbRouteMatch *match)
{
    static const gchar *const keys[] = {"type", "value", NULL};
    const BbYamlNode *type_node, *value_node;
    g_autofree gchar *value_path = bb_schema_path_key(path, "value");
    g_autofree gchar *value = NULL;
    BbMatchType type = BB_MATCH_PREFIX;
    g_autoptr(GError) error = NULL;
    BbPathMatch *path_match;

    if (!bb_schema_is_mapping(ctx, node, path, "a mapping with type and value"))
        return;
    bb_schema_check_keys(ctx, node, path, keys);
    type_node = bb_schema_lookup(node, "type");
    if (type_node != NULL) {
        g_autofree gchar *type_path = bb_schema_path_key(path, "type");
        if (!parse_match_type(ctx, type_node, type_path, TRUE, &type))
            return;
    }
    value_node = bb_schema_lookup(node, "value");
    if (value_node == NULL) {
        bb_schema_missing(ctx, node, value_path, "a path such as /api/ (or a regex)");
        return;
    }
    value = bb_schema_string(ctx, value_node, value_path, "a path such as /api/ (or a regex)");
    if (value == NULL)
        return;
    if (type != BB_MATCH_REGEX && value[0] != '/') {
        bb_schema_error(ctx, value_node, value_path, "'%s' does not start with '/'; expected %s",
                        value, "an absolute path such as /api/");
        return;
    }
    path_match = bb_path_match_new(type, value, &error);
    if (path_match == NULL) {
        bb_schema_error(ctx, value_node, value_path, "%s; expected a valid regular expression",
                        error->message);
        return;
    }
    g_ptr_array_add(match->paths, path_match);
}

static void
parse_header_entry(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbRouteMatch *match)
{
    static const gchar *const keys[] = {"name", "value", "type", NULL};
    const BbYamlNode *name_node, *value_node, *type_node;
    g_autofree gchar *name_path = bb_schema_path_key(path, "name");
    g_autofree gchar *value_path = bb_schema_path_key(path, "value");
    g_autofree gchar *name = NULL;
    g_autofree gchar *value = NULL;
    BbMatchType type = BB_MATCH_EXACT;
    g_autoptr(GError) error = NULL;
    BbHeaderMatch *header;

    if (!bb_schema_is_mapping(ctx, node, path, "a mapping with name, value and type"))
        return;
    bb_schema_check_keys(ctx, node, path, keys);
    type_node = bb_schema_lookup(node, "type");
    if (type_node != NULL) {
        g_autofree gchar *type_path = bb_schema_path_key(path, "type");
        if (!parse_match_type(ctx, type_node, type_path, FALSE, &type))
            return;
    }
    name_node = bb_schema_lookup(node, "name");
    value_node = bb_schema_lookup(node, "value");
    if (name_node == NULL)
        bb_schema_missing(ctx, node, name_path, "a header name such as X-Api-Version");
    if (value_node == NULL)
        bb_schema_missing(ctx, node, value_path, "the header value to match");
    if (name_node == NULL || value_node == NULL)
        return;
    name = bb_schema_string(ctx, name_node, name_path, "a header name such as X-Api-Version");
    value = bb_schema_string(ctx, value_node, value_path, "the header value to match");
    if (name == NULL || value == NULL)
        return;
    if (!is_token(name)) {
        bb_schema_error(ctx, name_node, name_path, "'%s' is not a header name; expected %s", name,
                        "letters, digits and -_. only");
        return;
    }
    header = bb_header_match_new(name, type, value, &error);
    if (header == NULL) {
        bb_schema_error(ctx, value_node, value_path, "%s; expected a valid regular expression",
                        error->message);
        return;
    }
    g_ptr_array_add(match->headers, header);
}

static void
parse_methods(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbRouteMatch *match)
{
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    if (!bb_schema_is_list(ctx, node, path, "a list of HTTP methods such as [GET, POST]"))
        return;
    for (guint i = 0; i < node->items->len; i++) {
        const BbYamlNode *item = g_ptr_array_index(node->items, i);
        g_autofree gchar *item_path = bb_schema_path_index(path, i);
        g_autofree gchar *method =
            bb_schema_string(ctx, item, item_path, "an upper-case HTTP method such as GET");
        if (method == NULL)
            continue;
        if (!is_method(method)) {
            bb_schema_error(ctx, item, item_path, "'%s' is not an upper-case method; expected %s",
                            method, "an upper-case HTTP method such as GET");
            continue;
        }
        g_strv_builder_add(builder, method);
    }
    match->methods = g_strv_builder_end(builder);
}

/* Walks a list of mappings, calling @parse_entry on each. */
static void
parse_list(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, const gchar *expected,
           void (*parse_entry)(BbSchemaCtx *, const BbYamlNode *, const gchar *, BbRouteMatch *),
           BbRouteMatch *match)
{
    if (!bb_schema_is_list(ctx, node, path, expected))
        return;
    for (guint i = 0; i < node->items->len; i++) {
        g_autofree gchar *item_path = bb_schema_path_index(path, i);
        parse_entry(ctx, g_ptr_array_index(node->items, i), item_path, match);
    }
}

static void
parse_match(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbRoute *route)
{
    static const gchar *const keys[] = {"paths", "methods", "headers", NULL};
    g_autoptr(BbRouteMatch) match = bb_route_match_new();
    const BbYamlNode *value;

    if (!bb_schema_is_mapping(ctx, node, path, "a mapping with paths, methods and/or headers"))
        return;
    bb_schema_check_keys(ctx, node, path, keys);
    if ((value = bb_schema_lookup(node, "paths")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "paths");
        parse_list(ctx, value, p, "a list of {type, value} mappings", parse_path_entry, match);
    }
    if ((value = bb_schema_lookup(node, "methods")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "methods");
        parse_methods(ctx, value, p, match);
    }
    if ((value = bb_schema_lookup(node, "headers")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "headers");
        parse_list(ctx, value, p, "a list of {name, value, type} mappings", parse_header_entry,
                   match);
    }
    g_ptr_array_add(route->matches, g_steal_pointer(&match));
}

static void
parse_matches(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbRoute *route)
{
    if (!bb_schema_is_list(ctx, node, path, "a list of {paths, methods, headers} mappings"))
        return;
    for (guint i = 0; i < node->items->len; i++) {
        g_autofree gchar *item_path = bb_schema_path_index(path, i);
        parse_match(ctx, g_ptr_array_index(node->items, i), item_path, route);
    }
}

static void
parse_auth(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbManifestRoute *mroute)
{
    static const gchar *const keys[] = {"scheme", "token_ref", NULL};
    const BbYamlNode *scheme_node, *ref_node;
    g_autofree gchar *scheme_path = bb_schema_path_key(path, "scheme");
    g_autofree gchar *ref_path = bb_schema_path_key(path, "token_ref");
    g_autofree gchar *scheme = NULL;
    g_autofree gchar *ref = NULL;

    if (!bb_schema_is_mapping(ctx, node, path, "a mapping with scheme and token_ref"))
        return;
    bb_schema_check_keys(ctx, node, path, keys);
    scheme_node = bb_schema_lookup(node, "scheme");
    ref_node = bb_schema_lookup(node, "token_ref");
    if (scheme_node == NULL)
        bb_schema_missing(ctx, node, scheme_path, "an auth scheme name such as Bearer or token");
    if (ref_node == NULL)
        bb_schema_missing(ctx, node, ref_path, "the name of the host env var holding the token");
    if (scheme_node != NULL) {
        scheme = bb_schema_string(ctx, scheme_node, scheme_path,
                                  "an auth scheme name such as Bearer or token");
        if (scheme != NULL && !bb_manifest_is_name(scheme)) {
            bb_schema_error(ctx, scheme_node, scheme_path, "'%s' is not a scheme name; expected %s",
                            scheme, "an auth scheme name such as Bearer or token");
            g_clear_pointer(&scheme, g_free);
        }
    }
    if (ref_node != NULL) {
        ref = bb_schema_string(ctx, ref_node, ref_path, "an env var name");
        if (ref != NULL && !bb_manifest_is_env_name(ref)) {
            bb_schema_error(ctx, ref_node, ref_path, "'%s' is not an env var name; expected %s",
                            ref, "a name matching [A-Za-z_][A-Za-z0-9_]*");
            g_clear_pointer(&ref, g_free);
        }
    }
    if (scheme != NULL && ref != NULL) {
        mroute->scheme_pos = pos_of(ctx, scheme_node);
        mroute->route->auth_scheme = g_steal_pointer(&scheme);
        mroute->route->token_ref = g_steal_pointer(&ref);
    }
}

static void
parse_detectors(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path,
                BbDlpSelection *selection, BbSourcePos *pos)
{
    const gchar *expected = "false or a non-empty list of detector names";
    gboolean enabled;
    g_autoptr(GStrvBuilder) builder = NULL;

    if (bb_yaml_node_get_bool(node, &enabled)) {
        if (enabled)
            bb_schema_error(ctx, node, path,
                            "got true (all detectors are on by default); "
                            "expected %s",
                            expected);
        else
            selection->enabled = FALSE;
        return;
    }
    if (!bb_schema_is_list(ctx, node, path, expected))
        return;
    if (node->items->len == 0) {
        bb_schema_error(ctx, node, path, "got an empty list; expected %s", expected);
        return;
    }
    builder = g_strv_builder_new();
    for (guint i = 0; i < node->items->len; i++) {
        const BbYamlNode *item = g_ptr_array_index(node->items, i);
        g_autofree gchar *item_path = bb_schema_path_index(path, i);
        g_autofree gchar *name = bb_schema_string(ctx, item, item_path, "a detector name");
        if (name != NULL && !bb_manifest_is_name(name))
            bb_schema_error(ctx, item, item_path, "'%s' is not a detector name; expected %s", name,
                            "a name such as token-patterns");
        else if (name != NULL)
            g_strv_builder_add(builder, name);
    }
    g_strfreev(selection->detectors);
    selection->detectors = g_strv_builder_end(builder);
    *pos = pos_of(ctx, node);
}

static void
parse_dlp(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbManifestRoute *mroute)
{
    static const gchar *const keys[] = {"outbound_detectors", "inbound_detectors",
                                        "outbound_on_match", NULL};
    const BbYamlNode *value;

    if (!bb_schema_is_mapping(ctx, node, path, "a mapping of DLP settings"))
        return;
    bb_schema_check_keys(ctx, node, path, keys);
    if ((value = bb_schema_lookup(node, "outbound_detectors")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "outbound_detectors");
        parse_detectors(ctx, value, p, &mroute->route->outbound, &mroute->outbound_pos);
    }
    if ((value = bb_schema_lookup(node, "inbound_detectors")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "inbound_detectors");
        parse_detectors(ctx, value, p, &mroute->route->inbound, &mroute->inbound_pos);
    }
    if ((value = bb_schema_lookup(node, "outbound_on_match")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "outbound_on_match");
        const gchar *expected = "one of supervise, redact, block";
        g_autofree gchar *policy = bb_schema_string(ctx, value, p, expected);
        if (policy != NULL && !bb_on_match_from_string(policy, &mroute->route->outbound_on_match))
            bb_schema_error(ctx, value, p, "unknown policy '%s'; expected %s", policy, expected);
    }
}

static void
parse_git(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbRoute *route)
{
    static const gchar *const keys[] = {"fetch", NULL};
    const BbYamlNode *value;
    if (!bb_schema_is_mapping(ctx, node, path, "a mapping with fetch"))
        return;
    bb_schema_check_keys(ctx, node, path, keys);
    if ((value = bb_schema_lookup(node, "fetch")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "fetch");
        bb_schema_bool(ctx, value, p, &route->git_fetch);
    }
}

static void
parse_port(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbRoute *route)
{
    const gchar *expected = "a port number from 1 to 65535";
    guint64 port = 0;
    if (node->kind == BB_YAML_SCALAR && !node->quoted && !bb_yaml_node_is_null(node) &&
        g_ascii_string_to_unsigned(node->scalar, 10, 1, 65535, &port, NULL)) {
        route->port = (guint16)port;
        return;
    }
    if (node->kind == BB_YAML_SCALAR && !bb_yaml_node_is_null(node))
        bb_schema_error(ctx, node, path, "got %s '%s'; expected %s", bb_yaml_node_describe(node),
                        node->scalar, expected);
    else if (node->kind != BB_YAML_INVALID)
        bb_schema_error(ctx, node, path, "got %s; expected %s", bb_yaml_node_describe(node),
                        expected);
}

static BbManifestRoute *
parse_host(BbSchemaCtx *ctx, const BbYamlNode *route_node, const gchar *path)
{
    const BbYamlNode *node = bb_schema_lookup(route_node, "host");
    g_autofree gchar *host_path = bb_schema_path_key(path, "host");
    g_autofree gchar *host = NULL;
    g_autofree gchar *canonical = NULL;
    g_autofree gchar *problem = NULL;
    BbManifestRoute *mroute;

    if (node == NULL) {
        bb_schema_missing(ctx, route_node, host_path, EXPECT_HOST);
        return NULL;
    }
    host = bb_schema_string(ctx, node, host_path, EXPECT_HOST);
    if (host == NULL)
        return NULL;
    canonical = bb_manifest_canonical_host(host, &problem);
    if (canonical == NULL) {
        bb_schema_error(ctx, node, host_path, "'%s' %s; expected %s", host, problem, EXPECT_HOST);
        return NULL;
    }
    mroute = g_new0(BbManifestRoute, 1);
    mroute->route = bb_route_new(canonical);
    mroute->key_path = g_strdup(path);
    mroute->host_pos = pos_of(ctx, node);
    return mroute;
}

BbManifestRoute *
bb_route_manifest_parse(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path)
{
    static const gchar *const keys[] = {"host",    "port", "role", "auth",
                                        "matches", "dlp",  "git",  NULL};
    const BbYamlNode *value;
    BbManifestRoute *mroute;
    /* A route whose host is unusable is still checked, so every problem
     * in it is reported at once. */
    g_autoptr(BbRoute) scratch = bb_route_new("invalid.");
    BbManifestRoute scratch_mroute = {scratch, NULL, {0}, {0}, {0}, {0}};
    BbManifestRoute *target;

    if (!bb_schema_is_mapping(ctx, node, path, "a mapping with at least a host"))
        return NULL;
    bb_schema_check_keys(ctx, node, path, keys);
    mroute = parse_host(ctx, node, path);
    target = mroute != NULL ? mroute : &scratch_mroute;
    if ((value = bb_schema_lookup(node, "port")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "port");
        parse_port(ctx, value, p, target->route);
    }
    if ((value = bb_schema_lookup(node, "role")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "role");
        bb_schema_error(ctx, value, p,
                        "reserved and not accepted yet; expected no role (provider routes "
                        "come from agent_provider)");
    }
    if ((value = bb_schema_lookup(node, "auth")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "auth");
        parse_auth(ctx, value, p, target);
    }
    if ((value = bb_schema_lookup(node, "matches")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "matches");
        parse_matches(ctx, value, p, target->route);
    }
    if ((value = bb_schema_lookup(node, "dlp")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "dlp");
        parse_dlp(ctx, value, p, target);
    }
    if ((value = bb_schema_lookup(node, "git")) != NULL) {
        g_autofree gchar *p = bb_schema_path_key(path, "git");
        parse_git(ctx, value, p, target->route);
    }
    return mroute;
}
