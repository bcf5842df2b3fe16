/* `bot-bottle proxy <bottle> --listen ADDR:PORT [...]`: the sidecar's
 * engine on the host, serving a resolved plan's egress policy. */
#pragma once

#include "bb-plan.h"
#include "bb-registry.h"

G_BEGIN_DECLS

/* @argv[0] is the command name; the remaining options are parsed here
 * (the caller already resolved @plan from the bottle argument). Returns
 * a process exit code (0 ok, 1 failure, 2 usage). */
gint bb_egress_cli_run(BbPlan *plan, BbRegistry *registry, gint argc, gchar **argv);

G_END_DECLS
