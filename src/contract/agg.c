/* agg.c - per-file metric aggregates: count, sum, avg, min, max and count_distinct.
 *
 * The argument is an ordinary compiled row expression; each step evaluates it and folds the
 * value in.  Sums of numbers are compensated (Neumaier), sums of integers are exact and fail
 * on overflow, and count_distinct keeps an exact open-addressing hash set whose strings live
 * in the aggregate's own arena.  Null inputs are skipped.
 */
#include "contract/expr_int.h"
#include "core/batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
    struct arena_chunk *next;
    size_t cap, used;
    char data[];
};

#define TAB_KEEP 65536 /* count_distinct set slots kept from one file to the next */

struct dentry {
    uint64_t hash; /* 0 marks an empty slot */
    uint64_t key;  /* non-strings: the value's bits */
    const char *p; /* strings: bytes in the arena */
    size_t n;
};

struct agg {
    enum fn_id fn;
    struct expr *arg; /* NULL for count() */
    enum sl_type type; /* the argument's type */
    int64_t count;     /* non-null inputs (rows for count()) */
    int64_t isum;
    double sum, comp;  /* Neumaier: the true sum is sum + comp */
    struct sl_value best;
    char *best_buf;    /* min/max of strings: an owned copy */
    size_t best_cap;
    struct dentry *tab;
    size_t tab_cap, tab_used;
    struct arena_chunk *arena;
};

int agg_compile(const char *src, const struct expr_col *cols, size_t ncols, struct agg **out,
                struct sl_error *err)
{
    struct expr *arg = NULL;
    enum sl_type type = SL_T_NULL;
    enum fn_id fn = FN_COUNT;
    *out = NULL;
    int rc = expr_compile_ex(src, cols, ncols, 1, &arg, &type, &fn, err);
    if (rc != 0) {
        return rc;
    }
    struct agg *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        expr_destroy(arg);
        return sl_error_set(err, SL_ENOMEM, "out of memory compiling a metric");
    }
    a->fn = fn;
    a->arg = arg;
    a->type = type;
    *out = a;
    return 0;
}

static void arena_free(struct agg *a)
{
    while (a->arena != NULL) {
        struct arena_chunk *next = a->arena->next;
        free(a->arena);
        a->arena = next;
    }
}

void agg_reset(struct agg *a)
{
    if (a == NULL) {
        return;
    }
    a->count = 0;
    a->isum = 0;
    a->sum = 0;
    a->comp = 0;
    a->best.type = SL_T_NULL;
    if (a->tab_cap > TAB_KEEP) {
        /* a big file's set: clearing it would cost every later small file a big memset,
         * and keep the memory */
        free(a->tab);
        a->tab = NULL;
        a->tab_cap = 0;
    } else if (a->tab != NULL) {
        memset(a->tab, 0, a->tab_cap * sizeof(*a->tab));
    }
    a->tab_used = 0;
    arena_free(a);
}

void agg_destroy(struct agg *a)
{
    if (a == NULL) {
        return;
    }
    arena_free(a);
    free(a->tab);
    free(a->best_buf);
    expr_destroy(a->arg);
    free(a);
}

