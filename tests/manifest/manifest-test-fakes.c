#include "manifest-test-fakes.h"
#include "bb-agent-provider.h"
#include "bb-auth-scheme.h"
#include "bb-detector.h"
#include "bb-error.h"
#include "bb-plugin.h"

#define FAKE_TYPE_PROVIDER (fake_provider_get_type())
G_DECLARE_FINAL_TYPE(FakeProvider, fake_provider, FAKE, PROVIDER, GObject)
struct _FakeProvider {
    GObject parent_instance;
};

static GPtrArray *
fake_provider_get_routes(BbAgentProvider *self, const BbProviderSettings *settings, GError **error)
{
    GPtrArray *routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    BbRoute *route = bb_route_new(FAKE_PROVIDER_HOST);
    route->auth_scheme = g_strdup("Bearer");
    route->token_ref = g_strdup(settings->auth_token_ref);
    route->provider_owned = TRUE;
    g_ptr_array_add(routes, route);
    return routes;
}

static gboolean
fake_provider_validate_settings(BbAgentProvider *self, const BbProviderSettings *settings,
                                GError **error)
{
    if (settings->forward_host_credentials) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_SUPPORTED,
                    "fakeprov cannot forward host credentials");
        return FALSE;
    }
    return TRUE;
}

static void
fake_provider_iface_init(BbAgentProviderInterface *iface)
{
    iface->get_routes = fake_provider_get_routes;
    iface->validate_settings = fake_provider_validate_settings;
}

G_DEFINE_FINAL_TYPE_WITH_CODE(FakeProvider, fake_provider, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AGENT_PROVIDER,
                                                    fake_provider_iface_init))

static void
fake_provider_class_init(FakeProviderClass *klass)
{
}

static void
fake_provider_init(FakeProvider *self)
{
}

#define FAKE_TYPE_AUTH (fake_auth_get_type())
G_DECLARE_FINAL_TYPE(FakeAuth, fake_auth, FAKE, AUTH, GObject)
struct _FakeAuth {
    GObject parent_instance;
};

static void
fake_auth_iface_init(BbAuthSchemeInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE(FakeAuth, fake_auth, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AUTH_SCHEME, fake_auth_iface_init))

static void
fake_auth_class_init(FakeAuthClass *klass)
{
}

static void
fake_auth_init(FakeAuth *self)
{
}

#define FAKE_TYPE_DETECTOR (fake_detector_get_type())
G_DECLARE_FINAL_TYPE(FakeDetector, fake_detector, FAKE, DETECTOR, GObject)
struct _FakeDetector {
    GObject parent_instance;
};

static void
fake_detector_iface_init(BbDetectorInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE(FakeDetector, fake_detector, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_DETECTOR, fake_detector_iface_init))

static void
fake_detector_class_init(FakeDetectorClass *klass)
{
}

static void
fake_detector_init(FakeDetector *self)
{
}

BbRegistry *
fake_registry_new(void)
{
    BbRegistry *registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_registry_add(registry, BB_TYPE_AGENT_PROVIDER, "fakeprov", FAKE_TYPE_PROVIDER,
                                  0, &error));
    g_assert_true(
        bb_registry_add(registry, BB_TYPE_AUTH_SCHEME, "Bearer", FAKE_TYPE_AUTH, 0, &error));
    g_assert_true(bb_registry_add(registry, BB_TYPE_DETECTOR, "token-patterns", FAKE_TYPE_DETECTOR,
                                  0, &error));
    g_assert_true(
        bb_registry_add(registry, BB_TYPE_DETECTOR, "injection", FAKE_TYPE_DETECTOR, 0, &error));
    g_assert_no_error(error);
    return registry;
}
