#include <string.h>

#include "bb-manifest-schema.h"

void
bb_schema_error(BbSchemaCtx *ctx, const BbYamlNode *at, const gchar *path, const gchar *format, ...)
{
    va_list args;
    g_autofree gchar *what = NULL;
    g_autofree gchar *message = NULL;
    va_start(args, format);
    what = g_strdup_vprintf(format, args);
    va_end(args);
    message = g_strdup_printf("%s: %s", path, what);
    bb_diagnostics_add(ctx->diagnostics, ctx->file, at->line, at->column, FALSE, message);
    ctx->errors++;
}

gchar *
bb_schema_path_key(const gchar *parent, const gchar *key)
{
    if (parent == NULL || parent[0] == '\0')
        return g_strdup(key);
    return g_strdup_printf("%s.%s", parent, key);
}

gchar *
bb_schema_path_index(const gchar *parent, guint index)
{
    return g_strdup_printf("%s[%u]", parent, index);
}

void
bb_schema_check_keys(BbSchemaCtx *ctx, const BbYamlNode *mapping, const gchar *path,
                     const gchar *const *allowed)
{
    for (guint i = 0; i < mapping->keys->len; i++) {
        const BbYamlNode *key = g_ptr_array_index(mapping->keys, i);
        g_autofree gchar *key_path = NULL;
        g_autofree gchar *choices = NULL;
        if (key->kind != BB_YAML_SCALAR || g_strv_contains(allowed, key->scalar))
            continue;
        key_path = bb_schema_path_key(path, key->scalar);
        choices = g_strjoinv(", ", (gchar **)allowed);
        bb_schema_error(ctx, key, key_path, "unknown key; expected one of %s", choices);
    }
}

const BbYamlNode *
bb_schema_lookup(const BbYamlNode *mapping, const gchar *key)
{
    if (mapping == NULL || mapping->kind != BB_YAML_MAPPING)
        return NULL;
    for (guint i = 0; i < mapping->keys->len; i++) {
        const BbYamlNode *k = g_ptr_array_index(mapping->keys, i);
        if (k->kind == BB_YAML_SCALAR && g_strcmp0(k->scalar, key) == 0)
            return g_ptr_array_index(mapping->values, i);
    }
    return NULL;
}

void
bb_schema_missing(BbSchemaCtx *ctx, const BbYamlNode *mapping, const gchar *path,
                  const gchar *expected)
{
    bb_schema_error(ctx, mapping, path, "required key is missing; expected %s", expected);
}

static gboolean
check_kind(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, BbYamlKind kind,
           const gchar *expected)
{
    if (node->kind == kind)
        return TRUE;
    if (node->kind != BB_YAML_INVALID)
        bb_schema_error(ctx, node, path, "got %s; expected %s", bb_yaml_node_describe(node),
                        expected);
    return FALSE;
}

gboolean
bb_schema_is_mapping(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path,
                     const gchar *expected)
{
    return check_kind(ctx, node, path, BB_YAML_MAPPING, expected);
}

gboolean
bb_schema_is_list(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path,
                  const gchar *expected)
{
    return check_kind(ctx, node, path, BB_YAML_SEQUENCE, expected);
}

gchar *
bb_schema_string(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, const gchar *expected)
{
    if (!check_kind(ctx, node, path, BB_YAML_SCALAR, expected))
        return NULL;
    if (bb_yaml_node_is_null(node)) {
        bb_schema_error(ctx, node, path, "got %s; expected %s", bb_yaml_node_describe(node),
                        expected);
        return NULL;
    }
    return g_strdup(node->scalar);
}

gboolean
bb_schema_bool(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, gboolean *out)
{
    if (bb_yaml_node_get_bool(node, out))
        return TRUE;
    if (node->kind == BB_YAML_SCALAR && !bb_yaml_node_is_null(node))
        bb_schema_error(ctx, node, path, "got %s '%s'; expected true or false",
                        bb_yaml_node_describe(node), node->scalar);
    else if (node->kind != BB_YAML_INVALID)
        bb_schema_error(ctx, node, path, "got %s; expected true or false",
                        bb_yaml_node_describe(node));
    return FALSE;
}

gboolean
bb_manifest_is_env_name(const gchar *name)
{
    if (name == NULL || !(g_ascii_isalpha(name[0]) || name[0] == '_'))
        return FALSE;
    for (const gchar *p = name + 1; *p != '\0'; p++) {
        if (!(g_ascii_isalnum(*p) || *p == '_'))
            return FALSE;
    }
    return TRUE;
}

