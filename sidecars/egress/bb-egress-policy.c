#include <string.h>

#include "bb-auth-scheme.h"
#include "bb-egress-policy.h"
#include "bb-error.h"
#include "bb-host.h"

struct _BbEgressPolicy {
    gint ref_count;
    GHashTable *by_host; /* canonical host → BbEgressRouteEntry */
    GPtrArray *routes;   /* of BbRoute, in manifest order */
};

static const gchar *const block_codes[] = {
    [BB_BLOCK_NONE] = "none",
    [BB_BLOCK_NO_ROUTE] = "no-route",
    [BB_BLOCK_PORT] = "port-not-allowed",
    [BB_BLOCK_BAD_HOST] = "bad-host",
    [BB_BLOCK_HOST_MISMATCH] = "host-mismatch",
    [BB_BLOCK_BAD_PATH] = "bad-path",
    [BB_BLOCK_NO_MATCH] = "no-match",
    [BB_BLOCK_DOH] = "doh",
    [BB_BLOCK_UPGRADE] = "upgrade",
    [BB_BLOCK_GIT_PUSH] = "git-push",
    [BB_BLOCK_GIT_FETCH] = "git-fetch-not-allowed",
    [BB_BLOCK_METHOD_OVERRIDE] = "method-override",
    [BB_BLOCK_PLAINTEXT_CREDENTIAL] = "plaintext-credential",
    [BB_BLOCK_SCANNER] = "scanner",
};

const gchar *
bb_block_code_to_string(BbBlockCode code)
{
    if ((gsize)code >= G_N_ELEMENTS(block_codes))
        return "unknown";
    return block_codes[code];
}

static void
route_entry_free(BbEgressRouteEntry *entry)
{
    if (entry == NULL)
        return;
    bb_route_unref(entry->route);
    if (entry->inject != NULL) {
        explicit_bzero(entry->inject, strlen(entry->inject));
        g_free(entry->inject);
    }
    if (entry->scrub != NULL)
        g_ptr_array_unref(entry->scrub);
    g_strfreev(entry->inject_names);
    g_free(entry);
}

static void
secret_free(gchar *secret)
{
    explicit_bzero(secret, strlen(secret));
    g_free(secret);
}

/* A plugin's header must be a token name and a value without CR, LF,
 * NUL or other controls, or it could split the request we build. */
static gboolean
header_is_safe(const BbHeader *h)
{
    if (h->name == NULL || h->name[0] == '\0' || h->value == NULL)
        return FALSE;
    for (const gchar *p = h->name; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
            return FALSE;
    }
    for (const guchar *p = (const guchar *)h->value; *p != '\0'; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return FALSE;
    }
    return TRUE;
}

static gboolean
render_credentials(BbEgressRouteEntry *entry, BbRegistry *registry, GHashTable *secrets,
                   GError **error)
{
    BbRoute *route = entry->route;
    g_autoptr(GObject) scheme = NULL;
    g_autoptr(GPtrArray) headers = NULL;
    g_autoptr(GString) rendered = g_string_new(NULL);
    g_autoptr(GStrvBuilder) names = g_strv_builder_new();
    const gchar *secret;

    if (route->auth_scheme == NULL)
        return TRUE;
    if (registry == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "route %s uses auth scheme '%s' but no plugin registry was given", route->host,
                    route->auth_scheme);
        return FALSE;
    }
    secret = route->token_ref != NULL && secrets != NULL
                 ? g_hash_table_lookup(secrets, route->token_ref)
                 : NULL;
    if (secret == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_SECRET,
                    "route %s needs the secret %s; set it in the host environment", route->host,
                    route->token_ref != NULL ? route->token_ref : "(no token_ref)");
        return FALSE;
    }
    scheme = bb_registry_create(registry, BB_TYPE_AUTH_SCHEME, route->auth_scheme, error);
    if (scheme == NULL) {
        g_prefix_error(error, "route %s: ", route->host);
        return FALSE;
    }
    headers = bb_auth_scheme_build_headers(BB_AUTH_SCHEME(scheme), secret, error);
    if (headers == NULL) {
        g_prefix_error(error, "route %s: ", route->host);
        return FALSE;
    }
    for (guint i = 0; i < headers->len; i++) {
        const BbHeader *h = g_ptr_array_index(headers, i);
        if (!header_is_safe(h)) {
            /* Say which route, never the value. */
            g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                        "route %s: auth scheme '%s' built a header that cannot be sent safely",
                        route->host, route->auth_scheme);
            return FALSE;
        }
        g_string_append_printf(rendered, "%s: %s\r\n", h->name, h->value);
        g_autofree gchar *lower = g_ascii_strdown(h->name, -1);
        g_strv_builder_add(names, lower);
    }
    entry->inject_names = g_strv_builder_end(names);
    entry->inject = g_string_free(g_steal_pointer(&rendered), FALSE);
    entry->scrub = g_ptr_array_new_with_free_func((GDestroyNotify)secret_free);
    g_ptr_array_add(entry->scrub, g_strdup(secret));
    return TRUE;
}

