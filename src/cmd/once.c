/* once.c - `sluice once`: recover what a crash left, then process every file present in
 * the input folder, oldest first, and exit with a code that says whether any failed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

#include "cmd/cmd.h"
#include "cmd/files.h"
#include "core/backoff.h"
#include "core/fs.h"
#include "core/log.h"
#include "pipeline/pipeline.h"

static const char once_help[] =
    "usage: sluice [-c FILE] once [-q]\n"
    "\n"
    "Processes every file present in paths.incoming whose name matches watch.patterns\n"
    "(default *.csv), oldest first, then exits.  `workers` threads (default one per CPU)\n"
    "claim and parse the next files while one commits; small files share a commit.\n"
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

struct once_state {
    const struct cli *cli;
    uint64_t *counts;
    int *code;
    const char *incoming;
    const char **again; /* transient failures of this round, tried again after a backoff */
    size_t nagain;
    int last;           /* the last attempt: a transient failure is final */
};

static int once_done(void *ctx, const char *name, int rc, const struct file_result *r,
                     const struct sl_error *err)
{
    struct once_state *st = ctx;
    if (rc != 0 && r->committed) {
        files_print_committed_error(name, err); /* recovery finishes it */
        *st->code = EXIT_FAILED;
        return 0;
    }
    if (rc != 0 && !st->last && sl_errclass(rc) == 'T') {
        struct log_line l;
        log_begin(&l, LOG_WARN, "retry_scheduled");
        log_str(&l, "file", name);
        log_str(&l, "error_code", sl_errname(rc));
        log_str(&l, "error_class", sl_errclass_name(rc));
        log_str(&l, "error", err->msg);
        log_end(&l);
        st->again[st->nagain++] = name;
        return 0;
    }
    if (rc != 0) {
        files_print_error(name, err, st->incoming);
        *st->code = EXIT_FAILED;
        return 0;
    }
    st->counts[r->status]++;
    if (r->status != FILE_SKIPPED && !st->cli->quiet) {
        files_print_result(name, r);
    }
    if (r->status == FILE_FAILED) {
        *st->code = EXIT_FAILED;
    }
    return 0;
}

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
    const char **names = NULL;
    const char **again = NULL;
    files_set_quiet(cli->quiet);
    files_set_patterns(cfg);
    if (log_open(cfg->log_path, cfg->log_level, &err) != 0) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        code = err.code == SL_ECONFIG ? EXIT_CONFIG : EXIT_FAILED;
        goto out;
    }
    if ((cfg->sqlite_enabled && fs_ensure_private_file(cfg->sqlite_path, &err) != 0) ||
        pipeline_create(cfg, 0, &p, &err) != 0) {
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
    names = calloc(nfiles > 0 ? nfiles : 1, sizeof(*names));
    if (names == NULL) {
        fprintf(stderr, "sluice: out of memory\n");
        code = EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < nfiles; i++) {
        names[i] = files[i].name;
    }
    again = calloc(nfiles > 0 ? nfiles : 1, sizeof(*again));
    if (again == NULL) {
        fprintf(stderr, "sluice: out of memory\n");
        code = EXIT_FAILED;
        goto out;
    }
    /* Transient failures (database locked, disk full) are tried again after the other files,
     * with retry.* backoff; after retry.max_attempts they stay in incoming (exit 1). */
    struct once_state st = {cli, counts, &code, cfg->incoming, again, 0, 0};
    size_t nlist = nfiles;
    uint64_t rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
    for (unsigned attempt = 1;; attempt++) {
        st.nagain = 0;
        st.last = attempt >= cfg->retry_max_attempts;
        if (pipeline_process_many(p, names, nlist, once_done, &st) != 0) {
            fprintf(stderr, "sluice: out of memory starting the pipeline\n");
            code = EXIT_FAILED;
            goto out;
        }
        if (st.nagain == 0) {
            break;
        }
        int64_t ms = backoff_delay_ms(cfg, attempt, &rng);
        if (!cli->quiet) {
            fprintf(stderr, "sluice once: %zu file(s) hit a transient error; attempt %u of %zu "
                            "in %lld ms\n",
                    st.nagain, attempt + 1, cfg->retry_max_attempts, (long long)ms);
        }
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        memcpy(names, again, st.nagain * sizeof(*names));
        nlist = st.nagain;
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
    free(again);
    free(names);
    fs_entries_free(files, nfiles);
    pipeline_destroy(p);
    log_close();
    config_destroy(cfg);
    return code;
}
