/* obs.c - the lifecycle of the observability layer (start, reload, stop) and the hooks the
 * daemon calls (obs.h).  Each hook takes obs_g.mu briefly: it updates the metric series, the
 * /status state, and offers notifications to the notifiers' queues (no I/O).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "obs/obs_int.h"

struct obs_state obs_g = {.mu = PTHREAD_MUTEX_INITIALIZER};

#define RELOAD_DRAIN_MS 2000
#define STOP_DRAIN_MS 3000

int64_t obs_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double obs_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void free_recent(void)
{
    for (size_t i = 0; i < OBS_RECENT; i++) {
        free(obs_g.recent[i].metrics);
        obs_g.recent[i].metrics = NULL;
    }
    obs_g.nrecent = 0;
    obs_g.recent_next = 0;
}

static void log_listen(const char *addr, unsigned port)
{
    struct log_line l;
    log_begin(&l, LOG_INFO, "http_listen");
    log_str(&l, "listen", addr);
    log_int(&l, "port", port);
    log_end(&l);
}

int obs_start(const struct config *cfg, struct sl_error *err)
{
    struct notify_set *ns = NULL;
    struct http_server *h = NULL;
    struct metrics *reg;
    unsigned port = 0;
    char *addr = strdup(cfg->http_listen != NULL ? cfg->http_listen : "");
    int rc;

    if (addr == NULL || (reg = metrics_new()) == NULL) {
        free(addr);
        return sl_error_set(err, SL_ENOMEM, "out of memory starting the metrics");
    }
    pthread_mutex_lock(&obs_g.mu);
    if (obs_g.started || obs_g.reg != NULL) {
        pthread_mutex_unlock(&obs_g.mu);
        metrics_free(reg);
        free(addr);
        return sl_error_set(err, SL_EBUG, "obs_start called twice");
    }
    obs_g.reg = reg;
    rc = obs_families_init();
    obs_g.started_at = obs_wall_s();
    obs_g.started_ns = obs_mono_ns();
    metric_set(obs_g.f.start_time, NULL, obs_g.started_at);
    pthread_mutex_unlock(&obs_g.mu);
    if (rc != 0) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory declaring the metrics");
    }
    if (rc == 0) {
        rc = notify_start(cfg, &ns, err);
    }
    if (rc == 0 && cfg->http_enabled) {
        rc = http_start(addr, &h, &port, err);
    }
    pthread_mutex_lock(&obs_g.mu);
    if (rc != 0) {
        obs_g.reg = NULL;
    } else {
        obs_g.started = 1;
        obs_g.notify = ns;
        obs_g.http = h;
        obs_g.port = port;
        obs_g.http_enabled = cfg->http_enabled;
        obs_g.http_listen = addr;
        obs_g.watching = 0;
        obs_g.db_writable = 1;
        obs_g.in_backoff = 0;
        addr = NULL;
    }
    pthread_mutex_unlock(&obs_g.mu);
    if (rc != 0) {
        notify_stop(ns, 0);
        metrics_free(reg);
    } else if (h != NULL) {
        log_listen(cfg->http_listen, port);
    }
    free(addr);
    return rc;
}

static int same_http(const struct config *cfg)
{
    return obs_g.http_enabled == cfg->http_enabled &&
           (!cfg->http_enabled || strcmp(obs_g.http_listen, cfg->http_listen) == 0);
}

int obs_reload(const struct config *cfg, struct sl_error *err)
{
    struct notify_set *ns = NULL, *old_ns;
    struct http_server *h = NULL, *old_h = NULL;
    unsigned port = 0;
    int restart, rc;
    char *addr;

    pthread_mutex_lock(&obs_g.mu);
    int started = obs_g.started;
    restart = started && !same_http(cfg);
    pthread_mutex_unlock(&obs_g.mu);
    if (!started) {
        return 0;
    }
    if ((addr = strdup(cfg->http_listen)) == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if ((rc = notify_start(cfg, &ns, err)) != 0) {
        free(addr);
        return rc;
    }
    /* a new address is listened on before the old one is closed */
    if (restart && cfg->http_enabled && (rc = http_start(addr, &h, &port, err)) != 0) {
        notify_stop(ns, 0);
        free(addr);
        return rc;
    }
    pthread_mutex_lock(&obs_g.mu);
    old_ns = obs_g.notify;
    obs_g.notify = ns;
    if (restart) {
        old_h = obs_g.http;
        obs_g.http = h;
        obs_g.port = port;
        obs_g.http_enabled = cfg->http_enabled;
        free(obs_g.http_listen);
        obs_g.http_listen = addr;
        addr = NULL;
    }
    pthread_mutex_unlock(&obs_g.mu);
    http_stop(old_h);
    notify_stop(old_ns, RELOAD_DRAIN_MS);
    if (h != NULL) {
        log_listen(cfg->http_listen, port);
    }
    free(addr);
    return 0;
}

