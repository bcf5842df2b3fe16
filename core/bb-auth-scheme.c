#include <string.h>

#include "bb-auth-scheme.h"
#include "bb-error.h"

G_DEFINE_INTERFACE(BbAuthScheme, bb_auth_scheme, G_TYPE_OBJECT)

static void
bb_auth_scheme_default_init(BbAuthSchemeInterface *iface)
{
}

BbHeader *
bb_header_new(const gchar *name, const gchar *value)
{
    BbHeader *header = g_new0(BbHeader, 1);
    header->name = g_strdup(name);
    header->value = g_strdup(value);
    return header;
}

void
bb_header_free(BbHeader *header)
{
    if (header == NULL)
        return;
    if (header->value != NULL)
        explicit_bzero(header->value, strlen(header->value));
    g_free(header->name);
    g_free(header->value);
    g_free(header);
}

GPtrArray *
bb_auth_scheme_build_headers(BbAuthScheme *self, const gchar *secret, GError **error)
{
    BbAuthSchemeInterface *iface;

    g_return_val_if_fail(BB_IS_AUTH_SCHEME(self), NULL);
    g_return_val_if_fail(secret != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    iface = BB_AUTH_SCHEME_GET_IFACE(self);
    if (iface->build_headers == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_SUPPORTED, "%s does not build headers",
                    G_OBJECT_TYPE_NAME(self));
        return NULL;
    }
    return iface->build_headers(self, secret, error);
}

gboolean
bb_auth_secret_is_header_safe(const gchar *secret, GError **error)
{
    if (secret == NULL || secret[0] == '\0') {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_SECRET, "the secret is empty");
        return FALSE;
    }
    for (const guchar *p = (const guchar *)secret; *p != '\0'; p++) {
        /* Never echo the secret: say where, not what. */
        if (*p < 0x20 || *p == 0x7f) {
            g_set_error(error, BB_ERROR, BB_ERROR_SECRET,
                        "the secret holds a control byte at offset %" G_GSIZE_FORMAT
                        " and cannot be sent in a header",
                        (gsize)(p - (const guchar *)secret));
            return FALSE;
        }
    }
    return TRUE;
}

GPtrArray *
bb_auth_prefixed_header(const gchar *scheme_name, const gchar *header_name, const gchar *prefix,
                        const gchar *secret, GError **error)
{
    GPtrArray *headers;
    BbHeader *header;

    /* The shared check names an offset, never the secret itself. */
    if (!bb_auth_secret_is_header_safe(secret, error)) {
        g_prefix_error(error, "%s auth: ", scheme_name);
        return NULL;
    }
    /* Built in place so no stray copy of the secret is left to wipe. */
    header = g_new0(BbHeader, 1);
    header->name = g_strdup(header_name);
    header->value = g_strconcat(prefix, secret, NULL);
    headers = g_ptr_array_new_with_free_func((GDestroyNotify)bb_header_free);
    g_ptr_array_add(headers, header);
    return headers;
}
