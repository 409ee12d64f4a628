/* types.c - exact, allocation-free parsers and formatters for the contract's scalar types.
 *
 * Everything works on (bytes, length) spans with hand-written digit loops: no locale calls
 * on the hot paths and no allocation.  Decimal numbers take Clinger's exact fast path when
 * they can and otherwise hand a locale-free "DIGITSe-N" copy to strtod, which rounds
 * correctly.  The calendar is proleptic Gregorian, computed with the era (400-year) method.
 */
#include "contract/types.h"

#include "contract/types_fast.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_MAX_INPUT 1000 /* longer numbers are rejected as syntax errors */
#define EXP_CLAMP 100000   /* exponents beyond this saturate (the result is 0 or inf anyway) */

const double types_exact_pow10[TYPES_EXACT_POW10_MAX + 1] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const char *const month_abbr[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const month_full[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};
static const char *const wday_abbr[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wday_full[7] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ------------------------------------------------------------------------------------ */
/* integers and booleans                                                                  */

int types_parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) {
        return TYPES_ESYNTAX;
    }
    uint64_t v = 0;
    if (n - i <= 18) {
        /* at most 18 digits cannot overflow: no range check per digit; long ids take eight
         * digits per step */
        for (; n - i >= 8; i += 8) {
            uint64_t x = types_load8(s + i);
            if (!types_eight_digits(x)) {
                return TYPES_ESYNTAX;
            }
            v = v * 100000000 + types_eight_value(x);
        }
        for (; i < n; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9) {
                return TYPES_ESYNTAX;
            }
            v = v * 10 + d;
        }
        *out = neg ? -(int64_t)v : (int64_t)v;
        return 0;
    }
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int overflow = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) {
            return TYPES_ESYNTAX;
        }
        if (!overflow) {
            if (v > (lim - d) / 10) {
                overflow = 1;
            } else {
                v = v * 10 + d;
            }
        }
    }
    if (overflow) {
        return TYPES_ERANGE;
    }
    if (neg) {
        /* v <= 2^63: negate in unsigned arithmetic, then convert without overflow */
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        *out = (int64_t)v;
    }
    return 0;
}

int types_parse_bool(const char *s, size_t n, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "1"};
    static const char *const no[] = {"false", "False", "FALSE", "0"};
    for (size_t k = 0; k < 4; k++) {
        if (n == strlen(yes[k]) && memcmp(s, yes[k], n) == 0) {
            *out = 1;
            return 0;
        }
        if (n == strlen(no[k]) && memcmp(s, no[k], n) == 0) {
            *out = 0;
            return 0;
        }
    }
    return TYPES_ESYNTAX;
}

/* ------------------------------------------------------------------------------------ */
/* decimal numbers                                                                        */

/* Writes v in decimal at p; returns the number of bytes (at most 20). */
static size_t put_i64(char *p, int64_t v)
{
    char tmp[24];
    size_t k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    size_t len = 0;
    if (v < 0) {
        p[len++] = '-';
    }
    while (k > 0) {
        p[len++] = tmp[--k];
    }
    return len;
}

/* The slow path: rebuild the number as "DIGITSe<exp>" (no decimal point, so strtod's locale
 * does not matter) and let strtod round it. */
static int parse_num_slow(const char *s, size_t n, char decimal_char, char group_char,
                          int64_t exp_total_frac, double *out)
{
    char buf[NUM_MAX_INPUT + 32];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (is_digit(c)) {
            buf[k++] = c;
        } else if (c == decimal_char || (group_char != 0 && c == group_char)) {
            continue;
        } else if (c == 'e' || c == 'E') {
            break;
        }
        /* sign characters are applied by the caller */
    }
    buf[k++] = 'e';
    k += put_i64(buf + k, exp_total_frac);
    buf[k] = '\0';
    int saved = errno;
    char *end = NULL;
    double d = strtod(buf, &end);
    errno = saved;
    if (end != buf + k) {
        return TYPES_ESYNTAX; /* cannot happen: the text was checked before */
    }
    if (isinf(d)) {
        return TYPES_ERANGE;
    }
    *out = d;
    return 0;
}

