/* Auth schemes registered by the proxy tests themselves, so the tests
 * do not depend on the built-in plugins: "Bearer" (Authorization:
 * Bearer SECRET) and "ApiKey" (X-Api-Key: SECRET). */
#pragma once

#include "bb-registry.h"

G_BEGIN_DECLS

BbRegistry *bb_test_auth_registry_new(void);

G_END_DECLS
