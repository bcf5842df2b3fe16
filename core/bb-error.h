/* The one error domain every bot-bottle function reports through. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BB_ERROR (bb_error_quark())

/**
 * BbError:
 * @BB_ERROR_FAILED: generic failure with a message that says what to do
 * @BB_ERROR_NOT_SUPPORTED: an interface slot the implementation leaves empty
 * @BB_ERROR_NOT_FOUND: a named agent, bottle, plugin or file does not exist
 * @BB_ERROR_INVALID_MANIFEST: a manifest failed to parse or validate
 * @BB_ERROR_PLUGIN: a plugin could not be loaded or registered
 * @BB_ERROR_PERMISSION: a file fails an ownership or mode check
 * @BB_ERROR_UNAVAILABLE: a runtime component (engine, binary) is missing
 * @BB_ERROR_POLICY: a request or action was refused by policy
 * @BB_ERROR_SECRET: a secret the plan references is not set on the host
 *
 * Since: 0.1
 */
typedef enum {
    BB_ERROR_FAILED,
    BB_ERROR_NOT_SUPPORTED,
    BB_ERROR_NOT_FOUND,
    BB_ERROR_INVALID_MANIFEST,
    BB_ERROR_PLUGIN,
    BB_ERROR_PERMISSION,
    BB_ERROR_UNAVAILABLE,
    BB_ERROR_POLICY,
    BB_ERROR_SECRET,
} BbError;

GQuark bb_error_quark(void);

G_END_DECLS
