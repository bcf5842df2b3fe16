#include <string.h>

#include "bb-error.h"
#include "bb-plugin-descriptor.h"

/* Bounds on the free-text fields: they come from code we do not trust
 * to terminate its strings sensibly, and end up on a terminal. */
#define TEXT_FIELD_MAX 256

gboolean
bb_plugin_name_is_valid(const gchar *name)
{
    gsize len;

    if (name == NULL || name[0] == '-')
        return FALSE;
    len = strnlen(name, BB_PLUGIN_NAME_MAX + 1);
    if (len == 0 || len > BB_PLUGIN_NAME_MAX)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        gchar c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return FALSE;
    }
    return TRUE;
}

/* Printable UTF-8 without control characters (no terminal escapes). */
static gboolean
text_is_printable(const gchar *text)
{
    gsize len = strnlen(text, TEXT_FIELD_MAX + 1);
    const gchar *end = text + len;

    if (len == 0 || len > TEXT_FIELD_MAX || !g_utf8_validate(text, len, NULL))
        return FALSE;
    for (const gchar *p = text; p < end; p = g_utf8_next_char(p)) {
        if (!g_unichar_isprint(g_utf8_get_char(p)))
            return FALSE;
    }
    return TRUE;
}

static gboolean
check_abi(const BbPluginDescriptor *descriptor, GError **error)
{
    if (descriptor->abi_major == BB_PLUGIN_ABI_MAJOR &&
        descriptor->abi_minor <= BB_PLUGIN_ABI_MINOR)
        return TRUE;
    g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                "built for plugin ABI %u.%u, but this bot-bottle accepts ABI %u.0 to %u.%u; "
                "rebuild the plugin against the installed bot-bottle-1 SDK",
                descriptor->abi_major, descriptor->abi_minor, (guint)BB_PLUGIN_ABI_MAJOR,
                (guint)BB_PLUGIN_ABI_MAJOR, (guint)BB_PLUGIN_ABI_MINOR);
    return FALSE;
}

static gboolean
check_name(const gchar *name, GError **error)
{
    g_autofree gchar *cut = NULL;
    g_autofree gchar *shown = NULL;

    if (name == NULL) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "the descriptor has no name; set .name in BB_PLUGIN_DEFINE()");
        return FALSE;
    }
    if (bb_plugin_name_is_valid(name))
        return TRUE;
    /* Escape and cut what we echo: the name may hold anything. */
    cut = g_strndup(name, BB_PLUGIN_NAME_MAX + 1);
    shown = g_strescape(cut, NULL);
    g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                "the plugin name '%s' is invalid; use 1 to %d characters of a-z, 0-9 and '-', "
                "not starting with '-'",
                shown, BB_PLUGIN_NAME_MAX);
    return FALSE;
}

static gboolean
check_text(const gchar *field, const gchar *text, gboolean required, GError **error)
{
    if (text == NULL && !required)
        return TRUE;
    if (text != NULL && text_is_printable(text))
        return TRUE;
    g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                "the descriptor's %s is %s; set .%s to printable text of at most %d bytes", field,
                text == NULL ? "missing" : "not printable text", field, TEXT_FIELD_MAX);
    return FALSE;
}

gboolean
bb_plugin_descriptor_validate(const BbPluginDescriptor *descriptor, GError **error)
{
    g_return_val_if_fail(descriptor != NULL, FALSE);

    if (!check_abi(descriptor, error) || !check_name(descriptor->name, error) ||
        !check_text("version", descriptor->version, TRUE, error) ||
        !check_text("license", descriptor->license, TRUE, error) ||
        !check_text("description", descriptor->description, FALSE, error))
        return FALSE;
    if (descriptor->register_types == NULL) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "the descriptor has no register_types function; set .register_types "
                            "in BB_PLUGIN_DEFINE()");
        return FALSE;
    }
    return TRUE;
}
