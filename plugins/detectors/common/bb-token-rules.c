#include "bb-token-rules.h"
#include "bb-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

void
bb_token_rule_free(BbTokenRule *rule)
{
    if (rule == NULL)
        return;
    g_free(rule->id);
    g_free(rule->description);
    g_free(rule->pattern);
    g_free(rule->prefilter);
    g_free(rule);
}

static BbTokenRule *
bb_token_rule_parse(JsonObject *object, guint index, GError **error)
{
    BbTokenRule *rule;
    const gchar *id = json_object_get_string_member_with_default(object, "id", NULL);
    const gchar *pattern = json_object_get_string_member_with_default(object, "pattern", NULL);

    if (id == NULL || pattern == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "rule %u needs string members \"id\" and \"pattern\"", index);
        return NULL;
    }
    rule = g_new0(BbTokenRule, 1);
    rule->id = g_strdup(id);
    rule->pattern = g_strdup(pattern);
    rule->prefilter =
        g_strdup(json_object_get_string_member_with_default(object, "prefilter", NULL));
    rule->description =
        g_strdup(json_object_get_string_member_with_default(object, "description", ""));
    rule->caseless = json_object_get_boolean_member_with_default(object, "caseless", FALSE);
    rule->boundary = json_object_get_boolean_member_with_default(object, "boundary", TRUE);
    rule->min_entropy = json_object_get_double_member_with_default(object, "min_entropy", 0);
    rule->value_needs_digit =
        json_object_get_boolean_member_with_default(object, "value_needs_digit", FALSE);
    return rule;
}

GPtrArray *
bb_token_rules_load(const gchar *path, const gchar *member, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)bb_token_rule_free);
    JsonNode *root;
    JsonArray *array;

    if (!json_parser_load_from_file(parser, path, error)) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!JSON_NODE_HOLDS_OBJECT(root) ||
        !json_object_has_member(json_node_get_object(root), member) ||
        !JSON_NODE_HOLDS_ARRAY(json_object_get_member(json_node_get_object(root), member))) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "%s: expected {\"%s\": [...]}", path, member);
        return NULL;
    }
    array = json_object_get_array_member(json_node_get_object(root), member);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *node = json_array_get_element(array, i);
        BbTokenRule *rule;
        if (!JSON_NODE_HOLDS_OBJECT(node)) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "%s: rule %u is not an object", path, i);
            return NULL;
        }
        rule = bb_token_rule_parse(json_node_get_object(node), i, error);
        if (rule == NULL) {
            g_prefix_error(error, "%s: ", path);
            return NULL;
        }
        g_ptr_array_add(rules, rule);
    }
    return g_steal_pointer(&rules);
}

static gboolean
bb_is_word(guint8 c)
{
    return g_ascii_isalnum(c) || c == '_';
}

/* Characters a secret value is made of, for entropy rules. */
static gboolean
bb_is_value_char(guint8 c)
{
    return g_ascii_isalnum(c) || (c != 0 && strchr("+/_.~!@#$%^&*-", c) != NULL);
}

static gdouble
bb_shannon_entropy(const guint8 *value, gsize len)
{
    guint counts[256] = {0};
    gdouble entropy = 0;
    for (gsize i = 0; i < len; i++)
        counts[value[i]]++;
    for (guint c = 0; c < 256; c++) {
        if (counts[c] == 0)
            continue;
        gdouble p = (gdouble)counts[c] / (gdouble)len;
        entropy -= p * log2(p);
    }
    return entropy;
}

gboolean
bb_token_rule_accepts(const BbTokenRule *rule, const guint8 *data, gsize len, gsize start,
                      gsize end)
{
    if (rule->boundary) {
        if (start > 0 && bb_is_word(data[start]) && bb_is_word(data[start - 1]))
            return FALSE;
        if (end < len && end > start && bb_is_word(data[end - 1]) && bb_is_word(data[end]))
            return FALSE;
    }
    if (rule->min_entropy > 0 || rule->value_needs_digit) {
        gsize value = end;
        gboolean digit = FALSE;
        while (value > start && bb_is_value_char(data[value - 1])) {
            digit = digit || g_ascii_isdigit(data[value - 1]);
            value--;
        }
        if (rule->value_needs_digit && !digit)
            return FALSE;
        if (bb_shannon_entropy(data + value, end - value) < rule->min_entropy)
            return FALSE;
    }
    return TRUE;
}
