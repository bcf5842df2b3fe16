#include "bb-bearer-auth.h"

struct _BbBearerAuth {
    GObject parent_instance;
};

static void bb_bearer_auth_iface_init(BbAuthSchemeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(BbBearerAuth, bb_bearer_auth, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AUTH_SCHEME, bb_bearer_auth_iface_init))

static GPtrArray *
bb_bearer_auth_build_headers(BbAuthScheme *scheme, const gchar *secret, GError **error)
{
    g_autoptr(GPtrArray) headers = NULL;
    BbHeader *header;

    /* The shared check names an offset, never the secret itself. */
    if (!bb_auth_secret_is_header_safe(secret, error)) {
        g_prefix_error(error, "%s auth: ", BB_BEARER_AUTH_NAME);
        return NULL;
    }
    /* Built in place so no stray copy of the secret is left to wipe. */
    header = g_new0(BbHeader, 1);
    header->name = g_strdup("Authorization");
    header->value = g_strconcat("Bearer ", secret, NULL);
    headers = g_ptr_array_new_with_free_func((GDestroyNotify)bb_header_free);
    g_ptr_array_add(headers, header);
    return g_steal_pointer(&headers);
}

static void
bb_bearer_auth_iface_init(BbAuthSchemeInterface *iface)
{
    iface->build_headers = bb_bearer_auth_build_headers;
}

static void
bb_bearer_auth_class_init(BbBearerAuthClass *klass)
{
}

static void
bb_bearer_auth_init(BbBearerAuth *self)
{
}
