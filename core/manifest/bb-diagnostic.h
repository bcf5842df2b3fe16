/* A problem found in a manifest, with the position it was found at.
 * Diagnostics are collected rather than raised so one `bot-bottle check`
 * shows every problem of every file at once. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *file;
    guint line;   /* 1-based; 0 when the problem is about the whole file or directory */
    guint column; /* 1-based; 0 with line 0 */
    gboolean is_warning;
    gchar *message;
} BbDiagnostic;

BbDiagnostic *bb_diagnostic_new(const gchar *file, guint line, guint column, gboolean is_warning,
                                const gchar *message);
BbDiagnostic *bb_diagnostic_copy(const BbDiagnostic *diagnostic);
void bb_diagnostic_free(BbDiagnostic *diagnostic);
/* "file:line:column: error: message" ("file: warning: message" without a line). */
gchar *bb_diagnostic_to_string(const BbDiagnostic *diagnostic);

/* An array that owns its BbDiagnostic elements. */
GPtrArray *bb_diagnostics_new(void);
/* Appends unless an identical diagnostic is already there: several
 * agents sharing one broken bottle report the problem once. */
void bb_diagnostics_add(GPtrArray *diagnostics, const gchar *file, guint line, guint column,
                        gboolean is_warning, const gchar *message);
void bb_diagnostics_add_copy(GPtrArray *diagnostics, const BbDiagnostic *diagnostic);
guint bb_diagnostics_count_errors(GPtrArray *diagnostics);
/* Orders the diagnostics from index @start on by line and column, so a
 * file's problems read top to bottom. */
void bb_diagnostics_sort_from(GPtrArray *diagnostics, guint start);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDiagnostic, bb_diagnostic_free)

G_END_DECLS
