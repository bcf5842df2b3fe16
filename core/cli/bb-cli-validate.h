/* Re-checking manifests after a command wrote or edited them. */
#pragma once

#include "bb-cli.h"

/* Loads and checks every manifest; prints the errors (and warnings) that
 * concern one of @paths and returns how many errors there were. Problems
 * in other files are not the caller's doing and are left to `check`. */
guint bb_cli_validate_files(BbCli *cli, const gchar *const *paths);