gboolean
bb_manifest_is_name(const gchar *name)
{
    gsize len = name != NULL ? strlen(name) : 0;
    if (len == 0 || len > 128 || !g_ascii_isalnum(name[0]))
        return FALSE;
    for (const gchar *p = name; *p != '\0'; p++) {
        if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '_' || *p == '-'))
            return FALSE;
    }
    return TRUE;
}

/* Characters that make a "host" something else: a URL, a user, a port,
 * a path, a wildcard or an IPv6 literal. */
static gchar *
describe_foreign_char(const gchar *host)
{
    for (const gchar *p = host; *p != '\0'; p++) {
        guchar c = (guchar)*p;
        if (c < 0x20 || c == 0x7f || c == ' ')
            return g_strdup("contains whitespace or a control character");
        switch (c) {
        case '@':
            return g_strdup("contains '@' (user info is not part of a host)");
        case ':':
            return g_strdup("contains ':' (no ports, schemes or IPv6 literals)");
        case '/':
        case '\\':
        case '?':
        case '#':
            return g_strdup_printf("contains '%c' (no schemes or paths)", c);
        case '*':
            return g_strdup("contains '*' (wildcards are not supported; list each host)");
        case '[':
        case ']':
        case '%':
            return g_strdup_printf("contains '%c' (no IP literals or escapes)", c);
        default:
            break;
        }
    }
    return NULL;
}

static gchar *
check_labels(const gchar *ascii)
{
    g_auto(GStrv) labels = g_strsplit(ascii, ".", -1);
    guint n = g_strv_length(labels);
    /* IDNA maps some characters (soft hyphen, ...) to nothing. */
    if (n == 0)
        return g_strdup("is empty once invisible characters are removed");
    if (strlen(ascii) > 253)
        return g_strdup("is longer than 253 characters");
    for (guint i = 0; i < n; i++) {
        if (labels[i][0] == '\0')
            return g_strdup("has an empty label");
    }
    /* No top-level domain starts with a digit, so this refuses every
     * spelling of an IPv4 address (127.0.0.1, 127.1, 0x7f000001, 2130706433). */
    if (!g_ascii_isalpha(labels[n - 1][0]))
        return g_strdup("looks like an IP address (routes name hosts, not addresses)");
    for (guint i = 0; i < n; i++) {
        gsize len = strlen(labels[i]);
        if (len > 63)
            return g_strdup_printf("has a label longer than 63 characters ('%.20s...')", labels[i]);
        if (labels[i][0] == '-' || labels[i][len - 1] == '-')
            return g_strdup_printf("has a label starting or ending with '-' ('%s')", labels[i]);
        for (const gchar *p = labels[i]; *p != '\0'; p++) {
            if (!g_ascii_isalnum(*p) && *p != '-')
                return g_strdup_printf("contains '%c', which is not allowed in a host name", *p);
        }
    }
    return NULL;
}

static gchar *
strip_one_trailing_dot(gchar *host)
{
    gsize len = strlen(host);
    if (len > 0 && host[len - 1] == '.')
        host[len - 1] = '\0';
    return host;
}

gchar *
bb_manifest_canonical_host(const gchar *host, gchar **problem)
{
    g_autofree gchar *lower = NULL;
    g_autofree gchar *ascii = NULL;
    g_autofree gchar *ascii_lower = NULL;

    *problem = NULL;
    if (host[0] == '\0') {
        *problem = g_strdup("is empty");
        return NULL;
    }
    if ((*problem = describe_foreign_char(host)) != NULL)
        return NULL;
    if (!g_utf8_validate(host, -1, NULL)) {
        *problem = g_strdup("is not valid UTF-8");
        return NULL;
    }
    lower = strip_one_trailing_dot(g_utf8_strdown(host, -1));
    if (lower[0] == '\0' || g_hostname_is_ip_address(lower)) {
        *problem = g_strdup(lower[0] == '\0' ? "is only a dot"
                                             : "is an IP address (routes name hosts, not "
                                               "addresses)");
        return NULL;
    }
    ascii = g_hostname_to_ascii(lower);
    if (ascii == NULL) {
        *problem = g_strdup("is not a valid internationalised host name");
        return NULL;
    }
    /* IDNA maps look-alike dots (U+3002 ...) to '.', so check again. */
    ascii_lower = g_ascii_strdown(ascii, -1);
    if ((*problem = describe_foreign_char(ascii_lower)) != NULL ||
        (*problem = check_labels(ascii_lower)) != NULL)
        return NULL;
    return g_steal_pointer(&ascii_lower);
}