/* Every number types_fast_num hands back: group separators, exponents, long mantissas. */
int types_num_general(const char *s, size_t n, char decimal_char, char group_char, double *out)
{
    if (group_char == decimal_char) {
        group_char = 0;
    }
    size_t i = 0;
    int neg = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    uint64_t mant = 0;
    int nsig = 0;       /* significant digits (leading zeros excluded) */
    int64_t exp10 = 0;  /* power of ten implied by fraction digits */
    size_t ndigits = 0; /* all mantissa digits, to reject "." and "" */

    /* integer part, with group separators allowed only between two digits */
    while (i < n) {
        char c = s[i];
        if (is_digit(c)) {
            unsigned d = (unsigned)(c - '0');
            ndigits++;
            if (nsig > 0 || d != 0) {
                if (nsig < 19) {
                    mant = mant * 10 + d;
                }
                nsig++;
            }
            i++;
        } else if (group_char != 0 && c == group_char && ndigits > 0 && i + 1 < n &&
                   is_digit(s[i + 1])) {
            i++;
        } else {
            break;
        }
    }
    if (i < n && s[i] == decimal_char) {
        i++;
        while (i < n && is_digit(s[i])) {
            unsigned d = (unsigned)(s[i] - '0');
            ndigits++;
            if (nsig > 0 || d != 0) {
                if (nsig < 19) {
                    mant = mant * 10 + d;
                }
                nsig++;
            }
            exp10--;
            i++;
        }
    }
    if (ndigits == 0) {
        return TYPES_ESYNTAX;
    }
    int64_t e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i == n) {
            return TYPES_ESYNTAX;
        }
        while (i < n && is_digit(s[i])) {
            if (e < EXP_CLAMP) {
                e = e * 10 + (s[i] - '0');
            }
            i++;
        }
        if (eneg) {
            e = -e;
        }
    }
    if (i != n) {
        return TYPES_ESYNTAX;
    }
    double d;
    int64_t total = exp10 + e;
    if (nsig == 0) {
        d = 0.0;
    } else if (nsig <= 19 && mant <= (UINT64_C(1) << 53) && total >= -22 && total <= 22) {
        /* Clinger: both operands exact, so one IEEE operation rounds correctly */
        d = (double)mant;
        if (total < 0) {
            d /= types_exact_pow10[-total];
        } else {
            d *= types_exact_pow10[total];
        }
    } else {
        int rc = parse_num_slow(s, n, decimal_char, group_char, total, &d);
        if (rc != 0) {
            return rc;
        }
    }
    *out = neg ? -d : d;
    return 0;
}

int types_parse_num(const char *s, size_t n, char decimal_char, char group_char, double *out)
{
    if (n == 0 || n > NUM_MAX_INPUT) {
        return TYPES_ESYNTAX;
    }
    if (types_fast_num(s, n, decimal_char, out) == 0) {
        return 0;
    }
    return types_num_general(s, n, decimal_char, group_char, out);
}

/* ------------------------------------------------------------------------------------ */
/* calendar                                                                               */

int32_t types_days_from_civil(int y, int m, int d)
{
    /* Count years from March so the leap day is the last day of the (shifted) year. */
    int64_t yy = (int64_t)y - (m <= 2 ? 1 : 0);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                      /* 0..399 */
    int64_t mp = (m + 9) % 12;                         /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;          /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return (int32_t)(era * 146097 + doe - 719468);     /* 719468: 0000-03-01 .. 1970-01-01 */
}

/* The last day converted in this thread: year(), month() and strftime of consecutive rows
 * mostly ask about the same day.  It starts as day 0, 1970-01-01, a true entry. */
static _Thread_local struct {
    int32_t days;
    int y, m, d;
} civil_memo = {0, 1970, 1, 1};

