/* Throwaway certificates for the fixtures: a CA for the stand-in sidecar
 * (which hands the bottle a certificate as the real sidecar does) and a
 * self-signed server certificate for the fixture upstream's TLS port. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean bb_test_ca_generate(const gchar *common_name, gchar **cert_pem, gchar **key_pem,
                             GError **error);

/* Self-signed, valid for TLS servers named in @dns_names (comma-separated);
 * trusted as its own anchor (the proxy's --upstream-ca). */
gboolean bb_test_server_cert_generate(const gchar *dns_names, gchar **cert_pem, gchar **key_pem,
                                      GError **error);

G_END_DECLS
