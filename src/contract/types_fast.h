/* types_fast.h - private to types.c and types_fast.c: the common shapes of numbers, dates
 * and datetimes parsed without the general parsers' per-character decisions.
 *
 * Each fast parser either settles the input exactly as the general parser in types.c would
 * (same value, same error code) or returns TYPES_FAST_NO and leaves it to that parser, which
 * then also produces every syntax error.  tests/unit/test_types.c compares the two.
 */
#ifndef SL_TYPES_FAST_H
#define SL_TYPES_FAST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TYPES_FAST_NO 1 /* not a shape the fast parser handles: use the general one */

/* Eight bytes of s as a little-endian word: s[0] in the low byte on any host. */
static inline uint64_t types_load8(const char *s)
{
    uint64_t x;
    memcpy(&x, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
/* The general parsers behind types_parse_num, types_parse_date and types_parse_datetime
 * (types.c), which never try the fast ones: what tests compare the fast parsers with. */
int types_num_general(const char *s, size_t n, char decimal_char, char group_char,
                      double *out); /* 0 < n <= the longest number accepted */
int types_date_general(const char *s, size_t n, const char *fmt, int32_t *days);
int types_datetime_general(const char *s, size_t n, const char *fmt, int64_t *us);

#endif
    return x;
}

/* Whether all eight bytes of x are '0'..'9': each byte's high nibble is 3, and stays 3 once
 * 6 is added (0x3A..0x3F become 0x40..0x45).  A byte >= 0xFA carries into the next one, but
 * it already fails the first test, so the word is rejected either way. */
static inline int types_eight_digits(uint64_t x)
{
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0);
    return (x & hi) == UINT64_C(0x3030303030303030) &&
           ((x + UINT64_C(0x0606060606060606)) & hi) == UINT64_C(0x3030303030303030);
}

/* The value of eight digit bytes, the first (most significant) in x's low byte: pairs, then
 * quads, then all eight, each step combining neighbouring lanes without carries between them
 * (99, 9999 and 99999999 fit their 8, 16 and 32-bit lanes). */
static inline uint64_t types_eight_value(uint64_t x)
{
    x -= UINT64_C(0x3030303030303030);
    x = (x * 10 + (x >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    x = (x * 100 + (x >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    return (x * 10000 + (x >> 32)) & UINT64_C(0xFFFFFFFF);
}

/* [+-]?digits[<decimal_char>digits] with at most 19 digits, a mantissa <= 2^53 and no group
 * separator or exponent: 0 with *out set, else TYPES_FAST_NO.  n > 0. */
int types_fast_num(const char *s, size_t n, char decimal_char, double *out);

/* The default date pattern, YYYY-MM-DD: 0, TYPES_ERANGE, or TYPES_FAST_NO. */
int types_fast_date(const char *s, size_t n, int32_t *days);

/* The default datetime pattern's usual shape, YYYY-MM-DD[ T]HH:MM:SS with an optional 'Z':
 * 0, TYPES_ERANGE, or TYPES_FAST_NO. */
int types_fast_datetime(const char *s, size_t n, int64_t *us);

/* The general parsers behind types_parse_num, types_parse_date and types_parse_datetime
 * (types.c), which never try the fast ones: what tests compare the fast parsers with. */
int types_num_general(const char *s, size_t n, char decimal_char, char group_char,
                      double *out); /* 0 < n <= the longest number accepted */
int types_date_general(const char *s, size_t n, const char *fmt, int32_t *days);
int types_datetime_general(const char *s, size_t n, const char *fmt, int64_t *us);

#endif
