/* The bearer plugin: one auth scheme, `Bearer`. */
#include "bb-bearer-auth.h"

static gboolean
bb_bearer_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_AUTH_SCHEME, BB_BEARER_AUTH_NAME, BB_TYPE_BEARER_AUTH,
                           0, error);
}

BB_PLUGIN_DEFINE(.name = "bearer", .version = BB_VERSION, .license = "Apache-2.0",
                 .description = "Authorization: Bearer <secret> (OAuth 2.0 bearer tokens)",
                 .register_types = bb_bearer_register)
