/* What the host remembers about a bottle after it is gone:
 * ~/.bot-bottle/state/<slug>.json with the agent, the backend and the
 * committed image `resume` boots from. */
#pragma once

#include "bb-cli.h"

G_BEGIN_DECLS

typedef struct {
    gchar *slug;
    gchar *agent;
    gchar *backend;
    gchar *image;     /* the committed image */
    gchar *committed; /* ISO 8601, UTC */
} BbBottleState;

void bb_bottle_state_free(BbBottleState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbBottleState, bb_bottle_state_free)

/* Checks @slug is a plain name (no path) before it names a file. */
gboolean bb_bottle_state_valid_slug(const gchar *slug);
gchar *bb_bottle_state_path(BbCli *cli, const gchar *slug);
gboolean bb_bottle_state_save(BbCli *cli, const BbBottleState *state, GError **error);
BbBottleState *bb_bottle_state_load(BbCli *cli, const gchar *slug, GError **error);

G_END_DECLS
