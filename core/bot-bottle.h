/* bot-bottle: the one header plugin authors include. */
#pragma once

#define __BOT_BOTTLE_H_INSIDE__

#include "bb-version.h"
#include "bb-error.h"
#include "bb-paths.h"
#include "bb-route.h"
#include "bb-plan.h"
#include "bb-agent-target.h"
#include "bb-auth-scheme.h"
#include "bb-detector.h"
#include "bb-dlp-evidence.h"
#include "bb-backend.h"
#include "bb-agent-provider.h"
#include "bb-dockerfile.h"
#include "bb-plugin.h"
#include "bb-registry.h"

#undef __BOT_BOTTLE_H_INSIDE__
