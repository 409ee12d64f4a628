/* expr.h - the small typed expression language of rules, derived columns and metrics.
 *
 * An expression is compiled once against the columns it may read (names and types), which
 * fixes its result type; it is then evaluated per row against an array of values indexed like
 * those columns.  The language is documented in docs/EXPRESSIONS.md.  Null propagates as in
 * SQL (three-valued and/or/not).  Runtime failures (division by zero, a string that does not
 * parse in date()) are errors, not nulls, so a rule or derived column can reject the row.
 */
#ifndef SL_EXPR_H
#define SL_EXPR_H

#include <stddef.h>

#include "contract/value.h"
#include "core/error.h"

struct expr_col {
    const char *name;
    enum sl_type type;
};

struct expr;

/* Compiles src.  cols is borrowed for the call only.  On success *out is a new expression
 * (free with expr_destroy) and *type its result type (SL_T_NULL only for the literal null).
 * On failure returns SL_EEXPR with err naming the offending token and its 1-based offset,
 * e.g. "unknown column 'totl' at offset 5 (did you mean 'total'?)". */
int expr_compile(const char *src, const struct expr_col *cols, size_t ncols, struct expr **out,
                 enum sl_type *type, struct sl_error *err);
void expr_destroy(struct expr *e); /* NULL is a no-op */

/* Scratch space for string results (strftime, concat, ...).  Reset it per row. */
struct expr_scratch;
struct expr_scratch *expr_scratch_create(void);
void expr_scratch_reset(struct expr_scratch *s);
void expr_scratch_destroy(struct expr_scratch *s);

/* Evaluates e over row (row[i] is the value of cols[i] at compile time; borrowed).  Strings
 * in *out point into row or scratch and live until scratch is reset.  Returns 0, or SL_EEXPR
 * with err saying what failed ("division by zero"). */
int expr_eval(const struct expr *e, const struct sl_value *row, struct expr_scratch *scratch,
              struct sl_value *out, struct sl_error *err);

/* Aggregates for per-file metrics: "count()", "count(x)", "sum(x)", "avg(x)", "min(x)",
 * "max(x)", "count_distinct(x)" where x is a row expression. */
struct agg;
int agg_compile(const char *src, const struct expr_col *cols, size_t ncols, struct agg **out,
                struct sl_error *err);
/* Feeds one row; returns 0 or an SL_E* code (out-of-memory, eval error). */
int agg_step(struct agg *a, const struct sl_value *row, struct expr_scratch *scratch,
             struct sl_error *err);
/* The row column a's argument is, when it is a bare column ("sum(total)"): such an
 * aggregate can be fed the column's value directly.  AGG_NO_ARG for count(), AGG_EXPR for
 * any other argument. */
#define AGG_NO_ARG (-2)
#define AGG_EXPR (-1)
int agg_column(const struct agg *a);
/* agg_step for an aggregate whose agg_column is >= 0: v is that column's value. */
int agg_step_cell(struct agg *a, const struct sl_value *v, struct sl_error *err);
/* agg_step_cell with the values of column col (agg_column's, or any column for count())
 * of every row of b whose outcome is BATCH_LOADED, in row order. */
struct batch;
int agg_step_column(struct agg *a, const struct batch *b, size_t col, struct sl_error *err);
/* The result so far: int for count/count_distinct, and sums of ints; num for avg and sums of
 * numbers; min/max keep their input type; null when no non-null input was seen (except count). */
void agg_result(const struct agg *a, struct sl_value *out);
void agg_reset(struct agg *a); /* forget all rows (per-file reuse) */
void agg_destroy(struct agg *a);

#endif
