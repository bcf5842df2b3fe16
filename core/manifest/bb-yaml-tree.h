/* A small YAML document tree with source positions, built from libyaml
 * events. Only the plain data subset manifests need survives: anchors,
 * aliases, explicit tags, complex keys and duplicate keys are reported
 * as diagnostics, so a manifest cannot expand (billion laughs) or mean
 * two things at once. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    BB_YAML_SCALAR,
    BB_YAML_MAPPING,
    BB_YAML_SEQUENCE,
    BB_YAML_INVALID, /* already reported; validators skip it silently */
} BbYamlKind;

typedef struct _BbYamlNode BbYamlNode;
struct _BbYamlNode {
    BbYamlKind kind;
    guint line;        /* 1-based, in the file (not the frontmatter) */
    guint column;      /* 1-based */
    gchar *scalar;     /* BB_YAML_SCALAR */
    gboolean quoted;   /* a quoted or block scalar: never null/bool/int */
    GPtrArray *items;  /* BB_YAML_SEQUENCE: of BbYamlNode */
    GPtrArray *keys;   /* BB_YAML_MAPPING: of BbYamlNode (scalars), parallel to values */
    GPtrArray *values; /* BB_YAML_MAPPING */
    gboolean rejected; /* private to the builder */
};

/* Parses @len bytes of YAML. @first_line is the file line the text
 * starts on, so positions point into the file. Returns the document's
 * root node (an empty document is an empty mapping), or NULL after a
 * syntax error; every problem is appended to @diagnostics. */
BbYamlNode *bb_yaml_parse(const gchar *file, const gchar *text, gsize len, guint first_line,
                          GPtrArray *diagnostics);
void bb_yaml_node_free(BbYamlNode *node);

/* A plain scalar spelled null, ~ or nothing. */
gboolean bb_yaml_node_is_null(const BbYamlNode *node);
/* Sets @value for a plain `true` or `false`. */
gboolean bb_yaml_node_get_bool(const BbYamlNode *node, gboolean *value);
/* "a mapping", "a list", "a boolean", "nothing (null)", "a number", "a string". */
const gchar *bb_yaml_node_describe(const BbYamlNode *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbYamlNode, bb_yaml_node_free)

G_END_DECLS
