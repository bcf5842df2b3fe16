/* Stand-in plugins registered straight into a registry, so resolution
 * against a registry is tested without loading modules. */
#pragma once

#include "bb-registry.h"

G_BEGIN_DECLS

/* The provider's own route host; its token is agent_provider.auth_token. */
#define FAKE_PROVIDER_HOST "api.provider.example"

/* A registry with provider "fakeprov" (refuses forward_host_credentials),
 * auth scheme "Bearer" and detectors "token-patterns" and "injection". */
BbRegistry *fake_registry_new(void);

G_END_DECLS
