/* cmd.h - the subcommands and what they share: option parsing of -c/-q/-h and config
 * loading with the documented exit codes. */
#ifndef SL_CMD_H
#define SL_CMD_H

#include "core/config.h"

#define EXIT_OK 0
#define EXIT_FAILED 1 /* some file failed, or a runtime error */
#define EXIT_USAGE 2
#define EXIT_CONFIG 78 /* EX_CONFIG */

struct cli {
    const char *config_path; /* -c FILE, or NULL */
    int quiet;               /* -q: no per-file lines on stderr */
};

int cmd_once(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_gen(struct cli *cli, int argc, char **argv);
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_retry(struct cli *cli, int argc, char **argv);

/* Loads the config named by cli (or the default resolution); prints the error and returns
 * NULL on failure (the caller exits EXIT_CONFIG). */
struct config *cmd_load_config(const struct cli *cli);

/* Common option handling: returns 1 if opt was -c/-q (consumed), 0 otherwise. */
int cmd_common_opt(struct cli *cli, int opt, const char *arg);

#endif
