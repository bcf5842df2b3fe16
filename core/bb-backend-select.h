/* Choosing the backend a bottle runs on, the GIO extension-point way: a
 * name (--backend or BOT_BOTTLE_BACKEND) wins, else the highest-priority
 * backend whose is_available() succeeds. */
#pragma once

#include "bb-backend.h"
#include "bb-registry.h"

G_BEGIN_DECLS

/* The backend named @name (NULL: $BOT_BOTTLE_BACKEND, then by priority),
 * already checked with is_available(). On failure @error says which
 * backends exist and why none can run here. */
BbBackend *bb_backend_select(BbRegistry *registry, const gchar *name, GError **error);

/* One line per registered backend: name, priority and whether it is
 * available here (with the reason when not), for `--backend help`. */
gchar *bb_backend_describe_all(BbRegistry *registry);

G_END_DECLS
