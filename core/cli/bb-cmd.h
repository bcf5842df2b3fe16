/* Every command's entry point; one bb-cmd-<name>.c each. */
#pragma once

#include "bb-cli.h"

gint bb_cmd_cleanup(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_warm(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_commit(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_check(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_demo(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_doctor(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_edit(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_init(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_info(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_list(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_plugins(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_proxy(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_resume(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_run(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_scan(BbCli *cli, gint argc, gchar **argv);
gint bb_cmd_start(BbCli *cli, gint argc, gchar **argv);
