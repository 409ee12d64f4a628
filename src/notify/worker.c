/* worker.c - the delivery thread of one notifier.
 *
 * It takes the oldest queued message and delivers it.  A failure worth retrying waits
 * backoff, 2 x backoff, 4 x backoff ... (at most 5 minutes) between attempts, up to
 * max_attempts; the message is then counted as failed and the next one is taken.  While it
 * waits it also sends the rate limit's summary when its window ends, and after a delivery it
 * reports messages the full queue dropped.  No lock is held during a delivery, so offers
 * never wait for the network.
 *
 * On stop it keeps delivering until the queue is empty or the drain deadline passes (each
 * attempt's timeout is cut to the time left); what is left is counted as dropped.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/redact.h"
#include "notify/internal.h"

static void now_rfc3339(char ts[32])
{
    log_now_rfc3339(ts);
}

static struct notify_msg *pop(struct notifier *n)
{
    struct notify_msg *m = n->q[n->head];
    n->q[n->head] = NULL;
    n->head = (n->head + 1) % (size_t)n->def->queue_size;
    n->len--;
    return m;
}

/* Under the lock: pushes a message the worker made (summary, notice); counts it dropped
 * when the queue is full. */
static void push_own(struct notifier *n, struct notify_msg *m)
{
    size_t cap = (size_t)n->def->queue_size;
    if (n->len == cap) {
        free(m);
        n->dropped++;
        return;
    }
    n->q[(n->head + n->len) % cap] = m;
    n->len++;
}

static int64_t backoff_ns(const struct notifier *n, unsigned attempt)
{
    int64_t ms = n->def->backoff_ms;
    for (unsigned i = 1; i < attempt && ms < NOTIFY_BACKOFF_MAX_MS; i++) {
        ms *= 2;
    }
    return (ms < NOTIFY_BACKOFF_MAX_MS ? ms : NOTIFY_BACKOFF_MAX_MS) * 1000000;
}

static void wait_until(struct notifier *n, int64_t deadline_ns)
{
    if (deadline_ns == INT64_MAX) {
        pthread_cond_wait(&n->cv, &n->mu);
        return;
    }
    struct timespec ts = {(time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000)};
    int rc = pthread_cond_timedwait(&n->cv, &n->mu, &ts);
    (void)rc; /* ETIMEDOUT or a wake-up: the loop looks at the clock again */
}

static const char *what(const struct notify_msg *m)
{
    return m->kind == NK_EVENT ? notify_ev_name(m->ev)
           : m->kind == NK_SUMMARY ? "summary" : "notifications_dropped";
}

static void log_outcome(const struct notifier *n, const struct notify_msg *m, const char *event,
                        enum log_level lvl, unsigned attempt, const char *why, int64_t retry_ms)
{
    struct log_line l;
    char target[160];
    log_begin(&l, lvl, event);
    log_str(&l, "notifier", n->def->name);
    log_str(&l, "type", notify_type_name(n->def->type));
    if (n->url != NULL) {
        log_str(&l, "target", redact_url(n->url, target, sizeof(target)));
    }
    log_str(&l, "notify_event", what(m));
    log_str(&l, "file", m->file[0] != '\0' ? m->file : NULL);
    log_int(&l, "attempt", attempt);
    if (retry_ms > 0) {
        log_int(&l, "retry_in_ms", retry_ms);
    }
    log_str(&l, "error", why != NULL && why[0] != '\0' ? why : NULL);
    log_end(&l);
}

static void log_dropped(const struct notifier *n, uint64_t count, const char *reason)
{
    struct log_line l;
    log_begin(&l, LOG_WARN, "notify_dropped");
    log_str(&l, "notifier", n->def->name);
    log_int(&l, "dropped", (int64_t)count);
    log_str(&l, "reason", reason);
    log_end(&l);
}

