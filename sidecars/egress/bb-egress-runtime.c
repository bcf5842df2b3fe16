#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "bb-dns.h"
#include "bb-egress-dlp.h"
#include "bb-egress-runtime.h"
#include "bb-error.h"
#include "bb-route-json.h"

static void
secret_free(gchar *secret)
{
    explicit_bzero(secret, strlen(secret));
    g_free(secret);
}

static GHashTable *
new_secret_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)secret_free);
}

GHashTable *
bb_egress_secrets_from_env(GPtrArray *routes, GError **error)
{
    g_autoptr(GHashTable) secrets = new_secret_table();
    for (guint i = 0; i < routes->len; i++) {
        BbRoute *route = g_ptr_array_index(routes, i);
        const gchar *value;
        if (route->token_ref == NULL)
            continue;
        value = g_getenv(route->token_ref);
        if (value == NULL || value[0] == '\0') {
            g_set_error(error, BB_ERROR, BB_ERROR_SECRET,
                        "route %s needs the environment variable %s; export it and retry",
                        route->host, route->token_ref);
            return NULL;
        }
        g_hash_table_replace(secrets, g_strdup(route->token_ref), g_strdup(value));
    }
    return g_steal_pointer(&secrets);
}

GHashTable *
bb_egress_secrets_from_json(JsonObject *object, GError **error)
{
    g_autoptr(GHashTable) secrets = new_secret_table();
    g_autoptr(GList) members = json_object_get_members(object);
    for (GList *l = members; l != NULL; l = l->next) {
        JsonNode *n = json_object_get_member(object, l->data);
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
            g_set_error(error, BB_ERROR, BB_ERROR_SECRET, "secret %s must be a string",
                        (const gchar *)l->data);
            return NULL;
        }
        g_hash_table_replace(secrets, g_strdup(l->data), g_strdup(json_node_get_string(n)));
    }
    return g_steal_pointer(&secrets);
}

