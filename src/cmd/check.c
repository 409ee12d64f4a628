/* check.c - `sluice check FILE...`: the same reader and validator as `once`, but nothing is
 * written or moved; a report per file on stdout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "pipeline/pipeline.h"

static const char check_help[] =
    "usage: sluice [-c FILE] check [--max-errors N] FILE.csv...\n"
    "\n"
    "Validates each file against the contract (types, constraints, rules, derived columns,\n"
    "uniqueness within the file) and prints a report: rows, valid, rejected, the first N\n"
    "rejected rows (line, column, rule, message) and the verdict `once` would reach.\n"
    "Writes nothing: no database, no moves, no log.  Primary keys already in the database\n"
    "are not looked up.\n"
    "\n"
    "  --max-errors N   rejected rows to print per file (default 20)\n"
    "\n"
    "exit: 0 every file would be ok/partial, 1 any would fail, 2 usage, 78 config error\n";

int cmd_check(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"max-errors", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    unsigned max_errors = 20;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:qm:h", opts, NULL)) != -1) {
        if (cmd_common_opt(cli, opt, optarg)) {
            continue;
        }
        if (opt == 'm') {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end != '\0' || end == optarg || v > 1000000) {
                fprintf(stderr, "sluice check: --max-errors wants a number, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            max_errors = (unsigned)v;
            continue;
        }
        if (opt == 'h') {
            fputs(check_help, stdout);
            return EXIT_OK;
        }
        fputs(check_help, stderr);
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fputs(check_help, stderr);
        return EXIT_USAGE;
    }
    struct config *cfg = cmd_load_config(cli);
    if (cfg == NULL) {
        return EXIT_CONFIG;
    }
    struct sl_error err = {0};
    struct pipeline *p = NULL;
    int code = EXIT_OK;
    if (pipeline_create(cfg, 1, &p, &err) != 0) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        code = err.code == SL_ECONFIG ? EXIT_CONFIG : EXIT_FAILED;
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        struct file_result r;
        printf("%s\n", argv[i]);
        sl_error_clear(&err);
        if (pipeline_check(p, argv[i], max_errors, &r, &err) != 0) {
            printf("  error: %s\n", err.msg);
            code = EXIT_FAILED;
            continue;
        }
        if (r.rows_rejected > max_errors) {
            printf("  ... %llu more rejected rows\n",
                   (unsigned long long)(r.rows_rejected - max_errors));
        }
        printf("  rows: %llu, valid: %llu, rejected: %llu, blank lines: %llu\n",
               (unsigned long long)r.rows_total, (unsigned long long)r.rows_loaded,
               (unsigned long long)r.rows_rejected, (unsigned long long)r.blank_lines);
        if (r.status == FILE_FAILED) {
            printf("  verdict: failed: %s\n", r.error);
            code = EXIT_FAILED;
        } else {
            printf("  verdict: %s\n", file_status_name(r.status));
        }
    }
out:
    pipeline_destroy(p);
    config_destroy(cfg);
    return code;
}
