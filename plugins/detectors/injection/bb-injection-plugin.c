#include "bb-registry.h"
#include "bb-injection-detector.h"

static gboolean
bb_injection_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_DETECTOR, "injection", BB_TYPE_INJECTION_DETECTOR, 0,
                           error);
}

BB_PLUGIN_DEFINE(.name = "injection", .version = "1.0", .license = "Apache-2.0",
                 .description = "Flags prompt injection in what comes back to the agent",
                 .register_types = bb_injection_register)
