/* retry.c - transient failures in `sluice run`: a file whose processing failed for a reason
 * that is not its fault (database locked, disk full, an I/O error) stays in incoming/ and is
 * tried again after an exponential backoff (retry.*), on a timer of the daemon's heap, while
 * other files keep flowing.  Until its time comes, inotify events and rescans leave it alone.
 * After retry.max_attempts it is recorded as failed, with its attempt history, and moved to
 * failed/ (pipeline_give_up); if even that cannot be done (the database is still
 * unavailable), it is moved to failed/ with an error.json holding the history.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/files.h"
#include "core/backoff.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "daemon/internal.h"
#include "obs/obs.h"

static struct retry *find(struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->nretries; i++) {
        if (strcmp(d->retries[i].name, name) == 0) {
            return &d->retries[i];
        }
    }
    return NULL;
}

static void drop(struct daemon *d, struct retry *r)
{
    free(r->name);
    sb_free(&r->history);
    *r = d->retries[--d->nretries];
}

int retry_waiting(struct daemon *d, const char *name)
{
    struct retry *r = find(d, name);
    return r != NULL && r->due_ns > sched_now_ns();
}

size_t retry_pending(const struct daemon *d)
{
    return d->nretries;
}

/* The timer at the earliest due time, if any entry is left. */
static void arm(struct daemon *d)
{
    if (d->retry_timer != 0) {
        sched_cancel(&d->sched, d->retry_timer);
        d->retry_timer = 0;
    }
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < d->nretries; i++) {
        if (d->retries[i].due_ns < due) {
            due = d->retries[i].due_ns;
        }
    }
    if (d->nretries > 0 && sched_add(&d->sched, due, T_RETRY, &d->retry_timer) != 0) {
        d->retry_timer = 0; /* out of memory: the next rescan retries them */
    }
}

static void json_history(const struct retry *r, struct strbuf *out)
{
    sb_adds(out, "\"attempts\": [");
    sb_add(out, r->history.p, r->history.len);
    sb_adds(out, "]");
}

/* Last resort when the ledger cannot be written: the input and an error.json to failed/. */
static void give_up_without_ledger(struct daemon *d, struct retry *r, const struct sl_error *why)
{
    char src[PATH_MAX], final[PATH_MAX], rep[PATH_MAX];
    struct sl_error e = {0};
    struct strbuf js = STRBUF_INIT;
    if (fs_join(src, sizeof(src), d->cfg->incoming, r->name) != 0 ||
        fs_move_unique(src, d->cfg->failed, r->name, final, sizeof(final), &e) != 0) {
        return; /* gone, or cannot move: it stays where it is */
    }
    sb_adds(&js, "{\"file\": ");
    sb_json_str(&js, final, strlen(final));
    sb_printf(&js, ", \"error_code\": \"%s\", \"error_class\": \"%s\", \"error\": ",
              sl_errname(why->code), sl_errclass_name(why->code));
    sb_json_str(&js, why->msg, strlen(why->msg));
    sb_adds(&js, ", \"ledger\": \"not recorded: the database was unavailable\", ");
    json_history(r, &js);
    sb_adds(&js, "}\n");
    snprintf(rep, sizeof(rep), "%s/%.200s.error.json", d->cfg->failed, final);
    if (!js.failed) {
        (void)fs_write_new_file(rep, js.p, js.len, &e);
    }
    sb_free(&js);
}

static int gave_up(void *ctx, const char *name, int rc, const struct file_result *res,
                   const struct sl_error *err)
{
    struct daemon *d = ctx;
    (void)err;
    if (rc == 0) {
        struct obs_file_extra extra = {.metrics_json = res->metrics_json,
                                       .error_code = res->error_code, .after_retries = 1,
                                       .first_errors = res->first_errors,
                                       .nfirst_errors = res->nfirst_errors};
        obs_file_done(name, res, -1, &extra);
        d->counts[res->status]++;
        if (res->status != FILE_SKIPPED && !d->opts->quiet) {
            files_print_result(name, res);
        }
    }
    d->give_up_rc = rc;
    return 0;
}

static void exhaust(struct daemon *d, struct retry *r, const struct sl_error *why)
{
    struct sl_error final = {0};
    struct strbuf extra = STRBUF_INIT;
    sl_error_set(&final, why->code, "gave up after %u attempts (retry.max_attempts): %s",
                 r->attempts, why->msg);
    json_history(r, &extra);
    d->give_up_rc = 0;
    int rc = extra.failed ? SL_ENOMEM
                          : pipeline_give_up(d->pipe, r->name, &final, sb_cstr(&extra), gave_up,
                                             d);
    if (rc != 0 || d->give_up_rc != 0) {
        give_up_without_ledger(d, r, &final);
    }
    struct log_line l;
    log_begin(&l, LOG_ERROR, "retry_exhausted");
    log_str(&l, "file", r->name);
    log_int(&l, "attempts", r->attempts);
    log_str(&l, "error_code", sl_errname(why->code));
    log_str(&l, "error_class", sl_errclass_name(why->code));
    log_str(&l, "error", why->msg);
    log_str(&l, "ledger", rc != 0 || d->give_up_rc != 0 ? "not recorded" : "recorded");
    log_end(&l);
    d->retries_exhausted++;
    obs_retry(r->name, r->attempts, why->code, why->msg, 1);
    sb_free(&extra);
}