void obs_stop(void)
{
    pthread_mutex_lock(&obs_g.mu);
    if (!obs_g.started) {
        pthread_mutex_unlock(&obs_g.mu);
        return;
    }
    obs_g.started = 0;
    struct http_server *h = obs_g.http;
    struct notify_set *ns = obs_g.notify;
    obs_g.http = NULL;
    obs_g.notify = NULL;
    pthread_mutex_unlock(&obs_g.mu);
    http_stop(h); /* waits for requests in progress, which take obs_g.mu */
    notify_stop(ns, STOP_DRAIN_MS);
    pthread_mutex_lock(&obs_g.mu);
    free_recent();
    metrics_free(obs_g.reg);
    obs_g.reg = NULL;
    free(obs_g.http_listen);
    obs_g.http_listen = NULL;
    obs_g.port = 0;
    obs_g.ninflight = 0;
    obs_g.backlog_files = 0;
    obs_g.backlog_bytes = 0;
    obs_g.oldest_since_ns = 0;
    obs_g.failures_since_good = 0;
    obs_g.last_success = 0;
    pthread_mutex_unlock(&obs_g.mu);
}

unsigned obs_http_port(void)
{
    pthread_mutex_lock(&obs_g.mu);
    unsigned port = obs_g.port;
    pthread_mutex_unlock(&obs_g.mu);
    return port;
}

/* --- hooks ---------------------------------------------------------------------------- */

static void inflight_remove(const char *name)
{
    for (size_t i = 0; i < obs_g.ninflight; i++) {
        if (strcmp(obs_g.inflight[i].file, name) == 0) {
            memmove(&obs_g.inflight[i], &obs_g.inflight[i + 1],
                    (obs_g.ninflight - i - 1) * sizeof(obs_g.inflight[0]));
            obs_g.ninflight--;
            break;
        }
    }
    metric_set(obs_g.f.in_flight, NULL, (double)obs_g.ninflight);
}

void obs_file_start(const char *name)
{
    pthread_mutex_lock(&obs_g.mu);
    if (obs_g.started && obs_g.ninflight < OBS_INFLIGHT) {
        struct obs_inflight *f = &obs_g.inflight[obs_g.ninflight++];
        notify_copy(f->file, sizeof(f->file), name);
        log_now_rfc3339(f->since);
        f->since_ns = obs_mono_ns();
        metric_set(obs_g.f.in_flight, NULL, (double)obs_g.ninflight);
    }
    pthread_mutex_unlock(&obs_g.mu);
}

/* A JSON object small enough to keep whole (never cut: a cut object is not JSON). */
static int json_object_fits(const char *s, size_t cap)
{
    size_t n = s != NULL ? strlen(s) : 0;
    return n >= 2 && n < cap && s[0] == '{' && s[n - 1] == '}';
}

