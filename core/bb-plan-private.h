/* Construction of a BbPlan. Only the resolver and tests build plans;
 * everyone else sees the read-only bb-plan.h. */
#pragma once

#include "bb-plan.h"

G_BEGIN_DECLS

BbPlan *bb_plan_new(void);

void bb_plan_set_agent(BbPlan *self, const gchar *name, const gchar *path, BbManifestOrigin origin);
void bb_plan_set_bottle(BbPlan *self, const gchar *name, const gchar *const *chain);
void bb_plan_set_provider(BbPlan *self, const gchar *provider, const gchar *dockerfile,
                          const gchar *auth_token_ref, gboolean forward_host_credentials);
void bb_plan_set_env(BbPlan *self, const gchar *name, const gchar *value);
/* Takes a reference on @route. */
void bb_plan_add_route(BbPlan *self, BbRoute *route);
void bb_plan_add_skill(BbPlan *self, const gchar *name, const gchar *path);
void bb_plan_set_prompt(BbPlan *self, const gchar *prompt);
void bb_plan_set_git_user(BbPlan *self, const gchar *name, const gchar *email);
void bb_plan_add_git_remote(BbPlan *self, const BbGitRemote *remote);
/* Adds the reference unless @env_name is already listed. */
void bb_plan_add_secret_ref(BbPlan *self, const gchar *env_name, const gchar *used_by);
void bb_plan_set_supervise(BbPlan *self, gboolean supervise);
/* After sealing, every setter is a programmer error. */
void bb_plan_seal(BbPlan *self);

void bb_skill_free(BbSkill *skill);
void bb_git_remote_free(BbGitRemote *remote);
void bb_secret_ref_free(BbSecretRef *ref);

G_END_DECLS
