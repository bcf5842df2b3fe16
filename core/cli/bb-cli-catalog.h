/* Loading the manifest catalog the way every command does: home config
 * plus the repo around the working directory. */
#pragma once

#include "bb-catalog.h"
#include "bb-cli.h"

/* Prints I/O errors itself and returns NULL on failure. */
BbCatalog *bb_cli_load_catalog(BbCli *cli);
