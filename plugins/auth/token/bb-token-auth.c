#include "bb-token-auth.h"

struct _BbTokenAuth {
    GObject parent_instance;
};

static void bb_token_auth_iface_init(BbAuthSchemeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(BbTokenAuth, bb_token_auth, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AUTH_SCHEME, bb_token_auth_iface_init))

static GPtrArray *
bb_token_auth_build_headers(BbAuthScheme *scheme, const gchar *secret, GError **error)
{
    return bb_auth_prefixed_header(BB_TOKEN_AUTH_NAME, "Authorization", "token ", secret, error);
}

static void
bb_token_auth_iface_init(BbAuthSchemeInterface *iface)
{
    iface->build_headers = bb_token_auth_build_headers;
}

static void
bb_token_auth_class_init(BbTokenAuthClass *klass)
{
}

static void
bb_token_auth_init(BbTokenAuth *self)
{
}
