/* Default provisioning, used when a provider leaves a slot empty. */
#pragma once

#include "bb-agent-target.h"
#include "bb-plan.h"

G_BEGIN_DECLS

gboolean bb_agent_provision_default_git(BbPlan *plan, BbAgentTarget *target, GError **error);
gboolean bb_agent_provision_default_prompt(BbPlan *plan, BbAgentTarget *target, GError **error);
gboolean bb_agent_provision_default_skills(BbPlan *plan, BbAgentTarget *target, GError **error);

G_END_DECLS
