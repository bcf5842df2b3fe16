/* BbAuthScheme: turns a secret into the header(s) the proxy injects
 * upstream. One implementation per scheme (`Bearer`, `token`, ...); the
 * manifest names the scheme by its registry name, case-insensitively. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One header to inject. The value holds secret material: free it with
 * bb_header_free(), which wipes it first. */
typedef struct {
    gchar *name;
    gchar *value;
} BbHeader;

BbHeader *bb_header_new(const gchar *name, const gchar *value);
void bb_header_free(BbHeader *header);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbHeader, bb_header_free)

#define BB_TYPE_AUTH_SCHEME (bb_auth_scheme_get_type())
G_DECLARE_INTERFACE(BbAuthScheme, bb_auth_scheme, BB, AUTH_SCHEME, GObject)

/**
 * BbAuthSchemeInterface:
 * @build_headers: returns a #GPtrArray of #BbHeader for @secret, or
 *   %NULL with @error set when the secret cannot be used (empty, or
 *   holding bytes a header may not carry). Since: 0.1
 *
 * New slots are only ever appended.
 */
struct _BbAuthSchemeInterface {
    GTypeInterface parent_iface;

    GPtrArray *(*build_headers)(BbAuthScheme *self, const gchar *secret, GError **error);
};

GPtrArray *bb_auth_scheme_build_headers(BbAuthScheme *self, const gchar *secret, GError **error);

/* Shared check for scheme implementations: a secret must be non-empty
 * and free of CR, LF, NUL and other control bytes, or it could split the
 * header it is injected into. */
gboolean bb_auth_secret_is_header_safe(const gchar *secret, GError **error);

/* For schemes that send one header `NAME: PREFIX<secret>`: checks the
 * secret (errors are prefixed with @scheme_name, never the secret) and
 * returns the one-element array build_headers() must return. */
GPtrArray *bb_auth_prefixed_header(const gchar *scheme_name, const gchar *header_name,
                                   const gchar *prefix, const gchar *secret, GError **error);

G_END_DECLS
