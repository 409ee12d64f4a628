/* batch.c - column batch storage: typed vectors, null flags, string arenas per column. */
#include "core/batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Doubles *cap until need fits: the rare half of grow, kept out of the per-cell path so
 * that path needs no registers saved around a call. */
__attribute__((noinline)) static int grow_slow(char **p, size_t *cap, size_t need)
{
    size_t ncap = *cap ? *cap : 4096;
    while (ncap < need) {
        ncap *= 2;
    }
    char *np = realloc(*p, ncap);
    if (np == NULL) {
        return -1;
    }
    *p = np;
    *cap = ncap;
    return 0;
}

static inline int grow(char **p, size_t *cap, size_t need)
{
    return need <= *cap ? 0 : grow_slow(p, cap, need);
}

struct batch *batch_create(const enum sl_type *types, size_t ncols, size_t cap)
{
    struct batch *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return NULL;
    }
    b->ncols = ncols;
    b->cap = cap;
    b->cols = calloc(ncols ? ncols : 1, sizeof(*b->cols));
    b->line = malloc(cap * sizeof(*b->line));
    b->raw_off = calloc(cap + 1, sizeof(*b->raw_off));
    b->outcome = calloc(cap, 1);
    if (b->cols == NULL || b->line == NULL || b->raw_off == NULL || b->outcome == NULL) {
        goto fail;
    }
    for (size_t c = 0; c < ncols; c++) {
        struct column *col = &b->cols[c];
        col->type = types[c];
        col->null = calloc(cap, 1);
        if (col->null == NULL) {
            goto fail;
        }
        switch (col->type) {
        case SL_T_INT:
        case SL_T_DATETIME:
            col->v.i64 = calloc(cap, sizeof(int64_t));
            break;
        case SL_T_NUM:
            col->v.f64 = calloc(cap, sizeof(double));
            break;
        case SL_T_DATE:
            col->v.i32 = calloc(cap, sizeof(int32_t));
            break;
        case SL_T_BOOL:
        case SL_T_NULL:
            col->v.u8 = calloc(cap, 1);
            break;
        case SL_T_STR:
            col->v.u8 = NULL;
            col->off = calloc(cap + 1, sizeof(size_t));
            if (col->off == NULL) {
                goto fail;
            }
            continue;
        }
        if (col->v.u8 == NULL) {
            goto fail;
        }
    }
    return b;
fail:
    batch_destroy(b);
    return NULL;
}

void batch_destroy(struct batch *b)
{
    if (b == NULL) {
        return;
    }
    for (size_t c = 0; b->cols != NULL && c < b->ncols; c++) {
        struct column *col = &b->cols[c];
        free(col->null);
        free(col->v.u8);
        free(col->off);
        free(col->data);
    }
    free(b->cols);
    free(b->line);
    free(b->raw_off);
    free(b->raw);
    free(b->outcome);
    free(b);
}

void batch_clear(struct batch *b)
{
    b->nrows = 0;
    b->raw_len = 0;
    for (size_t c = 0; c < b->ncols; c++) {
        b->cols[c].data_len = 0;
    }
    memset(b->outcome, 0, b->cap);
}

size_t batch_bytes(const struct batch *b)
{
    size_t n = b->raw_len;
    for (size_t c = 0; c < b->ncols; c++) {
        n += b->cols[c].data_len;
    }
    return n;
}

/* memcpy for the short strings most cells hold, without a libc call per cell: two
 * overlapping fixed-size copies cover every length from 4 to 16 bytes. */
static inline void copy_short(char *dst, const char *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t head, tail;
        memcpy(&head, src, 8);
        memcpy(&tail, src + n - 8, 8);
        memcpy(dst, &head, 8);
        memcpy(dst + n - 8, &tail, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t head, tail;
        memcpy(&head, src, 4);
        memcpy(&tail, src + n - 4, 4);
        memcpy(dst, &head, 4);
        memcpy(dst + n - 4, &tail, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++) {
            dst[i] = src[i];
        }
    } else {
        memcpy(dst, src, n);
    }
}

/* The body of batch_set, inlined into batch_append_row's loop over the columns. */
static inline __attribute__((always_inline)) int set_cell(struct column *c, size_t r, const struct sl_value *v)
{
    int isnull = v->type == SL_T_NULL;
    c->null[r] = (uint8_t)isnull;
    switch (c->type) {
    case SL_T_INT:
        c->v.i64[r] = isnull ? 0 : v->u.i;
        break;
    case SL_T_DATETIME:
        c->v.i64[r] = isnull ? 0 : v->u.us;
        break;
    case SL_T_NUM:
        c->v.f64[r] = isnull ? 0.0 : v->u.d;
        break;
    case SL_T_DATE:
        c->v.i32[r] = isnull ? 0 : v->u.days;
        break;
    case SL_T_BOOL:
    case SL_T_NULL:
        c->v.u8[r] = isnull ? 0 : (uint8_t)(v->u.b != 0);
        break;
    case SL_T_STR: {
        size_t start = c->off[r];
        size_t n = isnull ? 0 : v->u.s.n;
        if (grow(&c->data, &c->data_cap, start + n + 1) != 0) {
            return -1;
        }
        copy_short(c->data + start, v->u.s.p, n);
        c->off[r + 1] = start + n;
        c->data_len = start + n;
        break;
    }
    }
    return 0;
}

