/* The per-bottle CA: generated in memory at launch. The key goes to the
 * sidecar's stdin and nowhere else; the certificate to the agent. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean bb_docker_ca_generate(const gchar *common_name, gchar **cert_pem, gchar **key_pem,
                               GError **error);

G_END_DECLS
