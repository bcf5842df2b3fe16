#include "bb-auth-scheme.h"
#include "bb-plugin.h"
#include "bb-test-auth.h"

#define TEST_TYPE_BEARER (test_bearer_get_type())
G_DECLARE_FINAL_TYPE(TestBearer, test_bearer, TEST, BEARER, GObject)
struct _TestBearer {
    GObject parent;
};

#define TEST_TYPE_API_KEY (test_api_key_get_type())
G_DECLARE_FINAL_TYPE(TestApiKey, test_api_key, TEST, API_KEY, GObject)
struct _TestApiKey {
    GObject parent;
};

static GPtrArray *
one_header(const gchar *name, const gchar *value)
{
    GPtrArray *headers = g_ptr_array_new_with_free_func((GDestroyNotify)bb_header_free);
    g_ptr_array_add(headers, bb_header_new(name, value));
    return headers;
}

static GPtrArray *
bearer_build(BbAuthScheme *self, const gchar *secret, GError **error)
{
    g_autofree gchar *value = NULL;
    if (!bb_auth_secret_is_header_safe(secret, error))
        return NULL;
    value = g_strconcat("Bearer ", secret, NULL);
    return one_header("Authorization", value);
}

static GPtrArray *
api_key_build(BbAuthScheme *self, const gchar *secret, GError **error)
{
    if (!bb_auth_secret_is_header_safe(secret, error))
        return NULL;
    return one_header("X-Api-Key", secret);
}

static void
bearer_iface_init(BbAuthSchemeInterface *iface)
{
    iface->build_headers = bearer_build;
}

static void
api_key_iface_init(BbAuthSchemeInterface *iface)
{
    iface->build_headers = api_key_build;
}

G_DEFINE_TYPE_WITH_CODE(TestBearer, test_bearer, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_AUTH_SCHEME, bearer_iface_init))
G_DEFINE_TYPE_WITH_CODE(TestApiKey, test_api_key, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_AUTH_SCHEME, api_key_iface_init))

static void
test_bearer_class_init(TestBearerClass *klass)
{
}

static void
test_bearer_init(TestBearer *self)
{
}

static void
test_api_key_class_init(TestApiKeyClass *klass)
{
}

static void
test_api_key_init(TestApiKey *self)
{
}

BbRegistry *
bb_test_auth_registry_new(void)
{
    BbRegistry *reg = bb_registry_new();
    g_assert_true(bb_registry_add(reg, BB_TYPE_AUTH_SCHEME, "Bearer", TEST_TYPE_BEARER, 0, NULL));
    g_assert_true(bb_registry_add(reg, BB_TYPE_AUTH_SCHEME, "ApiKey", TEST_TYPE_API_KEY, 0, NULL));
    return reg;
}
