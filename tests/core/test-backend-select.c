/* Backend selection: a name wins, else the highest-priority available
 * backend; every failure names the backends and says why. */
#include <string.h>
#include "bb-backend-select.h"
#include "bb-error.h"
#include "bb-plugin.h"

/* Fake backends: availability decided by a class field. */
#define BB_TYPE_FAKE_BACKEND (bb_fake_backend_get_type())
G_DECLARE_DERIVABLE_TYPE(BbFakeBackend, bb_fake_backend, BB, FAKE_BACKEND, GObject)
struct _BbFakeBackendClass {
    GObjectClass parent_class;
    gboolean available;
};

static gboolean
fake_is_available(BbBackend *backend, GError **error)
{
    if (BB_FAKE_BACKEND_GET_CLASS(backend)->available)
        return TRUE;
    g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE, "%s engine is not running",
                G_OBJECT_TYPE_NAME(backend));
    return FALSE;
}

static void
fake_iface_init(BbBackendInterface *iface)
{
    iface->is_available = fake_is_available;
}

G_DEFINE_TYPE_WITH_CODE(BbFakeBackend, bb_fake_backend, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_BACKEND, fake_iface_init))
static void
bb_fake_backend_class_init(BbFakeBackendClass *klass)
{
}
static void
bb_fake_backend_init(BbFakeBackend *self)
{
}

GType bb_up_backend_get_type(void);
typedef GObject BbUpBackend;
typedef BbFakeBackendClass BbUpBackendClass;
static void
bb_up_backend_class_init(BbUpBackendClass *klass)
{
    klass->available = TRUE;
}
static void
bb_up_backend_init(BbUpBackend *self)
{
}
G_DEFINE_TYPE(BbUpBackend, bb_up_backend, BB_TYPE_FAKE_BACKEND)

GType bb_down_backend_get_type(void);
typedef GObject BbDownBackend;
typedef BbFakeBackendClass BbDownBackendClass;
static void
bb_down_backend_class_init(BbDownBackendClass *klass)
{
    klass->available = FALSE;
}
static void
bb_down_backend_init(BbDownBackend *self)
{
}
G_DEFINE_TYPE(BbDownBackend, bb_down_backend, BB_TYPE_FAKE_BACKEND)

/* "down" (priority 100) outranks "up" (priority 10) but cannot run. */
static BbRegistry *
registry_with(gboolean with_up)
{
    BbRegistry *registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_registry_add(registry, BB_TYPE_BACKEND, "down", bb_down_backend_get_type(),
                                  100, &error));
    if (with_up)
        g_assert_true(
            bb_registry_add(registry, BB_TYPE_BACKEND, "up", bb_up_backend_get_type(), 10, &error));
    g_assert_no_error(error);
    return registry;
}

static void
test_priority_skips_unavailable(void)
{
    g_autoptr(BbRegistry) registry = registry_with(TRUE);
    g_autoptr(GError) error = NULL;
    g_unsetenv("BOT_BOTTLE_BACKEND");
    g_autoptr(BbBackend) backend = bb_backend_select(registry, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(G_TYPE_CHECK_INSTANCE_TYPE(backend, bb_up_backend_get_type()));
}

static void
test_none_available(void)
{
    g_autoptr(BbRegistry) registry = registry_with(FALSE);
    g_autoptr(GError) error = NULL;
    g_unsetenv("BOT_BOTTLE_BACKEND");
    g_autoptr(BbBackend) backend = bb_backend_select(registry, NULL, &error);
    g_assert_null(backend);
    g_assert_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE);
    g_assert_nonnull(strstr(error->message, "down: BbDownBackend engine is not running"));
}

static void
test_env_names_backend(void)
{
    g_autoptr(BbRegistry) registry = registry_with(TRUE);
    g_autoptr(GError) error = NULL;
    g_setenv("BOT_BOTTLE_BACKEND", "down", TRUE);
    g_autoptr(BbBackend) backend = bb_backend_select(registry, NULL, &error);
    g_assert_null(backend);
    g_assert_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE);
    g_assert_nonnull(strstr(error->message, "BOT_BOTTLE_BACKEND"));
    /* Control: the option outranks the environment. */
    g_clear_error(&error);
    g_autoptr(BbBackend) chosen = bb_backend_select(registry, "UP", &error);
    g_assert_no_error(error);
    g_assert_true(G_TYPE_CHECK_INSTANCE_TYPE(chosen, bb_up_backend_get_type()));
    g_unsetenv("BOT_BOTTLE_BACKEND");
}

static void
test_unknown_name(void)
{
    g_autoptr(BbRegistry) registry = registry_with(TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BbBackend) backend = bb_backend_select(registry, "smolvm", &error);
    g_assert_null(backend);
    g_assert_error(error, BB_ERROR, BB_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "known: down, up"));
}

static void
test_describe_all(void)
{
    g_autoptr(BbRegistry) registry = registry_with(TRUE);
    g_autofree gchar *text = bb_backend_describe_all(registry);
    g_assert_nonnull(strstr(text, "down"));
    g_assert_nonnull(strstr(text, "unavailable: BbDownBackend engine is not running"));
    g_assert_nonnull(strstr(text, "priority 10   available"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/core/backend-select/priority-skips-unavailable",
                    test_priority_skips_unavailable);
    g_test_add_func("/core/backend-select/none-available", test_none_available);
    g_test_add_func("/core/backend-select/env-names-backend", test_env_names_backend);
    g_test_add_func("/core/backend-select/unknown-name", test_unknown_name);
    g_test_add_func("/core/backend-select/describe-all", test_describe_all);
    return g_test_run();
}
