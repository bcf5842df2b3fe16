#include "bb-route.h"
#include "bb-error.h"

BbRoute *
bb_route_new(const gchar *host)
{
    BbRoute *route = g_new0(BbRoute, 1);
    route->ref_count = 1;
    route->host = g_strdup(host);
    route->matches = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_match_free);
    route->outbound.enabled = TRUE;
    route->inbound.enabled = TRUE;
    route->outbound_on_match = BB_ON_MATCH_SUPERVISE;
    return route;
}

BbRoute *
bb_route_ref(BbRoute *route)
{
    g_return_val_if_fail(route != NULL, NULL);
    g_atomic_int_inc(&route->ref_count);
    return route;
}

void
bb_route_unref(BbRoute *route)
{
    if (route == NULL || !g_atomic_int_dec_and_test(&route->ref_count))
        return;
    g_free(route->host);
    g_free(route->auth_scheme);
    g_free(route->token_ref);
    g_ptr_array_unref(route->matches);
    g_strfreev(route->outbound.detectors);
    g_strfreev(route->inbound.detectors);
    g_free(route);
}

BbRouteMatch *
bb_route_match_new(void)
{
    BbRouteMatch *match = g_new0(BbRouteMatch, 1);
    match->paths = g_ptr_array_new_with_free_func((GDestroyNotify)bb_path_match_free);
    match->headers = g_ptr_array_new_with_free_func((GDestroyNotify)bb_header_match_free);
    return match;
}

void
bb_route_match_free(BbRouteMatch *match)
{
    if (match == NULL)
        return;
    g_ptr_array_unref(match->paths);
    g_strfreev(match->methods);
    g_ptr_array_unref(match->headers);
    g_free(match);
}

/* Regexes are anchored so `/api/.*` cannot match `/evil/api/x`; users
 * who want a search write a leading `.*` themselves. */
static GRegex *
compile_anchored(const gchar *pattern, GError **error)
{
    g_autofree gchar *anchored = g_strdup_printf("^(?:%s)$", pattern);
    GRegex *regex = g_regex_new(anchored, G_REGEX_OPTIMIZE, 0, error);
    if (regex == NULL)
        g_prefix_error(error, "invalid regex '%s': ", pattern);
    return regex;
}

BbPathMatch *
bb_path_match_new(BbMatchType type, const gchar *value, GError **error)
{
    g_autoptr(BbPathMatch) match = g_new0(BbPathMatch, 1);
    match->type = type;
    match->value = g_strdup(value);
    if (type == BB_MATCH_REGEX) {
        match->regex = compile_anchored(value, error);
        if (match->regex == NULL)
            return NULL;
    }
    return g_steal_pointer(&match);
}

void
bb_path_match_free(BbPathMatch *match)
{
    if (match == NULL)
        return;
    g_free(match->value);
    if (match->regex != NULL)
        g_regex_unref(match->regex);
    g_free(match);
}

BbHeaderMatch *
bb_header_match_new(const gchar *name, BbMatchType type, const gchar *value, GError **error)
{
    g_autoptr(BbHeaderMatch) match = g_new0(BbHeaderMatch, 1);
    match->name = g_ascii_strdown(name, -1);
    match->type = type;
    match->value = g_strdup(value);
    if (type == BB_MATCH_REGEX) {
        match->regex = compile_anchored(value, error);
        if (match->regex == NULL)
            return NULL;
    }
    return g_steal_pointer(&match);
}

void
bb_header_match_free(BbHeaderMatch *match)
{
    if (match == NULL)
        return;
    g_free(match->name);
    g_free(match->value);
    if (match->regex != NULL)
        g_regex_unref(match->regex);
    g_free(match);
}

const gchar *
bb_on_match_to_string(BbOnMatch on_match)
{
    switch (on_match) {
    case BB_ON_MATCH_SUPERVISE:
        return "supervise";
    case BB_ON_MATCH_REDACT:
        return "redact";
    case BB_ON_MATCH_BLOCK:
        return "block";
    }
    return "supervise";
}

gboolean
bb_on_match_from_string(const gchar *str, BbOnMatch *out)
{
    static const BbOnMatch all[] = {BB_ON_MATCH_SUPERVISE, BB_ON_MATCH_REDACT, BB_ON_MATCH_BLOCK};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        if (g_strcmp0(str, bb_on_match_to_string(all[i])) == 0) {
            *out = all[i];
            return TRUE;
        }
    }
    return FALSE;
}

const gchar *
bb_match_type_to_string(BbMatchType type)
{
    switch (type) {
    case BB_MATCH_PREFIX:
        return "prefix";
    case BB_MATCH_EXACT:
        return "exact";
    case BB_MATCH_REGEX:
        return "regex";
    }
    return "prefix";
}
