/* families.c - sluice's metric families (the README lists them for dashboards).  Names follow
 * the Prometheus conventions: the sluice_ prefix, _total for counters, base units in the
 * name (_seconds, _bytes).  Label values come from small fixed sets (statuses, outcomes,
 * error codes, notifier names): never file names.
 */
#include <stdio.h>

#include "obs/obs_int.h"

static const double processing_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                           1,     2.5,  5,     10,   30,  60,   120, 300};
static const double latency_bounds[] = {0.05, 0.1, 0.25, 0.5, 1,   2.5,  5,   10,
                                        30,   60,  120,  300, 600, 1800, 3600};

#define NB(a) (sizeof(a) / sizeof((a)[0]))

int obs_families_init(void)
{
    static const char *const status_l[] = {"status", NULL};
    static const char *const outcome_l[] = {"outcome", NULL};
    static const char *const reason_l[] = {"reason", NULL};
    static const char *const version_l[] = {"version", NULL};
    static const char *const cond_l[] = {"condition", NULL};
    static const char *const notifier_l[] = {"notifier", "type", NULL};
    struct metrics *m = obs_g.reg;
    struct obs_families *f = &obs_g.f;

    f->build_info = metrics_gauge(m, "sluice_build_info", "Build information; always 1.",
                                  version_l);
    f->start_time = metrics_gauge(m, "sluice_start_time_seconds",
                                  "When the daemon started, in Unix seconds.", NULL);
    f->files = metrics_counter(m, "sluice_files_total",
                               "Files that reached a verdict, by status.", status_l);
    f->rows = metrics_counter(m, "sluice_rows_total",
                              "Data rows of finished files, by outcome (loaded, rejected, "
                              "duplicate: a duplicate primary key that was not loaded).",
                              outcome_l);
    f->bytes_read = metrics_counter(m, "sluice_read_bytes_total",
                                    "Bytes of input files read.", NULL);
    f->retries = metrics_counter(m, "sluice_retries_total",
                                 "Files put back for a retry after an error that is not the "
                                 "file's fault, by error code.", reason_l);
    f->exhausted = metrics_counter(m, "sluice_retries_exhausted_total",
                                   "Files whose retries were exhausted.", NULL);
    f->processing = metrics_histogram(m, "sluice_file_processing_seconds",
                                      "Time to process one file, claim to archive.", NULL,
                                      processing_bounds, NB(processing_bounds));
    f->latency = metrics_histogram(m, "sluice_file_arrival_to_commit_seconds",
                                   "Time from a file's arrival in the incoming folder to the "
                                   "commit of its rows.", NULL, latency_bounds,
                                   NB(latency_bounds));
    f->backlog_files = metrics_gauge(m, "sluice_backlog_files",
                                     "Files waiting in the incoming folder.", NULL);
    f->backlog_bytes = metrics_gauge(m, "sluice_backlog_bytes",
                                     "Bytes of the files waiting in the incoming folder.", NULL);
    f->backlog_oldest = metrics_gauge(m, "sluice_backlog_oldest_age_seconds",
                                      "Age of the oldest waiting file; 0 when none waits.",
                                      NULL);
    f->in_flight = metrics_gauge(m, "sluice_files_in_flight", "Files being processed.", NULL);
    f->last_success = metrics_gauge(m, "sluice_last_success_timestamp_seconds",
                                    "When a file last loaded (ok or partial), in Unix seconds; "
                                    "0 before the first.", NULL);
    f->ready = metrics_gauge(m, "sluice_ready", "1 when /readyz answers 200.", NULL);
    f->ready_cond = metrics_gauge(m, "sluice_ready_condition",
                                  "Each readiness condition: 1 when it holds.", cond_l);
    f->n_sent = metrics_counter(m, "sluice_notifications_sent_total",
                                "Notifications delivered, by notifier.", notifier_l);
    f->n_failed = metrics_counter(m, "sluice_notifications_failed_total",
                                  "Notifications given up after their last attempt.",
                                  notifier_l);
    f->n_retries = metrics_counter(m, "sluice_notification_retries_total",
                                   "Notification delivery attempts that were retried.",
                                   notifier_l);
    f->n_dropped = metrics_counter(m, "sluice_notifications_dropped_total",
                                   "Notifications dropped: queue full, or left at shutdown.",
                                   notifier_l);
    f->n_rate_limited = metrics_counter(m, "sluice_notifications_rate_limited_total",
                                        "Events folded into a summary by min_interval.",
                                        notifier_l);
    f->n_queued = metrics_gauge(m, "sluice_notification_queue_length",
                                "Notifications waiting in a notifier's queue.", notifier_l);
    struct metric *const all[] = {
        f->build_info, f->start_time, f->files,       f->rows,        f->bytes_read,
        f->retries,    f->exhausted,  f->processing,  f->latency,     f->backlog_files,
        f->backlog_bytes, f->backlog_oldest, f->in_flight, f->last_success, f->ready,
        f->ready_cond, f->n_sent,     f->n_failed,    f->n_retries,   f->n_dropped,
        f->n_rate_limited, f->n_queued};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (all[i] == NULL) {
            return -1;
        }
    }
    /* the fixed label sets start at 0, so rate() works from the first scrape */
    static const char *const statuses[] = {"ok", "partial", "failed", "duplicate"};
    static const char *const outcomes[] = {"loaded", "rejected", "duplicate"};
    static const char *const conds[] = {"watching", "database_writable", "not_in_backoff"};
    for (size_t i = 0; i < 4; i++) {
        metric_add(f->files, &statuses[i], 0);
    }
    for (size_t i = 0; i < 3; i++) {
        metric_add(f->rows, &outcomes[i], 0);
        metric_set(f->ready_cond, &conds[i], 0);
    }
    const char *version = SLUICE_VERSION;
    metric_set(f->build_info, &version, 1);
    return 0;
}

void obs_families_refresh(void)
{
    struct obs_families *f = &obs_g.f;
    static const char *const conds[] = {"watching", "database_writable", "not_in_backoff"};
    int held[3] = {obs_g.watching, obs_g.db_writable, !obs_g.in_backoff};
    double age = 0;
    if (obs_g.backlog_files > 0 && obs_g.oldest_since_ns > 0) {
        age = (double)(obs_mono_ns() - obs_g.oldest_since_ns) / 1e9;
    }
    metric_set(f->backlog_oldest, NULL, age > 0 ? age : 0);
    metric_set(f->ready, NULL, obs_is_ready());
    for (size_t i = 0; i < 3; i++) {
        metric_set(f->ready_cond, &conds[i], held[i] ? 1 : 0);
    }
    for (size_t i = 0; i < notify_count(obs_g.notify); i++) {
        struct notify_stats st;
        notify_get_stats(obs_g.notify, i, &st);
        const char *lv[] = {st.name, st.type};
        metric_set(f->n_sent, lv, (double)st.sent);
        metric_set(f->n_failed, lv, (double)st.failed);
        metric_set(f->n_retries, lv, (double)st.retries);
        metric_set(f->n_dropped, lv, (double)st.dropped);
        metric_set(f->n_rate_limited, lv, (double)st.rate_limited);
        metric_set(f->n_queued, lv, (double)st.queued);
    }
}
