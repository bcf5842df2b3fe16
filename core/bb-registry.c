#include "bb-registry-private.h"

#include "bb-agent-provider.h"
#include "bb-auth-scheme.h"
#include "bb-backend.h"
#include "bb-detector.h"
#include "bb-error.h"

struct _BbRegistry {
    GObject parent_instance;
    GPtrArray *plugins;         /* of BbPluginInfo, in load order */
    GPtrArray *implementations; /* of BbImplementation */
    BbPluginInfo *registering;  /* plugin whose register_types() runs now */
    gboolean tainted;
    gboolean contrib_disabled;
};

G_DEFINE_FINAL_TYPE(BbRegistry, bb_registry, G_TYPE_OBJECT)

void
bb_implementation_free(BbImplementation *impl)
{
    if (impl == NULL)
        return;
    g_free(impl->name);
    g_free(impl->plugin);
    g_free(impl);
}

static void
bb_registry_finalize(GObject *object)
{
    BbRegistry *self = BB_REGISTRY(object);
    g_ptr_array_unref(self->plugins);
    g_ptr_array_unref(self->implementations);
    G_OBJECT_CLASS(bb_registry_parent_class)->finalize(object);
}

static void
bb_registry_class_init(BbRegistryClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_registry_finalize;
}

static void
bb_registry_init(BbRegistry *self)
{
    self->plugins = g_ptr_array_new_with_free_func((GDestroyNotify)bb_plugin_info_free);
    self->implementations = g_ptr_array_new_with_free_func((GDestroyNotify)bb_implementation_free);
}

BbRegistry *
bb_registry_new(void)
{
    return g_object_new(BB_TYPE_REGISTRY, NULL);
}

const gchar *
bb_registry_kind_name(GType iface_type)
{
    if (iface_type == BB_TYPE_BACKEND)
        return "backend";
    if (iface_type == BB_TYPE_AGENT_PROVIDER)
        return "provider";
    if (iface_type == BB_TYPE_DETECTOR)
        return "detector";
    if (iface_type == BB_TYPE_AUTH_SCHEME)
        return "auth";
    return NULL;
}

static void
add_kind(BbPluginInfo *info, const gchar *kind)
{
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    if (info->kinds != NULL && g_strv_contains((const gchar *const *)info->kinds, kind))
        return;
    if (info->kinds != NULL)
        g_strv_builder_addv(builder, (const gchar **)info->kinds);
    g_strv_builder_add(builder, kind);
    g_strfreev(info->kinds);
    info->kinds = g_strv_builder_end(builder);
}

gboolean
bb_registry_add(BbRegistry *self, GType iface_type, const gchar *name, GType impl_type,
                gint priority, GError **error)
{
    const gchar *kind = bb_registry_kind_name(iface_type);
    const gchar *who = self->registering != NULL ? self->registering->name : "core";
    BbImplementation *impl;

    g_return_val_if_fail(BB_IS_REGISTRY(self), FALSE);

    if (kind == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                    "plugin %s registered '%s' for %s, which is not a bot-bottle interface", who,
                    name != NULL ? name : "(null)", g_type_name(iface_type));
        return FALSE;
    }
    if (name == NULL || name[0] == '\0') {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN, "plugin %s registered a %s without a name",
                    who, kind);
        return FALSE;
    }
    if (impl_type == G_TYPE_INVALID || !G_TYPE_IS_INSTANTIATABLE(impl_type) ||
        G_TYPE_IS_ABSTRACT(impl_type) || !g_type_is_a(impl_type, iface_type)) {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                    "plugin %s registered %s '%s' with a type that does not implement %s", who,
                    kind, name, g_type_name(iface_type));
        return FALSE;
    }
    {
        const BbImplementation *existing = bb_registry_lookup(self, iface_type, name);
        if (existing != NULL) {
            g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                        "plugin %s registered %s '%s', which plugin %s already provides", who, kind,
                        name, existing->plugin);
            return FALSE;
        }
    }

    impl = g_new0(BbImplementation, 1);
    impl->iface_type = iface_type;
    impl->name = g_strdup(name);
    impl->impl_type = impl_type;
    impl->priority = priority;
    impl->plugin = g_strdup(who);
    g_ptr_array_add(self->implementations, impl);
    if (self->registering != NULL)
        add_kind(self->registering, kind);
    return TRUE;
}

static gint
compare_priority_desc(gconstpointer a, gconstpointer b)
{
    const BbImplementation *ia = *(const BbImplementation *const *)a;
    const BbImplementation *ib = *(const BbImplementation *const *)b;
    if (ia->priority != ib->priority)
        return ib->priority - ia->priority;
    return g_strcmp0(ia->name, ib->name);
}

