/* The resolved plan: one agent plus its bottle chain flattened into an
 * immutable description of what to launch. It holds secret *references*
 * (host env-var names), never secret values. */
#pragma once

#include <glib-object.h>
#include "bb-route.h"

G_BEGIN_DECLS

#define BB_TYPE_PLAN (bb_plan_get_type())
G_DECLARE_FINAL_TYPE(BbPlan, bb_plan, BB, PLAN, GObject)

/** BbManifestOrigin: where a manifest was found. Since: 0.1 */
typedef enum {
    BB_ORIGIN_HOME, /* ~/.bot-bottle/ — trusted */
    BB_ORIGIN_REPO, /* <repo>/.bot-bottle/ — agents only */
} BbManifestOrigin;

const gchar *bb_manifest_origin_to_string(BbManifestOrigin origin);

typedef struct {
    gchar *name;
    gchar *path; /* absolute directory holding the skill */
} BbSkill;

typedef struct {
    gchar *host;     /* the key under git.remotes */
    gchar *name;     /* repository name inside the bottle */
    gchar *upstream; /* ssh:// URL the gate pushes to */
    gchar *identity_file;
    gchar *known_host_key;
} BbGitRemote;

/* A secret the launch must resolve from the host environment. */
typedef struct {
    gchar *env_name;
    gchar *used_by; /* "route api.example.com", "provider claude", ... */
} BbSecretRef;

const gchar *bb_plan_get_agent_name(BbPlan *self);
const gchar *bb_plan_get_agent_path(BbPlan *self);
BbManifestOrigin bb_plan_get_agent_origin(BbPlan *self);
const gchar *bb_plan_get_bottle_name(BbPlan *self);
/* Bottle files from the named bottle up to its root ancestor. */
const gchar *const *bb_plan_get_bottle_chain(BbPlan *self);

const gchar *bb_plan_get_provider(BbPlan *self);
/* Absolute Dockerfile path from the manifest, or NULL (use the cascade). */
const gchar *bb_plan_get_dockerfile(BbPlan *self);
/* Host env var named by agent_provider.auth_token, or NULL. */
const gchar *bb_plan_get_provider_auth_token_ref(BbPlan *self);
gboolean bb_plan_get_forward_host_credentials(BbPlan *self);

/* name → value; values are literals or placeholders, never secrets. */
GHashTable *bb_plan_get_env(BbPlan *self);
/* Sorted env names, for stable output. */
GPtrArray *bb_plan_get_env_names(BbPlan *self);
GPtrArray *bb_plan_get_routes(BbPlan *self); /* of BbRoute */
BbRoute *bb_plan_find_route(BbPlan *self, const gchar *host);
GPtrArray *bb_plan_get_skills(BbPlan *self); /* of BbSkill */
const gchar *bb_plan_get_prompt(BbPlan *self);
const gchar *bb_plan_get_git_user_name(BbPlan *self);
const gchar *bb_plan_get_git_user_email(BbPlan *self);
GPtrArray *bb_plan_get_git_remotes(BbPlan *self); /* of BbGitRemote */
GPtrArray *bb_plan_get_secret_refs(BbPlan *self); /* of BbSecretRef */
gboolean bb_plan_get_supervise(BbPlan *self);

G_END_DECLS
