/* Showing a resolved plan to people (text) and scripts (JSON). Secret
 * references appear as their env-var name and whether it is set on this
 * host — never their value. */
#pragma once

#include "bb-cli.h"
#include "bb-plan.h"

JsonNode *bb_plan_to_json(BbPlan *plan);
void bb_plan_print_text(BbCli *cli, BbPlan *plan);
