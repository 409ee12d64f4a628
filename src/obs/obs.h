/* obs.h - observability and notifications for the daemon: the one API it calls.
 *
 *   obs_start(cfg)        after the config is loaded and the signals are blocked: starts the
 *                         HTTP endpoint (http.listen: /metrics /healthz /readyz /status) and
 *                         the notifiers (notify:)
 *   obs_file_start(name)  a file was claimed (in flight)
 *   obs_file_done(...)    a file reached a verdict: metrics, /status, notifications
 *   obs_retry(...)        an error that is not the file's fault; the file will be retried
 *   obs_backlog(...)      after each scan: files waiting, their bytes, the oldest one's age
 *   obs_set_ready(...)    readiness: watching, database writable, not in backoff
 *   obs_digest(...)       the digest job's summary, sent as daily_digest
 *   obs_reload(cfg)       after a SIGHUP reload
 *   obs_stop()            at exit: stops the endpoint, drains the notifiers (bounded)
 *
 * Everything is process-wide and thread-safe.  The hooks do no I/O (the HTTP server and the
 * notifiers have their own threads), take one short lock, and are no-ops before obs_start
 * and after obs_stop.  No data row ever leaves through here: only counts, file names, error
 * texts and the per-file business metrics.
 */
#ifndef SL_OBS_H
#define SL_OBS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"
#include "pipeline/pipeline.h"

/* Optional details of a finished file (every field may be 0/NULL). */
struct obs_file_extra {
    const char *metrics_json;        /* the file's metrics, a JSON object (plan_metrics_json) */
    const char *const *first_errors; /* the first rejected rows' messages... */
    size_t nfirst_errors;            /* ...how many (at most 3 are kept) */
    unsigned attempt;                /* 1 for the first try */
    int error_code;                  /* a failed file's SL_E* code (error_code, error_class) */
    int after_retries; /* failed because its retries ran out: obs_retry(..., 1) already sent
                          retry_exhausted, so no file_failed is sent for it */
};

/* The digest job's result (docs/CONFIG.md, schedule: digest). */
struct obs_digest {
    const char *since, *until; /* RFC 3339 */
    uint64_t files_ok, files_partial, files_failed, files_duplicate;
    uint64_t rows_loaded, rows_rejected, rows_duplicate_key;
    const char *details_json; /* optional JSON object (failures, top reject rules) */
};

/* Starts the endpoint and the notifiers of cfg.  Errors: SL_EIO when the address cannot be
 * listened on (in use, not local), SL_ECONFIG when a notifier's secret is missing.  On an
 * error nothing is left running.  Call with the caller's signals blocked (threads inherit
 * the mask; they also block all signals themselves). */
int obs_start(const struct config *cfg, struct sl_error *err);
/* Applies a reloaded config: the endpoint restarts only when http.* changed, the notifiers
 * are replaced (the old ones drain for up to 2 s).  On an error the old ones stay. */
int obs_reload(const struct config *cfg, struct sl_error *err);
void obs_stop(void);
/* The port the endpoint listens on (useful with http.listen port 0), 0 when off. */
unsigned obs_http_port(void);

void obs_file_start(const char *name);
/* res: the pipeline's result (FILE_SKIPPED is ignored).  arrival_to_commit_s: from the file's
 * arrival in incoming/ (its mtime, or when the watcher saw it) to the commit; < 0 unknown. */
void obs_file_done(const char *name, const struct file_result *res, double arrival_to_commit_s,
                   const struct obs_file_extra *extra);
/* A transient error (code: SL_E*) put the file back; attempt is the one that failed.
 * exhausted: no more retries (sends retry_exhausted). */
void obs_retry(const char *name, unsigned attempt, int code, const char *error, int exhausted);
void obs_backlog(size_t files, uint64_t bytes, double oldest_age_s);
void obs_set_ready(int watching, int db_writable, int in_backoff);
void obs_digest(const struct obs_digest *d);

#endif
