/* The shared leaf key is a legacy EC_KEY on purpose, see
 * generate_leaf_key(). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "bb-egress-ca.h"
#include "bb-error.h"

/* Bounds memory when an agent walks many hosts; refilling is cheap. */
#define LEAF_CACHE_MAX 4096

struct _BbEgressCa {
    EVP_PKEY *ca_key;
    X509 *ca_cert;
    EVP_PKEY *leaf_key;
    GMutex lock;
    GHashTable *leaves; /* host → X509 */
    /* Built once: OpenSSL 3 spends most of a naive mint fetching
     * algorithms and parsing extension strings, not signing. */
    EVP_MD_CTX *sign_template;
    X509_EXTENSION *aki;
    X509_EXTENSION *eku;
};

static EVP_PKEY *
generate_p256(GError **error)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (key == NULL)
        g_set_error_literal(error, BB_ERROR, BB_ERROR_FAILED, "cannot generate an EC P-256 key");
    return key;
}

static gboolean
set_random_serial(X509 *cert)
{
    guchar bytes[16];
    BIGNUM *bn;
    gboolean ok;
    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        return FALSE;
    bytes[0] &= 0x7f; /* positive */
    bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
    ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok;
}

static gboolean
add_ext(X509 *cert, X509 *issuer, gint nid, const gchar *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    gboolean ok;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return FALSE;
    ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static X509 *
new_cert(EVP_PKEY *pubkey, const gchar *cn, glong not_before, glong lifetime)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_get_subject_name(cert);
    X509_set_version(cert, 2);
    if (!set_random_serial(cert)) {
        X509_free(cert);
        return NULL;
    }
    X509_gmtime_adj(X509_getm_notBefore(cert), not_before);
    X509_gmtime_adj(X509_getm_notAfter(cert), lifetime);
    X509_set_pubkey(cert, pubkey);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const guchar *)cn, -1, -1, 0);
    return cert;
}

static X509_EXTENSION *
make_ext(X509 *issuer, gint nid, const gchar *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, NULL, NULL, NULL, 0);
    return X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
}

static gboolean
prepare_minting(BbEgressCa *ca)
{
    ca->sign_template = EVP_MD_CTX_new();
    if (EVP_DigestSignInit_ex(ca->sign_template, NULL, "SHA256", NULL, NULL, ca->ca_key, NULL) != 1)
        return FALSE;
    ca->aki = make_ext(ca->ca_cert, NID_authority_key_identifier, "keyid:always");
    ca->eku = make_ext(ca->ca_cert, NID_ext_key_usage, "serverAuth");
    return ca->aki != NULL && ca->eku != NULL;
}

/* With a provider-native key, OpenSSL 3.0 encodes and then re-decodes
 * the public key through its decoder framework on every
 * X509_set_pubkey(): ~75% of a mint. A legacy EC_KEY takes the direct
 * encoder and stays cached in the certificate, so minting is dominated
 * by the one ECDSA signature. */
static EVP_PKEY *
generate_leaf_key(GError **error)
{
    EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EVP_PKEY *key = EVP_PKEY_new();
    if (ec == NULL || EC_KEY_generate_key(ec) != 1 || EVP_PKEY_assign_EC_KEY(key, ec) != 1) {
        EC_KEY_free(ec);
        EVP_PKEY_free(key);
        g_set_error_literal(error, BB_ERROR, BB_ERROR_FAILED, "cannot generate the leaf key");
        return NULL;
    }
    return key;
}

BbEgressCa *
bb_egress_ca_new(const gchar *common_name, GError **error)
{
    g_autoptr(BbEgressCa) ca = g_new0(BbEgressCa, 1);
    X509 *cert;

    g_mutex_init(&ca->lock);
    ca->leaves = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)X509_free);
    ca->ca_key = generate_p256(error);
    if (ca->ca_key == NULL)
        return NULL;
    ca->leaf_key = generate_leaf_key(error);
    if (ca->leaf_key == NULL)
        return NULL;
    cert = new_cert(ca->ca_key, common_name, -3600, 60L * 60 * 24 * 365);
    ca->ca_cert = cert;
    if (cert == NULL || X509_set_issuer_name(cert, X509_get_subject_name(cert)) != 1 ||
        !add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(cert, cert, NID_subject_key_identifier, "hash") ||
        X509_sign(cert, ca->ca_key, EVP_sha256()) == 0) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_FAILED, "cannot build the bottle CA");
        return NULL;
    }
    if (!prepare_minting(ca)) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_FAILED, "cannot prepare leaf minting");
        return NULL;
    }
    return g_steal_pointer(&ca);
}

