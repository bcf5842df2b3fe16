#include <string.h>

#include "bb-diagnostic.h"

/* Manifests (and repo file names) are untrusted and end up on a
 * terminal: control, formatting and bidi characters (an escape sequence,
 * U+202E, a soft hyphen) and invalid UTF-8 are shown escaped. */
static gchar *
make_printable(const gchar *text)
{
    GString *out;
    const gchar *p = text;
    const gchar *end;

    if (text == NULL)
        return NULL;
    out = g_string_new(NULL);
    end = text + strlen(text);
    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append_printf(out, "\\x%02x", (guchar)*p);
            p++;
            continue;
        }
        switch (g_unichar_type(c)) {
        case G_UNICODE_CONTROL:
        case G_UNICODE_FORMAT:
        case G_UNICODE_LINE_SEPARATOR:
        case G_UNICODE_PARAGRAPH_SEPARATOR:
        case G_UNICODE_UNASSIGNED:
        case G_UNICODE_PRIVATE_USE:
        case G_UNICODE_SURROGATE:
            g_string_append_printf(out, "\\u{%04X}", c);
            break;
        default:
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
            break;
        }
        p = g_utf8_next_char(p);
    }
    return g_string_free(out, FALSE);
}

BbDiagnostic *
bb_diagnostic_new(const gchar *file, guint line, guint column, gboolean is_warning,
                  const gchar *message)
{
    BbDiagnostic *diagnostic = g_new0(BbDiagnostic, 1);
    diagnostic->file = make_printable(file);
    diagnostic->line = line;
    diagnostic->column = column;
    diagnostic->is_warning = is_warning;
    diagnostic->message = make_printable(message);
    return diagnostic;
}

BbDiagnostic *
bb_diagnostic_copy(const BbDiagnostic *diagnostic)
{
    return bb_diagnostic_new(diagnostic->file, diagnostic->line, diagnostic->column,
                             diagnostic->is_warning, diagnostic->message);
}

void
bb_diagnostic_free(BbDiagnostic *diagnostic)
{
    if (diagnostic == NULL)
        return;
    g_free(diagnostic->file);
    g_free(diagnostic->message);
    g_free(diagnostic);
}

gchar *
bb_diagnostic_to_string(const BbDiagnostic *diagnostic)
{
    const gchar *severity = diagnostic->is_warning ? "warning" : "error";
    if (diagnostic->line == 0)
        return g_strdup_printf("%s: %s: %s", diagnostic->file, severity, diagnostic->message);
    return g_strdup_printf("%s:%u:%u: %s: %s", diagnostic->file, diagnostic->line,
                           diagnostic->column, severity, diagnostic->message);
}

GPtrArray *
bb_diagnostics_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)bb_diagnostic_free);
}

static gboolean
diagnostic_equal(const BbDiagnostic *a, const BbDiagnostic *b)
{
    return a->line == b->line && a->column == b->column && a->is_warning == b->is_warning &&
           g_strcmp0(a->file, b->file) == 0 && g_strcmp0(a->message, b->message) == 0;
}

static void
add_unless_present(GPtrArray *diagnostics, BbDiagnostic *diagnostic)
{
    for (guint i = 0; i < diagnostics->len; i++) {
        if (diagnostic_equal(g_ptr_array_index(diagnostics, i), diagnostic)) {
            bb_diagnostic_free(diagnostic);
            return;
        }
    }
    g_ptr_array_add(diagnostics, diagnostic);
}

void
bb_diagnostics_add_copy(GPtrArray *diagnostics, const BbDiagnostic *diagnostic)
{
    add_unless_present(diagnostics, bb_diagnostic_copy(diagnostic));
}

void
bb_diagnostics_add(GPtrArray *diagnostics, const gchar *file, guint line, guint column,
                   gboolean is_warning, const gchar *message)
{
    add_unless_present(diagnostics, bb_diagnostic_new(file, line, column, is_warning, message));
}

guint
bb_diagnostics_count_errors(GPtrArray *diagnostics)
{
    guint errors = 0;
    for (guint i = 0; i < diagnostics->len; i++) {
        const BbDiagnostic *diagnostic = g_ptr_array_index(diagnostics, i);
        if (!diagnostic->is_warning)
            errors++;
    }
    return errors;
}

static gint
compare_position(gconstpointer a, gconstpointer b)
{
    const BbDiagnostic *da = *(const BbDiagnostic *const *)a;
    const BbDiagnostic *db = *(const BbDiagnostic *const *)b;
    if (da->line != db->line)
        return da->line < db->line ? -1 : 1;
    if (da->column != db->column)
        return da->column < db->column ? -1 : 1;
    return 0;
}

void
bb_diagnostics_sort_from(GPtrArray *diagnostics, guint start)
{
    g_autoptr(GPtrArray) tail = g_ptr_array_new();
    for (guint i = start; i < diagnostics->len; i++)
        g_ptr_array_add(tail, g_ptr_array_index(diagnostics, i));
    g_ptr_array_sort(tail, compare_position); /* stable since GLib 2.32 */
    for (guint i = 0; i < tail->len; i++)
        diagnostics->pdata[start + i] = g_ptr_array_index(tail, i);
}