/* Delivers cur (attempt number attempt) without the lock; returns the outcome. */
static int deliver_unlocked(struct notifier *n, const struct notify_msg *cur, unsigned attempt,
                            int64_t timeout_ms, char *why, size_t cap)
{
    pthread_mutex_unlock(&n->mu);
    int rc = notify_deliver(n, cur, attempt, timeout_ms, why, cap);
    pthread_mutex_lock(&n->mu);
    return rc;
}

void *notify_worker(void *arg)
{
    struct notifier *n = arg;
    struct notify_msg *cur = NULL;
    unsigned attempt = 0;
    int64_t next_try = 0;
    uint64_t logged_drops = 0;
    char why[512];
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    pthread_mutex_lock(&n->mu);
    for (;;) {
        int64_t now = notify_now_ns();
        struct notify_msg *sum = rl_take(&n->rl, now, n->stop);
        if (sum != NULL) {
            push_own(n, sum);
        }
        if (cur == NULL && n->dropped_unreported > 0 && !n->stop &&
            (cur = calloc(1, sizeof(*cur))) != NULL) {
            cur->kind = NK_DROPPED;
            cur->dropped = n->dropped_unreported;
            now_rfc3339(cur->ts);
            n->dropped_unreported = 0;
            attempt = 0;
            next_try = now;
        }
        if (cur == NULL && n->len > 0) {
            cur = pop(n);
            attempt = 0;
            next_try = now;
        }
        if (n->dropped > logged_drops) {
            uint64_t d = n->dropped - logged_drops;
            logged_drops = n->dropped;
            pthread_mutex_unlock(&n->mu);
            log_dropped(n, d, "queue_full");
            pthread_mutex_lock(&n->mu);
            continue;
        }
        n->busy = cur != NULL;
        if (n->stop && (cur == NULL || now >= n->drain_deadline_ns)) {
            break;
        }
        if (cur == NULL || now < next_try) {
            int64_t wake = cur != NULL ? next_try : INT64_MAX;
            int64_t rl = rl_deadline(&n->rl);
            wake = rl < wake ? rl : wake;
            if (n->stop && n->drain_deadline_ns < wake) {
                wake = n->drain_deadline_ns;
            }
            wait_until(n, wake);
            continue;
        }
        int64_t timeout = n->def->timeout_ms;
        if (n->stop) {
            int64_t left = (n->drain_deadline_ns - now) / 1000000;
            timeout = left < timeout ? (left > 100 ? left : 100) : timeout;
        }
        attempt++;
        int rc = deliver_unlocked(n, cur, attempt, timeout, why, sizeof(why));
        if (rc == 0) {
            n->sent++;
            pthread_mutex_unlock(&n->mu);
            log_outcome(n, cur, "notify_sent", LOG_DEBUG, attempt, NULL, 0);
            pthread_mutex_lock(&n->mu);
            free(cur);
            cur = NULL;
        } else if (rc > 0 && attempt < (unsigned)n->def->max_attempts) {
            int64_t wait = backoff_ns(n, attempt);
            n->retries++;
            next_try = notify_now_ns() + wait;
            pthread_mutex_unlock(&n->mu);
            log_outcome(n, cur, "notify_retry", LOG_WARN, attempt, why, wait / 1000000);
            pthread_mutex_lock(&n->mu);
        } else {
            n->failed++;
            pthread_mutex_unlock(&n->mu);
            log_outcome(n, cur, "notify_failed", LOG_ERROR, attempt, why, 0);
            pthread_mutex_lock(&n->mu);
            free(cur);
            cur = NULL;
        }
    }
    /* stopped: what could not be delivered in time is dropped (and said so) */
    uint64_t left = n->len + (cur != NULL ? 1 : 0);
    while (n->len > 0) {
        free(pop(n));
    }
    free(cur);
    n->dropped += left;
    n->dropped_unreported = 0;
    n->busy = 0;
    pthread_mutex_unlock(&n->mu);
    if (left > 0) {
        log_dropped(n, left, "shutdown");
    }
    return NULL;
}
