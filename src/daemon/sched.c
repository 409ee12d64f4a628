/* sched.c - the timer min-heap.  Ordering is (deadline, seq); cancel finds the timer by a
 * linear scan (the daemon holds a handful of timers) and repairs the heap in O(log n).
 */
#include "daemon/sched.h"

#include <stdlib.h>
#include <time.h>

static int before(const struct sched_timer *a, const struct sched_timer *b)
{
    if (a->deadline_ns != b->deadline_ns) {
        return a->deadline_ns < b->deadline_ns;
    }
    return a->seq < b->seq;
}

static void swap(struct sched_timer *a, struct sched_timer *b)
{
    struct sched_timer t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(struct sched *s, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&s->heap[i], &s->heap[parent])) {
            break;
        }
        swap(&s->heap[i], &s->heap[parent]);
        i = parent;
    }
}

static void sift_down(struct sched *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && before(&s->heap[l], &s->heap[m])) {
            m = l;
        }
        if (r < s->n && before(&s->heap[r], &s->heap[m])) {
            m = r;
        }
        if (m == i) {
            break;
        }
        swap(&s->heap[i], &s->heap[m]);
        i = m;
    }
}

static void remove_at(struct sched *s, size_t i)
{
    s->n--;
    if (i == s->n) {
        return;
    }
    s->heap[i] = s->heap[s->n];
    sift_down(s, i);
    sift_up(s, i);
}

void sched_init(struct sched *s)
{
    s->heap = NULL;
    s->n = 0;
    s->cap = 0;
    s->next_seq = 1;
}

void sched_free(struct sched *s)
{
    free(s->heap);
    sched_init(s);
}

int sched_add(struct sched *s, int64_t deadline_ns, int kind, uint64_t *id)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap != 0 ? s->cap * 2 : 16;
        struct sched_timer *nh = realloc(s->heap, ncap * sizeof(*nh));
        if (nh == NULL) {
            return -1;
        }
        s->heap = nh;
        s->cap = ncap;
    }
    struct sched_timer *t = &s->heap[s->n];
    t->deadline_ns = deadline_ns;
    t->seq = s->next_seq++;
    t->id = t->seq; /* unique and never 0 */
    t->kind = kind;
    if (id != NULL) {
        *id = t->id;
    }
    s->n++;
    sift_up(s, s->n - 1);
    return 0;
}

int sched_cancel(struct sched *s, uint64_t id)
{
    if (id == 0) {
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->heap[i].id == id) {
            remove_at(s, i);
            return 0;
        }
    }
    return -1;
}

int sched_next(const struct sched *s, int64_t *deadline_ns)
{
    if (s->n == 0) {
        return 0;
    }
    *deadline_ns = s->heap[0].deadline_ns;
    return 1;
}

int sched_pop_due(struct sched *s, int64_t now_ns, struct sched_timer *out)
{
    if (s->n == 0 || s->heap[0].deadline_ns > now_ns) {
        return 0;
    }
    *out = s->heap[0];
    remove_at(s, 0);
    return 1;
}

size_t sched_count(const struct sched *s)
{
    return s->n;
}

int64_t sched_now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0; /* CLOCK_MONOTONIC cannot fail on Linux */
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
