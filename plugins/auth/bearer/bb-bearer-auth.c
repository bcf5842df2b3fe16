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
    return bb_auth_prefixed_header(BB_BEARER_AUTH_NAME, "Authorization", "Bearer ", secret, error);
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
