/* loop.h - `sluice run`: the daemon.  One epoll loop over an inotify fd on paths.incoming,
 * a signalfd (SIGINT, SIGTERM, SIGHUP) and one timerfd driven by the timer heap (sched.h).
 * Files are processed one at a time with the same pipeline as `once`; polling replaces
 * inotify with --poll or when inotify cannot work (network/FUSE folders, no watches left).
 */
#ifndef SL_DAEMON_LOOP_H
#define SL_DAEMON_LOOP_H

#include <stdint.h>

#include "core/config.h"
#include "core/error.h"

struct daemon_opts {
    const char *config_path; /* -c FILE, or NULL (default resolution); re-read on SIGHUP */
    int poll;                /* --poll */
    int64_t interval_ms;     /* --interval: scan period (poll) or rescan period (inotify);
                                -1 = from the config */
    long max_iterations;     /* --max-iterations: stop after this many scans; 0 = never */
    int quiet;               /* -q */
};

/* Runs the daemon until SIGINT/SIGTERM or max_iterations scans.  Takes ownership of cfg.
 * Returns 0 after a clean stop, or a negative SL_E* with err filled (another daemon holds
 * the database's lock, the pipeline cannot start, the event loop failed). */
int daemon_run(const struct daemon_opts *opts, struct config *cfg, struct sl_error *err);

#endif
