/* validate.h - the compiled plan of a config (columns, derived expressions, rules, metric
 * aggregates) and the row validator that turns CSV records into batch rows or rejects.
 *
 * A row is checked in this order: CSV problems (stray quote, NUL, invalid UTF-8), field
 * count, then every contract field (missing value, type, constraints) - all field errors are
 * collected - then, for a row whose fields are all valid, derived columns, rules and
 * within-file uniqueness.  The first error names the reject's column and rule; the message
 * lists them all.
 */
#ifndef SL_VALIDATE_H
#define SL_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "contract/expr.h"
#include "core/batch.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "input/csv.h"

struct plan_col {
    const char *name;
    enum sl_type type;
    const struct field_def *field; /* NULL for derived columns */
};

struct plan {
    const struct config *cfg; /* borrowed; outlives the plan */
    size_t nfields;           /* contract fields: columns [0, nfields) */
    size_t ncols;             /* + derived columns [nfields, ncols) */
    struct plan_col *cols;
    struct expr_col *ecols;
    struct expr **derive; /* cfg->nderive */
    struct expr **rules;  /* cfg->nrules */
    struct agg **metrics; /* cfg->nmetrics */
    size_t npart;
    size_t *part;         /* parquet.partition_by as column indexes (when Parquet is on) */
};

/* Compiles every expression of cfg.  Errors are SL_ECONFIG "SOURCE:LINE: derive 'x': ...". */
int plan_create(const struct config *cfg, struct plan **out, struct sl_error *err);
void plan_destroy(struct plan *p);
/* Column types in order (for batch_create); returns a new array, NULL on OOM. */
enum sl_type *plan_types(const struct plan *p);

struct reject {
    uint64_t line;
    const char *column; /* NULL for row-level problems (ragged row) */
    const char *rule;   /* "type", "required", "minimum", ..., a rule's name */
    struct strbuf msg;  /* every problem of the row, "; "-separated */
    int nproblems;
};

struct validator;
struct validator *validator_create(const struct plan *p); /* NULL on OOM */
void validator_destroy(struct validator *v);

/* Binds a file's header: maps CSV columns to contract fields by name (any order).  File-level
 * errors (SL_EHEADER): a problem in the header record (invalid UTF-8, NUL, stray quote),
 * empty or duplicate names, a required field missing.  Resets uniqueness state. */
int validator_header(struct validator *v, const struct csv_record *hdr, struct sl_error *err);
/* Header columns that are not in the contract (ignored), as a ", "-joined list or "". */
const char *validator_extra_columns(const struct validator *v);

/* Validates rec; returns 1 when the row was appended to b, 0 when rejected (*rej filled,
 * valid until the next call), or a negative SL_E* on a fatal error (out of memory). */
int validator_row(struct validator *v, const struct csv_record *rec, struct batch *b,
                  struct reject *rej, struct sl_error *err);

/* Feeds the rows of b whose outcome is BATCH_LOADED to the metric aggregates. */
int plan_metrics_step(struct plan *p, const struct batch *b, struct sl_error *err);
void plan_metrics_reset(struct plan *p);
/* The metrics as a JSON object {"rows":..,...}; resets the aggregates. */
int plan_metrics_json(struct plan *p, struct strbuf *out);

/* Parallel parsing: with on = 1, validator_row leaves within-file uniqueness (unique
 * fields, the primary key) out; the rows of a file are then checked in file order, on one
 * validator, by validator_unique_row. */
void validator_defer_unique(struct validator *v, int on);
int validator_has_unique(const struct validator *v); /* any unique field or primary key */
/* Within-file uniqueness of row r of b: 1 first of its keys, 0 a duplicate (*rej says of
 * which line), -1 out of memory.  The keys are remembered as validator_row would. */
int validator_unique_row(struct validator *v, const struct batch *b, size_t r,
                         struct reject *rej);

#endif
