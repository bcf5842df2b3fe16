/* BbTokenAuth: `Authorization: token <secret>`, the scheme GitHub-style
 * APIs take for personal access tokens. */
#pragma once

#include "bot-bottle.h"

G_BEGIN_DECLS

#define BB_TYPE_TOKEN_AUTH (bb_token_auth_get_type())
G_DECLARE_FINAL_TYPE(BbTokenAuth, bb_token_auth, BB, TOKEN_AUTH, GObject)

/* The name manifests use in `auth:` (matched case-insensitively). */
#define BB_TOKEN_AUTH_NAME "token"

G_END_DECLS
