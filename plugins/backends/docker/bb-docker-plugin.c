#include "bb-docker-backend.h"
#include "bb-plugin.h"

static gboolean
bb_docker_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_BACKEND, "docker", BB_TYPE_DOCKER_BACKEND, 100, error);
}

BB_PLUGIN_DEFINE(.name = "docker", .version = "0.1.0", .license = "Apache-2.0",
                 .description = "Bottles on a local Docker engine (Engine API over its socket)",
                 .register_types = bb_docker_register)
