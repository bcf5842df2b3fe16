/* Validation of the descriptor a plugin module hands the loader. */
#pragma once

#include "bb-plugin.h"

G_BEGIN_DECLS

#define BB_PLUGIN_NAME_MAX 64

/* TRUE when @name is 1 to BB_PLUGIN_NAME_MAX characters of [a-z0-9-]
 * not starting with '-'. */
gboolean bb_plugin_name_is_valid(const gchar *name);

/* Checks the ABI numbers and every field of @descriptor; the error
 * (BB_ERROR_PLUGIN) names the first field that is wrong. */
gboolean bb_plugin_descriptor_validate(const BbPluginDescriptor *descriptor, GError **error);

G_END_DECLS
