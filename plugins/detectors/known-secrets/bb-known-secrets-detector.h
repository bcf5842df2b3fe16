#pragma once

#include "bb-detector.h"

G_BEGIN_DECLS

#define BB_TYPE_KNOWN_SECRETS_DETECTOR (bb_known_secrets_detector_get_type())
G_DECLARE_FINAL_TYPE(BbKnownSecretsDetector, bb_known_secrets_detector, BB, KNOWN_SECRETS_DETECTOR,
                     GObject)

G_END_DECLS
