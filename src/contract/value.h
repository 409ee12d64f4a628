/* value.h - the scalar types of a contract and one tagged value.
 *
 * Dates are days since 1970-01-01 (proleptic Gregorian); datetimes are microseconds since
 * 1970-01-01 00:00:00, naive (no time zone, "not adjusted to UTC").  A string value borrows
 * its bytes: whoever produced it says how long they live.
 */
#ifndef SL_VALUE_H
#define SL_VALUE_H

#include <stddef.h>
#include <stdint.h>

enum sl_type {
    SL_T_NULL = 0, /* only as a value's tag (a missing value) or an untyped NULL literal */
    SL_T_INT,      /* int64 */
    SL_T_NUM,      /* double */
    SL_T_STR,      /* UTF-8 bytes, not NUL-terminated */
    SL_T_BOOL,
    SL_T_DATE,     /* int32 days */
    SL_T_DATETIME, /* int64 microseconds */
};

struct sl_value {
    enum sl_type type; /* SL_T_NULL means null */
    union {
        int64_t i;  /* SL_T_INT */
        double d;   /* SL_T_NUM */
        int b;      /* SL_T_BOOL: 0 or 1 */
        int32_t days; /* SL_T_DATE */
        int64_t us; /* SL_T_DATETIME */
        struct {
            const char *p;
            size_t n;
        } s;        /* SL_T_STR */
    } u;
};

/* -1, 0, 1 as a < b, a == b, a > b for two non-null values of the same type (strings
 * bytewise, shorter first on a common prefix). */
int sl_value_cmp(const struct sl_value *a, const struct sl_value *b);

/* "integer", "number", "string", "boolean", "date", "datetime", "null". */
const char *sl_type_name(enum sl_type t);
/* Parses a Table Schema type name; returns -1 when unknown. */
int sl_type_from_name(const char *name, enum sl_type *out);

#endif
