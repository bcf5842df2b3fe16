#include <string.h>
#include <yaml.h>

#include "bb-diagnostic.h"
#include "bb-yaml-tree.h"

/* Manifests are shallow; anything deeper is a mistake or an attack on
 * whoever walks the tree recursively. */
#define MAX_DEPTH 32

typedef struct {
    const gchar *file;
    const gchar *text;
    guint first_line;
    GPtrArray *diagnostics;
    GPtrArray *stack; /* open containers, innermost last; borrowed */
    BbYamlNode *root;
    guint documents;
    gboolean stop;
} Builder;

void
bb_yaml_node_free(BbYamlNode *node)
{
    if (node == NULL)
        return;
    g_free(node->scalar);
    if (node->items != NULL)
        g_ptr_array_unref(node->items);
    if (node->keys != NULL)
        g_ptr_array_unref(node->keys);
    if (node->values != NULL)
        g_ptr_array_unref(node->values);
    g_free(node);
}

static BbYamlNode *
node_new(Builder *b, BbYamlKind kind, const yaml_mark_t *mark)
{
    BbYamlNode *node = g_new0(BbYamlNode, 1);
    node->kind = kind;
    node->line = b->first_line + (guint)mark->line;
    node->column = (guint)mark->column + 1;
    if (kind == BB_YAML_SEQUENCE)
        node->items = g_ptr_array_new_with_free_func((GDestroyNotify)bb_yaml_node_free);
    if (kind == BB_YAML_MAPPING) {
        node->keys = g_ptr_array_new_with_free_func((GDestroyNotify)bb_yaml_node_free);
        node->values = g_ptr_array_new_with_free_func((GDestroyNotify)bb_yaml_node_free);
    }
    return node;
}

/* The key path of the innermost open container, e.g. "egress.routes[0]". */
static GString *
builder_path(Builder *b)
{
    GString *path = g_string_new(NULL);
    for (guint i = 0; i < b->stack->len; i++) {
        BbYamlNode *container = g_ptr_array_index(b->stack, i);
        if (i + 1 == b->stack->len)
            break;
        if (container->kind == BB_YAML_SEQUENCE) {
            g_string_append_printf(path, "[%u]", container->items->len - 1);
        } else if (container->kind == BB_YAML_MAPPING && container->keys->len > 0) {
            BbYamlNode *key = g_ptr_array_index(container->keys, container->keys->len - 1);
            if (path->len > 0)
                g_string_append_c(path, '.');
            g_string_append(path, key->scalar != NULL ? key->scalar : "?");
        }
    }
    return path;
}

static void G_GNUC_PRINTF(3, 4)
    builder_error(Builder *b, const BbYamlNode *at, const gchar *format, ...)
{
    va_list args;
    g_autofree gchar *message = NULL;
    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    bb_diagnostics_add(b->diagnostics, b->file, at->line, at->column, FALSE, message);
}

static gchar *
path_with_key(Builder *b, const gchar *key)
{
    g_autoptr(GString) path = builder_path(b);
    BbYamlNode *top = b->stack->len > 0 ? g_ptr_array_index(b->stack, b->stack->len - 1) : NULL;
    if (top != NULL && top->kind == BB_YAML_SEQUENCE) {
        g_string_append_printf(path, "[%u]", top->items->len);
    } else if (top != NULL && top->kind == BB_YAML_MAPPING && top->keys->len > top->values->len) {
        /* Positioned at a value: the path names its key. */
        BbYamlNode *last = g_ptr_array_index(top->keys, top->keys->len - 1);
        if (path->len > 0)
            g_string_append_c(path, '.');
        g_string_append(path, last->scalar != NULL ? last->scalar : "?");
    }
    if (key != NULL) {
        if (path->len > 0)
            g_string_append_c(path, '.');
        g_string_append(path, key);
    }
    if (path->len == 0)
        g_string_append(path, "frontmatter");
    return g_string_free(g_steal_pointer(&path), FALSE);
}

static const BbYamlNode *
find_key(const BbYamlNode *mapping, const gchar *name)
{
    for (guint i = 0; i < mapping->keys->len; i++) {
        const BbYamlNode *key = g_ptr_array_index(mapping->keys, i);
        if (key->kind == BB_YAML_SCALAR && g_strcmp0(key->scalar, name) == 0)
            return key;
    }
    return NULL;
}

/* A key that is not a plain string, or repeats an earlier one, is kept
 * as an INVALID node so keys and values stay paired. */
