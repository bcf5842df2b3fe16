#include "bb-paths.h"
#include "bb-config-paths.h"

gchar *
bb_data_dir(void)
{
    const gchar *override = g_getenv("BOT_BOTTLE_DATA_DIR");
    if (override != NULL && override[0] != '\0')
        return g_strdup(override);
    return g_strdup(BB_DATADIR);
}

gchar *
bb_data_path(const gchar *first_element, ...)
{
    g_autofree gchar *base = bb_data_dir();
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    va_list args;

    g_ptr_array_add(parts, base);
    va_start(args, first_element);
    for (const gchar *part = first_element; part != NULL; part = va_arg(args, const gchar *))
        g_ptr_array_add(parts, (gpointer)part);
    va_end(args);
    g_ptr_array_add(parts, NULL);
    return g_build_filenamev((gchar **)parts->pdata);
}
