#include "bb-backend-select.h"

#include "bb-error.h"

static gchar *
bb_backend_names(GPtrArray *impls)
{
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < impls->len; i++) {
        const BbImplementation *impl = g_ptr_array_index(impls, i);
        g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", impl->name);
    }
    return g_string_free(g_steal_pointer(&names), FALSE);
}

/* An instance of @impl that is available here, else NULL with @error. */
static BbBackend *
bb_backend_try(BbRegistry *registry, const BbImplementation *impl, GError **error)
{
    g_autoptr(GObject) object = bb_registry_create(registry, BB_TYPE_BACKEND, impl->name, error);
    if (object == NULL)
        return NULL;
    if (!bb_backend_is_available(BB_BACKEND(object), error))
        return NULL;
    return BB_BACKEND(g_steal_pointer(&object));
}

static BbBackend *
bb_backend_select_named(BbRegistry *registry, GPtrArray *impls, const gchar *name,
                        const gchar *source, GError **error)
{
    const BbImplementation *impl = bb_registry_lookup(registry, BB_TYPE_BACKEND, name);
    if (impl == NULL) {
        g_autofree gchar *known = bb_backend_names(impls);
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "No backend named '%s' (from %s); known: %s (pass 'help' to see which "
                    "are available)",
                    name, source, known[0] != '\0' ? known : "none");
        return NULL;
    }
    BbBackend *backend = bb_backend_try(registry, impl, error);
    if (backend == NULL)
        g_prefix_error(error, "Backend '%s' (from %s) is not available: ", impl->name, source);
    return backend;
}

BbBackend *
bb_backend_select(BbRegistry *registry, const gchar *name, GError **error)
{
    g_return_val_if_fail(BB_IS_REGISTRY(registry), NULL);
    g_autoptr(GPtrArray) impls = bb_registry_list(registry, BB_TYPE_BACKEND);
    if (name != NULL)
        return bb_backend_select_named(registry, impls, name, "--backend", error);
    const gchar *env = g_getenv("BOT_BOTTLE_BACKEND");
    if (env != NULL && env[0] != '\0')
        return bb_backend_select_named(registry, impls, env, "BOT_BOTTLE_BACKEND", error);

    g_autoptr(GString) reasons = g_string_new(NULL);
    for (guint i = 0; i < impls->len; i++) {
        const BbImplementation *impl = g_ptr_array_index(impls, i);
        g_autoptr(GError) local = NULL;
        BbBackend *backend = bb_backend_try(registry, impl, &local);
        if (backend != NULL)
            return backend;
        g_string_append_printf(reasons, "\n  %s: %s", impl->name, local->message);
    }
    if (impls->len == 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "No backend is installed: reinstall bot-bottle (the docker backend is "
                    "built in), or check `bot-bottle plugins`");
        return NULL;
    }
    g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE, "No backend can run bottles here:%s",
                reasons->str);
    return NULL;
}

gchar *
bb_backend_describe_all(BbRegistry *registry)
{
    g_return_val_if_fail(BB_IS_REGISTRY(registry), NULL);
    g_autoptr(GPtrArray) impls = bb_registry_list(registry, BB_TYPE_BACKEND);
    g_autoptr(GString) out = g_string_new(NULL);
    for (guint i = 0; i < impls->len; i++) {
        const BbImplementation *impl = g_ptr_array_index(impls, i);
        g_autoptr(GError) local = NULL;
        g_autoptr(BbBackend) backend = bb_backend_try(registry, impl, &local);
        g_string_append_printf(
            out, "%-12s priority %-4d %s%s\n", impl->name, impl->priority,
            backend != NULL ? "available" : "unavailable: ", backend != NULL ? "" : local->message);
    }
    if (impls->len == 0)
        g_string_append(out, "(no backend is installed)\n");
    return g_string_free(g_steal_pointer(&out), FALSE);
}
