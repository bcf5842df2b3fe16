/* One bottle's life as start, run and resume drive it: plan, backend and
 * secrets gathered before anything is created; a preflight; images;
 * launch; a command in the agent; teardown on exit and on signals. */
#pragma once

#include "bb-backend.h"
#include "bb-cli.h"
#include "bb-plan.h"

G_BEGIN_DECLS

/* The options start, run and resume share. */
typedef struct {
    gchar *backend;  /* --backend NAME, or NULL */
    gchar **resolve; /* --resolve HOST:PORT:ADDR, repeatable */
    gchar *upstream_ca;
    gboolean yes;
    gboolean no_secrets; /* warm: secrets arrive when a launch claims the bottle */
} BbBottleArgs;

void bb_bottle_args_clear(BbBottleArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BbBottleArgs, bb_bottle_args_clear)

/* --backend, --resolve and --upstream-ca (and --yes when @with_yes) bound
 * to @args, for bb_cli_parse_options. Free with g_free. */
GOptionEntry *bb_bottle_option_entries(BbBottleArgs *args, gboolean with_yes);

typedef struct _BbBottleSession BbBottleSession;

/* Resolves @agent, picks the backend and reads every secret the plan
 * references from the host environment. Nothing is created yet. Prints
 * the problem and returns NULL (with the exit code in @exit_code) when
 * any step fails; @backend_help prints the backends instead. */
BbBottleSession *bb_bottle_session_new(BbCli *cli, const gchar *agent, const BbBottleArgs *args,
                                       gint *exit_code);
void bb_bottle_session_free(BbBottleSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbBottleSession, bb_bottle_session_free)

/* Boot @image (a committed snapshot) instead of the plan's image. */
void bb_bottle_session_set_image(BbBottleSession *session, const gchar *image);

/* The summary (agent, bottle, provider, image, runtime, routes, secrets)
 * on stderr and, unless args->yes, a y/N question; refuses without a
 * terminal. TRUE to go on. */
gboolean bb_bottle_session_preflight(BbBottleSession *session);

/* Images (progress on stderr), then the bottle. Signals that arrive from
 * here on tear the bottle down. Prints errors itself. */
gboolean bb_bottle_session_launch(BbBottleSession *session);

/* The exit code after a failed step: 128 + the signal that stopped us,
 * else BB_EXIT_FAILURE. */
gint bb_bottle_session_failure_code(BbBottleSession *session);

/* Runs @argv (NULL: the provider's command) in the agent, with a TTY when
 * @interactive, until it ends or a signal tears the bottle down. Returns
 * the exit code to leave with. */
gint bb_bottle_session_exec(BbBottleSession *session, const gchar *const *argv,
                            gboolean interactive);

/* Images, then @count warm bottles kept for this agent (see `warm`). */
gboolean bb_bottle_session_warm(BbBottleSession *session, guint count, guint *made, guint *removed);
/* Removes the bottle; idempotent. */
void bb_bottle_session_teardown(BbBottleSession *session);

G_END_DECLS
