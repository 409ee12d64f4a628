/* sched.h - the daemon's timer queue: a binary min-heap of one-shot timers with absolute
 * CLOCK_MONOTONIC deadlines (nanoseconds).  The event loop arms one timerfd at the earliest
 * deadline and pops the timers that are due; periodic jobs re-add themselves.  Timers with
 * equal deadlines fire in the order they were added.  Not thread-safe (one loop owns it).
 */
#ifndef SL_SCHED_H
#define SL_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct sched_timer {
    int64_t deadline_ns; /* CLOCK_MONOTONIC */
    uint64_t seq;        /* insertion order: ties fire first-in first-out */
    uint64_t id;         /* never 0 */
    int kind;            /* the caller's tag (what to do when it fires) */
};

struct sched {
    struct sched_timer *heap;
    size_t n, cap;
    uint64_t next_seq;
};

void sched_init(struct sched *s);
void sched_free(struct sched *s);

/* Adds a timer; *id (if not NULL) gets its id for sched_cancel.  0, or -1 out of memory. */
int sched_add(struct sched *s, int64_t deadline_ns, int kind, uint64_t *id);
/* Removes the timer id.  Returns 0, or -1 when no such timer is pending (id 0 included). */
int sched_cancel(struct sched *s, uint64_t id);
/* Earliest deadline into *deadline_ns; returns 1, or 0 when the queue is empty. */
int sched_next(const struct sched *s, int64_t *deadline_ns);
/* Pops the earliest timer if its deadline is <= now_ns into *out; returns 1, else 0. */
int sched_pop_due(struct sched *s, int64_t now_ns, struct sched_timer *out);
size_t sched_count(const struct sched *s);

/* The current CLOCK_MONOTONIC time in nanoseconds. */
int64_t sched_now_ns(void);

#endif
