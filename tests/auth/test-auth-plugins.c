/* The built-in auth plugins, loaded the way the CLI and sidecar load
 * them: through the registry from BOT_BOTTLE_PLUGIN_PATH. */
#include <string.h>

#include "bot-bottle.h"

/* Distinctive enough that finding it in an error means a leak. */
#define CANARY "CANARY-7f3a9c1e"

static BbRegistry *
load_builtins(void)
{
    g_autoptr(GError) error = NULL;
    BbRegistry *registry = bb_registry_new();

    g_assert_nonnull(g_getenv("BOT_BOTTLE_PLUGIN_PATH"));
    g_assert_true(bb_registry_load_all(registry, NULL, &error));
    g_assert_no_error(error);
    return registry;
}

static GPtrArray *
build_headers(const gchar *scheme_name, const gchar *secret, GError **error)
{
    g_autoptr(BbRegistry) registry = load_builtins();
    g_autoptr(BbAuthScheme) scheme = NULL;

    scheme = bb_registry_create(registry, BB_TYPE_AUTH_SCHEME, scheme_name, error);
    g_assert_no_error(error == NULL ? NULL : *error);
    g_assert_true(BB_IS_AUTH_SCHEME(scheme));
    return bb_auth_scheme_build_headers(scheme, secret, error);
}

static void
assert_single_header(const gchar *scheme_name, const gchar *secret, const gchar *value)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) headers = build_headers(scheme_name, secret, &error);
    BbHeader *header;

    g_assert_no_error(error);
    g_assert_cmpuint(headers->len, ==, 1);
    header = g_ptr_array_index(headers, 0);
    g_assert_cmpstr(header->name, ==, "Authorization");
    g_assert_cmpstr(header->value, ==, value);
}

static void
test_plugins_loaded(void)
{
    g_autoptr(BbRegistry) registry = load_builtins();
    GPtrArray *plugins = bb_registry_get_plugins(registry);
    const gchar *expected[] = {"bearer", "token"};

    for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
        const BbPluginInfo *found = NULL;
        for (guint j = 0; j < plugins->len; j++) {
            const BbPluginInfo *info = g_ptr_array_index(plugins, j);
            if (g_strcmp0(info->name, expected[i]) == 0)
                found = info;
        }
        g_assert_nonnull(found);
        g_assert_cmpint(found->status, ==, BB_PLUGIN_STATUS_LOADED);
        g_assert_cmpint(found->origin, ==, BB_PLUGIN_ORIGIN_BUILTIN);
        g_assert_cmpstr(found->license, ==, "Apache-2.0");
        g_assert_true(g_strv_contains((const gchar *const *)found->kinds, "auth"));
        /* The documented file naming scheme: libbb-<plugin>.so. */
        {
            g_autofree gchar *file = g_strdup_printf("/libbb-%s.so", expected[i]);
            g_assert_true(g_str_has_suffix(found->path, file));
        }
    }
    g_assert_false(bb_registry_is_tainted(registry));
}

static void
test_bearer_header(void)
{
    assert_single_header("Bearer", "abc." CANARY, "Bearer abc." CANARY);
    /* Manifests name schemes case-insensitively. */
    assert_single_header("bearer", "x", "Bearer x");
}

static void
test_token_header(void)
{
    assert_single_header("token", "ghp_" CANARY, "token ghp_" CANARY);
    assert_single_header("TOKEN", "x", "token x");
}

static void
test_unsafe_secrets(void)
{
    const gchar *schemes[] = {"Bearer", "token"};
    const gchar *secrets[] = {
        CANARY "\r\nX-Injected: 1",
        CANARY "\nHost: evil.example",
        "\r" CANARY,
        CANARY "\t",
        CANARY "\x1b[2J",
        CANARY "\x7f",
        "",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(schemes); i++) {
        for (gsize j = 0; j < G_N_ELEMENTS(secrets); j++) {
            g_autoptr(GError) error = NULL;
            g_autoptr(GPtrArray) headers = build_headers(schemes[i], secrets[j], &error);

            g_assert_null(headers);
            g_assert_error(error, BB_ERROR, BB_ERROR_SECRET);
            g_assert_true(g_str_has_prefix(error->message, schemes[i]));
            g_assert_null(strstr(error->message, CANARY));
            g_assert_null(strstr(error->message, "Injected"));
            g_assert_null(strstr(error->message, "evil"));
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/auth/plugins/loaded", test_plugins_loaded);
    g_test_add_func("/auth/bearer/header", test_bearer_header);
    g_test_add_func("/auth/token/header", test_token_header);
    g_test_add_func("/auth/unsafe-secret/rejected", test_unsafe_secrets);
    return g_test_run();
}
