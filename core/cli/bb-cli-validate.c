#include <stdio.h>

#include "bb-cli-catalog.h"
#include "bb-cli-validate.h"
#include "bb-diagnostic.h"

guint
bb_cli_validate_files(BbCli *cli, const gchar *const *paths)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbCatalog) catalog = NULL;
    BbRegistry *registry = bb_cli_get_registry(cli, &error);
    GPtrArray *diagnostics;
    guint errors = 0;

    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return 1;
    }
    catalog = bb_cli_load_catalog(cli);
    if (catalog == NULL)
        return 1;
    bb_catalog_check(catalog, registry);
    diagnostics = bb_catalog_get_diagnostics(catalog);
    for (guint i = 0; i < diagnostics->len; i++) {
        const BbDiagnostic *d = g_ptr_array_index(diagnostics, i);
        g_autofree gchar *text = NULL;
        if (!g_strv_contains(paths, d->file))
            continue;
        text = bb_diagnostic_to_string(d);
        fprintf(stderr, "%s\n", text);
        errors += d->is_warning ? 0 : 1;
    }
    return errors;
}
