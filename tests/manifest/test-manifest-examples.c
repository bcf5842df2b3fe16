/* The example manifests shipped under data/examples/ must pass `check`
 * against the real built-in plugins, and resolve to what they promise. */
#include "bb-catalog.h"
#include "bb-registry.h"

static BbRegistry *
load_registry(void)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_assert_nonnull(g_getenv("BOT_BOTTLE_PLUGIN_PATH"));
    g_assert_true(bb_registry_load_all(registry, NULL, &error));
    g_assert_no_error(error);
    return g_steal_pointer(&registry);
}

static gchar *
diagnostics_text(BbCatalog *catalog)
{
    GPtrArray *diagnostics = bb_catalog_get_diagnostics(catalog);
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint i = 0; i < diagnostics->len; i++) {
        g_autofree gchar *line = bb_diagnostic_to_string(g_ptr_array_index(diagnostics, i));
        g_string_append_printf(text, "%s\n", line);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static gboolean
has_secret_ref(BbPlan *plan, const gchar *env_name)
{
    GPtrArray *refs = bb_plan_get_secret_refs(plan);
    for (guint i = 0; i < refs->len; i++) {
        const BbSecretRef *ref = g_ptr_array_index(refs, i);
        if (g_strcmp0(ref->env_name, env_name) == 0)
            return TRUE;
    }
    return FALSE;
}

static void
test_examples_check(void)
{
    const gchar *dir = g_getenv("BB_EXAMPLES_DIR");
    g_autoptr(BbRegistry) registry = load_registry();
    g_autoptr(BbCatalog) catalog = bb_catalog_new(dir, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autoptr(GPtrArray) bottles = NULL;
    g_autofree gchar *diagnostics = NULL;
    BbRoute *route;

    g_assert_true(bb_catalog_load(catalog, &error));
    g_assert_no_error(error);
    bottles = bb_catalog_get_bottles(catalog);
    g_assert_cmpuint(bottles->len, ==, 2);
    g_assert_true(bb_catalog_check(catalog, registry));
    diagnostics = diagnostics_text(catalog);
    g_assert_cmpstr(diagnostics, ==, "");

    plan = bb_catalog_resolve(catalog, "reviewer", registry, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(bb_plan_get_provider(plan), ==, "claude");
    g_assert_true(has_secret_ref(plan, "BOT_BOTTLE_CLAUDE_OAUTH_TOKEN"));
    g_assert_true(has_secret_ref(plan, "BOT_BOTTLE_GITHUB_TOKEN"));
    route = bb_plan_find_route(plan, "api.github.com");
    g_assert_nonnull(route);
    g_assert_cmpuint(route->matches->len, ==, 2);
    route = bb_plan_find_route(plan, "github.com");
    g_assert_nonnull(route);
    g_assert_true(route->git_fetch);
    /* the claude provider contributes its own API route */
    g_assert_cmpuint(bb_plan_get_routes(plan)->len, >, 3);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/manifest/examples/check", test_examples_check);
    return g_test_run();
}
