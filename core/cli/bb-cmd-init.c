/* bot-bottle init: write a working base bottle and an agent that uses it,
 * interactively or from flags. Existing files are never overwritten
 * without --force, and if the result does not validate, every file init
 * wrote is removed again. */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "bb-agent-provider.h"
#include "bb-cli-prompt.h"
#include "bb-cli-validate.h"
#include "bb-cmd.h"
#include "bb-paths.h"

typedef struct {
    gchar *provider;
    gchar *agent;
    gchar *auth_token;
    gboolean force;
    gboolean non_interactive;
} InitOptions;

static void
init_options_clear(InitOptions *opts)
{
    g_free(opts->provider);
    g_free(opts->agent);
    g_free(opts->auth_token);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(InitOptions, init_options_clear)

static gboolean
is_valid_name(const gchar *name)
{
    return g_regex_match_simple("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", name, 0, 0);
}

static gboolean
is_valid_env_name(const gchar *name)
{
    return g_regex_match_simple("^[A-Za-z_][A-Za-z0-9_]{0,127}$", name, 0, 0);
}

static void
ask_missing(InitOptions *opts)
{
    if (opts->provider == NULL)
        opts->provider = bb_cli_ask("Agent provider (claude, codex, shell)", "claude");
    if (opts->agent == NULL)
        opts->agent = bb_cli_ask("Agent name", "assistant");
}

/* The base bottle: the provider's default from the data dir, with the
 * auth_token value swapped when the user names another env var. */
static gchar *
base_bottle_text(const InitOptions *opts, GError **error)
{
    g_autofree gchar *path = bb_data_path("bottles", opts->provider, NULL);
    g_autofree gchar *file = g_strconcat(path, ".md", NULL);
    g_autofree gchar *text = NULL;
    g_autofree gchar *replacement = NULL;
    g_autoptr(GRegex) token_line = NULL;

    if (!g_file_test(file, G_FILE_TEST_IS_REGULAR))
        /* A contrib provider without a default bottle gets a bare one. */
        return g_strdup_printf("---\nagent_provider:\n  template: %s\n---\n", opts->provider);
    if (!g_file_get_contents(file, &text, NULL, error))
        return NULL;
    if (opts->auth_token == NULL)
        return g_steal_pointer(&text);
    /* The name was checked to be [A-Za-z0-9_]: safe in a replacement. */
    replacement = g_strconcat("\\1", opts->auth_token, NULL);
    token_line = g_regex_new("^(  auth_token: ).*$", G_REGEX_MULTILINE, 0, NULL);
    return g_regex_replace(token_line, text, -1, 0, replacement, 0, error);
}

/* Writes @path unless it exists (and !force); records what it created. */
static gboolean
write_new_file(const gchar *path, const gchar *text, gboolean force, GPtrArray *written,
               gboolean *kept, GError **error)
{
    g_autofree gchar *dir = g_path_get_dirname(path);
    *kept = FALSE;
    if (g_file_test(path, G_FILE_TEST_EXISTS) && !force) {
        *kept = TRUE;
        return TRUE;
    }
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                    dir, g_strerror(errno));
        return FALSE;
    }
    if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return FALSE;
    g_ptr_array_add(written, g_strdup(path));
    return TRUE;
}

static void
remove_written(GPtrArray *written)
{
    for (guint i = 0; i < written->len; i++)
        g_unlink(g_ptr_array_index(written, i));
}

static gboolean
check_options(BbCli *cli, const InitOptions *opts)
{
    g_autoptr(GError) error = NULL;
    BbRegistry *registry = bb_cli_get_registry(cli, &error);

    if (registry == NULL) {
        bb_cli_error(cli, "%s", error->message);
        return FALSE;
    }
    if (!is_valid_name(opts->provider) ||
        bb_registry_lookup(registry, BB_TYPE_AGENT_PROVIDER, opts->provider) == NULL) {
        bb_cli_error(cli, "no agent provider named '%s'; 'bot-bottle plugins' lists them",
                     opts->provider);
        return FALSE;
    }
    if (!is_valid_name(opts->agent)) {
        bb_cli_error(cli, "'%s' is not a valid agent name; use letters, digits, '.', '_' and '-'",
                     opts->agent);
        return FALSE;
    }
    if (opts->auth_token != NULL && !is_valid_env_name(opts->auth_token)) {
        bb_cli_error(cli, "'%s' is not an environment variable name", opts->auth_token);
        return FALSE;
    }
    return TRUE;
}

