#include "bb-registry-private.h"

void
bb_plugin_info_free(BbPluginInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->name);
    g_free(info->version);
    g_free(info->license);
    g_free(info->description);
    g_free(info->path);
    g_clear_error(&info->error);
    g_strfreev(info->kinds);
    g_free(info);
}
