/* Running the built bot-bottle binary in an isolated $HOME. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

typedef struct {
    gint status;
    gchar *out;
    gchar *err;
} CliResult;

void cli_result_free(CliResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliResult, cli_result_free)

/* The isolated home of the running test case (created on first use). */
const gchar *cli_home(void);
/* Runs the CLI with @args in @cwd (NULL: the home) with HOME set to the
 * isolated home and NO_COLOR on; @extra_env is NAME, VALUE, ... NULL. */
CliResult *run_cli_env(const gchar *cwd, const gchar *const *extra_env, const gchar *const *args);
CliResult *run_cli(const gchar *const *args);

void write_file(const gchar *path, const gchar *contents);
/* A path under ~/.bot-bottle. */
gchar *config_path(const gchar *relative);
void write_config(const gchar *relative, const gchar *contents);
/* A shell bottle `dev` with one authenticated route and an agent `helper`. */
void write_good_manifests(void);
JsonNode *parse_json(const gchar *text);
