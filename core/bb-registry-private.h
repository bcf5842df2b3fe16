/* Registry internals shared with the plugin loader (core/loader/). */
#pragma once

#include "bb-registry.h"

G_BEGIN_DECLS

/* The loader owns BbPluginInfo; the registry stores them. */
void bb_plugin_info_free(BbPluginInfo *info);

/* Takes ownership of @info and appends it to the plugin list. */
void bb_registry_take_plugin_info(BbRegistry *self, BbPluginInfo *info);
/* Implementations added between begin and end are attributed to @info
 * (and its `kinds` filled in). */
void bb_registry_begin_plugin(BbRegistry *self, BbPluginInfo *info);
void bb_registry_end_plugin(BbRegistry *self);
/* Forgets every implementation @plugin_name registered: a plugin whose
 * registration failed half-way leaves nothing behind. */
void bb_registry_drop_plugin(BbRegistry *self, const gchar *plugin_name);
/* Finds a loaded plugin by descriptor name. */
BbPluginInfo *bb_registry_find_plugin(BbRegistry *self, const gchar *plugin_name);

void bb_registry_set_tainted(BbRegistry *self);
void bb_registry_set_contrib_disabled(BbRegistry *self, gboolean disabled);
gboolean bb_registry_get_contrib_disabled(BbRegistry *self);

void bb_implementation_free(BbImplementation *impl);

G_END_DECLS
