/* Fuzzes the sidecar's launch document parser: whatever arrives on its
 * stdin is refused with an error or becomes routes, secrets and pins. */
#include "bb-sidecar-launch.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
    static gchar *state_dir;
    if (state_dir == NULL)
        state_dir = g_dir_make_tmp("bb-fuzz-launch-XXXXXX", NULL);
    /* The parser wipes its input, so it gets a copy. */
    g_autofree gchar *copy = g_strndup((const gchar *)data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(BbSidecarLaunch) launch = bb_sidecar_launch_parse(copy, size, state_dir, &error);
    g_assert((launch == NULL) != (error == NULL));
    if (launch != NULL)
        g_assert(launch->routes != NULL && launch->secrets != NULL);
    return 0;
}
