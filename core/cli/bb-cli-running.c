#include "bb-cli-running.h"

#include "bb-error.h"

void
bb_cli_backend_free(BbCliBackend *entry)
{
    if (entry == NULL)
        return;
    g_free(entry->name);
    g_clear_object(&entry->backend);
    g_free(entry->problem);
    g_free(entry);
}

GPtrArray *
bb_cli_backends(BbCli *cli, GError **error)
{
    BbRegistry *registry = bb_cli_get_registry(cli, error);
    if (registry == NULL)
        return NULL;
    g_autoptr(GPtrArray) impls = bb_registry_list(registry, BB_TYPE_BACKEND);
    GPtrArray *backends = g_ptr_array_new_with_free_func((GDestroyNotify)bb_cli_backend_free);
    for (guint i = 0; i < impls->len; i++) {
        const BbImplementation *impl = g_ptr_array_index(impls, i);
        g_autoptr(GError) local = NULL;
        BbCliBackend *entry = g_new0(BbCliBackend, 1);
        entry->name = g_strdup(impl->name);
        g_autoptr(GObject) object =
            bb_registry_create(registry, BB_TYPE_BACKEND, impl->name, &local);
        if (object != NULL && bb_backend_is_available(BB_BACKEND(object), &local))
            entry->backend = BB_BACKEND(g_steal_pointer(&object));
        else
            entry->problem = g_strdup(local->message);
        g_ptr_array_add(backends, entry);
    }
    return backends;
}

static gint
bb_compare_slugs(gconstpointer a, gconstpointer b)
{
    const BbBottleInfo *x = *(const BbBottleInfo *const *)a;
    const BbBottleInfo *y = *(const BbBottleInfo *const *)b;
    return g_strcmp0(x->slug, y->slug);
}

GPtrArray *
bb_cli_running_bottles(GPtrArray *backends, GError **error)
{
    g_autoptr(GPtrArray) bottles =
        g_ptr_array_new_with_free_func((GDestroyNotify)bb_bottle_info_free);
    for (guint i = 0; i < backends->len; i++) {
        BbCliBackend *entry = g_ptr_array_index(backends, i);
        if (entry->backend == NULL)
            continue;
        g_autoptr(GPtrArray) infos = bb_backend_list(entry->backend, error);
        if (infos == NULL) {
            g_prefix_error(error, "listing %s bottles: ", entry->name);
            return NULL;
        }
        for (guint j = 0; j < infos->len; j++)
            g_ptr_array_add(bottles, g_steal_pointer(&infos->pdata[j]));
    }
    g_ptr_array_sort(bottles, bb_compare_slugs);
    return g_steal_pointer(&bottles);
}

BbBackend *
bb_cli_backend_of(GPtrArray *backends, const gchar *slug, BbBottleInfo **info, GError **error)
{
    for (guint i = 0; i < backends->len; i++) {
        BbCliBackend *entry = g_ptr_array_index(backends, i);
        if (entry->backend == NULL)
            continue;
        g_autoptr(GPtrArray) infos = bb_backend_list(entry->backend, error);
        if (infos == NULL)
            return NULL;
        for (guint j = 0; j < infos->len; j++) {
            BbBottleInfo *candidate = g_ptr_array_index(infos, j);
            if (g_strcmp0(candidate->slug, slug) != 0)
                continue;
            if (info != NULL)
                *info = g_steal_pointer(&infos->pdata[j]);
            return entry->backend;
        }
    }
    g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                "no bottle %s is running (see 'bot-bottle list')", slug);
    return NULL;
}
