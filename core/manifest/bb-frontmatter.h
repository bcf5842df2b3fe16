/* Splitting a manifest file into its YAML frontmatter and Markdown body. */
#pragma once

#include "bb-diagnostic.h"
#include "bb-yaml-tree.h"

G_BEGIN_DECLS

/* Parses the frontmatter of @data into a YAML tree and copies the body.
 * Returns NULL (after appending diagnostics) when there is no usable
 * tree; @body is set whenever the delimiters were found. */
BbYamlNode *bb_frontmatter_parse(const gchar *file, const gchar *data, gsize len, gchar **body,
                                 GPtrArray *diagnostics);

G_END_DECLS
