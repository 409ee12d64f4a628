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

#include "core/strbuf.h"
#include "daemon/cron.h"
#include "daemon/loop.h"
#include "daemon/sched.h"
#include "pipeline/pipeline.h"

/* Timer kinds in the heap; T_JOB + i is scheduled job i (cfg->jobs[i]). */
enum timer_kind { T_SCAN = 1, T_SETTLE, T_RETRY, T_JOB = 16 };

/* A file waiting to be tried again after a transient failure (retry.c). */
struct retry {
    char *name;
    unsigned attempts;
    int64_t due_ns;         /* CLOCK_MONOTONIC of the next attempt */
    struct strbuf history;  /* JSON objects of the failed attempts, comma-separated */
};

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
    struct retry *retries;       /* files in backoff (retry.c) */
    size_t nretries, capretries;
    uint64_t retry_timer;
    uint64_t rng;                /* jitter */
    uint64_t retries_total, retries_exhausted;
    int give_up_rc;
    double *arrival;   /* scan_take: each taken file's arrival (ctime), in callback order */
    size_t narrival, arrival_i;
    int db_busy;       /* the last transient failure was the database's (readiness) */
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
/* Processes the names (in incoming/) that are still regular files, in order, several at
 * once (pipeline_process_many); prints a line per file.  Returns how many were taken. */
size_t scan_take(struct daemon *d, char *const *names, size_t n);
void scan_forget(struct daemon *d); /* empties the settle table and the skipped list */

/* retry.c: retry_result records a file's outcome (rc 0: done, its backoff entry goes; rc <
 * 0: scheduled again, or given up after retry.max_attempts); retry_waiting says whether a
 * name is in backoff (not to be taken yet); retry_fire takes the due ones (T_RETRY). */
void retry_result(struct daemon *d, const char *name, int rc, const struct sl_error *err);
int retry_waiting(struct daemon *d, const char *name);
size_t retry_pending(const struct daemon *d);
void retry_fire(struct daemon *d);
void retry_free(struct daemon *d);

/* jobs.c: jobs_arm (start, reload) cancels the old job timers and arms one per job of
 * d->cfg; jobs_fire runs the job of a due T_JOB timer (logging job_run, and job_failed on
 * an error) and re-arms it; jobs_free cancels the timers and closes the jobs' connection. */
void jobs_arm(struct daemon *d);
void jobs_fire(struct daemon *d, int kind);
void jobs_free(struct daemon *d);

/* lock.c: flock(LOCK_EX|LOCK_NB) on <sqlite.path>.lock holding our pid. */
int daemon_lock(const char *db_path, int *fd, struct sl_error *err);

#endif