static void file_msg(struct notify_msg *m, enum notify_ev ev, const char *name,
                     const struct file_result *res, const struct obs_file_extra *x)
{
    memset(m, 0, sizeof(*m));
    m->kind = NK_EVENT;
    m->ev = ev;
    log_now_rfc3339(m->ts);
    notify_copy(m->file, sizeof(m->file), name);
    notify_copy(m->status, sizeof(m->status), file_status_name(res->status));
    notify_copy(m->sha256, sizeof(m->sha256), res->sha256);
    m->rows_total = res->rows_total;
    m->rows_loaded = res->rows_loaded;
    m->rows_rejected = res->rows_rejected;
    m->rows_duplicate_key = res->rows_duplicate_key;
    m->size_bytes = res->size_bytes;
    m->duration_ms = res->duration_ms;
    if (res->status == FILE_FAILED) {
        notify_copy(m->error, sizeof(m->error), res->error);
    }
    if (x == NULL) {
        return;
    }
    m->attempt = x->attempt;
    if (x->error_code != 0) {
        notify_copy(m->error_code, sizeof(m->error_code), sl_errname(x->error_code));
        notify_copy(m->error_class, sizeof(m->error_class), sl_errclass_name(x->error_code));
    }
    for (size_t i = 0; x->first_errors != NULL && i < x->nfirst_errors &&
                       m->nerrors < NOTIFY_MAX_ERRORS; i++) {
        notify_copy(m->errors[m->nerrors++], NOTIFY_TEXT_MAX, x->first_errors[i]);
    }
    if (json_object_fits(x->metrics_json, sizeof(m->json))) {
        memcpy(m->json, x->metrics_json, strlen(x->metrics_json) + 1);
    }
}

static void record(const struct notify_msg *m, double latency_s, const char *metrics)
{
    struct obs_rec *r = &obs_g.recent[obs_g.recent_next];
    free(r->metrics);
    memset(r, 0, sizeof(*r));
    memcpy(r->file, m->file, sizeof(r->file));
    memcpy(r->status, m->status, sizeof(r->status));
    memcpy(r->ts, m->ts, sizeof(r->ts));
    memcpy(r->sha256, m->sha256, sizeof(r->sha256));
    memcpy(r->error_code, m->error_code, sizeof(r->error_code));
    memcpy(r->error_class, m->error_class, sizeof(r->error_class));
    memcpy(r->error, m->error, sizeof(r->error));
    r->attempt = m->attempt;
    r->size_bytes = m->size_bytes;
    r->rows_total = m->rows_total;
    r->rows_loaded = m->rows_loaded;
    r->rows_rejected = m->rows_rejected;
    r->rows_duplicate_key = m->rows_duplicate_key;
    r->duration_ms = m->duration_ms;
    r->latency_s = latency_s;
    if (json_object_fits(metrics, 65536)) {
        r->metrics = strdup(metrics); /* NULL when out of memory: shown without metrics */
    }
    obs_g.recent_next = (obs_g.recent_next + 1) % OBS_RECENT;
    if (obs_g.nrecent < OBS_RECENT) {
        obs_g.nrecent++;
    }
}

void obs_file_done(const char *name, const struct file_result *res, double arrival_to_commit_s,
                   const struct obs_file_extra *extra)
{
    struct obs_families *f = &obs_g.f;
    struct notify_msg m;
    const char *status = file_status_name(res->status);
    static const char *const loaded[] = {"loaded"}, *const rejected[] = {"rejected"},
                             *const dup[] = {"duplicate"};

    pthread_mutex_lock(&obs_g.mu);
    if (!obs_g.started) {
        pthread_mutex_unlock(&obs_g.mu);
        return;
    }
    inflight_remove(name);
    if (res->status == FILE_SKIPPED) {
        pthread_mutex_unlock(&obs_g.mu);
        return;
    }
    metric_add(f->files, &status, 1);
    metric_add(f->rows, loaded, (double)res->rows_loaded);
    metric_add(f->rows, rejected, (double)res->rows_rejected);
    metric_add(f->rows, dup, (double)res->rows_duplicate_key);
    metric_add(f->bytes_read, NULL, (double)res->size_bytes);
    metric_observe(f->processing, NULL, res->duration_ms / 1000.0);
    int good = res->status == FILE_OK || res->status == FILE_PARTIAL;
    if (good) {
        if (arrival_to_commit_s >= 0) {
            metric_observe(f->latency, NULL, arrival_to_commit_s);
        }
        obs_g.last_success = obs_wall_s();
        metric_set(f->last_success, NULL, obs_g.last_success);
    }
    file_msg(&m, res->status == FILE_FAILED ? NEV_FILE_FAILED : NEV_FILE_PARTIAL, name, res,
             extra);
    record(&m, good ? arrival_to_commit_s : -1, extra != NULL ? extra->metrics_json : NULL);
    int after_retries = extra != NULL && extra->after_retries;
    if ((res->status == FILE_FAILED && !after_retries) || res->status == FILE_PARTIAL) {
        notify_offer(obs_g.notify, &m);
    }
    if (res->status == FILE_FAILED) {
        obs_g.failures_since_good += after_retries ? 0 : 1;
    } else if (good && obs_g.failures_since_good > 0) {
        m.ev = NEV_RECOVERED;
        m.failures = obs_g.failures_since_good;
        obs_g.failures_since_good = 0;
        notify_offer(obs_g.notify, &m);
    }
    pthread_mutex_unlock(&obs_g.mu);
}

