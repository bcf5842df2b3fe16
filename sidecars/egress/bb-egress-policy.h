/* The egress policy: the route table of one bottle with its credentials
 * pre-rendered, and the per-request checks (path normalisation,
 * `matches`, DoH, upgrades, git smart-HTTP). Immutable and refcounted so
 * a reload swaps it without disturbing requests already in flight. */
#pragma once

#include <glib.h>
#include "bb-http-parser.h"
#include "bb-registry.h"
#include "bb-route.h"

G_BEGIN_DECLS

/* Every refusal has a stable machine-readable code, sent to the agent
 * in X-Bot-Bottle-Block and written to the audit log. */
typedef enum {
    BB_BLOCK_NONE,
    BB_BLOCK_NO_ROUTE,
    BB_BLOCK_PORT,
    BB_BLOCK_BAD_HOST,
    BB_BLOCK_HOST_MISMATCH,
    BB_BLOCK_BAD_PATH,
    BB_BLOCK_NO_MATCH,
    BB_BLOCK_DOH,
    BB_BLOCK_UPGRADE,
    BB_BLOCK_GIT_PUSH,
    BB_BLOCK_GIT_FETCH,
    BB_BLOCK_METHOD_OVERRIDE,
    BB_BLOCK_PLAINTEXT_CREDENTIAL,
    BB_BLOCK_SCANNER,
} BbBlockCode;

const gchar *bb_block_code_to_string(BbBlockCode code);

typedef struct {
    BbRoute *route;
    gchar *inject;      /* pre-rendered "Name: value\r\n" lines; holds secrets */
    GStrv inject_names; /* lower-case names of the injected headers */
    GPtrArray *scrub;   /* secret values to scrub from responses */
} BbEgressRouteEntry;

typedef struct _BbEgressPolicy BbEgressPolicy;

/* Builds the table from @routes. For each route with an auth scheme the
 * secret named by token_ref is looked up in @secrets and turned into
 * headers by the scheme from @registry, once, here. */
BbEgressPolicy *bb_egress_policy_new(GPtrArray *routes, BbRegistry *registry, GHashTable *secrets,
                                     GError **error);
BbEgressPolicy *bb_egress_policy_ref(BbEgressPolicy *policy);
void bb_egress_policy_unref(BbEgressPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbEgressPolicy, bb_egress_policy_unref)

const BbEgressRouteEntry *bb_egress_policy_lookup(BbEgressPolicy *policy, const gchar *host);
GPtrArray *bb_egress_policy_get_routes(BbEgressPolicy *policy); /* of BbRoute */

/* Validates and normalises the path part of a request target: refuses
 * dot segments, `//`, `;`, backslashes and encoded `.`, `/`, `\`, `%`
 * or NUL; decodes other percent-encoded unreserved characters. Returns
 * NULL with a static @reason when refused. */
gchar *bb_egress_normalize_path(const gchar *path, gsize len, const gchar **reason);

/* The request checks after the route was found. @path is normalised,
 * @query the raw query (without '?') or NULL. On a block, *rule holds a
 * human sentence naming the rule that refused it. */
BbBlockCode bb_egress_policy_check(const BbEgressRouteEntry *entry, const gchar *method,
                                   const gchar *path, const gchar *query, const BbHttpHead *head,
                                   gchar **rule);

G_END_DECLS
