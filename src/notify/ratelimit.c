/* ratelimit.c - min_interval: at most one message per interval per notifier.
 *
 * The first event of a quiet period goes out at once and opens a window of min_interval.
 * Events inside the window are folded into one summary (counts by event, rejected rows, the
 * first file names), which the worker sends when the window ends; that opens the next
 * window.  So a burst of 1,000 failed files sends the first failure and one summary of the
 * other 999.  Digests are never limited and do not open a window.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/internal.h"

enum rl_action rl_offer(struct ratelimit *rl, int64_t now, const struct notify_msg *m)
{
    struct notify_msg *p;
    if (rl->interval_ns <= 0 || (m->kind == NK_EVENT && m->ev == NEV_DAILY_DIGEST)) {
        return RL_SEND;
    }
    if (rl->pending == NULL && (!rl->has_last || now - rl->last_ns >= rl->interval_ns)) {
        rl->has_last = 1;
        rl->last_ns = now;
        return RL_SEND;
    }
    if (rl->pending == NULL) {
        if ((rl->pending = calloc(1, sizeof(*rl->pending))) == NULL) {
            return RL_NOMEM;
        }
        rl->pending->kind = NK_SUMMARY;
        memcpy(rl->pending->first_ts, m->ts, sizeof(m->ts));
    }
    p = rl->pending;
    p->folded++;
    if ((unsigned)m->ev < NEV_COUNT) {
        p->folded_ev[m->ev]++;
    }
    p->folded_rows_rejected += m->rows_rejected;
    memcpy(p->ts, m->ts, sizeof(m->ts));
    if (m->file[0] != '\0' && p->nsample < NOTIFY_MAX_SAMPLE) {
        memcpy(p->sample[p->nsample++], m->file, sizeof(m->file));
    }
    return RL_FOLDED;
}

struct notify_msg *rl_take(struct ratelimit *rl, int64_t now, int force)
{
    struct notify_msg *p = rl->pending;
    if (p == NULL || (!force && now < rl_deadline(rl))) {
        return NULL;
    }
    rl->pending = NULL;
    rl->has_last = 1;
    rl->last_ns = now;
    return p;
}

int64_t rl_deadline(const struct ratelimit *rl)
{
    if (rl->pending == NULL) {
        return INT64_MAX;
    }
    return rl->last_ns > INT64_MAX - rl->interval_ns ? INT64_MAX : rl->last_ns + rl->interval_ns;
}

void rl_free(struct ratelimit *rl)
{
    free(rl->pending);
    rl->pending = NULL;
}
