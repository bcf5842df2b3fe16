/* The token plugin: one auth scheme, `token`. */
#include "bb-token-auth.h"

static gboolean
bb_token_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_AUTH_SCHEME, BB_TOKEN_AUTH_NAME, BB_TYPE_TOKEN_AUTH, 0,
                           error);
}

BB_PLUGIN_DEFINE(.name = "token", .version = BB_VERSION, .license = "Apache-2.0",
                 .description = "Authorization: token <secret> (GitHub-style access tokens)",
                 .register_types = bb_token_register)
