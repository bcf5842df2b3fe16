#include "bb-cli-catalog.h"
#include "bb-config.h"

BbCatalog *
bb_cli_load_catalog(BbCli *cli)
{
    g_autofree gchar *cwd = g_get_current_dir();
    g_autofree gchar *repo_dir = bb_find_repo_root(cwd);
    g_autoptr(BbCatalog) catalog = bb_catalog_new(cli->config_dir, repo_dir);
    g_autoptr(GError) error = NULL;

    if (!bb_catalog_load(catalog, &error)) {
        bb_cli_error(cli, "%s", error->message);
        return NULL;
    }
    return g_steal_pointer(&catalog);
}
