#include "bb-error.h"
#include "bb-route-json.h"

static void
add_strv(JsonBuilder *b, const gchar *name, GStrv strv)
{
    json_builder_set_member_name(b, name);
    if (strv == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_array(b);
    for (gchar **p = strv; *p != NULL; p++)
        json_builder_add_string_value(b, *p);
    json_builder_end_array(b);
}

static void
add_dlp(JsonBuilder *b, const gchar *name, const BbDlpSelection *sel)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "enabled");
    json_builder_add_boolean_value(b, sel->enabled);
    add_strv(b, "detectors", sel->detectors);
    json_builder_end_object(b);
}

static void
add_match(JsonBuilder *b, const BbRouteMatch *m)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "paths");
    json_builder_begin_array(b);
    for (guint i = 0; i < m->paths->len; i++) {
        const BbPathMatch *pm = g_ptr_array_index(m->paths, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, bb_match_type_to_string(pm->type));
        json_builder_set_member_name(b, "value");
        json_builder_add_string_value(b, pm->value);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    add_strv(b, "methods", m->methods);
    json_builder_set_member_name(b, "headers");
    json_builder_begin_array(b);
    for (guint i = 0; i < m->headers->len; i++) {
        const BbHeaderMatch *hm = g_ptr_array_index(m->headers, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, hm->name);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, bb_match_type_to_string(hm->type));
        json_builder_set_member_name(b, "value");
        json_builder_add_string_value(b, hm->value);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

static void
add_string_or_null(JsonBuilder *b, const gchar *name, const gchar *value)
{
    json_builder_set_member_name(b, name);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
build_route(JsonBuilder *b, const BbRoute *route)
{
    json_builder_begin_object(b);
    add_string_or_null(b, "host", route->host);
    json_builder_set_member_name(b, "port");
    json_builder_add_int_value(b, route->port);
    add_string_or_null(b, "auth_scheme", route->auth_scheme);
    add_string_or_null(b, "token_ref", route->token_ref);
    json_builder_set_member_name(b, "matches");
    json_builder_begin_array(b);
    for (guint i = 0; i < route->matches->len; i++)
        add_match(b, g_ptr_array_index(route->matches, i));
    json_builder_end_array(b);
    add_dlp(b, "outbound", &route->outbound);
    add_dlp(b, "inbound", &route->inbound);
    add_string_or_null(b, "outbound_on_match", bb_on_match_to_string(route->outbound_on_match));
    json_builder_set_member_name(b, "git_fetch");
    json_builder_add_boolean_value(b, route->git_fetch);
    json_builder_set_member_name(b, "provider_owned");
    json_builder_add_boolean_value(b, route->provider_owned);
    json_builder_end_object(b);
}

JsonNode *
bb_route_to_json(const BbRoute *route)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    build_route(b, route);
    return json_builder_get_root(b);
}

gchar *
bb_routes_to_json_string(GPtrArray *routes, gboolean pretty)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "routes");
    json_builder_begin_array(b);
    for (guint i = 0; routes != NULL && i < routes->len; i++)
        build_route(b, g_ptr_array_index(routes, i));
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return json_to_string(root, pretty);
}

static gboolean
match_type_from_string(const gchar *s, BbMatchType *out)
{
    for (BbMatchType t = BB_MATCH_PREFIX; t <= BB_MATCH_REGEX; t++) {
        if (g_strcmp0(s, bb_match_type_to_string(t)) == 0) {
            *out = t;
            return TRUE;
        }
    }
    return FALSE;
}

static const gchar *
get_string(JsonObject *o, const gchar *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static gboolean
get_strv(JsonObject *o, const gchar *name, GStrv *out, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    JsonArray *a;
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    *out = NULL;
    if (n == NULL || JSON_NODE_HOLDS_NULL(n))
        return TRUE;
    if (!JSON_NODE_HOLDS_ARRAY(n)) {
        g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST, "'%s' must be a list", name);
        return FALSE;
    }
    a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
            g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                        "'%s' must be a list of strings", name);
            return FALSE;
        }
        g_strv_builder_add(builder, json_node_get_string(e));
    }
    *out = g_strv_builder_end(builder);
    return TRUE;
}

static JsonArray *
get_array(JsonObject *o, const gchar *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static JsonObject *
element_object(JsonArray *a, guint i, GError **error)
{
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(e)) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST, "expected an object");
        return NULL;
    }
    return json_node_get_object(e);
}

