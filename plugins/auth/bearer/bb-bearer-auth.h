/* BbBearerAuth: `Authorization: Bearer <secret>` (RFC 6750). */
#pragma once

#include "bot-bottle.h"

G_BEGIN_DECLS

#define BB_TYPE_BEARER_AUTH (bb_bearer_auth_get_type())
G_DECLARE_FINAL_TYPE(BbBearerAuth, bb_bearer_auth, BB, BEARER_AUTH, GObject)

/* The name manifests use in `auth:` (matched case-insensitively). */
#define BB_BEARER_AUTH_NAME "Bearer"

G_END_DECLS
