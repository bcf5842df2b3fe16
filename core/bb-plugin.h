/* The plugin ABI. A plugin is a shared module exporting one function,
 * bb_plugin_get_descriptor(), that returns a static descriptor. The
 * loader accepts it when abi_major equals BB_PLUGIN_ABI_MAJOR and
 * abi_minor is not above BB_PLUGIN_ABI_MINOR, checks every field, then
 * calls register_types() once. Plugins are never unloaded. */
#pragma once

#include <glib-object.h>
#include <gmodule.h>
#include "bb-version.h"

G_BEGIN_DECLS

typedef struct _BbRegistry BbRegistry;

typedef struct {
    guint32 abi_major;
    guint32 abi_minor;
    const gchar *name; /* unique; [a-z0-9-]+ */
    const gchar *version;
    const gchar *license;     /* SPDX identifier */
    const gchar *description; /* one line; may be NULL */
    gboolean (*register_types)(BbRegistry *registry, GError **error);
} BbPluginDescriptor;

typedef const BbPluginDescriptor *(*BbPluginEntryFunc)(void);

#define BB_PLUGIN_ENTRY_SYMBOL "bb_plugin_get_descriptor"

/* Usage:
 *   BB_PLUGIN_DEFINE(.name = "bearer", .version = "1.0", .license = "Apache-2.0",
 *                    .register_types = bearer_register)
 */
#define BB_PLUGIN_DEFINE(...)                                                                      \
    G_MODULE_EXPORT const BbPluginDescriptor *bb_plugin_get_descriptor(void);                      \
    G_MODULE_EXPORT const BbPluginDescriptor *bb_plugin_get_descriptor(void)                       \
    {                                                                                              \
        static const BbPluginDescriptor descriptor = {                                             \
            .abi_major = BB_PLUGIN_ABI_MAJOR, .abi_minor = BB_PLUGIN_ABI_MINOR, __VA_ARGS__};      \
        return &descriptor;                                                                        \
    }

/* Called from register_types(): makes @impl_type (which must implement
 * @iface_type, one of BB_TYPE_BACKEND, BB_TYPE_AGENT_PROVIDER,
 * BB_TYPE_DETECTOR, BB_TYPE_AUTH_SCHEME) available under @name. Higher
 * @priority wins automatic selection (backends). Fails on a duplicate
 * name within the same interface. */
gboolean bb_registry_add(BbRegistry *registry, GType iface_type, const gchar *name, GType impl_type,
                         gint priority, GError **error);

G_END_DECLS
