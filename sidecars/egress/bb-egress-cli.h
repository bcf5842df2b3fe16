/* `bot-bottle proxy <bottle> --listen ADDR:PORT [...]`: the sidecar's
 * engine on the host, serving a resolved plan's egress policy. */
#pragma once

#include "bb-plan.h"
#include "bb-registry.h"

G_BEGIN_DECLS

/* @argv[0] is the program name for messages; the options after it are
 * parsed here (the caller already resolved @plan from the name argument;
 * with @plan NULL only --help is useful). Returns a process exit code
 * (0 ok, 1 failure, 2 usage). */
gint bb_egress_cli_run(BbPlan *plan, BbRegistry *registry, gint argc, gchar **argv);

G_END_DECLS
