/* internal.h - the daemon's state, shared by its parts: loop.c (event loop, signals, timers,
 * reload), watch.c (inotify or polling, and the choice between them), scan.c (listing,
 * settle table, processing one file), jobs.c (scheduled jobs) and lock.c (one daemon per
 * database).
 */
#ifndef SL_DAEMON_INTERNAL_H
#define SL_DAEMON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/cron.h"
#include "daemon/loop.h"
#include "daemon/sched.h"
#include "pipeline/pipeline.h"

/* Timer kinds in the heap; T_JOB + i is scheduled job i (cfg->jobs[i]). */
enum timer_kind { T_SCAN = 1, T_SETTLE, T_JOB = 16 };

/* A scheduled job's timer state (jobs.c). */
struct job_state {
    uint64_t timer;      /* pending timer id, 0 when none */
    int64_t deadline_ns; /* every: the pending deadline (the next is this plus the interval) */
    time_t due;          /* cron: the wall-clock time of the pending run */
    struct cron cron;
};

struct sqlite_sink;

/* A file seen by a scan and not yet taken: taken once size and mtime have held settle_ms. */
struct seen {
    char *name;
    uint64_t size;
    int64_t mtime_ns;
    int64_t stable_since_ns; /* CLOCK_MONOTONIC of the first sight of this size+mtime */
};

struct daemon {
    const struct daemon_opts *opts;
    struct config *cfg;
    struct pipeline *pipe;
    struct sched sched;
    int epfd, sigfd, tfd, infd, wd, lockfd;
    int poll_mode;      /* 0 inotify, 1 polling */
    char mode_why[192]; /* why polling (or "inotify") */
    uint64_t scan_timer, settle_timer;
    int64_t scan_deadline_ns;
    long scans;        /* counted scans (the startup scan is the first) */
    int stopping;      /* a stop signal or the last iteration: take no more files */
    int stop_signal;   /* the signal that stopped us, 0 for max_iterations */
    int reload_pending;
    struct seen *seen; /* sorted by name */
    size_t nseen;
    char **skipped; /* non-regular names already reported (not repeated every scan) */
    size_t nskipped;
    uint64_t counts[5]; /* by enum file_status */
    uint64_t errors;    /* files left in incoming after a transient error */
    struct job_state *jobs; /* one per cfg->jobs[i] */
    size_t njobs;
    struct sqlite_sink *jobs_db; /* the jobs' connection: opened at first use */
    int metrics_ready;           /* sluice_metrics created on jobs_db */
};

/* loop.c */
void daemon_poll_signals(struct daemon *d);       /* reads pending signals, non-blocking */
int daemon_schedule_scan(struct daemon *d, int64_t deadline_ns); /* replaces the scan timer */
int64_t daemon_period_ms(const struct daemon *d); /* current scan period */

/* watch.c: chooses inotify or polling for cfg->incoming (sets poll_mode, mode_why), adds the
 * inotify fd to the epoll set.  Only epoll failures are errors; inotify ones mean polling. */
int watch_setup(struct daemon *d, struct sl_error *err);
void watch_teardown(struct daemon *d);
/* Reads the inotify queue: processes each accepted closed/moved-in name, rescans on an
 * overflow, falls back to polling when the watch is gone. */
void watch_read(struct daemon *d);

/* scan.c: lists paths.incoming.  startup: takes every file at once, oldest first (as once);
 * otherwise a file is taken once stable for watch.settle, and a settle timer is armed for
 * the ones still waiting.  Returns the number of files taken. */
size_t scan_run(struct daemon *d, int startup);
/* Processes incoming/name if it is still a regular file; prints its line. */
void scan_take(struct daemon *d, const char *name);
void scan_forget(struct daemon *d); /* empties the settle table and the skipped list */

/* jobs.c: jobs_arm (start, reload) cancels the old job timers and arms one per job of
 * d->cfg; jobs_fire runs the job of a due T_JOB timer (logging job_run, and job_failed on
 * an error) and re-arms it; jobs_free cancels the timers and closes the jobs' connection. */
void jobs_arm(struct daemon *d);
void jobs_fire(struct daemon *d, int kind);
void jobs_free(struct daemon *d);

/* lock.c: flock(LOCK_EX|LOCK_NB) on <sqlite.path>.lock holding our pid. */
int daemon_lock(const char *db_path, int *fd, struct sl_error *err);

#endif
