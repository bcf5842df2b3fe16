#include "dlp-test-util.h"
#include "bb-injection-detector.h"
#include "bb-known-secrets-detector.h"
#include "bb-token-patterns-detector.h"

#include <string.h>

static void
dlp_test_known_secret_free(BbKnownSecret *secret)
{
    g_free(secret->env_name);
    g_free(secret->value);
    g_free(secret);
}

static BbDlpScanner *
dlp_test_build_scanner(const gchar *const *secrets)
{
    g_autoptr(BbDlpScanner) scanner = bb_dlp_scanner_new();
    g_autoptr(GPtrArray) known =
        g_ptr_array_new_with_free_func((GDestroyNotify)dlp_test_known_secret_free);
    g_autoptr(BbDetector) tokens = g_object_new(BB_TYPE_TOKEN_PATTERNS_DETECTOR, NULL);
    g_autoptr(BbDetector) values = g_object_new(BB_TYPE_KNOWN_SECRETS_DETECTOR, NULL);
    g_autoptr(GError) error = NULL;
    BbDetectorContext context = {g_getenv("BOT_BOTTLE_DATA_DIR"), known};

    for (guint i = 0; secrets != NULL && secrets[i] != NULL; i += 2) {
        BbKnownSecret *secret = g_new0(BbKnownSecret, 1);
        secret->env_name = g_strdup(secrets[i]);
        secret->value = g_strdup(secrets[i + 1]);
        g_ptr_array_add(known, secret);
    }
    bb_detector_configure(tokens, &context, &error);
    g_assert_no_error(error);
    bb_detector_configure(values, &context, &error);
    g_assert_no_error(error);
    bb_dlp_scanner_add_detector(scanner, "token_patterns", tokens);
    bb_dlp_scanner_add_detector(scanner, "known_secrets", values);
    return g_steal_pointer(&scanner);
}

GPtrArray *
dlp_test_scan(BbDlpScanner *scanner, const gchar *text)
{
    GPtrArray *findings = bb_dlp_findings_new();
    g_autoptr(GError) error = NULL;
    BbDlpVerdict verdict =
        bb_dlp_scanner_scan(scanner, (const guint8 *)text, strlen(text), findings, &error);
    g_assert_no_error(error);
    g_assert_cmpint(verdict, !=, BB_DLP_VERDICT_CANNOT_SCAN);
    g_assert_cmpint(verdict == BB_DLP_VERDICT_FOUND, ==, findings->len > 0);
    return findings;
}

gboolean
dlp_test_has_rule(GPtrArray *findings, const gchar *rule_prefix)
{
    for (guint i = 0; i < findings->len; i++) {
        const BbFinding *finding = g_ptr_array_index(findings, i);
        if (g_str_has_prefix(finding->rule_id, rule_prefix))
            return TRUE;
    }
    return FALSE;
}

void
dlp_test_assert_no_leak(GPtrArray *findings, const gchar *secret)
{
    for (guint i = 0; i < findings->len; i++) {
        const BbFinding *finding = g_ptr_array_index(findings, i);
        g_assert_null(strstr(finding->snippet, secret));
        g_assert_null(strstr(finding->rule_id, secret));
        g_assert_null(strstr(finding->fingerprint, secret));
        g_assert_cmpuint(strlen(finding->fingerprint), ==, 16);
    }
}

gchar *
dlp_test_fixture_path(const gchar *relative)
{
    const gchar *root = g_getenv("BB_DLP_FIXTURES");
    g_assert_nonnull(root);
    return g_build_filename(root, relative, NULL);
}

/* Compiling the rule pack takes a tenth of a second: share scanners
 * between test cases that know the same secrets. */
BbDlpScanner *
dlp_test_outbound_scanner(const gchar *const *secrets)
{
    static GHashTable *cache = NULL;
    g_autofree gchar *key = secrets != NULL ? g_strjoinv("\n", (gchar **)secrets) : g_strdup("");
    BbDlpScanner *scanner;

    if (cache == NULL)
        cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
    scanner = g_hash_table_lookup(cache, key);
    if (scanner == NULL) {
        scanner = dlp_test_build_scanner(secrets);
        g_hash_table_insert(cache, g_steal_pointer(&key), scanner);
    }
    return g_object_ref(scanner);
}

BbDlpScanner *
dlp_test_inbound_scanner(void)
{
    static BbDlpScanner *scanner = NULL;
    if (scanner == NULL) {
        g_autoptr(BbDetector) injection = g_object_new(BB_TYPE_INJECTION_DETECTOR, NULL);
        g_autoptr(GError) error = NULL;
        BbDetectorContext context = {g_getenv("BOT_BOTTLE_DATA_DIR"), NULL};
        bb_detector_configure(injection, &context, &error);
        g_assert_no_error(error);
        scanner = bb_dlp_scanner_new();
        bb_dlp_scanner_add_detector(scanner, "injection", injection);
    }
    return g_object_ref(scanner);
}