static void
print_next_steps(const InitOptions *opts, const gchar *bottle_text)
{
    g_autoptr(GMatchInfo) match = NULL;
    g_autoptr(GRegex) token_line = g_regex_new("^  auth_token: (\\S+)", G_REGEX_MULTILINE, 0, NULL);

    printf("\nNext:\n");
    if (g_regex_match(token_line, bottle_text, 0, &match)) {
        g_autofree gchar *env = g_match_info_fetch(match, 1);
        printf("  export %s=…   # the credential the proxy injects; the agent never sees it\n",
               env);
    }
    printf("  bot-bottle info %s    # what the bottle allows\n", opts->agent);
    printf("  bot-bottle start %s   # run it\n", opts->agent);
}

/* Writes the bottle (unless one exists) and the agent, then validates
 * both; on any failure every file written here is removed again. */
static gint
write_and_validate(BbCli *cli, const InitOptions *opts)
{
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *bottle_text = base_bottle_text(opts, &error);
    g_autofree gchar *bottle_path =
        g_strdup_printf("%s/bottles/%s.md", cli->config_dir, opts->provider);
    g_autofree gchar *agent_path = g_strdup_printf("%s/agents/%s.md", cli->config_dir, opts->agent);
    g_autofree gchar *agent_text = g_strdup_printf(
        "---\nbottle: %s\n---\nYou are %s. Describe the task here.\n", opts->provider, opts->agent);
    const gchar *const paths[] = {bottle_path, agent_path, NULL};
    gboolean kept_bottle = FALSE, kept_agent = FALSE;

    if (bottle_text == NULL ||
        !write_new_file(bottle_path, bottle_text, opts->force, written, &kept_bottle, &error) ||
        !write_new_file(agent_path, agent_text, opts->force, written, &kept_agent, &error)) {
        remove_written(written);
        bb_cli_error(cli, "%s", error->message);
        return BB_EXIT_FAILURE;
    }
    if (kept_agent) {
        remove_written(written);
        bb_cli_error(cli, "%s exists; pick another --agent name or pass --force", agent_path);
        return BB_EXIT_FAILURE;
    }
    if (bb_cli_validate_files(cli, paths) > 0) {
        remove_written(written);
        bb_cli_error(cli, "the result does not validate, so nothing was written; fix the "
                          "errors above (or pass --force to replace an old bottle)");
        return BB_EXIT_FAILURE;
    }
    printf("%s %s\n", kept_bottle ? "kept   " : "wrote  ", bottle_path);
    printf("wrote   %s\n", agent_path);
    print_next_steps(opts, bottle_text);
    return BB_EXIT_OK;
}

gint
bb_cmd_init(BbCli *cli, gint argc, gchar **argv)
{
    g_auto(InitOptions) opts = {0};
    const GOptionEntry entries[] = {
        {"provider", 0, 0, G_OPTION_ARG_STRING, &opts.provider,
         "Agent provider: claude, codex, shell or a contrib provider", "NAME"},
        {"agent", 0, 0, G_OPTION_ARG_STRING, &opts.agent, "Name of the agent to create", "NAME"},
        {"auth-token", 0, 0, G_OPTION_ARG_STRING, &opts.auth_token,
         "Host env var holding the provider's credential", "ENV"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &opts.force, "Overwrite existing files", NULL},
        {"non-interactive", 0, 0, G_OPTION_ARG_NONE, &opts.non_interactive,
         "Never prompt; use flags and defaults", NULL},
        {NULL},
    };

    if (!bb_cli_parse_options(cli, &argc, &argv, "",
                              "Write a base bottle for a provider (~/.bot-bottle/bottles/"
                              "PROVIDER.md) and an agent that uses it.\nAsks for what the flags "
                              "do not say when run on a terminal. Existing files are kept unless "
                              "--force.",
                              entries))
        return BB_EXIT_USAGE;
    if (!opts.non_interactive && bb_cli_is_interactive())
        ask_missing(&opts);
    if (opts.provider == NULL)
        opts.provider = g_strdup("claude");
    if (opts.agent == NULL)
        opts.agent = g_strdup("assistant");
    if (!check_options(cli, &opts))
        return BB_EXIT_USAGE;
    return write_and_validate(cli, &opts);
}
