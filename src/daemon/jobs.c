/* jobs.c - the scheduled jobs of `sluice run` (config key schedule).
 *
 * Each job owns one timer in the daemon's heap (kind T_JOB + its index in cfg->jobs).  An
 * `every` job is re-armed drift-free at its previous deadline plus the interval (or now plus
 * the interval when it fell behind).  A `cron` job waits for a wall-clock time (cron_next, local
 * time); the monotonic timer sleeps at most CRON_WAKE_NS at a time and checks the wall clock on
 * waking, so a clock step delays a run by at most that.  Missed runs (the machine slept, a
 * long file) are not caught up: the next run is the next matching time from now.
 *
 * Jobs run synchronously on the loop, between files: they are short.  The database jobs use
 * their own connection (opened at first use, closed on reload and at exit); a failure is
 * logged as job_failed and the daemon carries on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/files.h"
#include "core/fs.h"
#include "core/log.h"
#include "daemon/internal.h"
#include "obs/obs.h"
#include "sink/sqlite.h"

#define CRON_WAKE_NS ((int64_t)60 * 1000000000) /* a cron timer re-checks the wall clock */
#define DIGEST_MAX_FAILURES 20
#define DIGEST_MAX_RULES 10

static const char metrics_ddl[] =
    "CREATE TABLE IF NOT EXISTS sluice_metrics ("
    " id INTEGER PRIMARY KEY,"
    " ts TEXT NOT NULL,"
    " job TEXT NOT NULL,"
    " target_table TEXT NOT NULL,"
    " files_ok INTEGER NOT NULL,"
    " files_partial INTEGER NOT NULL,"
    " files_failed INTEGER NOT NULL,"
    " files_duplicate INTEGER NOT NULL,"
    " rows_loaded INTEGER NOT NULL,"
    " rows_rejected INTEGER NOT NULL,"
    " rows_duplicate_key INTEGER NOT NULL,"
    " backlog_files INTEGER NOT NULL,"
    " backlog_bytes INTEGER NOT NULL"
    ") STRICT";

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the database jobs ------------------------------------------------------------------ */

static int jobs_db(struct daemon *d, sqlite3 **db, struct sl_error *err)
{
    if (d->jobs_db == NULL) {
        int rc = sqlite_sink_open(d->cfg, NULL, 0, &d->jobs_db, err);
        if (rc != 0) {
            return rc;
        }
        d->metrics_ready = 0;
    }
    *db = sqlite_sink_db(d->jobs_db);
    return 0;
}

static int db_fail(sqlite3 *db, int rc, const char *what, struct sl_error *err)
{
    return sl_error_set(err, sqlite_errcode(rc), "%s: %s", what, sqlite3_errmsg(db));
}

/* Files waiting in paths.incoming (names sluice would take), and their bytes. */
static int backlog(struct daemon *d, int64_t *files, int64_t *bytes, struct sl_error *err)
{
    struct fs_entry *e = NULL;
    size_t n = 0;
    int rc = fs_list(d->cfg->incoming, files_accept, NULL, &e, &n, err);
    *files = 0;
    *bytes = 0;
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        *bytes += (int64_t)e[i].size;
    }
    *files = (int64_t)n;
    fs_entries_free(e, n);
    return 0;
}

static int job_snapshot(struct daemon *d, const struct job_def *j, struct sl_error *err)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    char ts[32];
    int64_t nfiles, nbytes;
    int rc;

    if ((rc = backlog(d, &nfiles, &nbytes, err)) != 0 || (rc = jobs_db(d, &db, err)) != 0) {
        return rc;
    }
    if (!d->metrics_ready) {
        rc = sqlite3_exec(db, metrics_ddl, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            return db_fail(db, rc, "cannot create sluice_metrics", err);
        }
        d->metrics_ready = 1;
    }
    rc = sqlite3_prepare_v2(db,
        "INSERT INTO sluice_metrics (ts, job, target_table, files_ok, files_partial, "
        "files_failed, files_duplicate, rows_loaded, rows_rejected, rows_duplicate_key, "
        "backlog_files, backlog_bytes) SELECT ?1, ?2, ?3, coalesce(sum(status = 'ok'), 0), "
        "coalesce(sum(status = 'partial'), 0), coalesce(sum(status = 'failed'), 0), "
        "coalesce(sum(status = 'duplicate'), 0), coalesce(sum(rows_loaded), 0), "
        "coalesce(sum(rows_rejected), 0), coalesce(sum(rows_duplicate_key), 0), ?4, ?5 "
        "FROM sluice_files WHERE target_table = ?3", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(db, rc, "metrics snapshot", err);
    }
    log_now_rfc3339(ts);
    sqlite3_bind_text(st, 1, ts, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, j->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->cfg->table, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, nfiles);
    sqlite3_bind_int64(st, 5, nbytes);
    rc = sqlite3_step(st);
    rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc, "metrics snapshot", err);
    sqlite3_finalize(st);
    return rc;
}

