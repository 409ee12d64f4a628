/* once.c - `sluice once`: recover what a crash left, then process every file present in
 * the input folder, oldest first, and exit with a code that says whether any failed. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
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

int once_accept(const char *name);
int once_accept(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.' || n < 5) {
        return 0;
    }
    static const char *const skip[] = {".tmp", ".part", ".crdownload"};
    for (size_t i = 0; i < 3; i++) {
        size_t m = strlen(skip[i]);
        if (n >= m && strcasecmp(name + n - m, skip[i]) == 0) {
            return 0;
        }
    }
    return strcasecmp(name + n - 4, ".csv") == 0;
}

static int quiet_skips;

/* A file name for a terminal line: control bytes (a newline in a name, an escape sequence)
 * become '?', so one file is always one line.  The JSON log keeps the exact name. */
static const char *shown(const char *name, char *buf, size_t cap)
{
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)name[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[i] = '\0';
    return buf;
}

static void report_skip(const char *name, const char *why)
{
    char buf[NAME_MAX + 1];
    struct log_line l;
    log_begin(&l, LOG_WARN, "file_skipped");
    log_str(&l, "file", name);
    log_str(&l, "reason", why);
    log_end(&l);
    if (!quiet_skips) {
        fprintf(stderr, "%-9s %s: not a regular file (%s); left where it is, never opened\n",
                "skipped", shown(name, buf, sizeof(buf)), why);
    }
}

static void print_line(const char *raw_name, const struct file_result *r)
{
    char buf[NAME_MAX + 1];
    const char *name = shown(raw_name, buf, sizeof(buf));
    if (r->status == FILE_FAILED) {
        fprintf(stderr, "%-9s %s: %s\n", "FAILED", name, r->error);
        return;
    }
    if (r->status == FILE_DUPLICATE) {
        fprintf(stderr, "%-9s %s: same content as an already loaded file; nothing loaded\n",
                "duplicate", name);
        return;
    }
    fprintf(stderr,
            "%-9s %s: %llu rows, %llu loaded, %llu rejected, %llu duplicate key (%.1f ms)\n",
            file_status_name(r->status), name, (unsigned long long)r->rows_total,
            (unsigned long long)r->rows_loaded, (unsigned long long)r->rows_rejected,
            (unsigned long long)r->rows_duplicate_key, r->duration_ms);
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
    quiet_skips = cli->quiet;
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
        fs_list(cfg->incoming, once_accept, report_skip, &files, &nfiles, &err) != 0) {
        fprintf(stderr, "sluice: %s\n", err.msg);
        code = EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < nfiles; i++) {
        struct file_result r;
        sl_error_clear(&err);
        if (pipeline_process(p, files[i].name, &r, &err) != 0) {
            char buf[NAME_MAX + 1];
            fprintf(stderr, "%-9s %s: %s (%s; the file was left in %s)\n", "ERROR",
                    shown(files[i].name, buf, sizeof(buf)), err.msg, sl_errclass_name(err.code), cfg->incoming);
            code = EXIT_FAILED;
            continue;
        }
        counts[r.status]++;
        if (r.status == FILE_SKIPPED) {
            continue;
        }
        if (!cli->quiet) {
            print_line(files[i].name, &r);
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