/* ---- count_distinct's set ---------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix64(h ^ w);
    }
    uint64_t tail = 0;
    if (n > i) {
        memcpy(&tail, p + i, n - i);
    }
    return mix64(h ^ tail ^ ((uint64_t)(n - i) << 56));
}

static char *arena_copy(struct agg *a, const char *p, size_t n)
{
    struct arena_chunk *c = a->arena;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL) {
            return NULL;
        }
        c->cap = cap;
        c->used = 0;
        c->next = a->arena;
        a->arena = c;
    }
    char *dst = c->data + c->used;
    if (n > 0) {
        memcpy(dst, p, n);
    }
    c->used += n;
    return dst;
}

static int set_grow(struct agg *a, struct sl_error *err)
{
    size_t cap = a->tab_cap == 0 ? 1024 : a->tab_cap * 2;
    struct dentry *tab = calloc(cap, sizeof(*tab));
    if (tab == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory in count_distinct()");
    }
    for (size_t i = 0; i < a->tab_cap; i++) {
        if (a->tab[i].hash == 0) {
            continue;
        }
        size_t j = a->tab[i].hash & (cap - 1);
        while (tab[j].hash != 0) {
            j = (j + 1) & (cap - 1);
        }
        tab[j] = a->tab[i];
    }
    free(a->tab);
    a->tab = tab;
    a->tab_cap = cap;
    return 0;
}

static int set_add(struct agg *a, const struct sl_value *v, struct sl_error *err)
{
    if ((a->tab_used + 1) * 10 > a->tab_cap * 7) {
        int rc = set_grow(a, err);
        if (rc != 0) {
            return rc;
        }
    }
    int is_str = v->type == SL_T_STR;
    uint64_t key = 0;
    switch (v->type) {
    case SL_T_INT:
        key = (uint64_t)v->u.i;
        break;
    case SL_T_NUM: {
        double d = v->u.d == 0 ? 0.0 : v->u.d; /* -0 and 0 are one value */
        memcpy(&key, &d, sizeof(key));
        break;
    }
    case SL_T_BOOL:
        key = (uint64_t)v->u.b;
        break;
    case SL_T_DATE:
        key = (uint64_t)(int64_t)v->u.days;
        break;
    case SL_T_DATETIME:
        key = (uint64_t)v->u.us;
        break;
    default:
        break;
    }
    uint64_t h = is_str ? hash_bytes(v->u.s.p, v->u.s.n) : mix64(key);
    if (h == 0) {
        h = 1;
    }
    size_t mask = a->tab_cap - 1;
    size_t j = h & mask;
    for (; a->tab[j].hash != 0; j = (j + 1) & mask) {
        const struct dentry *d = &a->tab[j];
        if (d->hash == h && (is_str ? d->n == v->u.s.n && memcmp(d->p, v->u.s.p, d->n) == 0
                                    : d->key == key)) {
            return 0;
        }
    }
    struct dentry *d = &a->tab[j];
    if (is_str) {
        d->p = arena_copy(a, v->u.s.p, v->u.s.n);
        if (d->p == NULL) {
            return sl_error_set(err, SL_ENOMEM, "out of memory in count_distinct()");
        }
        d->n = v->u.s.n;
    }
    d->key = key;
    d->hash = h;
    a->tab_used++;
    return 0;
}

/* ---- steps ------------------------------------------------------------------------ */

static void neumaier_add(struct agg *a, double x)
{
    double t = a->sum + x;
    if (fabs(a->sum) >= fabs(x)) {
        a->comp += (a->sum - t) + x;
    } else {
        a->comp += (x - t) + a->sum;
    }
    a->sum = t;
}

static int keep_best(struct agg *a, const struct sl_value *v, struct sl_error *err)
{
    int want = a->fn == FN_AGG_MIN ? -1 : 1;
    if (a->count > 0 && expr_compare(expr_dom_of(a->type), v, &a->best) != want) {
        return 0;
    }
    a->best = *v;
    if (v->type == SL_T_STR) {
        if (v->u.s.n > a->best_cap) {
            size_t cap = v->u.s.n > 64 ? v->u.s.n : 64;
            char *buf = realloc(a->best_buf, cap);
            if (buf == NULL) {
                a->best.type = SL_T_NULL;
                return sl_error_set(err, SL_ENOMEM, "out of memory in %s()",
                                    want < 0 ? "min" : "max");
            }
            a->best_buf = buf;
            a->best_cap = cap;
        }
        if (v->u.s.n > 0) {
            memcpy(a->best_buf, v->u.s.p, v->u.s.n);
        }
        a->best.u.s.p = a->best_buf;
    }
    return 0;
}

int agg_column(const struct agg *a)
{
    if (a->arg == NULL) {
        return AGG_NO_ARG;
    }
    const struct enode *nd = &a->arg->nodes[a->arg->root];
    return nd->op == OP_COL ? (int)nd->val.u.i : AGG_EXPR;
}

static inline int step_value(struct agg *a, struct sl_value v, struct sl_error *err);

int agg_step_cell(struct agg *a, const struct sl_value *cell, struct sl_error *err)
{
    /* what evaluating the column node gives (ev_col) */
    struct sl_value v = *cell;
    int rc = ev_col_value(&a->arg->nodes[a->arg->root], &v, err);
    if (rc != 0 || v.type == SL_T_NULL) {
        return rc;
    }
    return step_value(a, v, err);
}

