/* error.h - sluice's one error table and the error record passed down every call.
 *
 * Every fallible function returns 0 on success or a negative SL_E* code, and fills the
 * caller's struct sl_error with a message naming what failed (file, line, column, rule).
 * The first error wins: sl_error_set on an already-set error does nothing.
 */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stddef.h>

/* X(code, name, class): class is P (permanent), T (transient) or B (bug). */
#define SL_ERRORS(X)                                                                      \
    X(SL_ENOMEM, "out_of_memory", 'T')                                                   \
    X(SL_EIO, "io_error", 'T')                                                           \
    X(SL_EUSAGE, "usage", 'P')                                                           \
    X(SL_ECONFIG, "config_error", 'P')                                                   \
    X(SL_ECSV, "csv_error", 'P')                                                         \
    X(SL_EHEADER, "header_error", 'P')                                                   \
    X(SL_ELIMIT, "limit_exceeded", 'P')                                                  \
    X(SL_EENCODING, "invalid_encoding", 'P')                                             \
    X(SL_ETYPE, "type_error", 'P')                                                       \
    X(SL_EEXPR, "expression_error", 'P')                                                 \
    X(SL_EREJECTS, "too_many_rejects", 'P')                                              \
    X(SL_ESQLITE, "sqlite_error", 'P')                                                   \
    X(SL_EBUSY, "database_busy", 'T')                                                    \
    X(SL_ENOTFOUND, "not_found", 'P')                                                    \
    X(SL_EFILE, "bad_input_file", 'P')                                                   \
    X(SL_EBUG, "internal_error", 'B')                                                    \
    X(SL_ECANCELED, "canceled", 'T')

enum sl_errcode {
    SL_OK = 0,
#define SL_X_ENUM(code, name, cls) code##_NEG_,
    SL_ERRORS(SL_X_ENUM)
#undef SL_X_ENUM
};

/* The public codes are negative: SL_ENOMEM == -1, and so on. */
#define SL_X_DEF(code, name, cls) enum { code = -(int)(code##_NEG_) };
SL_ERRORS(SL_X_DEF)
#undef SL_X_DEF

#define SL_ERRMSG_MAX 512

struct sl_error {
    int code;                  /* 0 while unset, else a negative SL_E* */
    char msg[SL_ERRMSG_MAX];   /* human-readable, names file/line/column where known */
};

/* Stable snake_case name of a code ("csv_error"); "ok" for 0. */
const char *sl_errname(int code);
/* 'P' permanent, 'T' transient, 'B' bug; 'P' for unknown codes. */
char sl_errclass(int code);
const char *sl_errclass_name(int code); /* "permanent" | "transient" | "bug" */

/* Record an error unless one is already recorded. Returns code so callers can
 * `return sl_error_set(err, SL_ECSV, "...")`. err may be NULL. */
int sl_error_set(struct sl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sl_error_clear(struct sl_error *err);

#endif
