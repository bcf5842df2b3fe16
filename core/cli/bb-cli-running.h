/* Bottles that exist now, across every backend that can run here: for
 * list, commit and cleanup. */
#pragma once

#include "bb-backend.h"
#include "bb-cli.h"

G_BEGIN_DECLS

typedef struct {
    gchar *name;
    BbBackend *backend; /* NULL when unavailable */
    gchar *problem;     /* why it is unavailable */
} BbCliBackend;

void bb_cli_backend_free(BbCliBackend *entry);

/* Every registered backend, available or not (highest priority first). */
GPtrArray *bb_cli_backends(BbCli *cli, GError **error);
/* The bottles of every available backend (of BbBottleInfo), sorted by slug. */
GPtrArray *bb_cli_running_bottles(GPtrArray *backends, GError **error);
/* The backend running bottle @slug, and its info in @info. */
BbBackend *bb_cli_backend_of(GPtrArray *backends, const gchar *slug, BbBottleInfo **info,
                             GError **error);

G_END_DECLS