static int job_digest(struct daemon *d, const struct job_def *j, struct sl_error *err)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    char since[40], until[32];
    struct strbuf sql = STRBUF_INIT;
    struct tm tm;
    time_t cutoff = time(NULL) - 86400;
    int rc;

    if ((rc = jobs_db(d, &db, err)) != 0) {
        return rc;
    }
    log_now_rfc3339(until);
    gmtime_r(&cutoff, &tm);
    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    sb_printf(&sql,
        "WITH f AS (SELECT * FROM sluice_files WHERE target_table = ?1 AND "
        "coalesce(finished_at, started_at) >= ?2) SELECT "
        "(SELECT json_object('ok', coalesce(sum(status = 'ok'), 0), 'partial', "
        "coalesce(sum(status = 'partial'), 0), 'failed', coalesce(sum(status = 'failed'), 0), "
        "'duplicate', coalesce(sum(status = 'duplicate'), 0)) FROM f), "
        "(SELECT coalesce(sum(rows_loaded), 0) FROM f), "
        "(SELECT coalesce(sum(rows_rejected), 0) FROM f), "
        "(SELECT coalesce(sum(rows_duplicate_key), 0) FROM f), "
        "(SELECT count(*) FROM f WHERE status = 'failed'), "
        "(SELECT json_group_array(json_object('file', file_name, 'at', finished_at, "
        "'error_code', error_code, 'error', error)) FROM (SELECT * FROM f WHERE status = "
        "'failed' ORDER BY id DESC LIMIT %d)), "
        "(SELECT json_group_array(json_object('rule', rule, 'rows', n)) FROM (SELECT r.rule, "
        "count(*) AS n FROM \"%s_rejects\" r JOIN f ON f.id = r.file_id GROUP BY r.rule "
        "ORDER BY n DESC, r.rule LIMIT %d)), "
        "(SELECT coalesce(sum(status = 'ok'), 0) FROM f), "
        "(SELECT coalesce(sum(status = 'partial'), 0) FROM f), "
        "(SELECT coalesce(sum(status = 'duplicate'), 0) FROM f)",
        DIGEST_MAX_FAILURES, d->cfg->table, DIGEST_MAX_RULES);
    rc = sqlite3_prepare_v2(db, sb_cstr(&sql), -1, &st, NULL);
    sb_free(&sql);
    if (rc != SQLITE_OK) {
        return db_fail(db, rc, "digest", err);
    }
    sqlite3_bind_text(st, 1, d->cfg->table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, since, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rc = db_fail(db, rc, "digest", err);
        sqlite3_finalize(st);
        return rc;
    }
    struct log_line l;
    log_begin(&l, LOG_INFO, "digest");
    log_str(&l, "name", j->name);
    log_str(&l, "table", d->cfg->table);
    log_str(&l, "since", since);
    log_str(&l, "until", until);
    log_json(&l, "files", (const char *)sqlite3_column_text(st, 0));
    log_int(&l, "rows_loaded", sqlite3_column_int64(st, 1));
    log_int(&l, "rows_rejected", sqlite3_column_int64(st, 2));
    log_int(&l, "rows_duplicate_key", sqlite3_column_int64(st, 3));
    log_int(&l, "failures_total", sqlite3_column_int64(st, 4));
    log_json(&l, "failures", (const char *)sqlite3_column_text(st, 5));
    log_json(&l, "top_reject_rules", (const char *)sqlite3_column_text(st, 6));
    log_end(&l);
    struct strbuf details = STRBUF_INIT;
    sb_adds(&details, "{\"failures\": ");
    sb_adds(&details, (const char *)sqlite3_column_text(st, 5));
    sb_adds(&details, ", \"top_reject_rules\": ");
    sb_adds(&details, (const char *)sqlite3_column_text(st, 6));
    sb_addc(&details, '}');
    struct obs_digest dg = {
        .since = since, .until = until,
        .files_ok = (uint64_t)sqlite3_column_int64(st, 7),
        .files_partial = (uint64_t)sqlite3_column_int64(st, 8),
        .files_failed = (uint64_t)sqlite3_column_int64(st, 4),
        .files_duplicate = (uint64_t)sqlite3_column_int64(st, 9),
        .rows_loaded = (uint64_t)sqlite3_column_int64(st, 1),
        .rows_rejected = (uint64_t)sqlite3_column_int64(st, 2),
        .rows_duplicate_key = (uint64_t)sqlite3_column_int64(st, 3),
        .details_json = details.failed ? NULL : sb_cstr(&details),
    };
    obs_digest(&dg);
    sb_free(&details);
    sqlite3_finalize(st);
    return 0;
}