static BbRouteMatch *
match_from_json(JsonObject *o, GError **error)
{
    g_autoptr(BbRouteMatch) m = bb_route_match_new();
    JsonArray *paths = get_array(o, "paths");
    JsonArray *headers = get_array(o, "headers");
    BbMatchType type;

    for (guint i = 0; paths != NULL && i < json_array_get_length(paths); i++) {
        JsonObject *p = element_object(paths, i, error);
        BbPathMatch *pm;
        if (p == NULL)
            return NULL;
        if (!match_type_from_string(get_string(p, "type"), &type) ||
            get_string(p, "value") == NULL) {
            g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                                "a path match needs a type (prefix, exact, regex) and a value");
            return NULL;
        }
        pm = bb_path_match_new(type, get_string(p, "value"), error);
        if (pm == NULL)
            return NULL;
        g_ptr_array_add(m->paths, pm);
    }
    for (guint i = 0; headers != NULL && i < json_array_get_length(headers); i++) {
        JsonObject *h = element_object(headers, i, error);
        BbHeaderMatch *hm;
        if (h == NULL)
            return NULL;
        if (!match_type_from_string(get_string(h, "type"), &type) ||
            get_string(h, "name") == NULL || get_string(h, "value") == NULL) {
            g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                                "a header match needs a name, a type and a value");
            return NULL;
        }
        hm = bb_header_match_new(get_string(h, "name"), type, get_string(h, "value"), error);
        if (hm == NULL)
            return NULL;
        g_ptr_array_add(m->headers, hm);
    }
    if (!get_strv(o, "methods", &m->methods, error))
        return NULL;
    return g_steal_pointer(&m);
}

static gboolean
dlp_from_json(JsonObject *o, const gchar *name, BbDlpSelection *sel, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    JsonObject *d;
    if (n == NULL || JSON_NODE_HOLDS_NULL(n))
        return TRUE;
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST, "'%s' must be an object", name);
        return FALSE;
    }
    d = json_node_get_object(n);
    sel->enabled = json_object_get_boolean_member_with_default(d, "enabled", TRUE);
    return get_strv(d, "detectors", &sel->detectors, error);
}

BbRoute *
bb_route_from_json(JsonNode *node, GError **error)
{
    JsonObject *o;
    const gchar *host;
    gint64 port;
    g_autoptr(BbRoute) route = NULL;
    JsonArray *matches;

    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                            "a route must be an object");
        return NULL;
    }
    o = json_node_get_object(node);
    host = get_string(o, "host");
    if (host == NULL || host[0] == '\0') {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST, "a route needs a host");
        return NULL;
    }
    route = bb_route_new(host);
    port = json_object_get_int_member_with_default(o, "port", 0);
    if (port < 0 || port > 65535) {
        g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST, "route %s: bad port", host);
        return NULL;
    }
    route->port = (guint16)port;
    route->auth_scheme = g_strdup(get_string(o, "auth_scheme"));
    route->token_ref = g_strdup(get_string(o, "token_ref"));
    route->git_fetch = json_object_get_boolean_member_with_default(o, "git_fetch", FALSE);
    route->provider_owned = json_object_get_boolean_member_with_default(o, "provider_owned", FALSE);
    if (get_string(o, "outbound_on_match") != NULL &&
        !bb_on_match_from_string(get_string(o, "outbound_on_match"), &route->outbound_on_match)) {
        g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST, "route %s: bad outbound_on_match",
                    host);
        return NULL;
    }
    matches = get_array(o, "matches");
    for (guint i = 0; matches != NULL && i < json_array_get_length(matches); i++) {
        JsonObject *mo = element_object(matches, i, error);
        BbRouteMatch *m = mo != NULL ? match_from_json(mo, error) : NULL;
        if (m == NULL) {
            g_prefix_error(error, "route %s: ", host);
            return NULL;
        }
        g_ptr_array_add(route->matches, m);
    }
    if (!dlp_from_json(o, "outbound", &route->outbound, error) ||
        !dlp_from_json(o, "inbound", &route->inbound, error)) {
        g_prefix_error(error, "route %s: ", host);
        return NULL;
    }
    return g_steal_pointer(&route);
}

GPtrArray *
bb_routes_from_json_string(const gchar *data, gssize len, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GPtrArray) routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    JsonNode *root;
    JsonArray *array;

    if (!json_parser_load_from_data(parser, data, len, error)) {
        g_prefix_error(error, "routes: ");
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root) ||
        (array = get_array(json_node_get_object(root), "routes")) == NULL) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                            "routes: expected an object with a \"routes\" list");
        return NULL;
    }
    for (guint i = 0; i < json_array_get_length(array); i++) {
        BbRoute *route = bb_route_from_json(json_array_get_element(array, i), error);
        if (route == NULL)
            return NULL;
        g_ptr_array_add(routes, route);
    }
    return g_steal_pointer(&routes);
}
