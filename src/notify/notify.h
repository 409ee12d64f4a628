/* notify.h - notifications about files and the daemon's health, sent to log, Slack, a
 * generic webhook or e-mail (the config's notify: list, docs/CONFIG.md).
 *
 * Each notifier has its own bounded queue served by its own thread.  notify_offer never
 * blocks on the network: it takes a short lock, applies the notifier's event filter and rate
 * limit, copies the message into the queue and returns.  The thread delivers with a timeout,
 * retries failures with exponential backoff, and counts what it could not deliver.
 *
 * Rate limit: at most one message per min_interval per notifier.  The first event goes out at
 * once; the events that follow within the interval are folded into one summary, sent when the
 * interval ends.  A full queue drops the new message, counts it, and the thread reports the
 * number dropped in a notice once the endpoint takes messages again.  daily_digest messages
 * are never rate limited.
 */
#ifndef SL_NOTIFY_H
#define SL_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"

#define NOTIFY_MAX_ERRORS 3   /* first errors (rejects) carried in a message */
#define NOTIFY_MAX_SAMPLE 5   /* file names kept in a summary */
#define NOTIFY_TEXT_MAX 256

enum notify_kind {
    NK_EVENT = 0, /* one event */
    NK_SUMMARY,   /* events folded by the rate limit */
    NK_DROPPED,   /* notice: messages dropped because the queue was full */
};

/* One notification.  Plain data with fixed buffers, so it is copied with memcpy. */
struct notify_msg {
    enum notify_kind kind;
    enum notify_ev ev;         /* NK_EVENT: the event */
    char ts[32];               /* RFC 3339 UTC, when the event happened */
    /* file events (file_failed, file_partial, retry_exhausted) */
    char file[NOTIFY_TEXT_MAX];
    char status[16];
    char sha256[65];
    unsigned attempt;
    uint64_t rows_total, rows_loaded, rows_rejected, rows_duplicate_key, size_bytes;
    double duration_ms;
    char error_code[32];  /* sl_errname: too_many_rejects, database_busy, ... */
    char error_class[16]; /* permanent, transient, bug */
    char error[512];
    size_t nerrors;
    char errors[NOTIFY_MAX_ERRORS][NOTIFY_TEXT_MAX]; /* the first rejects' messages */
    char json[4096]; /* a JSON object: the file's business metrics, or the digest's details */
    /* recovered */
    uint64_t failures; /* failed files and exhausted retries since the last good file */
    /* daily_digest */
    char since[32], until[32];
    uint64_t files[4]; /* ok, partial, failed, duplicate */
    /* NK_SUMMARY */
    uint64_t folded;            /* events folded in */
    uint64_t folded_ev[NEV_COUNT];
    uint64_t folded_rows_rejected;
    size_t nsample;
    char sample[NOTIFY_MAX_SAMPLE][NOTIFY_TEXT_MAX];
    char first_ts[32];
    /* NK_DROPPED */
    uint64_t dropped;
};

/* Copies s into a fixed buffer of a message, truncated at a UTF-8 boundary. */
void notify_copy(char *dst, size_t cap, const char *s);

/* Counters of one notifier (for metrics and /status). */
struct notify_stats {
    const char *name; /* the config's name (valid while the set lives) */
    const char *type; /* log, slack, webhook, email */
    uint64_t sent, failed, retries, dropped, rate_limited;
    size_t queued;
    int busy; /* a message is being delivered or waits for its retry */
};

struct notify_set;

/* Starts one thread per notifier of cfg (none: *out is an empty set).  Reads the secrets
 * (environment variables, files) now: a missing one is SL_ECONFIG naming the variable or
 * file, never its value.  Call with the signals the caller handles blocked (the threads
 * inherit the mask; they also block every signal themselves). */
int notify_start(const struct config *cfg, struct notify_set **out, struct sl_error *err);
/* Stops the threads.  Each tries, for at most drain_ms, to deliver what is still queued
 * (without retries past that time); anything left is counted as dropped.  NULL: no-op. */
void notify_stop(struct notify_set *s, int64_t drain_ms);
/* Offers a message to every notifier that takes its event.  Never blocks on I/O. */
void notify_offer(struct notify_set *s, const struct notify_msg *m);

size_t notify_count(const struct notify_set *s);
void notify_get_stats(struct notify_set *s, size_t i, struct notify_stats *out);

#endif