void
bb_egress_ca_free(BbEgressCa *ca)
{
    if (ca == NULL)
        return;
    g_hash_table_unref(ca->leaves);
    g_mutex_clear(&ca->lock);
    EVP_MD_CTX_free(ca->sign_template);
    X509_EXTENSION_free(ca->aki);
    X509_EXTENSION_free(ca->eku);
    EVP_PKEY_free(ca->ca_key);
    EVP_PKEY_free(ca->leaf_key);
    X509_free(ca->ca_cert);
    g_free(ca);
}

gchar *
bb_egress_ca_get_cert_pem(BbEgressCa *ca)
{
    BIO *bio = BIO_new(BIO_s_mem());
    gchar *data = NULL;
    glong len;
    gchar *pem;
    PEM_write_bio_X509(bio, ca->ca_cert);
    len = BIO_get_mem_data(bio, &data);
    pem = g_strndup(data, (gsize)len);
    BIO_free(bio);
    return pem;
}

X509 *
bb_egress_ca_get_cert(BbEgressCa *ca)
{
    return ca->ca_cert;
}

EVP_PKEY *
bb_egress_ca_get_leaf_key(BbEgressCa *ca)
{
    return ca->leaf_key;
}

static gboolean
add_san(X509 *cert, const gchar *host)
{
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    GENERAL_NAME *name = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    gboolean ok;
    ASN1_STRING_set(ia5, host, -1);
    GENERAL_NAME_set0_value(name, GEN_DNS, ia5);
    sk_GENERAL_NAME_push(names, name);
    ok = X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, 0) == 1;
    GENERAL_NAMES_free(names);
    return ok;
}

/* A copy of the prepared signing context; copying is far cheaper than
 * a fresh EVP_DigestSignInit under OpenSSL 3's provider lookups. */
static gboolean
sign_leaf(BbEgressCa *ca, X509 *cert)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    gboolean ok;
    g_mutex_lock(&ca->lock);
    ok = EVP_MD_CTX_copy_ex(ctx, ca->sign_template) == 1;
    g_mutex_unlock(&ca->lock);
    ok = ok && X509_sign_ctx(cert, ctx) > 0;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Minimal extensions keep minting fast: SAN (what clients check), EKU
 * serverAuth, and the AKI so chains build without guessing. */
X509 *
bb_egress_ca_mint_leaf(BbEgressCa *ca, const gchar *host, GError **error)
{
    X509 *cert = new_cert(ca->leaf_key, host, -3600, 60L * 60 * 24 * 30);
    if (cert == NULL || X509_set_issuer_name(cert, X509_get_subject_name(ca->ca_cert)) != 1 ||
        !add_san(cert, host) || X509_add_ext(cert, ca->eku, -1) != 1 ||
        X509_add_ext(cert, ca->aki, -1) != 1 || !sign_leaf(ca, cert)) {
        X509_free(cert);
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot mint a certificate for %s", host);
        return NULL;
    }
    return cert;
}

X509 *
bb_egress_ca_get_leaf(BbEgressCa *ca, const gchar *host, GError **error)
{
    X509 *leaf;
    g_mutex_lock(&ca->lock);
    leaf = g_hash_table_lookup(ca->leaves, host);
    if (leaf != NULL)
        X509_up_ref(leaf);
    g_mutex_unlock(&ca->lock);
    if (leaf != NULL)
        return leaf;
    leaf = bb_egress_ca_mint_leaf(ca, host, error);
    if (leaf == NULL)
        return NULL;
    g_mutex_lock(&ca->lock);
    if (g_hash_table_size(ca->leaves) >= LEAF_CACHE_MAX)
        g_hash_table_remove_all(ca->leaves);
    X509_up_ref(leaf);
    g_hash_table_replace(ca->leaves, g_strdup(host), leaf);
    g_mutex_unlock(&ca->lock);
    return leaf;
}
