#include <stdio.h>
#include <unistd.h>

#include "bb-cli-prompt.h"

gboolean
bb_cli_is_interactive(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

static gchar *
read_line(void)
{
    gchar buffer[512];
    if (fgets(buffer, sizeof buffer, stdin) == NULL)
        return NULL;
    return g_strstrip(g_strdup(buffer));
}

gchar *
bb_cli_ask(const gchar *question, const gchar *default_answer)
{
    g_autofree gchar *line = NULL;
    printf("%s [%s]: ", question, default_answer);
    fflush(stdout);
    line = read_line();
    if (line == NULL || line[0] == '\0')
        return g_strdup(default_answer);
    return g_steal_pointer(&line);
}

gboolean
bb_cli_confirm(const gchar *question, gboolean default_yes)
{
    g_autofree gchar *line = NULL;
    printf("%s [%s] ", question, default_yes ? "Y/n" : "y/N");
    fflush(stdout);
    line = read_line();
    if (line == NULL || line[0] == '\0')
        return default_yes;
    return line[0] == 'y' || line[0] == 'Y';
}
