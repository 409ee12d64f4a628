/* status.c - what the endpoint answers: /metrics (the registry, refreshed), /readyz (the
 * three readiness conditions) and /status (JSON: readiness, backlog, files in flight, the
 * last finished files with their outcome and business metrics, totals, notifiers).  No data
 * row is ever included.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "obs/obs_int.h"

int obs_is_ready(void)
{
    return obs_g.started && obs_g.watching && obs_g.db_writable && !obs_g.in_backoff;
}

static void jbool(struct strbuf *out, const char *key, int v, int comma)
{
    sb_printf(out, "%s\"%s\":%s", comma ? "," : "", key, v ? "true" : "false");
}

static void jstr(struct strbuf *out, const char *key, const char *v)
{
    sb_printf(out, ",\"%s\":", key);
    if (v == NULL || v[0] == '\0') {
        sb_adds(out, "null");
    } else {
        sb_json_str(out, v, strlen(v));
    }
}

static void jnum(struct strbuf *out, const char *key, double v)
{
    sb_printf(out, ",\"%s\":", key);
    sb_json_num(out, v);
}

static void ready_object(struct strbuf *out)
{
    sb_adds(out, "{");
    jbool(out, "ready", obs_is_ready(), 0);
    jbool(out, "watching", obs_g.watching, 1);
    jbool(out, "database_writable", obs_g.db_writable, 1);
    jbool(out, "in_backoff", obs_g.in_backoff, 1);
    sb_adds(out, "}");
}

void obs_render_ready(struct strbuf *out)
{
    ready_object(out);
    sb_addc(out, '\n');
}

static void iso_time(double unix_s, char buf[32])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    buf[0] = '\0';
    if (unix_s > 0 && gmtime_r(&t, &tm) != NULL) {
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
}

static void totals(struct strbuf *out)
{
    static const char *const statuses[] = {"ok", "partial", "failed", "duplicate"};
    static const char *const outcomes[] = {"loaded", "rejected", "duplicate"};
    sb_adds(out, ",\"totals\":{\"files\":{");
    for (size_t i = 0; i < 4; i++) {
        sb_printf(out, "%s\"%s\":", i > 0 ? "," : "", statuses[i]);
        sb_json_num(out, metric_get(obs_g.f.files, &statuses[i]));
    }
    sb_adds(out, "},\"rows\":{");
    for (size_t i = 0; i < 3; i++) {
        sb_printf(out, "%s\"%s\":", i > 0 ? "," : "", outcomes[i]);
        sb_json_num(out, metric_get(obs_g.f.rows, &outcomes[i]));
    }
    sb_adds(out, "}");
    jnum(out, "bytes_read", metric_get(obs_g.f.bytes_read, NULL));
    jnum(out, "retries_exhausted", metric_get(obs_g.f.exhausted, NULL));
    sb_adds(out, "}");
}

static void last_files(struct strbuf *out)
{
    sb_adds(out, ",\"last_files\":[");
    for (size_t k = 0; k < obs_g.nrecent; k++) {
        /* newest first */
        size_t i = (obs_g.recent_next + OBS_RECENT - 1 - k) % OBS_RECENT;
        const struct obs_rec *r = &obs_g.recent[i];
        sb_adds(out, k > 0 ? ",{\"file\":" : "{\"file\":");
        sb_json_str(out, r->file, strlen(r->file));
        jstr(out, "status", r->status);
        jstr(out, "finished_at", r->ts);
        jstr(out, "sha256", r->sha256);
        if (r->attempt > 0) {
            jnum(out, "attempt", r->attempt);
        }
        jnum(out, "size_bytes", (double)r->size_bytes);
        jnum(out, "duration_ms", r->duration_ms);
        if (r->latency_s >= 0) {
            jnum(out, "arrival_to_commit_seconds", r->latency_s);
        }
        sb_printf(out, ",\"rows\":{\"total\":%llu,\"loaded\":%llu,\"rejected\":%llu,"
                  "\"duplicate_key\":%llu}", (unsigned long long)r->rows_total,
                  (unsigned long long)r->rows_loaded, (unsigned long long)r->rows_rejected,
                  (unsigned long long)r->rows_duplicate_key);
        jstr(out, "error_code", r->error_code);
        jstr(out, "error_class", r->error_class);
        jstr(out, "error", r->error);
        sb_adds(out, ",\"metrics\":");
        sb_adds(out, r->metrics != NULL ? r->metrics : "null");
        sb_addc(out, '}');
    }
    sb_adds(out, "]");
}

