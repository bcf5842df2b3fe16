/* A throwaway CA for the stand-in sidecar, which must hand the bottle a
 * certificate exactly as the real sidecar does. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean bb_test_ca_generate(const gchar *common_name, gchar **cert_pem, gchar **key_pem,
                             GError **error);

G_END_DECLS
