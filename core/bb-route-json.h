/* JSON form of routes: how the launcher hands a bottle's routes to the
 * sidecar, and what the proxy's introspection endpoint lists. It holds
 * secret *references* (env-var names) only, never secret values. */
#pragma once

#include <json-glib/json-glib.h>
#include "bb-route.h"

G_BEGIN_DECLS

JsonNode *bb_route_to_json(const BbRoute *route);
BbRoute *bb_route_from_json(JsonNode *node, GError **error);

/* `{"routes": [...]}` */
gchar *bb_routes_to_json_string(GPtrArray *routes, gboolean pretty);
GPtrArray *bb_routes_from_json_string(const gchar *data, gssize len, GError **error);

G_END_DECLS
