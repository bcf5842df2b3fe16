#pragma once

#include "bb-detector.h"

G_BEGIN_DECLS

#define BB_TYPE_TOKEN_PATTERNS_DETECTOR (bb_token_patterns_detector_get_type())
G_DECLARE_FINAL_TYPE(BbTokenPatternsDetector, bb_token_patterns_detector, BB,
                     TOKEN_PATTERNS_DETECTOR, GObject)

G_END_DECLS