int agg_step(struct agg *a, const struct sl_value *row, struct expr_scratch *scratch,
             struct sl_error *err)
{
    if (a->arg == NULL) {
        a->count++;
        return 0;
    }
    struct sl_value v;
    int rc = expr_eval(a->arg, row, scratch, &v, err);
    if (rc != 0 || v.type == SL_T_NULL) {
        return rc;
    }
    return step_value(a, v, err);
}

/* Inlined: agg_step_column calls it for every cell of a metric's column. */
__attribute__((always_inline)) static inline int
step_value(struct agg *a, struct sl_value v, struct sl_error *err)
{
    int rc = 0;
    ev_coerce(&v, a->type);
    switch (a->fn) {
    case FN_SUM:
        if (v.type == SL_T_INT) {
            int64_t next;
            if (__builtin_add_overflow(a->isum, v.u.i, &next)) {
                return sl_error_set(err, SL_EEXPR, "integer overflow in sum()");
            }
            a->isum = next;
        } else {
            neumaier_add(a, v.u.d);
            if (!isfinite(a->sum)) {
                return sl_error_set(err, SL_EEXPR, "number out of range in sum()");
            }
        }
        break;
    case FN_AVG:
        neumaier_add(a, v.type == SL_T_INT ? (double)v.u.i : v.u.d);
        break;
    case FN_AGG_MIN:
    case FN_AGG_MAX:
        rc = keep_best(a, &v, err);
        break;
    case FN_COUNT_DISTINCT:
        rc = set_add(a, &v, err);
        if (rc == 0) {
            a->count = (int64_t)a->tab_used;
        }
        return rc;
    default: /* FN_COUNT */
        break;
    }
    if (rc == 0) {
        a->count++;
    }
    return rc;
}

void agg_result(const struct agg *a, struct sl_value *out)
{
    out->type = SL_T_NULL;
    switch (a->fn) {
    case FN_COUNT:
    case FN_COUNT_DISTINCT:
        out->type = SL_T_INT;
        out->u.i = a->count;
        return;
    case FN_SUM:
        if (a->count > 0 && a->type == SL_T_INT) {
            out->type = SL_T_INT;
            out->u.i = a->isum;
        } else if (a->count > 0) {
            out->type = SL_T_NUM;
            out->u.d = a->sum + a->comp;
        }
        return;
    case FN_AVG:
        if (a->count > 0) {
            out->type = SL_T_NUM;
            out->u.d = (a->sum + a->comp) / (double)a->count;
        }
        return;
    default: /* min, max */
        if (a->count > 0) {
            *out = a->best;
        }
        return;
    }
}

/* Straight from the column for what metrics mostly are: count, sum, avg or count_distinct
 * of a number or integer column whose type the argument already has (ev_col_value would
 * change nothing), each cell into step_value.  Anything else goes a cell at a time through
 * agg_step_cell. */
int agg_step_column(struct agg *a, const struct batch *b, size_t col, struct sl_error *err)
{
    if (a->arg == NULL) {
        for (size_t r = 0; r < b->nrows; r++) {
            a->count += b->outcome[r] == BATCH_LOADED;
        }
        return 0;
    }
    const struct column *c = &b->cols[col];
    enum sl_type t = c->type;
    int typed = (t == SL_T_NUM || t == SL_T_INT) && a->arg->nodes[a->arg->root].type == t
                && a->type == t
                && (a->fn == FN_COUNT || a->fn == FN_SUM || a->fn == FN_AVG
                    || a->fn == FN_COUNT_DISTINCT);
    for (size_t r = 0; r < b->nrows; r++) {
        if (b->outcome[r] != BATCH_LOADED) {
            continue;
        }
        int rc;
        if (!typed) {
            struct sl_value v;
            batch_get(b, r, col, &v);
            rc = agg_step_cell(a, &v, err);
        } else if (c->null[r] != 0) {
            rc = 0;
        } else {
            struct sl_value v = {.type = t};
            if (t == SL_T_INT) {
                v.u.i = c->v.i64[r];
            } else {
                v.u.d = c->v.f64[r];
            }
            rc = step_value(a, v, err);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}
