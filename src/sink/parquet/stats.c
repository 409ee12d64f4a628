/* stats.c - column chunk statistics: null count and min/max in each type's sort order.
 *
 * Integers, dates and timestamps compare signed; booleans false < true; strings bytewise
 * unsigned, shorter first.  Doubles: a NaN anywhere drops min/max (readers would prune
 * wrongly), and a zero bound is written as -0.0 for min and +0.0 for max.
 */
#include "sink/parquet/internal.h"

#include <math.h>
#include <string.h>

void pq_stats_reset(struct pq_stats *s, enum sl_type type)
{
    s->type = type;
    s->nulls = 0;
    s->has = 0;
    s->nan = 0;
    s->imin = s->imax = 0;
    s->dmin = s->dmax = 0.0;
    s->smin.len = s->smax.len = 0;
    s->smin.failed = s->smax.failed = 0;
}

void pq_stats_free(struct pq_stats *s)
{
    pq_buf_free(&s->smin);
    pq_buf_free(&s->smax);
}

void pq_stats_double_slow(struct pq_stats *s, double v)
{
    if (isnan(v)) {
        s->nan = 1;
    } else if (!s->has) {
        s->dmin = s->dmax = v;
        s->has = 1;
    } else if (v < s->dmin) {
        s->dmin = v;
    } else if (v > s->dmax) {
        s->dmax = v;
    }
}

static int bytes_cmp(const uint8_t *a, size_t an, const void *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return an < bn ? -1 : an > bn;
}

static int set_bytes(struct pq_buf *dst, const void *p, size_t n)
{
    dst->len = 0;
    pq_buf_add(dst, p, n);
    return dst->failed ? -1 : 0;
}

int pq_stats_str(struct pq_stats *s, const void *p, size_t n)
{
    if (!s->has) {
        s->has = 1;
        if (set_bytes(&s->smin, p, n) != 0 || set_bytes(&s->smax, p, n) != 0) {
            return -1;
        }
        return 0;
    }
    if (bytes_cmp(s->smin.p, s->smin.len, p, n) > 0) {
        return set_bytes(&s->smin, p, n);
    }
    if (bytes_cmp(s->smax.p, s->smax.len, p, n) < 0) {
        return set_bytes(&s->smax, p, n);
    }
    return 0;
}

/* PLAIN bytes of a bound (without a length prefix). */
static size_t bound_bytes(const struct pq_stats *s, int max, uint8_t out[8])
{
    int64_t i = max ? s->imax : s->imin;
    int32_t i32 = (int32_t)i;
    double d = max ? s->dmax : s->dmin;
    switch (s->type) {
    case SL_T_INT:
    case SL_T_DATETIME:
        memcpy(out, &i, 8);
        return 8;
    case SL_T_DATE:
        memcpy(out, &i32, 4);
        return 4;
    case SL_T_BOOL:
        out[0] = (uint8_t)(i != 0);
        return 1;
    case SL_T_NUM:
        if (d == 0.0) {
            d = max ? 0.0 : -0.0; /* either zero may be in the chunk */
        }
        memcpy(out, &d, 8);
        return 8;
    default:
        return 0;
    }
}

void pq_stats_write(const struct pq_stats *s, struct th_enc *t, int16_t id)
{
    th_struct(t, id);
    th_i64(t, 3, (int64_t)s->nulls);
    int bounds = s->has && !(s->type == SL_T_NUM && s->nan);
    if (s->type == SL_T_STR && (s->smin.len > PQ_STATS_MAX_STR
                                || s->smax.len > PQ_STATS_MAX_STR)) {
        bounds = 0;
    }
    if (bounds) {
        uint8_t lo[8], hi[8];
        if (s->type == SL_T_STR) {
            th_bin(t, 5, s->smax.p, s->smax.len);
            th_bin(t, 6, s->smin.p, s->smin.len);
        } else {
            size_t n = bound_bytes(s, 1, hi);
            th_bin(t, 5, hi, n);
            n = bound_bytes(s, 0, lo);
            th_bin(t, 6, lo, n);
        }
        th_bool(t, 7, 1);
        th_bool(t, 8, 1);
    }
    th_end(t);
}