int batch_set(struct batch *b, size_t col, const struct sl_value *v)
{
    return set_cell(&b->cols[col], b->nrows, v);
}

/* Appends the pending row's raw bytes, line and outcome. */
static int commit_raw(struct batch *b, uint64_t line, const char *raw, size_t raw_len)
{
    size_t r = b->nrows;
    size_t start = b->raw_off[r];
    if (grow(&b->raw, &b->raw_cap, start + raw_len + 1) != 0) {
        return -1;
    }
    if (raw_len > 0) {
        memcpy(b->raw + start, raw, raw_len);
    }
    b->raw_off[r + 1] = start + raw_len;
    b->raw_len = start + raw_len;
    b->line[r] = line;
    b->outcome[r] = BATCH_PENDING;
    b->nrows = r + 1;
    return 0;
}

int batch_row_commit(struct batch *b, uint64_t line, const char *raw, size_t raw_len)
{
    size_t r = b->nrows;
    if (commit_raw(b, line, raw, raw_len) != 0) {
        return -1;
    }
    /* the next pending row starts where this one ended (also for a column left unset) */
    for (size_t c = 0; c < b->ncols; c++) {
        struct column *col = &b->cols[c];
        if (col->type == SL_T_STR) {
            col->off[r + 1] = col->data_len;
        }
    }
    return 0;
}

int batch_append_row(struct batch *b, const struct sl_value *row, uint64_t line,
                     const char *raw, size_t raw_len)
{
    /* locals, not b->...: the byte stores through null[] may alias anything, so the compiler
     * would otherwise reload them for every cell */
    size_t r = b->nrows, ncols = b->ncols;
    struct column *cols = b->cols;
    for (size_t c = 0; c < ncols; c++) {
        if (set_cell(&cols[c], r, &row[c]) != 0) {
            batch_row_abort(b);
            return -1;
        }
    }
    /* every string column was set, so off[r + 1] is already where its data ends */
    if (commit_raw(b, line, raw, raw_len) != 0) {
        batch_row_abort(b);
        return -1;
    }
    return 0;
}

void batch_row_abort(struct batch *b)
{
    size_t r = b->nrows;
    for (size_t c = 0; c < b->ncols; c++) {
        struct column *col = &b->cols[c];
        if (col->type == SL_T_STR) {
            col->data_len = col->off[r];
        }
    }
}

void batch_get(const struct batch *b, size_t row, size_t col, struct sl_value *out)
{
    const struct column *c = &b->cols[col];
    if (c->null[row]) {
        out->type = SL_T_NULL;
        return;
    }
    out->type = c->type;
    switch (c->type) {
    case SL_T_INT:
        out->u.i = c->v.i64[row];
        break;
    case SL_T_DATETIME:
        out->u.us = c->v.i64[row];
        break;
    case SL_T_NUM:
        out->u.d = c->v.f64[row];
        break;
    case SL_T_DATE:
        out->u.days = c->v.i32[row];
        break;
    case SL_T_BOOL:
    case SL_T_NULL:
        out->u.b = c->v.u8[row];
        break;
    case SL_T_STR:
        out->u.s.p = c->data + c->off[row];
        out->u.s.n = c->off[row + 1] - c->off[row];
        break;
    }
}

/* Moves the strings of rows [from] to row [to] (to <= from) within one packed buffer. */
static void move_bytes(char *data, size_t *off, size_t to, size_t from, size_t *len)
{
    size_t n = off[from + 1] - off[from];
    size_t at = off[to];
    if (n > 0 && at != off[from]) {
        memmove(data + at, data + off[from], n);
    }
    off[to + 1] = at + n;
    *len = at + n;
}

void batch_compact(struct batch *b, const uint8_t *keep)
{
    size_t to = 0;
    for (size_t r = 0; r < b->nrows; r++) {
        if (!keep[r]) {
            continue;
        }
        for (size_t c = 0; c < b->ncols; c++) {
            struct column *col = &b->cols[c];
            col->null[to] = col->null[r];
            switch (col->type) {
            case SL_T_INT:
            case SL_T_DATETIME:
                col->v.i64[to] = col->v.i64[r];
                break;
            case SL_T_NUM:
                col->v.f64[to] = col->v.f64[r];
                break;
            case SL_T_DATE:
                col->v.i32[to] = col->v.i32[r];
                break;
            case SL_T_BOOL:
            case SL_T_NULL:
                col->v.u8[to] = col->v.u8[r];
                break;
            case SL_T_STR:
                move_bytes(col->data, col->off, to, r, &col->data_len);
                break;
            }
        }
        move_bytes(b->raw, b->raw_off, to, r, &b->raw_len);
        b->line[to] = b->line[r];
        b->outcome[to] = b->outcome[r];
        to++;
    }
    if (to == 0) {
        b->raw_len = 0;
        for (size_t c = 0; c < b->ncols; c++) {
            b->cols[c].data_len = 0;
        }
    }
    b->nrows = to;
}
