#include "bb-error.h"

G_DEFINE_QUARK(bot - bottle - error - quark, bb_error)