void types_civil_from_days(int32_t days, int *y, int *m, int *d)
{
    if (days == civil_memo.days) {
        *y = civil_memo.y;
        *m = civil_memo.m;
        *d = civil_memo.d;
        return;
    }
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2 ? 1 : 0));
    *m = (int)mm;
    *d = (int)dd;
    civil_memo.days = days;
    civil_memo.y = *y;
    civil_memo.m = *m;
    civil_memo.d = *d;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int types_valid_civil(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* ------------------------------------------------------------------------------------ */
/* dates and datetimes                                                                    */

struct dt_fields {
    int y, m, d;
    int has_m, has_d;
    int doy; /* 0 = not given */
    int hh, mi, ss;
    int us;
};

/* Reads between min and max digits at s[*i]; ESYNTAX if fewer than min. */
static int read_digits(const char *s, size_t n, size_t *i, int min, int max, int *val,
                       int *count)
{
    int v = 0;
    int k = 0;
    while (k < max && *i < n && is_digit(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    if (k < min) {
        return TYPES_ESYNTAX;
    }
    *val = v;
    if (count != NULL) {
        *count = k;
    }
    return 0;
}

static int frac_to_us(int v, int ndig)
{
    for (int k = ndig; k < 6; k++) {
        v *= 10;
    }
    return v;
}

static int read_month_name(const char *s, size_t n, size_t *i, int *month)
{
    for (int mo = 0; mo < 12; mo++) {
        const char *names[2] = {month_full[mo], month_abbr[mo]};
        for (int k = 0; k < 2; k++) {
            size_t len = strlen(names[k]);
            if (n - *i < len) {
                continue;
            }
            size_t j = 0;
            while (j < len && ascii_lower(s[*i + j]) == ascii_lower(names[k][j])) {
                j++;
            }
            if (j == len) {
                *i += len;
                *month = mo + 1;
                return 0;
            }
        }
    }
    return TYPES_ESYNTAX;
}

/* Matches the whole span against a strptime-style pattern; range checks come later. */
static int parse_pattern(const char *s, size_t n, const char *fmt, struct dt_fields *f)
{
    size_t i = 0;
    int rc = 0;
    int ndig = 0;
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            if (i >= n || s[i] != *p) {
                return TYPES_ESYNTAX;
            }
            i++;
            continue;
        }
        p++;
        switch (*p) {
        case 'Y':
            rc = read_digits(s, n, &i, 4, 4, &f->y, NULL);
            break;
        case 'y':
            rc = read_digits(s, n, &i, 2, 2, &f->y, NULL);
            if (rc == 0) {
                f->y += f->y < 69 ? 2000 : 1900;
            }
            break;
        case 'm':
            rc = read_digits(s, n, &i, 1, 2, &f->m, NULL);
            f->has_m = 1;
            break;
        case 'd':
            rc = read_digits(s, n, &i, 1, 2, &f->d, NULL);
            f->has_d = 1;
            break;
        case 'j':
            rc = read_digits(s, n, &i, 1, 3, &f->doy, NULL);
            if (rc == 0 && f->doy == 0) {
                return TYPES_ERANGE;
            }
            break;
        case 'H':
            rc = read_digits(s, n, &i, 1, 2, &f->hh, NULL);
            break;
        case 'M':
            rc = read_digits(s, n, &i, 1, 2, &f->mi, NULL);
            break;
        case 'S':
            rc = read_digits(s, n, &i, 1, 2, &f->ss, NULL);
            break;
        case 'f':
            rc = read_digits(s, n, &i, 1, 6, &f->us, &ndig);
            if (rc == 0) {
                f->us = frac_to_us(f->us, ndig);
            }
            break;
        case 'b':
            rc = read_month_name(s, n, &i, &f->m);
            f->has_m = 1;
            break;
        case '%':
            if (i >= n || s[i] != '%') {
                return TYPES_ESYNTAX;
            }
            i++;
            break;
        default:
            return TYPES_ESYNTAX; /* unknown conversion or a trailing '%' */
        }
        if (rc != 0) {
            return rc;
        }
    }
    return i == n ? 0 : TYPES_ESYNTAX;
}

/* Turns parsed fields into days, checking every range. */
static int fields_to_days(const struct dt_fields *f, int32_t *days)
{
    if (f->hh > 23 || f->mi > 59 || f->ss > 59) {
        return TYPES_ERANGE;
    }
    if (f->y < 1 || f->y > 9999) {
        return TYPES_ERANGE;
    }
    if (f->doy != 0) {
        if (f->doy > (is_leap(f->y) ? 366 : 365)) {
            return TYPES_ERANGE;
        }
        int32_t dd = types_days_from_civil(f->y, 1, 1) + f->doy - 1;
        if (f->has_m || f->has_d) {
            int yy, mm, d;
            types_civil_from_days(dd, &yy, &mm, &d);
            if ((f->has_m && f->m != mm) || (f->has_d && f->d != d)) {
                return TYPES_ERANGE;
            }
        }
        *days = dd;
        return 0;
    }
    if (!types_valid_civil(f->y, f->m, f->d)) {
        return TYPES_ERANGE;
    }
    *days = types_days_from_civil(f->y, f->m, f->d);
    return 0;
}

static int use_default(const char *fmt)
{
    return fmt == NULL || fmt[0] == '\0' || strcmp(fmt, "default") == 0;
}

static void init_fields(struct dt_fields *f)
{
    memset(f, 0, sizeof(*f));
    f->y = 1970;
    f->m = 1;
    f->d = 1;
}

/* Exactly two digits at s[i]; -1 when not digits. */
static int two_digits(const char *s, size_t i)
{
    if (!is_digit(s[i]) || !is_digit(s[i + 1])) {
        return -1;
    }
    return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

/* YYYY-MM-DD at s (n >= 10 checked by the caller). */
static int default_date_fields(const char *s, struct dt_fields *f)
{
    int hi = two_digits(s, 0);
    int lo = two_digits(s, 2);
    f->m = two_digits(s, 5);
    f->d = two_digits(s, 8);
    if (hi < 0 || lo < 0 || s[4] != '-' || f->m < 0 || s[7] != '-' || f->d < 0) {
        return TYPES_ESYNTAX;
    }
    f->y = hi * 100 + lo;
    return 0;
}

int types_date_general(const char *s, size_t n, const char *fmt, int32_t *days)
{
    struct dt_fields f;
    init_fields(&f);
    int rc;
    if (use_default(fmt)) {
        if (n != 10) {
            return TYPES_ESYNTAX;
        }
        rc = default_date_fields(s, &f);
    } else {
        rc = parse_pattern(s, n, fmt, &f);
    }
    if (rc != 0) {
        return rc;
    }
    return fields_to_days(&f, days);
}

int types_parse_date(const char *s, size_t n, const char *fmt, int32_t *days)
{
    if (use_default(fmt)) {
        int rc = types_fast_date(s, n, days);
        if (rc != TYPES_FAST_NO) {
            return rc;
        }
    }
    return types_date_general(s, n, fmt, days);
}

/* YYYY-MM-DD[ T]HH:MM[:SS[.f{1,6}]][Z] */
static int default_datetime_fields(const char *s, size_t n, struct dt_fields *f)
{
    if (n < 16 || default_date_fields(s, f) != 0 || (s[10] != ' ' && s[10] != 'T')) {
        return TYPES_ESYNTAX;
    }
    f->hh = two_digits(s, 11);
    f->mi = two_digits(s, 14);
    if (f->hh < 0 || s[13] != ':' || f->mi < 0) {
        return TYPES_ESYNTAX;
    }
    size_t i = 16;
    if (i < n && s[i] == ':') {
        if (n - i < 3 || (f->ss = two_digits(s, i + 1)) < 0) {
            return TYPES_ESYNTAX;
        }
        i += 3;
        if (i < n && s[i] == '.') {
            i++;
            int ndig = 0;
            if (read_digits(s, n, &i, 1, 6, &f->us, &ndig) != 0) {
                return TYPES_ESYNTAX;
            }
            f->us = frac_to_us(f->us, ndig);
        }
    }
    if (i < n && s[i] == 'Z') {
        i++;
    }
    return i == n ? 0 : TYPES_ESYNTAX;
}

int types_datetime_general(const char *s, size_t n, const char *fmt, int64_t *us)
{
    struct dt_fields f;
    init_fields(&f);
    int rc;
    if (use_default(fmt)) {
        rc = default_datetime_fields(s, n, &f);
    } else {
        rc = parse_pattern(s, n, fmt, &f);
    }
    if (rc != 0) {
        return rc;
    }
    int32_t days;
    rc = fields_to_days(&f, &days);
    if (rc != 0) {
        return rc;
    }
    *us = (int64_t)days * US_PER_DAY +
          ((int64_t)f.hh * 3600 + (int64_t)f.mi * 60 + f.ss) * US_PER_SEC + f.us;
    return 0;
}

int types_parse_datetime(const char *s, size_t n, const char *fmt, int64_t *us)
{
    if (use_default(fmt)) {
        int rc = types_fast_datetime(s, n, us);
        if (rc != TYPES_FAST_NO) {
            return rc;
        }
    }
    return types_datetime_general(s, n, fmt, us);
}

/* ------------------------------------------------------------------------------------ */
/* formatting                                                                             */

struct dt_parts {
    int32_t days;
    int y, m, d;
    int hh, mi, ss;
    int us;
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void split_us(int64_t us, struct dt_parts *p)
{
    /* floor division with the remainder taken from %: days * US_PER_DAY would overflow for
     * the instants of the first (negative) day of the int64 range */
    int64_t days = us / US_PER_DAY;
    int64_t rem = us % US_PER_DAY;
    if (rem < 0) {
        days--;
        rem += US_PER_DAY; /* 0 .. US_PER_DAY-1 */
    }
    p->days = (int32_t)days;
    types_civil_from_days(p->days, &p->y, &p->m, &p->d);
    int64_t secs = rem / US_PER_SEC;
    p->us = (int)(rem % US_PER_SEC);
    p->hh = (int)(secs / 3600);
    p->mi = (int)(secs / 60 % 60);
    p->ss = (int)(secs % 60);
}

/* Zero-padded unsigned of at least width digits; returns the length (<= 24). */
static size_t put_padded(char *p, int64_t v, int width)
{
    char tmp[24];
    size_t len = put_i64(tmp, v);
    size_t k = 0;
    const char *digits = tmp;
    size_t nd = len;
    if (tmp[0] == '-') {
        p[k++] = '-';
        digits++;
        nd--;
    }
    for (size_t z = nd; z < (size_t)width; z++) {
        p[k++] = '0';
    }
    memcpy(p + k, digits, nd);
    return k + nd;
}

/* Copies len bytes of src into buf (cap), truncating, NUL-terminating; returns bytes kept. */
static size_t copy_out(char *buf, size_t cap, const char *src, size_t len)
{
    if (cap == 0) {
        return 0;
    }
    if (len > cap - 1) {
        len = cap - 1;
    }
    memcpy(buf, src, len);
    buf[len] = '\0';
    return len;
}

static size_t put_ymd(char *p, int y, int m, int d)
{
    size_t k = put_padded(p, y, 4);
    p[k++] = '-';
    k += put_padded(p + k, m, 2);
    p[k++] = '-';
    k += put_padded(p + k, d, 2);
    return k;
}

static size_t put_hms(char *p, int hh, int mi, int ss)
{
    size_t k = put_padded(p, hh, 2);
    p[k++] = ':';
    k += put_padded(p + k, mi, 2);
    p[k++] = ':';
    k += put_padded(p + k, ss, 2);
    return k;
}

size_t types_format_date(int32_t days, char *buf, size_t cap)
{
    char tmp[64];
    int y, m, d;
    types_civil_from_days(days, &y, &m, &d);
    return copy_out(buf, cap, tmp, put_ymd(tmp, y, m, d));
}

size_t types_format_datetime(int64_t us, char *buf, size_t cap)
{
    char tmp[96];
    struct dt_parts p;
    split_us(us, &p);
    size_t k = put_ymd(tmp, p.y, p.m, p.d);
    tmp[k++] = ' ';
    k += put_hms(tmp + k, p.hh, p.mi, p.ss);
    if (p.us != 0) {
        tmp[k++] = '.';
        k += put_padded(tmp + k, p.us, 6);
    }
    return copy_out(buf, cap, tmp, k);
}

/* A format whose output depends on the day alone (no %H %M %S %f %T): its last result is
 * kept per thread, since consecutive rows mostly fall on the same day (year-month
 * partition keys computed for every row). */
#define STRFTIME_MEMO_FMT 32
struct strftime_memo {
    char fmt[STRFTIME_MEMO_FMT];
    size_t flen;
    int32_t days;
    int len; /* 0: empty */
    char out[64];
};
static _Thread_local struct strftime_memo memo;

static int date_only(const char *fmt, size_t *n)
{
    size_t i = 0;
    int ok = 1;
    for (; fmt[i] != '\0'; i++) {
        if (fmt[i] == '%' && fmt[i + 1] != '\0') {
            i++;
            char c = fmt[i]; /* the time-of-day conversions, without a strchr call per row */
            ok &= c != 'H' && c != 'M' && c != 'S' && c != 'f' && c != 'T';
        }
    }
    *n = i;
    return ok;
}

static int strftime_parts(const struct dt_parts *p, const char *fmt, char *buf, size_t cap);

/* Whether the memo holds fmt (flen bytes) on that day; a byte loop, as patterns are short. */
static int memo_hit(int32_t days, const char *fmt, size_t flen)
{
    if (memo.len == 0 || memo.days != days || memo.flen != flen) {
        return 0;
    }
    for (size_t i = 0; i < flen; i++) {
        if (memo.fmt[i] != fmt[i]) {
            return 0;
        }
    }
    return 1;
}

/* Copies the memo's text (len + 1 bytes with its NUL) into buf, or -1 when cap is short.
 * whole: the caller lets buf[0 .. cap) be written past the NUL. */
static int memo_out(char *buf, size_t cap, int whole)
{
    if ((size_t)memo.len + 1 > cap) {
        return -1;
    }
    if (whole && cap >= sizeof(memo.out)) {
        /* a fixed-size copy is a few moves instead of a libc call; the bytes past the NUL
         * are within cap and mean nothing */
        memcpy(buf, memo.out, sizeof(memo.out));
    } else {
        memcpy(buf, memo.out, (size_t)memo.len + 1);
    }
    return memo.len;
}

static void memo_keep(int32_t days, const char *fmt, size_t flen, const char *out, int len)
{
    if (len > 0 && (size_t)len < sizeof(memo.out)) {
        memcpy(memo.fmt, fmt, flen + 1);
        memo.flen = flen;
        memcpy(memo.out, out, (size_t)len + 1);
        memo.days = days;
        memo.len = len;
    }
}

int types_strftime(int64_t us, const char *fmt, char *buf, size_t cap)
{
    size_t flen;
    struct dt_parts p;
    if (!date_only(fmt, &flen) || flen >= STRFTIME_MEMO_FMT) {
        split_us(us, &p);
        return strftime_parts(&p, fmt, buf, cap);
    }
    int32_t days = (int32_t)floor_div(us, US_PER_DAY);
    if (memo_hit(days, fmt, flen)) {
        return memo_out(buf, cap, 0);
    }
    split_us(us, &p);
    int len = strftime_parts(&p, fmt, buf, cap);
    memo_keep(days, fmt, flen, buf, len);
    return len;
}

int types_strftime_by_day(const char *fmt)
{
    size_t flen;
    if (!date_only(fmt, &flen) || flen >= STRFTIME_MEMO_FMT) {
        return 0;
    }
    /* every conversion must be known: types_strftime_day then never fails for want of a
     * pattern check */
    for (size_t i = 0; i < flen; i++) {
        if (fmt[i] == '%') {
            if (fmt[i + 1] == '\0' || strchr("dmYyjbBaAuwqF%", fmt[i + 1]) == NULL) {
                return 0;
            }
            i++;
        }
    }
    return 1;
}

/* A memo miss of types_strftime_day, kept apart so the hit path needs no stack frame. */
__attribute__((noinline)) static int strftime_day_miss(int32_t days, const char *fmt,
                                                       size_t flen, char *buf, size_t cap)
{
    /* the parts of that day's midnight, computed from the day itself: days * 86400e6 could
     * overflow for the extreme datetimes a day number comes from */
    struct dt_parts p = {.days = days};
    types_civil_from_days(days, &p.y, &p.m, &p.d);
    int len = strftime_parts(&p, fmt, buf, cap);
    memo_keep(days, fmt, flen, buf, len);
    return len;
}

int types_strftime_day(int32_t days, const char *fmt, size_t flen, char *buf, size_t cap)
{
    if (memo_hit(days, fmt, flen)) {
        return memo_out(buf, cap, 1);
    }
    return strftime_day_miss(days, fmt, flen, buf, cap);
}

static int strftime_parts(const struct dt_parts *pp, const char *fmt, char *buf, size_t cap)
{
    const struct dt_parts p = *pp;
    size_t k = 0;
    for (const char *f = fmt; *f != '\0'; f++) {
        char tmp[64];
        size_t len = 0;
        const char *str = tmp;
        if (*f != '%') {
            tmp[0] = *f;
            len = 1;
        } else {
            f++;
            int wday = (int)(((int64_t)p.days + 4) % 7); /* 1970-01-01 was a Thursday */
            if (wday < 0) {
                wday += 7;
            }
            switch (*f) {
            case 'Y':
                len = put_padded(tmp, p.y, 4);
                break;
            case 'm':
                len = put_padded(tmp, p.m, 2);
                break;
            case 'd':
                len = put_padded(tmp, p.d, 2);
                break;
            case 'H':
                len = put_padded(tmp, p.hh, 2);
                break;
            case 'M':
                len = put_padded(tmp, p.mi, 2);
                break;
            case 'S':
                len = put_padded(tmp, p.ss, 2);
                break;
            case 'f':
                len = put_padded(tmp, p.us, 6);
                break;
            case 'y':
                len = put_padded(tmp, ((p.y % 100) + 100) % 100, 2);
                break;
            case 'j':
                len = put_padded(tmp, p.days - types_days_from_civil(p.y, 1, 1) + 1, 3);
                break;
            case 'b':
                str = month_abbr[p.m - 1];
                len = strlen(str);
                break;
            case 'B':
                str = month_full[p.m - 1];
                len = strlen(str);
                break;
            case 'a':
                str = wday_abbr[wday];
                len = strlen(str);
                break;
            case 'A':
                str = wday_full[wday];
                len = strlen(str);
                break;
            case 'u':
                len = put_padded(tmp, wday == 0 ? 7 : wday, 1);
                break;
            case 'w':
                len = put_padded(tmp, wday, 1);
                break;
            case 'q':
                len = put_padded(tmp, (p.m - 1) / 3 + 1, 1);
                break;
            case 'F':
                len = put_ymd(tmp, p.y, p.m, p.d);
                break;
            case 'T':
                len = put_hms(tmp, p.hh, p.mi, p.ss);
                break;
            case '%':
                tmp[0] = '%';
                len = 1;
                break;
            default:
                return -1; /* unknown conversion or a trailing '%' */
            }
        }
        if (k + len + 1 > cap) {
            return -1;
        }
        memcpy(buf + k, str, len);
        k += len;
    }
    if (k + 1 > cap || k > (size_t)INT32_MAX) {
        return -1;
    }
    buf[k] = '\0';
    return (int)k;
}

/* snprintf writes the locale's decimal point; turn whatever it is into '.'. */
static size_t normalize_decimal(char *s, size_t len)
{
    size_t w = 0;
    int in_point = 0;
    for (size_t r = 0; r < len; r++) {
        char c = s[r];
        if (is_digit(c) || c == '+' || c == '-' || c == 'e') {
            s[w++] = c;
            in_point = 0;
        } else if (!in_point) {
            s[w++] = '.';
            in_point = 1;
        }
    }
    s[w] = '\0';
    return w;
}

size_t types_format_num(double d, char *buf, size_t cap)
{
    char tmp[48];
    size_t len = 0;
    if (isnan(d)) {
        return copy_out(buf, cap, "nan", 3);
    }
    if (isinf(d)) {
        return d < 0 ? copy_out(buf, cap, "-inf", 4) : copy_out(buf, cap, "inf", 3);
    }
    if (d == 0.0) {
        return signbit(d) ? copy_out(buf, cap, "-0", 2) : copy_out(buf, cap, "0", 1);
    }
    if (fabs(d) < 1e15 && d == trunc(d)) {
        /* what %.15g prints for such integers, without the printf machinery */
        len = put_i64(tmp, (int64_t)d);
        return copy_out(buf, cap, tmp, len);
    }
    for (int prec = 15; prec <= 17; prec++) {
        int w = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (w < 0 || (size_t)w >= sizeof(tmp)) {
            return copy_out(buf, cap, "", 0);
        }
        len = normalize_decimal(tmp, (size_t)w);
        double back;
        if (types_parse_num(tmp, len, '.', 0, &back) == 0 && back == d) {
            break;
        }
    }
    return copy_out(buf, cap, tmp, len);
}
