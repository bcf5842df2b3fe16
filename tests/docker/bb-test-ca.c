#include "bb-test-ca.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <gio/gio.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free)

static gchar *
bb_ca_bio_string(BIO *bio)
{
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    return g_strndup(data, length);
}

static gboolean
bb_ca_add_extension(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (extension == NULL)
        return FALSE;
    gboolean ok = X509_add_ext(cert, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return ok;
}

static gboolean
bb_test_cert_generate(const gchar *common_name, const gchar *dns_names, gchar **cert_pem,
                      gchar **key_pem, GError **error)
{
    g_autoptr(EVP_PKEY) key = EVP_EC_gen("P-256");
    g_autoptr(X509) cert = X509_new();
    if (key == NULL || cert == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "OpenSSL could not create the bottle CA");
        return FALSE;
    }
    guint8 serial[16];
    for (gsize i = 0; i < sizeof serial; i++)
        serial[i] = g_random_int_range(0, 256);
    serial[0] &= 0x7f;
    BIGNUM *serial_bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert));
    BN_free(serial_bn);
    X509_set_version(cert, 2);
    /* Backdated an hour for clock skew; valid for the bottle's life and then some. */
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 60L * 60 * 24 * 30);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const guchar *)"bot-bottle", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const guchar *)common_name, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    g_autofree gchar *san = dns_names != NULL ? g_strdup_printf("DNS:%s", dns_names) : NULL;
    /* A server certificate is its own trust anchor, so it is a CA too. */
    if (!bb_ca_add_extension(cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !bb_ca_add_extension(cert, NID_key_usage,
                             "critical,digitalSignature,keyCertSign,cRLSign") ||
        (san != NULL && !bb_ca_add_extension(cert, NID_subject_alt_name, san)) ||
        (san != NULL && !bb_ca_add_extension(cert, NID_ext_key_usage, "serverAuth")) ||
        !bb_ca_add_extension(cert, NID_subject_key_identifier, "hash") ||
        X509_sign(cert, key, EVP_sha256()) == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "OpenSSL could not sign the bottle CA");
        return FALSE;
    }
    g_autoptr(BIO) cert_bio = BIO_new(BIO_s_mem());
    g_autoptr(BIO) key_bio = BIO_new(BIO_s_mem());
    if (PEM_write_bio_X509(cert_bio, cert) != 1 ||
        PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "OpenSSL could not encode the bottle CA");
        return FALSE;
    }
    *cert_pem = bb_ca_bio_string(cert_bio);
    *key_pem = bb_ca_bio_string(key_bio);
    return TRUE;
}

gboolean
bb_test_ca_generate(const gchar *common_name, gchar **cert_pem, gchar **key_pem, GError **error)
{
    return bb_test_cert_generate(common_name, NULL, cert_pem, key_pem, error);
}

gboolean
bb_test_server_cert_generate(const gchar *dns_names, gchar **cert_pem, gchar **key_pem,
                             GError **error)
{
    g_auto(GStrv) names = g_strsplit(dns_names, ",", -1);
    g_autofree gchar *san = g_strjoinv(",DNS:", names);
    return bb_test_cert_generate(names[0], san, cert_pem, key_pem, error);
}
