/* once.c - `sluice once`: recover what a crash left, then process every file present in
 * the input folder, oldest first, and exit with a code that says whether any failed. */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/files.h"
#include "core/fs.h"
#include "core/log.h"
#include "pipeline/pipeline.h"

static const char once_help[] =
    "usage: sluice [-c FILE] once [-q]\n"
    "\n"
    "Processes every *.csv file present in paths.incoming, oldest first, then exits.\n"
    "Each file is claimed (moved into paths.work), validated against the contract, and\n"
    "loaded into SQLite in one transaction with its rejects and its ledger row; then it\n"
    "moves to paths.processed (ok, partial, duplicate) or paths.failed (failed, with\n"
    "NAME.error.json).  Rejected rows go to the table <table>_rejects and to\n"
    "paths.failed/NAME.rejects.csv.  Names starting with '.' or ending in .tmp, .part or\n"
    ".crdownload are never taken: deliver files by writing elsewhere, then renaming in.\n"
    "\n"
    "Before taking new files, files a crash left in paths.work are finished (if their\n"
    "commit happened) or put back in paths.incoming (if it did not).\n"
    "\n"
    "exit: 0 every file ok/partial/duplicate, 1 any failed (or an error), 78 config error\n";

int cmd_once(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
        if (cmd_common_opt(cli, opt, optarg)) {
            continue;
        }
        if (opt == 'h') {
            fputs(once_help, stdout);
            return EXIT_OK;
        }
        fputs(once_help, stderr);
        return EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "sluice once: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    struct config *cfg = cmd_load_config(cli);
    if (cfg == NULL) {
        return EXIT_CONFIG;
    }
    int code = EXIT_OK;
    struct sl_error err = {0};
    struct pipeline *p = NULL;
    struct fs_entry *files = NULL;
    size_t nfiles = 0;
    uint64_t counts[5] = {0};
    files_set_quiet(cli->quiet);
    if (log_open(cfg->log_path, cfg->log_level, &err) != 0) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        code = err.code == SL_ECONFIG ? EXIT_CONFIG : EXIT_FAILED;
        goto out;
    }
    if (pipeline_create(cfg, 0, &p, &err) != 0) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        code = err.code == SL_ECONFIG ? EXIT_CONFIG : EXIT_FAILED;
        goto out;
    }
    if (pipeline_recover(p, &err) != 0 ||
        fs_list(cfg->incoming, files_accept, files_report_skip, &files, &nfiles, &err) != 0) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        code = EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < nfiles; i++) {
        struct file_result r;
        sl_error_clear(&err);
        if (pipeline_process(p, files[i].name, &r, &err) != 0) {
            files_print_error(files[i].name, &err, cfg->incoming);
            code = EXIT_FAILED;
            continue;
        }
        counts[r.status]++;
        if (r.status == FILE_SKIPPED) {
            continue;
        }
        if (!cli->quiet) {
            files_print_result(files[i].name, &r);
        }
        if (r.status == FILE_FAILED) {
            code = EXIT_FAILED;
        }
    }
    if (!cli->quiet) {
        fprintf(stderr, "sluice once: %zu file(s): %llu ok, %llu partial, %llu duplicate, %llu "
                        "failed\n",
                nfiles, (unsigned long long)counts[FILE_OK],
                (unsigned long long)counts[FILE_PARTIAL],
                (unsigned long long)counts[FILE_DUPLICATE],
                (unsigned long long)counts[FILE_FAILED]);
    }
out:
    fs_entries_free(files, nfiles);
    pipeline_destroy(p);
    log_close();
    config_destroy(cfg);
    return code;
}
