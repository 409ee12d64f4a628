/* batch.h - the column batch: up to cap rows held as one typed vector per column, with a
 * null flag per value, each row's physical line and raw bytes, and a per-row outcome that
 * sinks fill.  Every stage after the CSV reader works on batches; none sees CSV text except
 * through raw (kept so a sink-detected problem can still quarantine the original line).
 *
 * Rows are built one at a time: batch_set each column of the pending row (index nrows),
 * then batch_row_commit, or batch_row_abort to discard it.
 */
#ifndef SL_BATCH_H
#define SL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "contract/value.h"

enum batch_outcome {
    BATCH_PENDING = 0,
    BATCH_LOADED,    /* inserted (or updated, under on_duplicate_key: update) */
    BATCH_DUP_SKIP,  /* primary key already in the table: skipped */
    BATCH_DUP_REJECT /* primary key already in the table: rejected */
};

struct column {
    enum sl_type type;
    uint8_t *null; /* 1 = null */
    union {
        int64_t *i64; /* INT, DATETIME */
        double *f64;  /* NUM */
        int32_t *i32; /* DATE */
        uint8_t *u8;  /* BOOL */
    } v;
    size_t *off;   /* STR: off[r]..off[r+1] in data; cap + 1 entries */
    char *data;
    size_t data_len, data_cap;
};

struct batch {
    size_t ncols, nrows, cap;
    struct column *cols;
    uint64_t *line;  /* physical line of each row */
    size_t *raw_off; /* raw bytes of row r: raw[raw_off[r] .. raw_off[r+1]) */
    char *raw;
    size_t raw_len, raw_cap;
    uint8_t *outcome; /* enum batch_outcome, set by sinks */
};

/* Returns a new batch or NULL on out-of-memory; types is copied. */
struct batch *batch_create(const enum sl_type *types, size_t ncols, size_t cap);
void batch_destroy(struct batch *b);
void batch_clear(struct batch *b);

static inline int batch_full(const struct batch *b)
{
    return b->nrows >= b->cap;
}
/* Bytes of string and raw data held (flush early when large). */
size_t batch_bytes(const struct batch *b);

/* Sets column col of the pending row; strings are copied.  v->type must be the column's
 * type or SL_T_NULL.  Returns 0 or -1 on out-of-memory. */
int batch_set(struct batch *b, size_t col, const struct sl_value *v);
/* Appends the pending row.  Returns 0 or -1 on out-of-memory. */
int batch_row_commit(struct batch *b, uint64_t line, const char *raw, size_t raw_len);
/* batch_set of every column from row[0 .. ncols) then batch_row_commit, in one pass (the
 * validator's per-row path).  Returns 0, or -1 on out-of-memory with the row aborted. */
int batch_append_row(struct batch *b, const struct sl_value *row, uint64_t line,
                     const char *raw, size_t raw_len);
void batch_row_abort(struct batch *b);
/* Reads a value; strings borrow the batch's memory. */
void batch_get(const struct batch *b, size_t row, size_t col, struct sl_value *out);

/* Drops the rows r with keep[r] == 0, keeping the others in order. */
void batch_compact(struct batch *b, const uint8_t *keep);

#endif