void obs_retry(const char *name, unsigned attempt, int code, const char *error, int exhausted)
{
    const char *reason = sl_errname(code);
    struct notify_msg m;
    pthread_mutex_lock(&obs_g.mu);
    if (!obs_g.started) {
        pthread_mutex_unlock(&obs_g.mu);
        return;
    }
    inflight_remove(name);
    metric_add(obs_g.f.retries, &reason, 1);
    if (exhausted) {
        metric_add(obs_g.f.exhausted, NULL, 1);
        obs_g.failures_since_good++;
        memset(&m, 0, sizeof(m));
        m.kind = NK_EVENT;
        m.ev = NEV_RETRY_EXHAUSTED;
        log_now_rfc3339(m.ts);
        notify_copy(m.file, sizeof(m.file), name);
        notify_copy(m.status, sizeof(m.status), "retry_exhausted");
        notify_copy(m.error_code, sizeof(m.error_code), reason);
        notify_copy(m.error_class, sizeof(m.error_class), sl_errclass_name(code));
        notify_copy(m.error, sizeof(m.error), error);
        m.attempt = attempt;
        notify_offer(obs_g.notify, &m);
    }
    pthread_mutex_unlock(&obs_g.mu);
}

void obs_backlog(size_t files, uint64_t bytes, double oldest_age_s)
{
    pthread_mutex_lock(&obs_g.mu);
    if (obs_g.started) {
        obs_g.backlog_files = files;
        obs_g.backlog_bytes = bytes;
        obs_g.oldest_since_ns = files > 0 && oldest_age_s >= 0
                                    ? obs_mono_ns() - (int64_t)(oldest_age_s * 1e9) : 0;
        metric_set(obs_g.f.backlog_files, NULL, (double)files);
        metric_set(obs_g.f.backlog_bytes, NULL, (double)bytes);
    }
    pthread_mutex_unlock(&obs_g.mu);
}

void obs_set_ready(int watching, int db_writable, int in_backoff)
{
    pthread_mutex_lock(&obs_g.mu);
    obs_g.watching = watching != 0;
    obs_g.db_writable = db_writable != 0;
    obs_g.in_backoff = in_backoff != 0;
    pthread_mutex_unlock(&obs_g.mu);
}

void obs_digest(const struct obs_digest *d)
{
    struct notify_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = NK_EVENT;
    m.ev = NEV_DAILY_DIGEST;
    log_now_rfc3339(m.ts);
    notify_copy(m.since, sizeof(m.since), d->since);
    notify_copy(m.until, sizeof(m.until), d->until);
    m.files[0] = d->files_ok;
    m.files[1] = d->files_partial;
    m.files[2] = d->files_failed;
    m.files[3] = d->files_duplicate;
    m.rows_loaded = d->rows_loaded;
    m.rows_rejected = d->rows_rejected;
    m.rows_duplicate_key = d->rows_duplicate_key;
    if (json_object_fits(d->details_json, sizeof(m.json))) {
        memcpy(m.json, d->details_json, strlen(d->details_json) + 1);
    }
    pthread_mutex_lock(&obs_g.mu);
    if (obs_g.started) {
        notify_offer(obs_g.notify, &m);
    }
    pthread_mutex_unlock(&obs_g.mu);
}
