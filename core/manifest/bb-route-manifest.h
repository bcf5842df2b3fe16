/* Validation of one `egress.routes[]` entry of a bottle. */
#pragma once

#include "bb-manifest-schema.h"
#include "bb-manifest.h"

G_BEGIN_DECLS

/* Returns the route, or NULL when it has no usable host; every problem
 * becomes a diagnostic in @ctx. */
BbManifestRoute *bb_route_manifest_parse(BbSchemaCtx *ctx, const BbYamlNode *node,
                                         const gchar *path);

G_END_DECLS