BbEgressPolicy *
bb_egress_policy_new(GPtrArray *routes, BbRegistry *registry, GHashTable *secrets, GError **error)
{
    BbEgressPolicy *policy = g_new0(BbEgressPolicy, 1);
    g_autoptr(BbEgressPolicy) owned = policy;

    policy->ref_count = 1;
    policy->by_host =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)route_entry_free);
    policy->routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    for (guint i = 0; routes != NULL && i < routes->len; i++) {
        BbRoute *route = g_ptr_array_index(routes, i);
        BbEgressRouteEntry *entry;
        const gchar *reason = NULL;
        g_autofree gchar *canonical =
            route->host != NULL ? bb_host_canonicalize(route->host, strlen(route->host), &reason)
                                : NULL;
        if (g_strcmp0(canonical, route->host) != 0) {
            g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                        "route host '%s' is not a canonical DNS name (%s); write it in lower "
                        "case, without a trailing dot, IDNA-encoded",
                        route->host != NULL ? route->host : "",
                        reason != NULL ? reason : "differs");
            return NULL;
        }
        if (g_hash_table_contains(policy->by_host, route->host)) {
            g_set_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST,
                        "two routes for %s; merge them into one", route->host);
            return NULL;
        }
        entry = g_new0(BbEgressRouteEntry, 1);
        entry->route = bb_route_ref(route);
        g_hash_table_insert(policy->by_host, route->host, entry);
        g_ptr_array_add(policy->routes, bb_route_ref(route));
        if (!render_credentials(entry, registry, secrets, error))
            return NULL;
    }
    return g_steal_pointer(&owned);
}

BbEgressPolicy *
bb_egress_policy_ref(BbEgressPolicy *policy)
{
    g_atomic_int_inc(&policy->ref_count);
    return policy;
}

void
bb_egress_policy_unref(BbEgressPolicy *policy)
{
    if (policy == NULL || !g_atomic_int_dec_and_test(&policy->ref_count))
        return;
    g_hash_table_unref(policy->by_host);
    g_ptr_array_unref(policy->routes);
    g_free(policy);
}

const BbEgressRouteEntry *
bb_egress_policy_lookup(BbEgressPolicy *policy, const gchar *host)
{
    return g_hash_table_lookup(policy->by_host, host);
}

GPtrArray *
bb_egress_policy_get_routes(BbEgressPolicy *policy)
{
    return policy->routes;
}

static gboolean
is_unreserved(gchar c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '~';
}

/* Encoded bytes that would change the path's structure once the
 * upstream decodes them, or that only exist to smuggle: `.`, `/`, `\`,
 * `%` (double encoding), `;` and NUL. */
static gboolean
encoded_byte_is_refused(guchar byte)
{
    return byte == '.' || byte == '/' || byte == '\\' || byte == '%' || byte == ';' ||
           byte < 0x20 || byte == 0x7f;
}