static void
add_mapping_key(Builder *b, BbYamlNode *mapping, BbYamlNode *key)
{
    if (key->kind == BB_YAML_SCALAR) {
        const BbYamlNode *first = find_key(mapping, key->scalar);
        if (first != NULL) {
            g_autofree gchar *path = path_with_key(b, key->scalar);
            builder_error(b, key, "%s: duplicate key (first at line %u); expected each key once",
                          path, first->line);
            key->kind = BB_YAML_INVALID;
        }
    } else if (key->kind != BB_YAML_INVALID) {
        g_autofree gchar *path = path_with_key(b, NULL);
        builder_error(b, key, "%s: a key is %s; expected a plain string key", path,
                      bb_yaml_node_describe(key));
        /* A container key is still open: it becomes INVALID when closed. */
        key->rejected = TRUE;
    }
    g_ptr_array_add(mapping->keys, key);
}

static void
attach(Builder *b, BbYamlNode *node)
{
    BbYamlNode *parent;
    if (b->stack->len == 0) {
        if (b->root == NULL)
            b->root = node;
        else
            bb_yaml_node_free(node);
        return;
    }
    parent = g_ptr_array_index(b->stack, b->stack->len - 1);
    if (parent->kind == BB_YAML_SEQUENCE)
        g_ptr_array_add(parent->items, node);
    else if (parent->keys->len == parent->values->len)
        add_mapping_key(b, parent, node);
    else
        g_ptr_array_add(parent->values, node);
}

/* Rejects what would let one part of the document stand for another. */
static gboolean
check_node_properties(Builder *b, BbYamlNode *node, const yaml_char_t *anchor,
                      const yaml_char_t *tag)
{
    if (anchor != NULL) {
        g_autofree gchar *path = path_with_key(b, NULL);
        builder_error(b, node, "%s: YAML anchor '&%s'; expected plain values without anchors", path,
                      (const gchar *)anchor);
        return FALSE;
    }
    if (tag != NULL) {
        g_autofree gchar *path = path_with_key(b, NULL);
        builder_error(b, node, "%s: YAML tag '%s'; expected plain values without tags", path,
                      (const gchar *)tag);
        return FALSE;
    }
    return TRUE;
}

static void
on_scalar(Builder *b, const yaml_event_t *event)
{
    BbYamlNode *node = node_new(b, BB_YAML_SCALAR, &event->start_mark);
    const gchar *value = (const gchar *)event->data.scalar.value;
    gsize length = event->data.scalar.length;

    node->quoted = event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (!check_node_properties(b, node, event->data.scalar.anchor, event->data.scalar.tag)) {
        node->kind = BB_YAML_INVALID;
    } else if (memchr(value, '\0', length) != NULL) {
        g_autofree gchar *path = path_with_key(b, NULL);
        builder_error(b, node, "%s: contains a NUL character; expected text", path);
        node->kind = BB_YAML_INVALID;
    } else {
        node->scalar = g_strndup(value, length);
    }
    attach(b, node);
}

static void
on_container_start(Builder *b, BbYamlKind kind, const yaml_event_t *event,
                   const yaml_char_t *anchor, const yaml_char_t *tag)
{
    BbYamlNode *node = node_new(b, kind, &event->start_mark);
    gboolean ok = check_node_properties(b, node, anchor, tag);
    if (b->stack->len >= MAX_DEPTH) {
        g_autofree gchar *path = path_with_key(b, NULL);
        builder_error(b, node, "%s: nested deeper than %d levels; expected a shallower document",
                      path, MAX_DEPTH);
        b->stop = TRUE;
    }
    attach(b, node);
    if (b->stop)
        return;
    /* Children of a rejected container are still parsed (to find their
     * syntax errors) but hang off a node validators skip. The node keeps
     * its kind until closed so children attach correctly. */
    node->rejected = node->rejected || !ok;
    g_ptr_array_add(b->stack, node);
}

static void
on_alias(Builder *b, const yaml_event_t *event)
{
    BbYamlNode *node = node_new(b, BB_YAML_INVALID, &event->start_mark);
    g_autofree gchar *path = path_with_key(b, NULL);
    builder_error(b, node, "%s: YAML alias '*%s'; expected the value written out in full", path,
                  (const gchar *)event->data.alias.anchor);
    attach(b, node);
}

static void
on_document_start(Builder *b, const yaml_event_t *event)
{
    b->documents++;
    if (b->documents > 1) {
        BbYamlNode at = {.line = b->first_line + (guint)event->start_mark.line,
                         .column = (guint)event->start_mark.column + 1};
        builder_error(b, &at, "frontmatter: a second YAML document; expected exactly one");
        b->stop = TRUE;
    }
}

