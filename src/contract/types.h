/* types.h - exact, allocation-free parsers and formatters for the contract's scalar types.
 *
 * Parsers take (bytes, length) - never NUL-terminated input - and return 0 on success or
 * a negative TYPES_E* code; they accept the whole span or nothing (no leading/trailing
 * spaces).  Numbers are correctly rounded (same result as strtod in the C locale).
 * Calendar arithmetic is proleptic Gregorian, years 0001-9999.
 */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY INT64_C(86400000000)

/* 10^0 .. 10^22, every one exact in a double: a decimal scaled by one of them is correctly
 * rounded (the number parsers, round()). */
#define TYPES_EXACT_POW10_MAX 22
extern const double types_exact_pow10[TYPES_EXACT_POW10_MAX + 1];

#define TYPES_ESYNTAX (-1) /* not a value of that type */
#define TYPES_ERANGE (-2)  /* well-formed but outside the type's range (int64 overflow, 1e309,
                              month 13, Feb 30, 24:00:00) */

/* [+-]?[0-9]+ into int64. */
int types_parse_int(const char *s, size_t n, int64_t *out);

/* [+-]?(digits[.digits]|.digits)([eE][+-]?digits)?  Finite only: "NaN", "inf", hex and
 * overflow to infinity are rejected; underflow rounds to 0 or a subnormal.  decimal_char is
 * normally '.'; group_char is 0 (none) or a thousands separator to skip (e.g. ',') */
int types_parse_num(const char *s, size_t n, char decimal_char, char group_char, double *out);

/* true/false by the Table Schema defaults: true|True|TRUE|1, false|False|FALSE|0. */
int types_parse_bool(const char *s, size_t n, int *out);

/* fmt NULL or "default": YYYY-MM-DD.  Otherwise a strptime-style pattern using
 * %Y %m %d %y %H %M %S %f %j %b %% and literal bytes. */
int types_parse_date(const char *s, size_t n, const char *fmt, int32_t *days);

/* fmt NULL or "default": YYYY-MM-DD[ T]HH:MM[:SS[.f{1,6}]] with an optional trailing 'Z';
 * numeric offsets (+02:00) are rejected (datetimes are naive).  Otherwise a strptime-style
 * pattern as for dates. */
int types_parse_datetime(const char *s, size_t n, const char *fmt, int64_t *us);

/* Calendar helpers. */
int32_t types_days_from_civil(int y, int m, int d);
void types_civil_from_days(int32_t days, int *y, int *m, int *d);
int types_valid_civil(int y, int m, int d); /* 1 when the day exists */

/* Canonical text: "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" (with ".ffffff" only when the
 * microseconds are non-zero).  Return the length written (always < cap, NUL-terminated);
 * cap >= 32 is always enough. */
size_t types_format_date(int32_t days, char *buf, size_t cap);
size_t types_format_datetime(int64_t us, char *buf, size_t cap);

/* strftime-style formatting of a datetime (a date is passed as days*86400e6 micros):
 * %Y %m %d %H %M %S %f (6 digits) %y %j %b %B %a %A %u %w %q (quarter) %F (%Y-%m-%d)
 * %T (%H:%M:%S) %%.  Returns the length, or -1 when the output would not fit cap or the
 * pattern has an unknown conversion. */
int types_strftime(int64_t us, const char *fmt, char *buf, size_t cap);
/* Whether fmt is a pattern of known conversions whose output depends on the day alone (no
 * %H %M %S %f %T) and short enough (< 32 bytes) for types_strftime's per-thread memo: such a
 * pattern may be given to types_strftime_day.  Decided once, when an expression compiles. */
int types_strftime_by_day(const char *fmt);
/* types_strftime of any instant on day days (since 1970-01-01) for a pattern that
 * types_strftime_by_day accepts, flen = strlen(fmt): the same text and result, without
 * rescanning the pattern when the memo holds it.  May write anywhere in buf[0 .. cap). */
int types_strftime_day(int32_t days, const char *fmt, size_t flen, char *buf, size_t cap);

/* Shortest text that round-trips a double ("%.17g" trimmed); used for CSV echo and JSON. */
size_t types_format_num(double d, char *buf, size_t cap);

#endif