gchar *
bb_egress_normalize_path(const gchar *path, gsize len, const gchar **reason)
{
    g_autoptr(GString) out = g_string_sized_new(len);

    if (len == 0 || path[0] != '/') {
        *reason = "path must start with /";
        return NULL;
    }
    for (gsize i = 0; i < len; i++) {
        gchar c = path[i];
        if (c == '\\' || c == ';' || c == '\0') {
            *reason = "backslash, ';' or NUL in path";
            return NULL;
        }
        if (c == '/' && i + 1 < len && path[i + 1] == '/') {
            *reason = "empty path segment ('//')";
            return NULL;
        }
        if (c == '%') {
            gint hi, lo;
            guchar byte;
            if (i + 2 >= len) {
                *reason = "truncated percent-encoding";
                return NULL;
            }
            hi = g_ascii_xdigit_value(path[i + 1]);
            lo = g_ascii_xdigit_value(path[i + 2]);
            if (hi < 0 || lo < 0) {
                *reason = "invalid percent-encoding";
                return NULL;
            }
            byte = (guchar)(hi * 16 + lo);
            if (encoded_byte_is_refused(byte)) {
                *reason = "encoded '.', '/', '\\', '%', ';' or control byte in path";
                return NULL;
            }
            if (is_unreserved((gchar)byte)) {
                g_string_append_c(out, (gchar)byte);
            } else {
                g_string_append_c(out, '%');
                g_string_append_c(out, g_ascii_toupper(path[i + 1]));
                g_string_append_c(out, g_ascii_toupper(path[i + 2]));
            }
            i += 2;
            continue;
        }
        g_string_append_c(out, c);
    }
    /* Dot segments: "/." or "/.." followed by "/" or the end. */
    for (const gchar *p = out->str; (p = strstr(p, "/.")) != NULL; p++) {
        const gchar *after = p[2] == '.' ? p + 3 : p + 2;
        if (*after == '/' || *after == '\0') {
            *reason = "dot segment in path";
            return NULL;
        }
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean
field_has(const BbHttpHead *head, const gchar *name, const gchar *needle)
{
    for (guint i = 0; i < head->n_fields; i++) {
        const BbHttpField *f = &head->fields[i];
        if (bb_http_field_name_is(f, name) &&
            g_strstr_len(f->value, (gssize)f->value_len, needle) != NULL)
            return TRUE;
    }
    return FALSE;
}

static gboolean
field_has_ci(const BbHttpHead *head, const gchar *name, const gchar *lower_needle)
{
    for (guint i = 0; i < head->n_fields; i++) {
        const BbHttpField *f = &head->fields[i];
        if (bb_http_field_name_is(f, name)) {
            g_autofree gchar *lower = g_ascii_strdown(f->value, (gssize)f->value_len);
            if (strstr(lower, lower_needle) != NULL)
                return TRUE;
        }
    }
    return FALSE;
}

static gboolean
is_doh(const gchar *path, const BbHttpHead *head)
{
    return g_str_has_suffix(path, "/dns-query") || strstr(path, "/dns-query/") != NULL ||
           field_has_ci(head, "content-type", "application/dns-") ||
           field_has_ci(head, "accept", "application/dns-");
}

static gboolean
is_upgrade(const BbHttpHead *head, const gchar *method)
{
    gint conn = bb_http_head_find(head, "connection");
    if (bb_http_head_find(head, "upgrade") >= 0 || bb_http_head_find(head, "http2-settings") >= 0 ||
        bb_http_head_find(head, "sec-websocket-key") >= 0 || g_strcmp0(method, "PRI") == 0)
        return TRUE;
    for (guint i = 0; conn >= 0 && i < head->n_fields; i++) {
        const BbHttpField *f = &head->fields[i];
        if (bb_http_field_name_is(f, "connection") &&
            bb_http_list_has_token(f->value, f->value_len, "upgrade"))
            return TRUE;
    }
    return FALSE;
}

static gboolean
query_has_service(const gchar *query, const gchar *service)
{
    g_autofree gchar *needle = g_strconcat("service=", service, NULL);
    if (query == NULL)
        return FALSE;
    for (const gchar *p = query; (p = strstr(p, needle)) != NULL; p++) {
        if (p == query || p[-1] == '&')
            return TRUE;
    }
    return FALSE;
}

static gboolean
is_git_push(const gchar *path, const gchar *query, const BbHttpHead *head)
{
    return g_str_has_suffix(path, "/git-receive-pack") ||
           (g_str_has_suffix(path, "/info/refs") && query_has_service(query, "git-receive-pack")) ||
           field_has(head, "content-type", "x-git-receive-pack");
}

/* Exactly the two smart-HTTP fetch requests git makes. */
static gboolean
is_git_fetch_request(const gchar *method, const gchar *path, const gchar *query)
{
    if (g_strcmp0(method, "GET") == 0 && g_str_has_suffix(path, "/info/refs") &&
        query_has_service(query, "git-upload-pack"))
        return TRUE;
    return g_strcmp0(method, "POST") == 0 && g_str_has_suffix(path, "/git-upload-pack");
}

/* Anything that smells of upload-pack: refused on routes without
 * git.fetch, whatever its shape. */
static gboolean
looks_like_git_fetch(const gchar *method, const gchar *path, const gchar *query,
                     const BbHttpHead *head)
{
    return is_git_fetch_request(method, path, query) ||
           g_str_has_suffix(path, "/git-upload-pack") ||
           (g_str_has_suffix(path, "/info/refs") && query_has_service(query, "git-upload-pack")) ||
           field_has(head, "content-type", "x-git-upload-pack");
}

static gboolean
value_matches(BbMatchType type, const gchar *expected, GRegex *regex, const gchar *value)
{
    switch (type) {
    case BB_MATCH_PREFIX:
        return g_str_has_prefix(value, expected);
    case BB_MATCH_EXACT:
        return g_strcmp0(value, expected) == 0;
    case BB_MATCH_REGEX:
        return regex != NULL && g_regex_match(regex, value, 0, NULL);
    }
    return FALSE;
}

/* A header constraint holds when the header appears exactly once with a
 * matching value: a second copy could be read differently upstream. */
static gboolean
header_matches(const BbHeaderMatch *hm, const BbHttpHead *head)
{
    const BbHttpField *found = NULL;
    g_autofree gchar *value = NULL;
    for (guint i = 0; i < head->n_fields; i++) {
        if (bb_http_field_name_is(&head->fields[i], hm->name)) {
            if (found != NULL)
                return FALSE;
            found = &head->fields[i];
        }
    }
    if (found == NULL)
        return FALSE;
    value = g_strndup(found->value, found->value_len);
    return value_matches(hm->type, hm->value, hm->regex, value);
}

static gboolean
entry_matches(const BbRouteMatch *m, const gchar *method, const gchar *path, const BbHttpHead *head)
{
    gboolean path_ok = m->paths->len == 0;
    for (guint i = 0; !path_ok && i < m->paths->len; i++) {
        const BbPathMatch *pm = g_ptr_array_index(m->paths, i);
        path_ok = value_matches(pm->type, pm->value, pm->regex, path);
    }
    if (!path_ok)
        return FALSE;
    if (m->methods != NULL && !g_strv_contains((const gchar *const *)m->methods, method))
        return FALSE;
    for (guint i = 0; i < m->headers->len; i++) {
        if (!header_matches(g_ptr_array_index(m->headers, i), head))
            return FALSE;
    }
    return TRUE;
}

static gboolean
has_method_override(const BbHttpHead *head)
{
    return bb_http_head_find(head, "x-http-method-override") >= 0 ||
           bb_http_head_find(head, "x-http-method") >= 0 ||
           bb_http_head_find(head, "x-method-override") >= 0;
}

BbBlockCode
bb_egress_policy_check(const BbEgressRouteEntry *entry, const gchar *method, const gchar *path,
                       const gchar *query, const BbHttpHead *head, gchar **rule)
{
    const BbRoute *route = entry->route;

    if (is_doh(path, head)) {
        *rule = g_strdup("DNS-over-HTTPS is never allowed: name resolution stays with the bottle");
        return BB_BLOCK_DOH;
    }
    if (is_upgrade(head, method)) {
        *rule = g_strdup("protocol upgrades (WebSocket, h2c) are not supported by the proxy");
        return BB_BLOCK_UPGRADE;
    }
    if (is_git_push(path, query, head)) {
        *rule = g_strdup("git push over HTTP is never allowed; push through the git gate");
        return BB_BLOCK_GIT_PUSH;
    }
    if (looks_like_git_fetch(method, path, query, head)) {
        if (!route->git_fetch) {
            *rule = g_strdup_printf("route %s does not set git.fetch", route->host);
            return BB_BLOCK_GIT_FETCH;
        }
        /* git.fetch grants the two fetch requests, nothing else: a
         * look-alike (say, the content type on another path) still has
         * to pass `matches`. */
        if (is_git_fetch_request(method, path, query))
            return BB_BLOCK_NONE;
    }
    if (has_method_override(head)) {
        *rule = g_strdup("method-override headers are not allowed");
        return BB_BLOCK_METHOD_OVERRIDE;
    }
    if (route->matches->len == 0)
        return BB_BLOCK_NONE;
    for (guint i = 0; i < route->matches->len; i++) {
        if (entry_matches(g_ptr_array_index(route->matches, i), method, path, head))
            return BB_BLOCK_NONE;
    }
    *rule = g_strdup_printf("no `matches` entry of route %s allows this method, path and headers",
                            route->host);
    return BB_BLOCK_NO_MATCH;
}