static void
handle_event(Builder *b, const yaml_event_t *event)
{
    switch (event->type) {
    case YAML_DOCUMENT_START_EVENT:
        on_document_start(b, event);
        break;
    case YAML_SCALAR_EVENT:
        on_scalar(b, event);
        break;
    case YAML_ALIAS_EVENT:
        on_alias(b, event);
        break;
    case YAML_SEQUENCE_START_EVENT:
        on_container_start(b, BB_YAML_SEQUENCE, event, event->data.sequence_start.anchor,
                           event->data.sequence_start.tag);
        break;
    case YAML_MAPPING_START_EVENT:
        on_container_start(b, BB_YAML_MAPPING, event, event->data.mapping_start.anchor,
                           event->data.mapping_start.tag);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->stack->len > 0) {
            BbYamlNode *closed = g_ptr_array_index(b->stack, b->stack->len - 1);
            if (closed->rejected)
                closed->kind = BB_YAML_INVALID;
            g_ptr_array_remove_index(b->stack, b->stack->len - 1);
        }
        break;
    default:
        break;
    }
}

static void
report_syntax_error(Builder *b, const yaml_parser_t *parser)
{
    g_autoptr(GString) message = g_string_new("YAML syntax error: ");
    BbYamlNode at = {.line = b->first_line, .column = 1};

    g_string_append(message, parser->problem != NULL ? parser->problem : "unknown problem");
    if (parser->error == YAML_READER_ERROR) {
        /* Reader errors (bad encoding) carry a byte offset, not a mark. */
        for (gsize i = 0; i < parser->problem_offset && b->text[i] != '\0'; i++) {
            if (b->text[i] == '\n') {
                at.line++;
                at.column = 1;
            } else {
                at.column++;
            }
        }
    } else {
        at.line = b->first_line + (guint)parser->problem_mark.line;
        at.column = (guint)parser->problem_mark.column + 1;
        if (parser->context != NULL)
            g_string_append_printf(message, " %s at line %u", parser->context,
                                   b->first_line + (guint)parser->context_mark.line);
    }
    g_string_append(message, "; expected well-formed YAML");
    builder_error(b, &at, "%s", message->str);
}

BbYamlNode *
bb_yaml_parse(const gchar *file, const gchar *text, gsize len, guint first_line,
              GPtrArray *diagnostics)
{
    yaml_parser_t parser;
    g_autoptr(GPtrArray) stack = g_ptr_array_new();
    Builder b = {file, text, first_line, diagnostics, stack, NULL, 0, FALSE};
    gboolean syntax_ok = TRUE;

    if (!yaml_parser_initialize(&parser))
        g_error("out of memory initialising the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    while (!b.stop) {
        yaml_event_t event;
        gboolean done;
        if (!yaml_parser_parse(&parser, &event)) {
            report_syntax_error(&b, &parser);
            syntax_ok = FALSE;
            break;
        }
        handle_event(&b, &event);
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        if (done)
            break;
    }
    yaml_parser_delete(&parser);

    if (!syntax_ok || b.stop) {
        bb_yaml_node_free(b.root);
        return NULL;
    }
    if (b.root == NULL) {
        /* Empty frontmatter is a manifest with no keys. */
        yaml_mark_t start = {0, 0, 0};
        b.root = node_new(&b, BB_YAML_MAPPING, &start);
    }
    return b.root;
}

gboolean
bb_yaml_node_is_null(const BbYamlNode *node)
{
    if (node->kind != BB_YAML_SCALAR || node->quoted)
        return FALSE;
    return node->scalar[0] == '\0' || g_strcmp0(node->scalar, "~") == 0 ||
           g_strcmp0(node->scalar, "null") == 0 || g_strcmp0(node->scalar, "Null") == 0 ||
           g_strcmp0(node->scalar, "NULL") == 0;
}

gboolean
bb_yaml_node_get_bool(const BbYamlNode *node, gboolean *value)
{
    static const gchar *const yes[] = {"true", "True", "TRUE"};
    static const gchar *const no[] = {"false", "False", "FALSE"};
    if (node->kind != BB_YAML_SCALAR || node->quoted)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_strcmp0(node->scalar, yes[i]) == 0) {
            *value = TRUE;
            return TRUE;
        }
        if (g_strcmp0(node->scalar, no[i]) == 0) {
            *value = FALSE;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
looks_numeric(const gchar *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!g_ascii_isdigit(*s))
        return FALSE;
    while (g_ascii_isdigit(*s) || *s == '.')
        s++;
    return *s == '\0';
}

const gchar *
bb_yaml_node_describe(const BbYamlNode *node)
{
    gboolean unused;
    switch (node->kind) {
    case BB_YAML_MAPPING:
        return "a mapping";
    case BB_YAML_SEQUENCE:
        return "a list";
    case BB_YAML_INVALID:
        return "an invalid value";
    case BB_YAML_SCALAR:
        break;
    }
    if (bb_yaml_node_is_null(node))
        return "nothing (null)";
    if (bb_yaml_node_get_bool(node, &unused))
        return "a boolean";
    if (!node->quoted && looks_numeric(node->scalar))
        return "a number";
    return "a string";
}
