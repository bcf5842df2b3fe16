/* `bot-bottle scan [--json] [--bottle NAME] [FILE…|-]`: the outbound
 * detectors over files or stdin, as a pre-commit hook would run them.
 * Exit 0: clean; 1: findings; 2: error (nothing was judged clean). */
#pragma once

#include "bb-plan.h"
#include "bb-registry.h"

G_BEGIN_DECLS

/* @argv[0] is the command name. @plan (may be NULL) is the bottle named by
 * --bottle, already resolved by the caller: its secret references are
 * read from the host environment and searched for as known secrets.
 * Findings go to stdout, diagnostics to stderr; no secret is printed. */
gint bb_scan_cli_run(BbRegistry *registry, BbPlan *plan, gint argc, gchar **argv);

G_END_DECLS
