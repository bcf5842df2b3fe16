/* Asking the user a question on the terminal. */
#pragma once

#include <glib.h>

/* TRUE when stdin and stdout are terminals: prompts are allowed. */
gboolean bb_cli_is_interactive(void);
/* Prints @question with @default_answer in brackets and returns the
 * trimmed line read, or @default_answer for an empty line or EOF. */
gchar *bb_cli_ask(const gchar *question, const gchar *default_answer);
/* A y/n question; @default_yes decides an empty answer and EOF. */
gboolean bb_cli_confirm(const gchar *question, gboolean default_yes);
