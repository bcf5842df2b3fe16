/* Built by test-out-of-tree.sh against the INSTALLED SDK: loads the
 * built-ins and the contrib directory like the CLI does, then uses the
 * scheme named on the command line. Prints one line per header. */
#include <bot-bottle.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(BbAuthScheme) scheme = NULL;
    g_autoptr(GPtrArray) headers = NULL;
    GPtrArray *plugins;

    if (argc != 4) {
        g_printerr("usage: %s CONTRIB-DIR SCHEME SECRET\n", argv[0]);
        return 2;
    }
    if (!bb_registry_load_all(registry, argv[1], &error)) {
        g_printerr("load failed: %s\n", error->message);
        return 1;
    }
    plugins = bb_registry_get_plugins(registry);
    for (guint i = 0; i < plugins->len; i++) {
        const BbPluginInfo *info = g_ptr_array_index(plugins, i);
        printf("plugin %s %s %s\n", info->name,
               info->origin == BB_PLUGIN_ORIGIN_CONTRIB ? "contrib" : "builtin",
               info->status == BB_PLUGIN_STATUS_LOADED
                   ? "loaded"
                   : (info->error ? info->error->message : "?"));
    }
    printf("tainted %s\n", bb_registry_is_tainted(registry) ? "yes" : "no");
    scheme = bb_registry_create(registry, BB_TYPE_AUTH_SCHEME, argv[2], &error);
    if (scheme == NULL) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    headers = bb_auth_scheme_build_headers(scheme, argv[3], &error);
    if (headers == NULL) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    for (guint i = 0; i < headers->len; i++) {
        const BbHeader *header = g_ptr_array_index(headers, i);
        printf("header %s: %s\n", header->name, header->value);
    }
    return 0;
}