GHashTable *
bb_egress_secrets_from_file(const gchar *path, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree gchar *data = NULL;
    gsize len = 0;
    JsonNode *root;

    if (!g_file_get_contents(path, &data, &len, error)) {
        g_prefix_error(error, "secrets: ");
        return NULL;
    }
    gboolean parsed = json_parser_load_from_data(parser, data, (gssize)len, NULL);
    explicit_bzero(data, len);
    if (!parsed || (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        /* Never quote the parser's message: it may echo secret bytes. */
        g_set_error(error, BB_ERROR, BB_ERROR_SECRET,
                    "secrets file %s is not a JSON object of strings", path);
        return NULL;
    }
    return bb_egress_secrets_from_json(json_node_get_object(root), error);
}

GPtrArray *
bb_egress_routes_from_file(const gchar *path, GError **error)
{
    g_autofree gchar *data = NULL;
    gsize len = 0;
    GPtrArray *routes;
    if (!g_file_get_contents(path, &data, &len, error))
        return NULL;
    routes = bb_routes_from_json_string(data, (gssize)len, error);
    if (routes == NULL)
        g_prefix_error(error, "%s: ", path);
    return routes;
}

typedef struct {
    GMainLoop *loop;
    BbEgressServer *server;
    BbRegistry *registry;
    GHashTable *secrets;
    const gchar *routes_path;
    BbEgressDlp *dlp;
} RunState;

static gboolean
on_quit(gpointer data)
{
    g_main_loop_quit(((RunState *)data)->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_reload(gpointer data)
{
    RunState *st = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(BbEgressPolicy) policy = NULL;

    if (st->routes_path == NULL) {
        g_printerr("bot-bottle proxy: SIGHUP ignored: no routes file to re-read\n");
        return G_SOURCE_CONTINUE;
    }
    routes = bb_egress_routes_from_file(st->routes_path, &error);
    if (routes != NULL && bb_egress_dlp_prepare(st->dlp, routes, &error))
        policy = bb_egress_policy_new(routes, st->registry, st->secrets, &error);
    if (policy == NULL) {
        /* Keep serving the old policy: a broken file must not open or
         * close anything. */
        g_printerr("bot-bottle proxy: reload failed, keeping the old routes: %s\n", error->message);
        return G_SOURCE_CONTINUE;
    }
    bb_egress_server_set_policy(st->server, policy);
    g_printerr("bot-bottle proxy: reloaded %u route(s)\n", routes->len);
    return G_SOURCE_CONTINUE;
}

static gboolean
dns_allow(gpointer data, const gchar *host)
{
    g_autoptr(BbEgressPolicy) policy = bb_egress_server_get_policy(data);
    return bb_egress_policy_lookup(policy, host) != NULL;
}

static gint
open_audit(const gchar *path, GError **error)
{
    gint fd;
    if (path == NULL)
        return -1;
    if (g_strcmp0(path, "-") == 0)
        return STDERR_FILENO;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot open audit log %s: %s", path,
                    g_strerror(errno));
    return fd;
}

static BbEgressServer *
build_server(const BbEgressRunOptions *o, GPtrArray *routes, BbRegistry *registry,
             GHashTable *secrets, GError **error)
{
    g_autoptr(BbEgressPolicy) policy = bb_egress_policy_new(routes, registry, secrets, error);
    g_autoptr(BbEgressUpstreams) upstreams = NULL;
    g_autoptr(BbEgressCa) ca = NULL;
    g_autofree gchar *cn = g_strdup_printf("bot-bottle %s CA", o->bottle_name);
    BbEgressServer *server;

    if (policy == NULL)
        return NULL;
    upstreams = bb_egress_upstreams_new(o->upstream_ca, error);
    if (upstreams == NULL)
        return NULL;
    for (guint i = 0; o->pins != NULL && o->pins[i] != NULL; i++) {
        if (!bb_egress_upstreams_add_pin(upstreams, o->pins[i], error))
            return NULL;
    }
    ca = o->ca != NULL && *o->ca != NULL ? g_steal_pointer(o->ca) : bb_egress_ca_new(cn, error);
    if (ca == NULL)
        return NULL;
    if (o->ca_cert_out != NULL) {
        g_autofree gchar *pem = bb_egress_ca_get_cert_pem(ca);
        if (!g_file_set_contents(o->ca_cert_out, pem, -1, error))
            return NULL;
    }
    server = bb_egress_server_new(o->bottle_name, policy, g_steal_pointer(&ca),
                                  g_steal_pointer(&upstreams));
    if (o->max_connections > 0) {
        BbEgressLimits limits;
        bb_egress_server_get_limits(server, &limits);
        limits.max_connections = o->max_connections;
        bb_egress_server_set_limits(server, &limits);
    }
    return server;
}

gboolean
bb_egress_run(const BbEgressRunOptions *o, GPtrArray *routes, BbRegistry *registry,
              GHashTable *secrets, GError **error)
{
    g_autoptr(BbEgressDlp) dlp = NULL; /* freed after the server */
    g_autoptr(BbEgressServer) server = NULL;
    g_autoptr(BbDnsServer) dns = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    RunState st = {
        .loop = loop, .registry = registry, .secrets = secrets, .routes_path = o->routes_path};
    gint audit_fd = open_audit(o->audit_path, error);
    guint sources[3];

    BbEgressDlpOptions dlp_options = {
        .bottle_name = o->bottle_name,
        .hold_cap = o->dlp_hold_cap,
        .supervise_timeout_ms = o->supervise_timeout_ms,
    };
    BbEgressScanner scanner;

    if (o->audit_path != NULL && audit_fd < 0)
        return FALSE;
    /* The bottle's resolved secrets are its known secrets; detectors
     * come from the registry, so contrib detectors run here too. */
    dlp = bb_egress_dlp_new(registry, secrets, &dlp_options);
    if (!bb_egress_dlp_prepare(dlp, routes, error))
        return FALSE;
    st.dlp = dlp;
    server = build_server(o, routes, registry, secrets, error);
    if (server == NULL)
        return FALSE;
    bb_egress_dlp_get_scanner(dlp, &scanner);
    bb_egress_server_set_scanner(server, &scanner);
    bb_egress_server_set_audit_fd(server, audit_fd);
    st.server = server;
    if (!bb_egress_server_start(server, o->listen, error))
        return FALSE;
    if (o->dns_listen != NULL) {
        dns = bb_dns_server_new(o->dns_answer != NULL ? o->dns_answer : "127.0.0.1", dns_allow,
                                server, error);
        if (dns == NULL || !bb_dns_server_start(dns, o->dns_listen, error))
            return FALSE;
    }
    sources[0] = g_unix_signal_add(SIGINT, on_quit, &st);
    sources[1] = g_unix_signal_add(SIGTERM, on_quit, &st);
    sources[2] = g_unix_signal_add(SIGHUP, on_reload, &st);
    g_print("bot-bottle proxy: bottle %s ready on port %u (%u route(s)%s%s)\n", o->bottle_name,
            bb_egress_server_get_port(server), routes->len,
            o->ca_cert_out != NULL ? ", CA certificate in " : "",
            o->ca_cert_out != NULL ? o->ca_cert_out : "");
    fflush(stdout);
    g_main_loop_run(loop);
    for (guint i = 0; i < G_N_ELEMENTS(sources); i++)
        g_source_remove(sources[i]);
    bb_egress_server_stop(server);
    if (audit_fd > STDERR_FILENO)
        close(audit_fd);
    return TRUE;
}
