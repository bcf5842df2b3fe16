/* An egress route: one allowed upstream host and the rules that apply to
 * requests for it. Routes are immutable once built and shared by
 * reference between the plan, the proxy and its reload path. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** BbMatchType: how a path or header value is compared. Since: 0.1 */
typedef enum {
    BB_MATCH_PREFIX,
    BB_MATCH_EXACT,
    BB_MATCH_REGEX,
} BbMatchType;

/** BbOnMatch: what the proxy does when an outbound detector fires. Since: 0.1 */
typedef enum {
    BB_ON_MATCH_SUPERVISE, /* hold for a human; the default */
    BB_ON_MATCH_REDACT,
    BB_ON_MATCH_BLOCK,
} BbOnMatch;

typedef struct {
    BbMatchType type;
    gchar *value;
    GRegex *regex; /* compiled when type is BB_MATCH_REGEX, else NULL */
} BbPathMatch;

typedef struct {
    gchar *name;      /* lower-case header name */
    BbMatchType type; /* BB_MATCH_EXACT or BB_MATCH_REGEX */
    gchar *value;
    GRegex *regex;
} BbHeaderMatch;

/* One `matches[]` entry: every non-empty list must match. */
typedef struct {
    GPtrArray *paths;   /* of BbPathMatch; empty = any path */
    GStrv methods;      /* upper-case; NULL = any method */
    GPtrArray *headers; /* of BbHeaderMatch; empty = no constraint */
} BbRouteMatch;

/* Detector selection for one direction. */
typedef struct {
    gboolean enabled; /* FALSE when the manifest says `false` */
    GStrv detectors;  /* NULL = every detector of that direction */
} BbDlpSelection;

typedef struct {
    gint ref_count;
    gchar *host;        /* canonical: lower-case, no trailing dot, IDNA ASCII */
    guint16 port;       /* 0 = the scheme's default (443 or 80) */
    gchar *auth_scheme; /* registry name of a BbAuthScheme, or NULL */
    gchar *token_ref;   /* host env var holding the secret, or NULL */
    GPtrArray *matches; /* of BbRouteMatch; empty = everything allowed */
    BbDlpSelection outbound;
    BbDlpSelection inbound;
    BbOnMatch outbound_on_match;
    gboolean git_fetch;
    gboolean provider_owned; /* injected by the agent provider, not the manifest */
} BbRoute;

BbRoute *bb_route_new(const gchar *host);
BbRoute *bb_route_ref(BbRoute *route);
void bb_route_unref(BbRoute *route);

BbRouteMatch *bb_route_match_new(void);
void bb_route_match_free(BbRouteMatch *match);
BbPathMatch *bb_path_match_new(BbMatchType type, const gchar *value, GError **error);
void bb_path_match_free(BbPathMatch *match);
BbHeaderMatch *bb_header_match_new(const gchar *name, BbMatchType type, const gchar *value,
                                   GError **error);
void bb_header_match_free(BbHeaderMatch *match);

const gchar *bb_on_match_to_string(BbOnMatch on_match);
gboolean bb_on_match_from_string(const gchar *str, BbOnMatch *out);
const gchar *bb_match_type_to_string(BbMatchType type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbRoute, bb_route_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbRouteMatch, bb_route_match_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbPathMatch, bb_path_match_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbHeaderMatch, bb_header_match_free)

G_END_DECLS
