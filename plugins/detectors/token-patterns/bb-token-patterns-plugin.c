#include "bb-registry.h"
#include "bb-token-patterns-detector.h"

static gboolean
bb_token_patterns_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_DETECTOR, "token_patterns",
                           BB_TYPE_TOKEN_PATTERNS_DETECTOR, 0, error);
}

BB_PLUGIN_DEFINE(.name = "token-patterns", .version = "1.0", .license = "Apache-2.0",
                 .description = "Finds credentials by their published token formats",
                 .register_types = bb_token_patterns_register)
