/* hello: a complete out-of-tree bot-bottle plugin. It adds one auth
 * scheme, "x-api-key", that sends a route's secret as
 *
 *     X-Api-Key: <secret>
 *
 * the way many HTTP APIs expect an API key. */
#include <bot-bottle.h>

#define HELLO_TYPE_API_KEY_AUTH (hello_api_key_auth_get_type())
G_DECLARE_FINAL_TYPE(HelloApiKeyAuth, hello_api_key_auth, HELLO, API_KEY_AUTH, GObject)

struct _HelloApiKeyAuth {
    GObject parent_instance;
};

static void hello_api_key_auth_iface_init(BbAuthSchemeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HelloApiKeyAuth, hello_api_key_auth, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AUTH_SCHEME,
                                                    hello_api_key_auth_iface_init))

static GPtrArray *
hello_api_key_auth_build_headers(BbAuthScheme *scheme, const gchar *secret, GError **error)
{
    GPtrArray *headers;

    /* Refuse secrets that could split the header; the error never
     * repeats the secret. */
    if (!bb_auth_secret_is_header_safe(secret, error)) {
        g_prefix_error(error, "x-api-key auth: ");
        return NULL;
    }
    headers = g_ptr_array_new_with_free_func((GDestroyNotify)bb_header_free);
    g_ptr_array_add(headers, bb_header_new("X-Api-Key", secret));
    return headers;
}

static void
hello_api_key_auth_iface_init(BbAuthSchemeInterface *iface)
{
    iface->build_headers = hello_api_key_auth_build_headers;
}

static void
hello_api_key_auth_class_init(HelloApiKeyAuthClass *klass)
{
}

static void
hello_api_key_auth_init(HelloApiKeyAuth *self)
{
}

static gboolean
hello_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_AUTH_SCHEME, "x-api-key", HELLO_TYPE_API_KEY_AUTH, 0,
                           error);
}

BB_PLUGIN_DEFINE(.name = "hello", .version = "1.0", .license = "Apache-2.0",
                 .description = "X-Api-Key: <secret> (an example out-of-tree plugin)",
                 .register_types = hello_register)