/* ---- retention ---------------------------------------------------------------------------- */

/* Deletes the regular files directly in paths.processed whose mtime is older than j->days.
 * Names are examined with lstat semantics and removed with unlinkat: a symlink is never
 * followed (nor removed), folders and special files are left alone, and so are dot-files
 * (never inputs: sluice ignores such names). */
static int job_retention(struct daemon *d, const struct job_def *j, struct sl_error *err)
{
    const char *dir = d->cfg->processed;
    time_t cutoff = time(NULL) - (time_t)j->days * 86400;
    int64_t deleted = 0, bytes = 0, kept = 0, failed = 0;
    char first_error[256] = "";
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dp;
    struct dirent *de;

    if (dfd < 0) {
        if (errno == ENOENT) {
            goto done; /* nothing processed yet */
        }
        return sl_error_set(err, SL_EIO, "cannot open folder %s: %s", dir, strerror(errno));
    }
    dp = fdopendir(dfd);
    if (dp == NULL) {
        int e = errno;
        close(dfd);
        return sl_error_set(err, SL_EIO, "cannot read folder %s: %s", dir, strerror(e));
    }
    while ((errno = 0, de = readdir(dp)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.') {
            continue;
        }
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (st.st_mtime >= cutoff) {
            kept++;
            continue;
        }
        if (unlinkat(dfd, de->d_name, 0) == 0) {
            deleted++;
            bytes += (int64_t)st.st_size;
        } else if (errno != ENOENT) {
            if (failed++ == 0) {
                snprintf(first_error, sizeof(first_error), "cannot delete %s/%s: %s", dir,
                         de->d_name, strerror(errno));
            }
        }
    }
    closedir(dp);
done:;
    struct log_line l;
    log_begin(&l, LOG_INFO, "retention");
    log_str(&l, "name", j->name);
    log_str(&l, "folder", dir);
    log_int(&l, "days", j->days);
    log_int(&l, "deleted", deleted);
    log_int(&l, "bytes_freed", bytes);
    log_int(&l, "kept", kept);
    if (failed > 0) {
        log_int(&l, "errors", failed);
        log_str(&l, "first_error", first_error);
    }
    log_end(&l);
    if (failed > 0) {
        return sl_error_set(err, SL_EIO, "%lld file(s) could not be deleted; first: %s",
                            (long long)failed, first_error);
    }
    return 0;
}

/* ---- timers ------------------------------------------------------------------------------ */

static void log_job_failed(const struct job_def *j, const char *why, const struct sl_error *e,
                           int quiet)
{
    struct log_line l;
    log_begin(&l, LOG_ERROR, "job_failed");
    log_str(&l, "name", j->name);
    log_str(&l, "job", job_kind_name(j->kind));
    if (e != NULL) {
        log_str(&l, "error_code", sl_errname(e->code));
    }
    log_str(&l, "error", why);
    log_end(&l);
    if (!quiet) {
        fprintf(stderr, "sluice run: job %s (%s) failed: %s\n", j->name,
                job_kind_name(j->kind), why);
    }
}

/* Arms job i's timer.  first: at start or reload.  ran: after a run (a cron job computes
 * its next time); neither: a cron job woke before its due time, which stays. */
