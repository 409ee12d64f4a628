/* types_fast.c - the shapes nearly every cell of a number, date or datetime column has,
 * parsed in one straight pass.
 *
 * The general parsers in types.c decide at every character what may come next (group
 * separators, exponents, optional seconds and fractions, custom patterns).  Most cells are
 * "304.44" or "2026-10-21 05:26:41": these are checked and converted here with plain digit
 * loops and word-at-a-time digit tests, and anything else is handed back (TYPES_FAST_NO) so
 * that the general parser gives its usual value or error.  A fast result is always the one
 * the general parser would give: numbers use the same exact (Clinger) step, and dates the
 * same range checks, in an order that cannot change which error code comes out.
 */
#include "contract/types_fast.h"

#include "contract/types.h"


int types_fast_num(const char *s, size_t n, char decimal_char, double *out)
{
    size_t i = 0;
    int neg = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    /* every digit, leading zeros included, goes into mant; past 19 digits it wraps, but
     * such a number is then handed back unused */
    uint64_t mant = 0;
    size_t first = i;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) {
            break;
        }
        mant = mant * 10 + d;
    }
    size_t ndig = i - first;
    size_t nfrac = 0;
    if (i < n && s[i] == decimal_char) {
        size_t dot = ++i;
        for (; i < n; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9) {
                break;
            }
            mant = mant * 10 + d;
        }
        nfrac = i - dot;
        ndig += nfrac;
    }
    if (i != n || ndig == 0 || ndig > 19 || mant > (UINT64_C(1) << 53)) {
        return TYPES_FAST_NO;
    }
    /* mant and 10^nfrac are exact doubles, so the one division rounds correctly: the same
     * operation as the general parser's fast path, hence the same double */
    double d = (double)mant / types_exact_pow10[nfrac];
    *out = neg ? -d : d;
    return 0;
}

/* ---- dates ------------------------------------------------------------------------- */

#define SEP_4_7 UINT64_C(0xFF0000FF00000000)  /* bytes 4 and 7 of a word */
#define DASH_4_7 UINT64_C(0x2D00002D00000000) /* '-' there */
#define SEP_2_5 UINT64_C(0x0000FF0000FF0000)  /* bytes 2 and 5 */
#define ZERO(mask) ((mask) & UINT64_C(0x3030303030303030))

static int digit(char c)
{
    return c - '0';
}

/* Whether head, the first eight bytes, read "DDDD-DD-" (D a digit). */
static int head_ok(uint64_t head)
{
    return (head & SEP_4_7) == DASH_4_7 &&
           types_eight_digits((head & ~SEP_4_7) | ZERO(SEP_4_7));
}

/* The last YYYY-MM-DD turned into a day number in this thread, by its ten bytes: the rows of
 * a file mostly run through the days in order.  head 0 (all NUL bytes) is never valid text,
 * so the zeroed initial memo matches nothing. */
static _Thread_local struct {
    uint64_t head; /* bytes 0..7 */
    unsigned tail; /* bytes 8 and 9 */
    int32_t days;
} day_memo;

/* The day number of the YYYY-MM-DD at s, whose syntax is checked, or TYPES_ERANGE. */
static int ymd_days(const char *s, uint64_t head, int32_t *days)
{
    unsigned tail = (unsigned)(unsigned char)s[8] | (unsigned)(unsigned char)s[9] << 8;
    if (head == day_memo.head && tail == day_memo.tail) {
        *days = day_memo.days;
        return 0;
    }
    int y = digit(s[0]) * 1000 + digit(s[1]) * 100 + digit(s[2]) * 10 + digit(s[3]);
    int m = digit(s[5]) * 10 + digit(s[6]);
    int d = digit(s[8]) * 10 + digit(s[9]);
    if (!types_valid_civil(y, m, d)) { /* also years 0000 */
        return TYPES_ERANGE;
    }
    *days = types_days_from_civil(y, m, d);
    day_memo.head = head;
    day_memo.tail = tail;
    day_memo.days = *days;
    return 0;
}

int types_fast_date(const char *s, size_t n, int32_t *days)
{
    if (n != 10) {
        return TYPES_FAST_NO;
    }
    uint64_t head = types_load8(s);
    unsigned d8 = (unsigned)digit(s[8]), d9 = (unsigned)digit(s[9]);
    if (!head_ok(head) || d8 > 9 || d9 > 9) {
        return TYPES_FAST_NO;
    }
    return ymd_days(s, head, days);
}

int types_fast_datetime(const char *s, size_t n, int64_t *us)
{
    if (n != 19 && !(n == 20 && s[19] == 'Z')) {
        return TYPES_FAST_NO;
    }
    /* three words: "YYYY-MM-", "DD?HH:MM" and "HH:MM:SS", separators tested apart */
    uint64_t head = types_load8(s);
    uint64_t mid = types_load8(s + 8);
    uint64_t tail = types_load8(s + 11);
    if (!head_ok(head) || !types_eight_digits((mid & ~SEP_2_5) | ZERO(SEP_2_5)) ||
        !types_eight_digits((tail & ~SEP_2_5) | ZERO(SEP_2_5)) ||
        (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':') {
        return TYPES_FAST_NO;
    }
    /* the syntax is right: from here on only range errors, all TYPES_ERANGE */
    int hh = digit(s[11]) * 10 + digit(s[12]);
    int mi = digit(s[14]) * 10 + digit(s[15]);
    int ss = digit(s[17]) * 10 + digit(s[18]);
    if (hh > 23 || mi > 59 || ss > 59) {
        return TYPES_ERANGE;
    }
    int32_t days;
    int rc = ymd_days(s, head, &days);
    if (rc != 0) {
        return rc;
    }
    *us = (int64_t)days * US_PER_DAY + ((int64_t)hh * 3600 + mi * 60 + ss) * US_PER_SEC;
    return 0;
}
