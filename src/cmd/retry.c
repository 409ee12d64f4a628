/* retry.c - `sluice retry`: puts failed inputs back into paths.incoming so that they are
 * processed again (after the contract or the data was fixed, or after a transient failure
 * ran out of attempts).  Their ledger history stays; their reports stay in paths.failed. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/files.h"
#include "core/fs.h"
#include "core/log.h"

static const char retry_help[] =
    "usage: sluice [-c FILE] retry NAME... | --all\n"
    "\n"
    "Moves failed inputs from paths.failed back into paths.incoming, where `sluice run`\n"
    "picks them up at once (or the next `sluice once`).  NAME is a file name in paths.failed\n"
    "(as `sluice status` and the failed/ listing show it).  --all takes every failed input\n"
    "(the .error.json and .rejects.csv reports are not inputs and stay where they are).\n"
    "A name already taken in paths.incoming gets a .N suffix; nothing is overwritten.\n"
    "The ledger keeps the earlier failure; the new attempt adds its own row.\n"
    "\n"
    "exit: 0 all moved, 1 a name was not found or could not be moved, 2 usage\n";

static int is_report(const char *name)
{
    static const char *const sfx[] = {".error.json", ".rejects.csv"};
    size_t n = strlen(name);
    for (size_t i = 0; i < 2; i++) {
        size_t m = strlen(sfx[i]);
        if (n > m && strcmp(name + n - m, sfx[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int not_report(const char *name)
{
    return !is_report(name);
}

static int move_back(const struct config *cfg, const char *name, int quiet)
{
    char src[PATH_MAX], final[PATH_MAX];
    struct sl_error err = {0};
    if (strchr(name, '/') != NULL || name[0] == '.' || is_report(name) ||
        fs_join(src, sizeof(src), cfg->failed, name) != 0 || !fs_exists(src)) {
        fprintf(stderr, "sluice retry: %s: no such failed input in %s\n", name, cfg->failed);
        return EXIT_FAILED;
    }
    if (fs_move_unique(src, cfg->incoming, name, final, sizeof(final), &err) != 0) {
        fprintf(stderr, "sluice retry: %s: %s\n", name, err.msg);
        return EXIT_FAILED;
    }
    struct log_line l;
    log_begin(&l, LOG_INFO, "file_retried");
    log_str(&l, "file", name);
    log_str(&l, "incoming_as", final);
    log_end(&l);
    if (!quiet) {
        fprintf(stderr, "retry     %s -> %s/%s\n", name, cfg->incoming, final);
    }
    return EXIT_OK;
}

int cmd_retry(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int all = 0, opt, code = EXIT_OK;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "ac:qh", opts, NULL)) != -1) {
        if (opt == 'a') {
            all = 1;
        } else if (opt == 'h') {
            fputs(retry_help, stdout);
            return EXIT_OK;
        } else if (!cmd_common_opt(cli, opt, optarg)) {
            fputs(retry_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (all == (optind < argc)) {
        fputs(retry_help, stderr);
        return EXIT_USAGE;
    }
    struct config *cfg = cmd_load_config(cli);
    if (cfg == NULL) {
        return EXIT_CONFIG;
    }
    struct sl_error err = {0};
    if (log_open(cfg->log_path, cfg->log_level, &err) != 0 ||
        fs_mkdir_p(cfg->incoming, &err) != 0) {
        fprintf(stderr, "sluice retry: %s\n", err.msg);
        config_destroy(cfg);
        return EXIT_FAILED;
    }
    if (all) {
        struct fs_entry *e = NULL;
        size_t n = 0;
        if (fs_list(cfg->failed, not_report, NULL, &e, &n, &err) != 0) {
            fprintf(stderr, "sluice retry: %s\n", err.msg);
            code = EXIT_FAILED;
        }
        for (size_t i = 0; i < n; i++) {
            if (move_back(cfg, e[i].name, cli->quiet) != EXIT_OK) {
                code = EXIT_FAILED;
            }
        }
        if (!cli->quiet && code == EXIT_OK) {
            fprintf(stderr, "sluice retry: %zu file(s) back in %s\n", n, cfg->incoming);
        }
        fs_entries_free(e, n);
    } else {
        for (int i = optind; i < argc; i++) {
            if (move_back(cfg, argv[i], cli->quiet) != EXIT_OK) {
                code = EXIT_FAILED;
            }
        }
    }
    log_close();
    config_destroy(cfg);
    return code;
}
