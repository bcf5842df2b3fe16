#include "bb-registry.h"
#include "bb-known-secrets-detector.h"

static gboolean
bb_known_secrets_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_DETECTOR, "known_secrets",
                           BB_TYPE_KNOWN_SECRETS_DETECTOR, 0, error);
}

BB_PLUGIN_DEFINE(.name = "known-secrets", .version = "1.0", .license = "Apache-2.0",
                 .description = "Finds the bottle's own secrets in any encoding",
                 .register_types = bb_known_secrets_register)
