/* The per-bottle certificate authority: an EC P-256 CA generated at
 * start-up (its key never leaves the process) and leaf certificates
 * minted per host with one shared leaf key, cached by host. */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

typedef struct _BbEgressCa BbEgressCa;

BbEgressCa *bb_egress_ca_new(const gchar *common_name, GError **error);
void bb_egress_ca_free(BbEgressCa *ca);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbEgressCa, bb_egress_ca_free)

/* The CA certificate in PEM, for the agent's trust store. */
gchar *bb_egress_ca_get_cert_pem(BbEgressCa *ca);
X509 *bb_egress_ca_get_cert(BbEgressCa *ca);
EVP_PKEY *bb_egress_ca_get_leaf_key(BbEgressCa *ca);

/* A leaf for @host (canonical), from the cache or freshly minted;
 * returns a new reference. Thread-safe. */
X509 *bb_egress_ca_get_leaf(BbEgressCa *ca, const gchar *host, GError **error);
/* Mints without consulting the cache; for the benchmark. */
X509 *bb_egress_ca_mint_leaf(BbEgressCa *ca, const gchar *host, GError **error);

G_END_DECLS