GPtrArray *
bb_registry_list(BbRegistry *self, GType iface_type)
{
    GPtrArray *result;
    g_return_val_if_fail(BB_IS_REGISTRY(self), NULL);
    result = g_ptr_array_new();
    for (guint i = 0; i < self->implementations->len; i++) {
        BbImplementation *impl = g_ptr_array_index(self->implementations, i);
        if (impl->iface_type == iface_type)
            g_ptr_array_add(result, impl);
    }
    g_ptr_array_sort(result, compare_priority_desc);
    return result;
}

const BbImplementation *
bb_registry_lookup(BbRegistry *self, GType iface_type, const gchar *name)
{
    g_return_val_if_fail(BB_IS_REGISTRY(self), NULL);
    if (name == NULL)
        return NULL;
    for (guint i = 0; i < self->implementations->len; i++) {
        BbImplementation *impl = g_ptr_array_index(self->implementations, i);
        if (impl->iface_type == iface_type && g_ascii_strcasecmp(impl->name, name) == 0)
            return impl;
    }
    return NULL;
}

static gchar *
known_names(BbRegistry *self, GType iface_type)
{
    g_autoptr(GPtrArray) impls = bb_registry_list(self, iface_type);
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < impls->len; i++) {
        BbImplementation *impl = g_ptr_array_index(impls, i);
        if (names->len > 0)
            g_string_append(names, ", ");
        g_string_append(names, impl->name);
    }
    if (names->len == 0)
        g_string_append(names, "none are loaded");
    return g_string_free(g_steal_pointer(&names), FALSE);
}

gpointer
bb_registry_create(BbRegistry *self, GType iface_type, const gchar *name, GError **error)
{
    const BbImplementation *impl;
    g_return_val_if_fail(BB_IS_REGISTRY(self), NULL);

    impl = bb_registry_lookup(self, iface_type, name);
    if (impl == NULL) {
        g_autofree gchar *known = known_names(self, iface_type);
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "no %s named '%s' (known: %s); run 'bot-bottle plugins' to see what loaded",
                    bb_registry_kind_name(iface_type), name != NULL ? name : "(null)", known);
        return NULL;
    }
    return g_object_new(impl->impl_type, NULL);
}

gboolean
bb_registry_is_tainted(BbRegistry *self)
{
    g_return_val_if_fail(BB_IS_REGISTRY(self), FALSE);
    return self->tainted;
}

GPtrArray *
bb_registry_get_plugins(BbRegistry *self)
{
    g_return_val_if_fail(BB_IS_REGISTRY(self), NULL);
    return self->plugins;
}

void
bb_registry_take_plugin_info(BbRegistry *self, BbPluginInfo *info)
{
    g_return_if_fail(BB_IS_REGISTRY(self));
    g_ptr_array_add(self->plugins, info);
}

void
bb_registry_begin_plugin(BbRegistry *self, BbPluginInfo *info)
{
    g_return_if_fail(BB_IS_REGISTRY(self));
    g_return_if_fail(self->registering == NULL);
    self->registering = info;
}

void
bb_registry_end_plugin(BbRegistry *self)
{
    g_return_if_fail(BB_IS_REGISTRY(self));
    self->registering = NULL;
}

void
bb_registry_drop_plugin(BbRegistry *self, const gchar *plugin_name)
{
    g_return_if_fail(BB_IS_REGISTRY(self));
    for (guint i = self->implementations->len; i > 0; i--) {
        BbImplementation *impl = g_ptr_array_index(self->implementations, i - 1);
        if (g_strcmp0(impl->plugin, plugin_name) == 0)
            g_ptr_array_remove_index(self->implementations, i - 1);
    }
}

BbPluginInfo *
bb_registry_find_plugin(BbRegistry *self, const gchar *plugin_name)
{
    g_return_val_if_fail(BB_IS_REGISTRY(self), NULL);
    for (guint i = 0; i < self->plugins->len; i++) {
        BbPluginInfo *info = g_ptr_array_index(self->plugins, i);
        if (info->status == BB_PLUGIN_STATUS_LOADED && g_strcmp0(info->name, plugin_name) == 0)
            return info;
    }
    return NULL;
}

void
bb_registry_set_tainted(BbRegistry *self)
{
    g_return_if_fail(BB_IS_REGISTRY(self));
    self->tainted = TRUE;
}

void
bb_registry_set_contrib_disabled(BbRegistry *self, gboolean disabled)
{
    g_return_if_fail(BB_IS_REGISTRY(self));
    self->contrib_disabled = disabled;
}

gboolean
bb_registry_get_contrib_disabled(BbRegistry *self)
{
    g_return_val_if_fail(BB_IS_REGISTRY(self), FALSE);
    return self->contrib_disabled;
}