static void notifiers(struct strbuf *out)
{
    sb_adds(out, ",\"notifiers\":[");
    for (size_t i = 0; i < notify_count(obs_g.notify); i++) {
        struct notify_stats st;
        notify_get_stats(obs_g.notify, i, &st);
        sb_adds(out, i > 0 ? ",{\"name\":" : "{\"name\":");
        sb_json_str(out, st.name, strlen(st.name));
        jstr(out, "type", st.type);
        sb_printf(out, ",\"sent\":%llu,\"failed\":%llu,\"retries\":%llu,\"dropped\":%llu,"
                  "\"rate_limited\":%llu,\"queued\":%zu,\"busy\":%s}", (unsigned long long)st.sent,
                  (unsigned long long)st.failed, (unsigned long long)st.retries,
                  (unsigned long long)st.dropped, (unsigned long long)st.rate_limited, st.queued,
                  st.busy ? "true" : "false");
    }
    sb_adds(out, "]");
}

void obs_render_status(struct strbuf *out)
{
    char buf[32];
    int64_t now = obs_mono_ns();
    sb_adds(out, "{\"version\":");
    sb_json_str(out, SLUICE_VERSION, strlen(SLUICE_VERSION));
    sb_printf(out, ",\"pid\":%ld", (long)getpid());
    iso_time(obs_g.started_at, buf);
    jstr(out, "started_at", buf);
    jnum(out, "uptime_seconds", (double)(now - obs_g.started_ns) / 1e9);
    sb_adds(out, ",\"readiness\":");
    ready_object(out);
    double age = obs_g.backlog_files > 0 && obs_g.oldest_since_ns > 0
                     ? (double)(now - obs_g.oldest_since_ns) / 1e9 : 0;
    sb_printf(out, ",\"backlog\":{\"files\":%zu,\"bytes\":%llu,\"oldest_age_seconds\":",
              obs_g.backlog_files, (unsigned long long)obs_g.backlog_bytes);
    sb_json_num(out, age > 0 ? age : 0);
    sb_adds(out, "},\"in_flight\":[");
    for (size_t i = 0; i < obs_g.ninflight; i++) {
        const struct obs_inflight *f = &obs_g.inflight[i];
        sb_adds(out, i > 0 ? ",{\"file\":" : "{\"file\":");
        sb_json_str(out, f->file, strlen(f->file));
        jstr(out, "started_at", f->since);
        jnum(out, "seconds", (double)(now - f->since_ns) / 1e9);
        sb_addc(out, '}');
    }
    sb_adds(out, "]");
    iso_time(obs_g.last_success, buf);
    jstr(out, "last_success_at", buf);
    totals(out);
    last_files(out);
    notifiers(out);
    sb_adds(out, "}\n");
}

void obs_http_metrics(struct strbuf *out)
{
    pthread_mutex_lock(&obs_g.mu);
    if (obs_g.reg != NULL) {
        obs_families_refresh();
        metrics_expose(obs_g.reg, out);
    }
    pthread_mutex_unlock(&obs_g.mu);
}

int obs_http_ready(struct strbuf *out)
{
    pthread_mutex_lock(&obs_g.mu);
    int ready = obs_is_ready();
    obs_render_ready(out);
    pthread_mutex_unlock(&obs_g.mu);
    return ready;
}

void obs_http_status(struct strbuf *out)
{
    pthread_mutex_lock(&obs_g.mu);
    if (obs_g.reg != NULL) {
        obs_render_status(out);
    } else {
        sb_adds(out, "{}\n");
    }
    pthread_mutex_unlock(&obs_g.mu);
}
