/* What the resolver needs from the catalog. */
#pragma once

#include "bb-catalog.h"
#include "bb-manifest.h"

G_BEGIN_DECLS

const gchar *bb_catalog_get_config_dir(BbCatalog *self);
const gchar *bb_catalog_get_repo_dir(BbCatalog *self);
BbBottleManifest *bb_catalog_lookup_bottle(BbCatalog *self, const gchar *name);
/* Sorted bottle names joined by ", ", for "expected one of ...". */
gchar *bb_catalog_describe_bottles(BbCatalog *self);
/* Appends to @out the catalog's diagnostics about @file. */
void bb_catalog_copy_file_diagnostics(BbCatalog *self, const gchar *file, GPtrArray *out);

G_END_DECLS
