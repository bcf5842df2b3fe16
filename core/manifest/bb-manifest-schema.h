/* Helpers the manifest validators share: typed reads of YAML nodes that
 * turn every mismatch into a diagnostic of the form
 * "FILE:LINE:COLUMN: error: KEY.PATH: WHAT IS WRONG; expected WHAT". */
#pragma once

#include "bb-diagnostic.h"
#include "bb-yaml-tree.h"

G_BEGIN_DECLS

typedef struct {
    const gchar *file;
    GPtrArray *diagnostics;
    guint errors;
} BbSchemaCtx;

void bb_schema_error(BbSchemaCtx *ctx, const BbYamlNode *at, const gchar *path, const gchar *format,
                     ...) G_GNUC_PRINTF(4, 5);

/* "parent.key", or "key" at the top. */
gchar *bb_schema_path_key(const gchar *parent, const gchar *key);
/* "parent[index]". */
gchar *bb_schema_path_index(const gchar *parent, guint index);

/* Reports every key of @mapping not in @allowed (NULL-terminated). */
void bb_schema_check_keys(BbSchemaCtx *ctx, const BbYamlNode *mapping, const gchar *path,
                          const gchar *const *allowed);
/* The value of @key in @mapping, or NULL when absent. */
const BbYamlNode *bb_schema_lookup(const BbYamlNode *mapping, const gchar *key);
/* Reports a required key that is absent (at the mapping's position). */
void bb_schema_missing(BbSchemaCtx *ctx, const BbYamlNode *mapping, const gchar *path,
                       const gchar *expected);

/* Each returns FALSE (after a diagnostic, unless the node was already
 * reported invalid) when @node is not of the kind asked for. */
gboolean bb_schema_is_mapping(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path,
                              const gchar *expected);
gboolean bb_schema_is_list(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path,
                           const gchar *expected);
/* Any non-null scalar: `FOO: 1` is the string "1". */
gchar *bb_schema_string(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path,
                        const gchar *expected);
gboolean bb_schema_bool(BbSchemaCtx *ctx, const BbYamlNode *node, const gchar *path, gboolean *out);

/* Validity checks that return a short description of the problem, or
 * NULL when the value is fine. */
gboolean bb_manifest_is_env_name(const gchar *name);
/* Bottle, agent and skill names: they become file names. */
gboolean bb_manifest_is_name(const gchar *name);
/* Lower-cases, strips one trailing dot and applies IDNA. Returns NULL
 * and sets @problem when @host is not a bare DNS host name. */
gchar *bb_manifest_canonical_host(const gchar *host, gchar **problem);

G_END_DECLS
