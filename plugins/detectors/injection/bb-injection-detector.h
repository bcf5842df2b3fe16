#pragma once

#include "bb-detector.h"

G_BEGIN_DECLS

#define BB_TYPE_INJECTION_DETECTOR (bb_injection_detector_get_type())
G_DECLARE_FINAL_TYPE(BbInjectionDetector, bb_injection_detector, BB, INJECTION_DETECTOR, GObject)

G_END_DECLS