static void arm(struct daemon *d, size_t i, int first, int ran)
{
    struct job_state *js = &d->jobs[i];
    const struct job_def *j = &d->cfg->jobs[i];
    int64_t now = sched_now_ns(), deadline;

    if (j->cron == NULL) {
        int64_t every = j->every_ms * 1000000;
        deadline = first ? now + every : js->deadline_ns + every;
        if (deadline <= now) {
            deadline = now + every; /* fell behind: no burst of catch-up runs */
        }
        js->deadline_ns = deadline;
    } else {
        int64_t real = realtime_ns();
        if (first || ran) {
            time_t base = (time_t)(real / 1000000000);
            if (!first && js->due > base) {
                base = js->due;
            }
            if (cron_next(&js->cron, base, &js->due, NULL) != 0) {
                log_job_failed(j, "the cron expression matches no time within the next 5 "
                               "years; the job is not scheduled", NULL, d->opts->quiet);
                return;
            }
        }
        int64_t wait = (int64_t)js->due * 1000000000 - real;
        if (wait < 0) {
            wait = 0;
        }
        deadline = now + (wait < CRON_WAKE_NS ? wait : CRON_WAKE_NS);
    }
    if (sched_add(&d->sched, deadline, T_JOB + (int)i, &js->timer) != 0) {
        js->timer = 0;
        log_job_failed(j, "out of memory arming its timer; the job is not scheduled", NULL,
                       d->opts->quiet);
    }
}

void jobs_free(struct daemon *d)
{
    for (size_t i = 0; i < d->njobs; i++) {
        if (d->jobs[i].timer != 0) {
            sched_cancel(&d->sched, d->jobs[i].timer);
        }
    }
    free(d->jobs);
    d->jobs = NULL;
    d->njobs = 0;
    sqlite_sink_close(d->jobs_db);
    d->jobs_db = NULL;
    d->metrics_ready = 0;
}

void jobs_arm(struct daemon *d)
{
    jobs_free(d);
    if (d->cfg->njobs == 0) {
        return;
    }
    d->jobs = calloc(d->cfg->njobs, sizeof(*d->jobs));
    if (d->jobs == NULL) {
        struct log_line l;
        log_begin(&l, LOG_ERROR, "job_failed");
        log_str(&l, "error", "out of memory: no scheduled job will run");
        log_end(&l);
        return;
    }
    d->njobs = d->cfg->njobs;
    for (size_t i = 0; i < d->njobs; i++) {
        const struct job_def *j = &d->cfg->jobs[i];
        struct sl_error err = {0};
        if (j->cron != NULL && cron_parse(j->cron, &d->jobs[i].cron, &err) != 0) {
            log_job_failed(j, err.msg, &err, d->opts->quiet); /* checked at load: cannot be */
            continue;
        }
        arm(d, i, 1, 0);
    }
    struct log_line l;
    log_begin(&l, LOG_INFO, "schedule");
    log_int(&l, "jobs", (int64_t)d->njobs);
    log_end(&l);
}

void jobs_fire(struct daemon *d, int kind)
{
    size_t i = (size_t)(kind - T_JOB);
    if (kind < T_JOB || i >= d->njobs) {
        return;
    }
    struct job_state *js = &d->jobs[i];
    const struct job_def *j = &d->cfg->jobs[i];
    struct sl_error err = {0};
    int rc = 0;

    js->timer = 0;
    if (j->cron != NULL && realtime_ns() < (int64_t)js->due * 1000000000) {
        arm(d, i, 0, 0); /* woke to re-check the wall clock, or it was set back: not yet */
        return;
    }
    int64_t t0 = sched_now_ns();
    switch (j->kind) {
    case JOB_METRICS_SNAPSHOT:
        rc = job_snapshot(d, j, &err);
        break;
    case JOB_DIGEST:
        rc = job_digest(d, j, &err);
        break;
    case JOB_RETENTION:
        rc = job_retention(d, j, &err);
        break;
    }
    struct log_line l;
    log_begin(&l, rc == 0 ? LOG_INFO : LOG_WARN, "job_run");
    log_str(&l, "name", j->name);
    log_str(&l, "job", job_kind_name(j->kind));
    log_num(&l, "duration_ms", (double)(sched_now_ns() - t0) / 1e6);
    log_str(&l, "result", rc == 0 ? "ok" : "failed");
    log_end(&l);
    if (rc != 0) {
        log_job_failed(j, err.msg, &err, d->opts->quiet);
        if (j->kind != JOB_RETENTION) {
            sqlite_sink_close(d->jobs_db); /* start afresh next time */
            d->jobs_db = NULL;
        }
    }
    arm(d, i, 0, 1);
}
