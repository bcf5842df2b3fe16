/* Self-test of BbTokenAuth, linked directly (no loader involved). */
#include <string.h>

#include "bb-token-auth.h"

/* A secret that must never show up in an error message. */
#define CANARY "s3cr3t-CANARY-value"

static GPtrArray *
build(const gchar *secret, GError **error)
{
    g_autoptr(BbAuthScheme) scheme = g_object_new(BB_TYPE_TOKEN_AUTH, NULL);
    return bb_auth_scheme_build_headers(scheme, secret, error);
}

static void
test_header(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) headers = build("abc.DEF-123_~+/=", &error);
    BbHeader *header;

    g_assert_no_error(error);
    g_assert_nonnull(headers);
    g_assert_cmpuint(headers->len, ==, 1);
    header = g_ptr_array_index(headers, 0);
    g_assert_cmpstr(header->name, ==, "Authorization");
    g_assert_cmpstr(header->value, ==, "token abc.DEF-123_~+/=");
}

static void
check_rejected(const gchar *secret, const gchar *expected)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) headers = build(secret, &error);

    g_assert_null(headers);
    g_assert_error(error, BB_ERROR, BB_ERROR_SECRET);
    g_assert_cmpstr(error->message, ==, expected);
    g_assert_null(strstr(error->message, CANARY));
}

static void
test_unsafe(void)
{
    check_rejected("", "token auth: the secret is empty");
    check_rejected(CANARY "\r\nX-Evil: 1",
                   "token auth: the secret holds a control byte at offset 19 and cannot be "
                   "sent in a header");
    check_rejected(CANARY "\n", "token auth: the secret holds a control byte at offset 19 and "
                                "cannot be sent in a header");
    check_rejected("\x7f" CANARY, "token auth: the secret holds a control byte at offset 0 and "
                                  "cannot be sent in a header");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/auth/token/header", test_header);
    g_test_add_func("/auth/token/unsafe-secret", test_unsafe);
    return g_test_run();
}
