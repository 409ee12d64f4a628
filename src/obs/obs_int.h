/* obs_int.h - the state behind obs.h, shared by obs.c (lifecycle and hooks), families.c (the
 * metric families), status.c (/status, /readyz) and http.c (the endpoint).
 */
#ifndef SL_OBS_INT_H
#define SL_OBS_INT_H

#include <pthread.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "notify/notify.h"
#include "obs/metrics.h"
#include "obs/obs.h"

#define OBS_RECENT 20   /* last files kept for /status */
#define OBS_INFLIGHT 16 /* files in flight tracked */

/* One finished file as /status shows it. */
struct obs_rec {
    char file[NOTIFY_TEXT_MAX];
    char status[16];
    char ts[32];
    char sha256[65];
    char error_code[32];
    char error_class[16];
    char error[512];
    unsigned attempt;
    uint64_t size_bytes, rows_total, rows_loaded, rows_rejected, rows_duplicate_key;
    double duration_ms, latency_s;
    char *metrics; /* a JSON object, or NULL */
};

struct obs_inflight {
    char file[NOTIFY_TEXT_MAX];
    char since[32];
    int64_t since_ns;
};

/* The metric families (families.c). */
struct obs_families {
    struct metric *build_info, *start_time, *files, *rows, *bytes_read, *retries, *exhausted,
        *processing, *latency, *backlog_files, *backlog_bytes, *backlog_oldest, *in_flight,
        *last_success, *ready, *ready_cond, *n_sent, *n_failed, *n_retries, *n_dropped,
        *n_rate_limited, *n_queued;
};

struct http_server;

struct obs_state {
    pthread_mutex_t mu; /* guards everything below (taken before the registry's lock) */
    int started;
    struct metrics *reg;
    struct obs_families f;
    int watching, db_writable, in_backoff;
    size_t backlog_files;
    uint64_t backlog_bytes;
    int64_t oldest_since_ns; /* CLOCK_MONOTONIC when the oldest waiting file arrived */
    struct obs_rec recent[OBS_RECENT]; /* ring: recent_next is the next slot */
    size_t nrecent, recent_next;
    struct obs_inflight inflight[OBS_INFLIGHT];
    size_t ninflight;
    uint64_t failures_since_good;
    double last_success; /* Unix time, 0 = none yet */
    double started_at;   /* Unix time */
    int64_t started_ns;
    struct notify_set *notify;
    struct http_server *http;
    unsigned port;
    int http_enabled;
    char *http_listen;
};

extern struct obs_state obs_g;

int64_t obs_mono_ns(void);
double obs_wall_s(void);

/* families.c: declares every family in obs_g.reg (0, or -1 out of memory); refresh copies
 * the notifiers' counters and the backlog's age into their series (under obs_g.mu). */
int obs_families_init(void);
void obs_families_refresh(void);

/* status.c: under obs_g.mu. */
int obs_is_ready(void);
void obs_render_ready(struct strbuf *out);
void obs_render_status(struct strbuf *out);

/* Renderers for the endpoint: take obs_g.mu themselves.  ready returns 1 when ready. */
void obs_http_metrics(struct strbuf *out);
int obs_http_ready(struct strbuf *out);
void obs_http_status(struct strbuf *out);

/* http.c: the libmicrohttpd server on where ("host:port"). */
int http_start(const char *where, struct http_server **out, unsigned *port,
               struct sl_error *err);
void http_stop(struct http_server *h);

#endif
