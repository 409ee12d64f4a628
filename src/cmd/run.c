/* run.c - `sluice run`: the daemon's command line.  Parses --poll, --interval,
 * --max-iterations, loads the config and hands over to daemon_run (src/daemon/loop.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/duration.h"
#include "core/fs.h"
#include "daemon/loop.h"

static const char run_help[] =
    "usage: sluice [-c FILE] run [--poll] [--interval DURATION] [--max-iterations N] [-q]\n"
    "                            [--allow-root]\n"
    "\n"
    "Runs as a daemon: watches paths.incoming and processes each file matching\n"
    "watch.patterns (default *.csv) as soon as it\n"
    "is complete, exactly as `sluice once` does (claim, validate, load in one transaction,\n"
    "archive).  On start it first finishes or undoes what a crash left in paths.work, then\n"
    "takes the files already present, oldest first.\n"
    "\n"
    "Modes:\n"
    "  inotify (default)  a file is taken when it is closed after writing or renamed in;\n"
    "                     a full rescan every watch.rescan (30s) is the safety net, and an\n"
    "                     event-queue overflow triggers one at once.\n"
    "  polling            with --poll, or automatically when inotify cannot work (the folder\n"
    "                     is on NFS, SMB/CIFS or FUSE; no inotify watches left): the folder\n"
    "                     is scanned every watch.poll_interval (1s).  A scanned file is taken\n"
    "                     only once its size and mtime have not changed for watch.settle (1s).\n"
    "\n"
    "Delivering files safely: write the file elsewhere on the same filesystem, or under a\n"
    "name sluice ignores (starting with '.', or ending in .tmp, .part or .crdownload), then\n"
    "rename it to its final NAME.csv in paths.incoming.  A rename is atomic: sluice never\n"
    "sees half a file.  Only regular files are taken (no symlinks, FIFOs, folders).\n"
    "\n"
    "SIGINT/SIGTERM: no new file is taken; claimed small files are committed and a big file\n"
    "being loaded is abandoned between two batches (rolled back, put back in incoming), so\n"
    "the daemon exits 0 within about a batch's time.  SIGHUP: reload the config (a bad one\n"
    "is refused and the old one stays).\n"
    "\n"
    "options:\n"
    "  --poll                 poll instead of using inotify\n"
    "  --interval DURATION    scan period: the polling interval, or with inotify the rescan\n"
    "                         period (overrides watch.poll_interval / watch.rescan)\n"
    "  --max-iterations N     exit after N scans (the startup scan counts; the seed's\n"
    "                         `--interval 5s --max-iterations 10`); default: run until stopped\n"
    "  -q, --quiet            no per-file lines on stderr (the JSON log keeps everything)\n"
    "  -c, --config FILE      the config file (re-read on SIGHUP)\n"
    "  --allow-root           run even as root (refused otherwise, exit 2: anyone who can\n"
    "                         write paths.incoming feeds this process, so run it as a\n"
    "                         dedicated user, e.g. with packaging/sluice.service; see\n"
    "                         SECURITY.md).  SLUICE_ALLOW_ROOT=1 in the environment does the\n"
    "                         same (for containers and test harnesses)\n"
    "  DURATION is 500ms, 5s, 2m, 1h, or a bare number of seconds.\n"
    "\n"
    "Signals:\n"
    "  SIGINT, SIGTERM  stop taking files, finish the one in progress, exit 0\n"
    "  SIGHUP           reload the config; a config that does not load is refused (logged as\n"
    "                   reload_refused) and the old one stays in force\n"
    "\n"
    "One daemon per database: run holds a lock on <sqlite.path>.lock (with its pid); a second\n"
    "daemon on the same database exits 1 naming the first.  `sluice once` can run beside it.\n"
    "Events go to the JSON log: daemon_start, rescan, overflow, reload, reload_refused,\n"
    "daemon_stop, and file_done for each file.\n"
    "\n"
    "exit: 0 stopped by a signal or after --max-iterations (failed files do not change it;\n"
    "      see `sluice status`), 1 could not start (lock held, database) or a fatal error,\n"
    "      2 usage error, 78 config error\n";

enum { OPT_POLL = 256, OPT_INTERVAL, OPT_MAX, OPT_ALLOW_ROOT };

static int parse_count(const char *s, long *out)
{
    char *end = NULL;
    long v;
    if (s[0] < '0' || s[0] > '9') {
        return -1;
    }
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > 1000000000L) {
        return -1;
    }
    *out = v;
    return 0;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"poll", no_argument, NULL, OPT_POLL},
                                         {"interval", required_argument, NULL, OPT_INTERVAL},
                                         {"max-iterations", required_argument, NULL, OPT_MAX},
                                         {"allow-root", no_argument, NULL, OPT_ALLOW_ROOT},
                                         {NULL, 0, NULL, 0}};
    const char *allow_env = getenv("SLUICE_ALLOW_ROOT");
    int allow_root = allow_env != NULL && strcmp(allow_env, "1") == 0;
    struct daemon_opts dopts = {NULL, 0, -1, 0, 0};
    struct sl_error err = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
        if (cmd_common_opt(cli, opt, optarg)) {
            continue;
        }
        if (opt == 'h') {
            fputs(run_help, stdout);
            return EXIT_OK;
        }
        if (opt == OPT_POLL) {
            dopts.poll = 1;
        } else if (opt == OPT_ALLOW_ROOT) {
            allow_root = 1;
        } else if (opt == OPT_INTERVAL) {
            if (duration_parse(optarg, strlen(optarg), &dopts.interval_ms) != 0 ||
                dopts.interval_ms < 10) {
                fprintf(stderr, "sluice run: --interval: expected a duration of at least 10ms "
                        "like 500ms, 5s, 2m or 1h, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
        } else if (opt == OPT_MAX) {
            if (parse_count(optarg, &dopts.max_iterations) != 0) {
                fprintf(stderr, "sluice run: --max-iterations: expected a positive integer, "
                        "got '%s'\n", optarg);
                return EXIT_USAGE;
            }
        } else {
            fputs(run_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluice run: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if ((geteuid() == 0 || getuid() == 0) && !allow_root) {
        fprintf(stderr, "sluice run: refusing to run as root: whoever can write "
                "paths.incoming feeds this daemon, so run it as a dedicated unprivileged user "
                "(see packaging/sluice.service and SECURITY.md), or pass --allow-root\n");
        return EXIT_USAGE;
    }
    dopts.config_path = cli->config_path;
    dopts.quiet = cli->quiet;
    struct config *cfg = cmd_load_config(cli);
    if (cfg == NULL) {
        return EXIT_CONFIG;
    }
    /* the database is created 0640 here (SQLite would make it 0644) */
    if (cfg->sqlite_enabled && fs_ensure_private_file(cfg->sqlite_path, &err) != 0) {
        config_destroy(cfg);
        fprintf(stderr, "sluice run: %s\n", err.msg);
        return EXIT_FAILED;
    }
    if (daemon_run(&dopts, cfg, &err) != 0) {
        fprintf(stderr, "sluice run: %s\n", err.msg);
        return err.code == SL_ECONFIG ? EXIT_CONFIG : EXIT_FAILED;
    }
    return EXIT_OK;
}
