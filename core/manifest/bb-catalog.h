/* The catalog: every bottle and agent manifest the user can run from
 * here, with the diagnostics found while reading them.
 *
 * Bottles come only from <config>/bottles/. Agents come from
 * <config>/agents/ and <repo>/.bot-bottle/agents/. When both define an
 * agent of the same name, the home one is used and the repo one is
 * listed with `shadowed` set (and a warning): a cloned repository must
 * not silently replace an agent the user wrote. */
#pragma once

#include <glib-object.h>

#include "bb-diagnostic.h"
#include "bb-plan.h"
#include "bb-registry.h"

G_BEGIN_DECLS

typedef struct {
    gchar *name;
    gchar *path;
    BbManifestOrigin origin;
    gboolean shadowed; /* hidden by a home agent of the same name */
} BbCatalogEntry;

void bb_catalog_entry_free(BbCatalogEntry *entry);

#define BB_TYPE_CATALOG (bb_catalog_get_type())
G_DECLARE_FINAL_TYPE(BbCatalog, bb_catalog, BB, CATALOG, GObject)

/* @config_dir is usually bb_config_dir(); @repo_dir (nullable) is the
 * repository root from bb_find_repo_root(). */
BbCatalog *bb_catalog_new(const gchar *config_dir, const gchar *repo_dir);
/* Reads every manifest. Fails only when a directory exists but cannot
 * be read; problems inside manifests become diagnostics. */
gboolean bb_catalog_load(BbCatalog *self, GError **error);

GPtrArray *bb_catalog_get_agents(BbCatalog *self);      /* of BbCatalogEntry, by name */
GPtrArray *bb_catalog_get_bottles(BbCatalog *self);     /* of BbCatalogEntry, by name */
GPtrArray *bb_catalog_get_diagnostics(BbCatalog *self); /* of BbDiagnostic */

/* Resolves every bottle and agent, appending what it finds to the
 * diagnostics. With a NULL @registry, provider, auth scheme and
 * detector names are not checked. TRUE when there is no error. */
gboolean bb_catalog_check(BbCatalog *self, BbRegistry *registry);
/* The sealed plan for @agent_name, or NULL with BB_ERROR_NOT_FOUND (no
 * such agent) or BB_ERROR_INVALID_MANIFEST (whose message lists every
 * diagnostic, one per line). */
BbPlan *bb_catalog_resolve(BbCatalog *self, const gchar *agent_name, BbRegistry *registry,
                           GError **error);

G_END_DECLS
