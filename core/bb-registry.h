/* The registry of loaded plugins and the implementations they provide. */
#pragma once

#include <glib-object.h>
#include "bb-plugin.h"

G_BEGIN_DECLS

#define BB_TYPE_REGISTRY (bb_registry_get_type())
G_DECLARE_FINAL_TYPE(BbRegistry, bb_registry, BB, REGISTRY, GObject)

typedef enum {
    BB_PLUGIN_ORIGIN_BUILTIN,
    BB_PLUGIN_ORIGIN_CONTRIB,
} BbPluginOrigin;

typedef enum {
    BB_PLUGIN_STATUS_LOADED,
    BB_PLUGIN_STATUS_FAILED,
    BB_PLUGIN_STATUS_DISABLED, /* contrib loading switched off */
} BbPluginStatus;

/* What `bot-bottle plugins` shows for one module file. */
typedef struct {
    gchar *name; /* descriptor name, or the file's basename when unreadable */
    gchar *version;
    gchar *license;
    gchar *description;
    gchar *path;
    BbPluginOrigin origin;
    BbPluginStatus status;
    guint32 abi_major;
    guint32 abi_minor;
    GError *error; /* set when status is FAILED */
    GStrv kinds;   /* "backend", "provider", "detector", "auth" it registered */
} BbPluginInfo;

/* One registered implementation. */
typedef struct {
    GType iface_type;
    gchar *name;
    GType impl_type;
    gint priority;
    gchar *plugin; /* name of the plugin that registered it */
} BbImplementation;

BbRegistry *bb_registry_new(void);

/* Loads built-ins from BOT_BOTTLE_PLUGIN_PATH (':'-separated) or the
 * install's plugin directory, then contrib plugins from
 * @contrib_dir/NAME/ (every .so there) unless @contrib_dir is NULL or
 * BOT_BOTTLE_NO_CONTRIB is set. A built-in failure returns FALSE; a
 * contrib failure is recorded in its BbPluginInfo and skipped. */
gboolean bb_registry_load_all(BbRegistry *self, const gchar *contrib_dir, GError **error);
/* Loads one module file; exposed for tests. */
gboolean bb_registry_load_file(BbRegistry *self, const gchar *path, BbPluginOrigin origin,
                               GError **error);

GPtrArray *bb_registry_get_plugins(BbRegistry *self); /* of BbPluginInfo */
/* Implementations of @iface_type, highest priority first. */
GPtrArray *bb_registry_list(BbRegistry *self, GType iface_type); /* of BbImplementation */
const BbImplementation *bb_registry_lookup(BbRegistry *self, GType iface_type, const gchar *name);
/* A new instance of the implementation named @name (case-insensitive). */
gpointer bb_registry_create(BbRegistry *self, GType iface_type, const gchar *name, GError **error);
/* TRUE once any contrib module was opened: third-party code runs here. */
gboolean bb_registry_is_tainted(BbRegistry *self);

/* "backend", "provider", "detector" or "auth". */
const gchar *bb_registry_kind_name(GType iface_type);

G_END_DECLS