void retry_result(struct daemon *d, const char *name, int rc, const struct sl_error *err)
{
    struct retry *r = find(d, name);
    if (rc == 0) {
        if (r != NULL) {
            drop(d, r);
            arm(d);
        }
        if (d->db_busy) {
            d->db_busy = 0;
        }
        obs_set_ready(1, 1, d->nretries > 0);
        return;
    }
    d->db_busy = rc == SL_EBUSY;
    if (rc == SL_ECANCELED && d->stopping) {
        return; /* abandoned by a stop: the next start takes it */
    }
    if (r == NULL) {
        struct retry *nv = d->nretries == d->capretries
                               ? realloc(d->retries, (d->capretries * 2 + 8) * sizeof(*nv))
                               : d->retries;
        if (nv == NULL) {
            return; /* the next rescan takes it */
        }
        if (d->nretries == d->capretries) {
            d->capretries = d->capretries * 2 + 8;
        }
        d->retries = nv;
        r = &d->retries[d->nretries];
        memset(r, 0, sizeof(*r));
        if ((r->name = strdup(name)) == NULL) {
            return;
        }
        d->nretries++;
    }
    char at[32];
    log_now_rfc3339(at);
    r->attempts++;
    sb_printf(&r->history, "%s{\"attempt\": %u, \"at\": \"%s\", \"error_code\": \"%s\", "
                           "\"error_class\": \"%s\", \"error\": ",
              r->attempts > 1 ? ", " : "", r->attempts, at, sl_errname(rc),
              sl_errclass_name(rc));
    sb_json_str(&r->history, err->msg, strlen(err->msg));
    sb_addc(&r->history, '}');
    d->retries_total++;
    if (r->attempts >= d->cfg->retry_max_attempts) {
        exhaust(d, r, err);
        drop(d, r);
        arm(d);
        return;
    }
    obs_retry(name, r->attempts, rc, err->msg, 0);
    int64_t delay = backoff_delay_ms(d->cfg, r->attempts, &d->rng);
    r->due_ns = sched_now_ns() + delay * 1000000;
    struct log_line l;
    log_begin(&l, LOG_WARN, "retry_scheduled");
    log_str(&l, "file", name);
    log_int(&l, "attempt", r->attempts);
    log_int(&l, "max_attempts", (int64_t)d->cfg->retry_max_attempts);
    log_int(&l, "delay_ms", delay);
    log_str(&l, "error_code", sl_errname(rc));
    log_str(&l, "error_class", sl_errclass_name(rc));
    log_str(&l, "error", err->msg);
    log_end(&l);
    arm(d);
    obs_set_ready(1, !d->db_busy, 1);
}

void retry_fire(struct daemon *d)
{
    int64_t now = sched_now_ns();
    size_t n = 0;
    char **names = malloc((d->nretries > 0 ? d->nretries : 1) * sizeof(*names));
    d->retry_timer = 0;
    if (names == NULL) {
        arm(d);
        return;
    }
    for (size_t i = 0; i < d->nretries; i++) {
        if (d->retries[i].due_ns <= now && (names[n] = strdup(d->retries[i].name)) != NULL) {
            n++;
        }
    }
    /* a file gone from incoming (taken by another process, removed) is forgotten */
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct retry *r = find(d, names[i]);
        if (r != NULL && (fs_join(path, sizeof(path), d->cfg->incoming, names[i]) != 0 ||
                          access(path, F_OK) != 0)) {
            drop(d, r);
        } else if (r != NULL) {
            r->due_ns = now; /* taken now; retry_result sets the next time or drops it */
        }
    }
    if (n > 0) {
        scan_take(d, names, n);
    }
    for (size_t i = 0; i < n; i++) {
        struct retry *r = find(d, names[i]);
        if (r != NULL && r->due_ns <= now) {
            drop(d, r); /* not taken after all (no longer a regular file, say) */
        }
        free(names[i]);
    }
    free(names);
    arm(d);
}

void retry_free(struct daemon *d)
{
    for (size_t i = 0; i < d->nretries; i++) {
        free(d->retries[i].name);
        sb_free(&d->retries[i].history);
    }
    free(d->retries);
    d->retries = NULL;
    d->nretries = d->capretries = 0;
    if (d->retry_timer != 0) {
        sched_cancel(&d->sched, d->retry_timer);
        d->retry_timer = 0;
    }
}
