/* The Docker backend as the CLI gets it: loaded by the registry from the
 * plugin directory like any third-party module, chosen by name and by
 * priority, and usable through BbBackend alone. */
#include <string.h>
#include "bot-bottle.h"

static void
test_registered(void)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_registry_load_all(registry, NULL, &error));
    g_assert_no_error(error);
    const BbImplementation *impl = bb_registry_lookup(registry, BB_TYPE_BACKEND, "docker");
    g_assert_nonnull(impl);
    g_assert_cmpint(impl->priority, ==, 100);
    g_assert_cmpstr(impl->plugin, ==, "docker");
    g_autoptr(GPtrArray) backends = bb_registry_list(registry, BB_TYPE_BACKEND);
    g_assert_cmpuint(backends->len, >=, 1);

    GPtrArray *plugins = bb_registry_get_plugins(registry);
    gboolean listed = FALSE;
    for (guint i = 0; i < plugins->len; i++) {
        BbPluginInfo *info = g_ptr_array_index(plugins, i);
        if (g_strcmp0(info->name, "docker") == 0) {
            listed = TRUE;
            g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_LOADED);
            g_assert_true(g_strv_contains((const gchar *const *)info->kinds, "backend"));
        }
    }
    g_assert_true(listed);

    g_autoptr(BbBackend) backend = bb_registry_create(registry, BB_TYPE_BACKEND, "Docker", &error);
    g_assert_no_error(error);
    g_assert_true(BB_IS_BACKEND(backend));
    g_assert_true(bb_backend_is_available(backend, &error));
    g_assert_no_error(error);
    g_autoptr(GPtrArray) bottles = bb_backend_list(backend, &error);
    g_assert_no_error(error);
    g_assert_nonnull(bottles);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/docker/plugin/registered", test_registered);
    return g_test_run();
}
