/* common.c - what every subcommand shares: -c/-q handling and config loading. */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_common_opt(struct cli *cli, int opt, const char *arg)
{
    if (opt == 'c') {
        cli->config_path = arg;
        return 1;
    }
    if (opt == 'q') {
        cli->quiet = 1;
        return 1;
    }
    return 0;
}

struct config *cmd_load_config(const struct cli *cli)
{
    struct config *cfg = NULL;
    struct sl_error err = {0};
    if (config_load(cli->config_path, &cfg, &err) != 0) {
        fprintf(stderr, "sluice: config error: %s\n", err.msg);
        return NULL;
    }
    return cfg;
}
