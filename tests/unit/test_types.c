/* test_types.c - the scalar parsers and formatters of contract/types.c.
 *
 * Integers at the int64 edges, decimals against strtod (fixed cases and 100k random strings
 * from a fixed seed), booleans, the calendar over its whole range, default and custom date
 * and datetime patterns, and the canonical, strftime and shortest-number formatters.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "contract/types.h"

static int pint(const char *s, int64_t *v)
{
    return types_parse_int(s, strlen(s), v);
}

static int pnum(const char *s, double *v)
{
    return types_parse_num(s, strlen(s), '.', 0, v);
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

/* ---------------------------------------------------------------------------------- */

static void test_int_ok(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(pint("0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(pint("42", &v), 0);
    assert_true(v == 42);
    assert_int_equal(pint("+1", &v), 0);
    assert_true(v == 1);
    assert_int_equal(pint("-17", &v), 0);
    assert_true(v == -17);
    assert_int_equal(pint("-0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(pint("007", &v), 0);
    assert_true(v == 7);
    assert_int_equal(pint("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(pint("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(pint("00000000000000000000000000009223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    /* both sides of the 18-digit fast path */
    assert_int_equal(pint("999999999999999999", &v), 0);
    assert_true(v == INT64_C(999999999999999999));
    assert_int_equal(pint("-999999999999999999", &v), 0);
    assert_true(v == -INT64_C(999999999999999999));
    assert_int_equal(pint("1000000000000000000", &v), 0);
    assert_true(v == INT64_C(1000000000000000000));
    assert_int_equal(pint("-1795829181596340", &v), 0);
    assert_true(v == -INT64_C(1795829181596340));
}

static void test_int_errors(void **state)
{
    (void)state;
    int64_t v = 99;
    assert_int_equal(pint("9223372036854775808", &v), TYPES_ERANGE);
    assert_int_equal(pint("-9223372036854775809", &v), TYPES_ERANGE);
    assert_int_equal(pint("99999999999999999999999", &v), TYPES_ERANGE);
    assert_true(v == 99);
    const char *bad[] = {"", "+", "-", " 1", "1 ", "1.0", "1e3", "0x10", "1,000", "--1",
                         "+-1", "12a", "\t1", "١"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(pint(bad[i], &v), TYPES_ESYNTAX);
    }
    /* syntax beats range: an overlong number with garbage is not a number */
    assert_int_equal(pint("99999999999999999999x", &v), TYPES_ESYNTAX);
    /* spans are not NUL-terminated: only the first n bytes count */
    assert_int_equal(types_parse_int("123456", 3, &v), 0);
    assert_true(v == 123);
    assert_int_equal(types_parse_int("12", 0, &v), TYPES_ESYNTAX);
}

/* ---------------------------------------------------------------------------------- */

static void test_num_basic(void **state)
{
    (void)state;
    double d = 0;
    assert_int_equal(pnum("0.1", &d), 0);
    assert_true(d == 0.1);
    assert_int_equal(pnum("59.97", &d), 0);
    assert_true(d == 59.97);
    assert_int_equal(pnum(".5", &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(pnum("5.", &d), 0);
    assert_true(d == 5.0);
    assert_int_equal(pnum("+1", &d), 0);
    assert_true(d == 1.0);
    assert_int_equal(pnum("-2.5e3", &d), 0);
    assert_true(d == -2500.0);
    assert_int_equal(pnum("1E-2", &d), 0);
    assert_true(d == 0.01);
    assert_int_equal(pnum("1e+2", &d), 0);
    assert_true(d == 100.0);
    assert_int_equal(pnum("-0", &d), 0);
    assert_true(d == 0.0 && signbit(d));
    assert_int_equal(pnum("-0.0e5", &d), 0);
    assert_true(d == 0.0 && signbit(d));
    assert_int_equal(pnum("0", &d), 0);
    assert_true(d == 0.0 && !signbit(d));
    assert_int_equal(pnum("0e999999999999", &d), 0);
    assert_true(d == 0.0);
    assert_int_equal(pnum("9007199254740993", &d), 0); /* 2^53+1: must round to even */
    assert_true(same_double(d, strtod("9007199254740993", NULL)));
    assert_int_equal(pnum("123456789012345678901234567890", &d), 0);
    assert_true(same_double(d, strtod("123456789012345678901234567890", NULL)));
}

static void test_num_range(void **state)
{
    (void)state;
    double d = 0;
    assert_int_equal(pnum("1e308", &d), 0);
    assert_true(d == 1e308);
    assert_int_equal(pnum("1.7976931348623157e308", &d), 0);
    assert_true(d == DBL_MAX);
    assert_int_equal(pnum("1e309", &d), TYPES_ERANGE);
    assert_int_equal(pnum("-1e309", &d), TYPES_ERANGE);
    assert_int_equal(pnum("1.8e308", &d), TYPES_ERANGE);
    assert_int_equal(pnum("1e99999999999999999999", &d), TYPES_ERANGE);
    assert_int_equal(pnum("4.9e-324", &d), 0);
    assert_true(d > 0 && same_double(d, strtod("4.9e-324", NULL)));
    assert_int_equal(pnum("2.2250738585072014e-308", &d), 0);
    assert_true(d == DBL_MIN);
    assert_int_equal(pnum("1e-400", &d), 0); /* underflow rounds to zero */
    assert_true(d == 0.0);
    assert_int_equal(pnum("-1e-99999999999", &d), 0);
    assert_true(d == 0.0 && signbit(d));
}

static void test_num_syntax(void **state)
{
    (void)state;
    double d = 0;
    const char *bad[] = {"",     ".",     "+",    "-",     "e5",  "1e",    "1e+",  "1e-",
                         " 1",   "1 ",    "1,000", "NaN",  "nan", "inf",   "-inf", "Infinity",
                         "0x10", "0x1p3", "1..2", "1.2.3", "--1", "1e5.5", "+.e1", "1_000",
                         "1.0f", "１"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pnum(bad[i], &d) != TYPES_ESYNTAX) {
            fail_msg("'%s' should be a syntax error", bad[i]);
        }
    }
    char big[1100];
    memset(big, '1', sizeof(big));
    assert_int_equal(types_parse_num(big, 1001, '.', 0, &d), TYPES_ESYNTAX);
    assert_int_equal(types_parse_num(big, 1000, '.', 0, &d), TYPES_ERANGE); /* 1.1e999 */
    big[0] = '.';
    assert_int_equal(types_parse_num(big, 1000, '.', 0, &d), 0);
    big[1000] = '\0';
    assert_true(same_double(d, strtod(big, NULL)));
    /* only the span counts */
    assert_int_equal(types_parse_num("2.5xyz", 3, '.', 0, &d), 0);
    assert_true(d == 2.5);
}

static void test_num_group_and_decimal(void **state)
{
    (void)state;
    double d = 0;
    assert_int_equal(types_parse_num(STRLEN_ARGS("1,000"), '.', ',', &d), 0);
    assert_true(d == 1000.0);
    assert_int_equal(types_parse_num(STRLEN_ARGS("1,234,567.25"), '.', ',', &d), 0);
    assert_true(d == 1234567.25);
    assert_int_equal(types_parse_num(STRLEN_ARGS("1,000"), '.', 0, &d), TYPES_ESYNTAX);
    assert_int_equal(types_parse_num(STRLEN_ARGS(",100"), '.', ',', &d), TYPES_ESYNTAX);
    assert_int_equal(types_parse_num(STRLEN_ARGS("100,"), '.', ',', &d), TYPES_ESYNTAX);
    assert_int_equal(types_parse_num(STRLEN_ARGS("1,,000"), '.', ',', &d), TYPES_ESYNTAX);
    assert_int_equal(types_parse_num(STRLEN_ARGS("1.000,5"), '.', ',', &d), TYPES_ESYNTAX);
    assert_int_equal(types_parse_num(STRLEN_ARGS("-1,000"), '.', ',', &d), 0);
    assert_true(d == -1000.0);
    /* European style */
    assert_int_equal(types_parse_num(STRLEN_ARGS("1.234,5"), ',', '.', &d), 0);
    assert_true(d == 1234.5);
    assert_int_equal(types_parse_num(STRLEN_ARGS("3,14"), ',', 0, &d), 0);
    assert_true(d == 3.14);
    assert_int_equal(types_parse_num(STRLEN_ARGS("3.14"), ',', 0, &d), TYPES_ESYNTAX);
    /* slow path with separators */
    assert_int_equal(
        types_parse_num(STRLEN_ARGS("1 234 567 890 123 456 789 012,5"), ',', ' ', &d), 0);
    assert_true(same_double(d, strtod("1234567890123456789012.5", NULL)));
}

/* xorshift64*: a fixed-seed generator so the random cases are the same every run */
static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static void test_num_random_vs_strtod(void **state)
{
    (void)state;
    char buf[128];
    for (int iter = 0; iter < 100000; iter++) {
        size_t k = 0;
        if (rng() % 4 == 0) {
            buf[k++] = rng() % 2 ? '-' : '+';
        }
        int nint = (int)(rng() % 22);
        int nfrac = (int)(rng() % 22);
        if (nint == 0 && nfrac == 0) {
            nint = 1;
        }
        for (int i = 0; i < nint; i++) {
            buf[k++] = (char)('0' + rng() % 10);
        }
        if (nfrac > 0 || rng() % 8 == 0) {
            buf[k++] = '.';
        }
        for (int i = 0; i < nfrac; i++) {
            buf[k++] = (char)('0' + rng() % 10);
        }
        switch (rng() % 4) {
        case 0:
            break;
        case 1: /* small exponents: mostly the fast path */
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "e%d", (int)(rng() % 45) - 22);
            break;
        default: /* the whole range, including overflow and underflow */
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "E%+d", (int)(rng() % 700) - 350);
            break;
        }
        buf[k] = '\0';
        double want = strtod(buf, NULL);
        double got = 0;
        int rc = types_parse_num(buf, k, '.', 0, &got);
        if (isinf(want)) {
            if (rc != TYPES_ERANGE) {
                fail_msg("'%s': want ERANGE, got %d", buf, rc);
            }
        } else if (rc != 0 || !same_double(got, want)) {
            fail_msg("'%s': want %.17g, got %.17g (rc %d)", buf, want, got, rc);
        }
    }
}

/* ---------------------------------------------------------------------------------- */

static void test_bool(void **state)
{
    (void)state;
    int b = -1;
    const char *yes[] = {"true", "True", "TRUE", "1"};
    const char *no[] = {"false", "False", "FALSE", "0"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(types_parse_bool(STRLEN_ARGS(yes[i]), &b), 0);
        assert_int_equal(b, 1);
        assert_int_equal(types_parse_bool(STRLEN_ARGS(no[i]), &b), 0);
        assert_int_equal(b, 0);
    }
    const char *bad[] = {"", "tRue", "yes", "t", "2", " true", "true ", "01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(types_parse_bool(STRLEN_ARGS(bad[i]), &b), TYPES_ESYNTAX);
    }
    assert_int_equal(types_parse_bool("truex", 4, &b), 0);
    assert_int_equal(b, 1);
}

/* ---------------------------------------------------------------------------------- */

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(types_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(types_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(types_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(types_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(types_days_from_civil(9999, 12, 31), 2932896);
    int y, m, d;
    types_civil_from_days(-719162, &y, &m, &d);
    assert_true(y == 1 && m == 1 && d == 1);
    types_civil_from_days(2932896, &y, &m, &d);
    assert_true(y == 9999 && m == 12 && d == 31);
    /* every day of years 1..9999 round-trips and advances by one */
    int py = 0, pm = 12, pd = 31;
    for (int32_t days = -719162; days <= 2932896; days++) {
        types_civil_from_days(days, &y, &m, &d);
        if (!types_valid_civil(y, m, d) || types_days_from_civil(y, m, d) != days) {
            fail_msg("day %d -> %d-%d-%d does not round-trip", (int)days, y, m, d);
        }
        int next = (d == pd + 1 && m == pm && y == py) ||
                   (d == 1 && ((m == pm + 1 && y == py) || (m == 1 && pm == 12 && y == py + 1)));
        if (!next) {
            fail_msg("day %d: %d-%d-%d does not follow %d-%d-%d", (int)days, y, m, d, py, pm,
                     pd);
        }
        py = y;
        pm = m;
        pd = d;
    }
    /* extremes of int32 do not crash */
    types_civil_from_days(INT32_MIN, &y, &m, &d);
    types_civil_from_days(INT32_MAX, &y, &m, &d);
    assert_true(m >= 1 && m <= 12);

    assert_true(types_valid_civil(2024, 2, 29));
    assert_false(types_valid_civil(2025, 2, 29));
    assert_true(types_valid_civil(2000, 2, 29));
    assert_false(types_valid_civil(1900, 2, 29));
    assert_false(types_valid_civil(2025, 4, 31));
    assert_false(types_valid_civil(2025, 13, 1));
    assert_false(types_valid_civil(2025, 0, 1));
    assert_false(types_valid_civil(2025, 1, 0));
    assert_false(types_valid_civil(0, 1, 1));
    assert_false(types_valid_civil(10000, 1, 1));
    assert_true(types_valid_civil(9999, 12, 31));
}

static int pdate(const char *s, const char *fmt, int32_t *days)
{
    return types_parse_date(s, strlen(s), fmt, days);
}

static int pdt(const char *s, const char *fmt, int64_t *us)
{
    return types_parse_datetime(s, strlen(s), fmt, us);
}

static void test_date_default(void **state)
{
    (void)state;
    int32_t days = 0;
    assert_int_equal(pdate("1970-01-01", NULL, &days), 0);
    assert_int_equal(days, 0);
    assert_int_equal(pdate("0001-01-01", "default", &days), 0);
    assert_int_equal(days, -719162);
    assert_int_equal(pdate("9999-12-31", NULL, &days), 0);
    assert_int_equal(days, 2932896);
    assert_int_equal(pdate("2024-02-29", NULL, &days), 0);
    assert_int_equal(days, types_days_from_civil(2024, 2, 29));
    assert_int_equal(pdate("2025-02-29", NULL, &days), TYPES_ERANGE);
    assert_int_equal(pdate("2025-02-30", NULL, &days), TYPES_ERANGE);
    assert_int_equal(pdate("2025-13-01", NULL, &days), TYPES_ERANGE);
    assert_int_equal(pdate("2025-00-10", NULL, &days), TYPES_ERANGE);
    assert_int_equal(pdate("0000-01-01", NULL, &days), TYPES_ERANGE);
    const char *bad[] = {"",           "2025-1-05",   "2025-01-5",  "25-01-05",  "2025/01/05",
                         "2025-01-05 ", " 2025-01-05", "20250105",   "2025-01-0a", "+025-01-05",
                         "2025-01-05T00:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pdate(bad[i], NULL, &days) != TYPES_ESYNTAX) {
            fail_msg("'%s' should be a syntax error", bad[i]);
        }
    }
    assert_int_equal(types_parse_date("2025-01-05xx", 10, NULL, &days), 0);
}

static void test_date_custom(void **state)
{
    (void)state;
    int32_t days = 0;
    int32_t want = types_days_from_civil(2025, 3, 7);
    assert_int_equal(pdate("07/03/2025", "%d/%m/%Y", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("7/3/2025", "%d/%m/%Y", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("20250307", "%Y%m%d", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("07-mar-2025", "%d-%b-%Y", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("07-MAR-2025", "%d-%b-%Y", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("07 March 2025", "%d %b %Y", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("2025-066", "%Y-%j", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("2025-366", "%Y-%j", &days), TYPES_ERANGE);
    assert_int_equal(pdate("2024-366", "%Y-%j", &days), 0);
    assert_int_equal(days, types_days_from_civil(2024, 12, 31));
    assert_int_equal(pdate("07.03.25", "%d.%m.%y", &days), 0);
    assert_int_equal(days, want);
    assert_int_equal(pdate("01.01.68", "%d.%m.%y", &days), 0);
    assert_int_equal(days, types_days_from_civil(2068, 1, 1));
    assert_int_equal(pdate("01.01.69", "%d.%m.%y", &days), 0);
    assert_int_equal(days, types_days_from_civil(1969, 1, 1));
    assert_int_equal(pdate("100% 2025", "100%% %Y", &days), 0);
    assert_int_equal(days, types_days_from_civil(2025, 1, 1));

    assert_int_equal(pdate("31/02/2025", "%d/%m/%Y", &days), TYPES_ERANGE);
    assert_int_equal(pdate("07/03/25", "%d/%m/%Y", &days), TYPES_ESYNTAX);
    assert_int_equal(pdate("07/03/2025x", "%d/%m/%Y", &days), TYPES_ESYNTAX);
    assert_int_equal(pdate("07-Mrz-2025", "%d-%b-%Y", &days), TYPES_ESYNTAX);
    assert_int_equal(pdate("2025", "%Q", &days), TYPES_ESYNTAX);
    assert_int_equal(pdate("2025", "%Y%", &days), TYPES_ESYNTAX);
}

static void test_datetime_default(void **state)
{
    (void)state;
    int64_t us = 0;
    int64_t base = (int64_t)types_days_from_civil(2025, 1, 15) * US_PER_DAY;
    int64_t hms = (INT64_C(13) * 3600 + 45 * 60 + 30) * 1000000;
    assert_int_equal(pdt("2025-01-15 13:45:30", NULL, &us), 0);
    assert_true(us == base + hms);
    assert_int_equal(pdt("2025-01-15T13:45:30", NULL, &us), 0);
    assert_true(us == base + hms);
    assert_int_equal(pdt("2025-01-15T13:45:30Z", "default", &us), 0);
    assert_true(us == base + hms);
    assert_int_equal(pdt("2025-01-15 13:45", NULL, &us), 0);
    assert_true(us == base + hms - 30000000);
    assert_int_equal(pdt("2025-01-15 13:45Z", NULL, &us), 0);
    assert_int_equal(pdt("2025-01-15 13:45:30.5", NULL, &us), 0);
    assert_true(us == base + hms + 500000);
    assert_int_equal(pdt("2025-01-15 13:45:30.000001", NULL, &us), 0);
    assert_true(us == base + hms + 1);
    assert_int_equal(pdt("2025-01-15 13:45:30.123456Z", NULL, &us), 0);
    assert_true(us == base + hms + 123456);
    assert_int_equal(pdt("1970-01-01 00:00:00", NULL, &us), 0);
    assert_true(us == 0);
    assert_int_equal(pdt("1969-12-31 23:59:59.999999", NULL, &us), 0);
    assert_true(us == -1);
    assert_int_equal(pdt("0001-01-01 00:00:00", NULL, &us), 0);
    assert_true(us == INT64_C(-719162) * US_PER_DAY);
    assert_int_equal(pdt("9999-12-31 23:59:59.999999", NULL, &us), 0);
    assert_true(us == INT64_C(2932897) * US_PER_DAY - 1);

    assert_int_equal(pdt("2025-01-15 24:00:00", NULL, &us), TYPES_ERANGE);
    assert_int_equal(pdt("2025-01-15 23:60:00", NULL, &us), TYPES_ERANGE);
    assert_int_equal(pdt("2025-01-15 23:59:60", NULL, &us), TYPES_ERANGE);
    assert_int_equal(pdt("2025-02-29 10:00:00", NULL, &us), TYPES_ERANGE);
    const char *bad[] = {"2025-01-15",
                         "2025-01-15 13:45:30.1234567",
                         "2025-01-15 13:45:30.",
                         "2025-01-15 13:45:30+02:00",
                         "2025-01-15 13:45+02:00",
                         "2025-01-15T13:45:30-05:00",
                         "2025-01-15 13:45:30 ",
                         "2025-01-15  13:45:30",
                         "2025-01-15 1:45:30",
                         "2025-01-15 13:45:3",
                         "2025-01-15 13:45:",
                         "2025-01-15 13:45.5",
                         "2025-01-15x13:45:30",
                         "2025-01-15 13:45:30ZZ",
                         "2025-01-15 13:45:30z",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pdt(bad[i], NULL, &us) != TYPES_ESYNTAX) {
            fail_msg("'%s' should be a syntax error", bad[i]);
        }
    }
}

static void test_datetime_custom(void **state)
{
    (void)state;
    int64_t us = 0;
    int64_t day = (int64_t)types_days_from_civil(2025, 3, 7) * US_PER_DAY;
    assert_int_equal(pdt("07-Mar-2025 14:05", "%d-%b-%Y %H:%M", &us), 0);
    assert_true(us == day + (INT64_C(14) * 3600 + 5 * 60) * 1000000);
    assert_int_equal(pdt("07/03/2025 2:05:09.25", "%d/%m/%Y %H:%M:%S.%f", &us), 0);
    assert_true(us == day + (INT64_C(2) * 3600 + 5 * 60 + 9) * 1000000 + 250000);
    assert_int_equal(pdt("07/03/2025", "%d/%m/%Y", &us), 0); /* midnight */
    assert_true(us == day);
    assert_int_equal(pdt("20250307T140509", "%Y%m%dT%H%M%S", &us), 0);
    assert_true(us == day + (INT64_C(14) * 3600 + 5 * 60 + 9) * 1000000);
    assert_int_equal(pdt("07-Mar-2025 24:05", "%d-%b-%Y %H:%M", &us), TYPES_ERANGE);
    assert_int_equal(pdt("07-Mar-2025 23:60", "%d-%b-%Y %H:%M", &us), TYPES_ERANGE);
    assert_int_equal(pdt("07-Mar-2025 14.05", "%d-%b-%Y %H:%M", &us), TYPES_ESYNTAX);
    assert_int_equal(pdt("07/03/2025 2:05:09.1234567", "%d/%m/%Y %H:%M:%S.%f", &us),
                     TYPES_ESYNTAX);
}

/* ---------------------------------------------------------------------------------- */

static void test_format_date_datetime(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(types_format_date(0, buf, sizeof(buf)), 10);
    assert_string_equal(buf, "1970-01-01");
    assert_int_equal(types_format_date(-719162, buf, sizeof(buf)), 10);
    assert_string_equal(buf, "0001-01-01");
    types_format_date(2932896, buf, sizeof(buf));
    assert_string_equal(buf, "9999-12-31");
    int64_t us = (int64_t)types_days_from_civil(2025, 1, 15) * US_PER_DAY +
                 (INT64_C(13) * 3600 + 45 * 60 + 30) * 1000000;
    assert_int_equal(types_format_datetime(us, buf, sizeof(buf)), 19);
    assert_string_equal(buf, "2025-01-15 13:45:30");
    types_format_datetime(us + 120, buf, sizeof(buf));
    assert_string_equal(buf, "2025-01-15 13:45:30.000120");
    types_format_datetime(-1, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31 23:59:59.999999");
    types_format_datetime(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01 00:00:00");
    /* a small buffer truncates but stays terminated */
    assert_int_equal(types_format_date(0, buf, 5), 4);
    assert_string_equal(buf, "1970");
    /* format -> parse round trip over a spread of datetimes */
    for (int64_t t = INT64_C(-62135596800000000); t < INT64_C(253402300799000000);
         t += INT64_C(7777777777777)) {
        int64_t back = 0;
        size_t n = types_format_datetime(t, buf, sizeof(buf));
        if (types_parse_datetime(buf, n, NULL, &back) != 0 || back != t) {
            fail_msg("%s does not round-trip", buf);
        }
    }
}

/* The per-thread memo of day-only formats: every answer equals a fresh computation, when
 * the day, the format or the format's bytes (same buffer, new text) change. */
static void test_strftime_memo(void **state)
{
    (void)state;
    char buf[64], fmt[16];
    int64_t d0 = (int64_t)types_days_from_civil(2024, 12, 31) * US_PER_DAY;
    strcpy(fmt, "%Y-%m");
    assert_int_equal(types_strftime(d0 + 1, fmt, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "2024-12");
    assert_int_equal(types_strftime(d0 + US_PER_DAY - 1, fmt, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "2024-12");
    assert_int_equal(types_strftime(d0 + US_PER_DAY, fmt, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "2025-01");
    strcpy(fmt, "%d/%m");     /* same buffer, same day */
    types_strftime(d0 + US_PER_DAY, fmt, buf, sizeof(buf));
    assert_string_equal(buf, "01/01");
    strcpy(fmt, "%d/%m %H"); /* a time field: never from the memo */
    types_strftime(d0 + US_PER_DAY + 3600 * INT64_C(1000000), fmt, buf, sizeof(buf));
    assert_string_equal(buf, "01/01 01");
    types_strftime(d0 + US_PER_DAY + 7200 * INT64_C(1000000), fmt, buf, sizeof(buf));
    assert_string_equal(buf, "01/01 02");
    strcpy(fmt, "%Y");        /* before 1970: the day is floored, not truncated */
    types_strftime(-1, fmt, buf, sizeof(buf));
    assert_string_equal(buf, "1969");
    types_strftime(0, fmt, buf, sizeof(buf));
    assert_string_equal(buf, "1970");
    /* a memo hit still respects the caller's buffer */
    assert_int_equal(types_strftime(0, fmt, buf, 4), -1);
    assert_int_equal(types_strftime(0, fmt, buf, 5), 4);
    /* every time-of-day conversion keeps its format out of the memo: two instants of one
     * day, 1 h 1 min 1.000001 s apart, differ in each */
    static const char *const timely[] = {"%H", "%M", "%S", "%f", "%T"};
    for (size_t i = 0; i < sizeof(timely) / sizeof(timely[0]); i++) {
        char first[64];
        strcpy(fmt, timely[i]);
        types_strftime(d0 + 1, fmt, first, sizeof(first));
        types_strftime(d0 + 1 + 3661000001, fmt, buf, sizeof(buf));
        if (strcmp(first, buf) == 0) {
            fail_msg("%s gave '%s' at two times of one day", timely[i], buf);
        }
    }
}

static void test_strftime(void **state)
{
    (void)state;
    char buf[128];
    /* 2025-03-07 is a Friday, day 66, quarter 1 */
    int64_t us = (int64_t)types_days_from_civil(2025, 3, 7) * US_PER_DAY +
                 (INT64_C(14) * 3600 + 5 * 60 + 9) * 1000000 + 42;
    assert_int_equal(types_strftime(us, "%Y-%m", buf, sizeof(buf)), 7);
    assert_string_equal(buf, "2025-03");
    types_strftime(us, "%F %T.%f", buf, sizeof(buf));
    assert_string_equal(buf, "2025-03-07 14:05:09.000042");
    types_strftime(us, "%d/%m/%y %H:%M:%S", buf, sizeof(buf));
    assert_string_equal(buf, "07/03/25 14:05:09");
    types_strftime(us, "%a %A %b %B", buf, sizeof(buf));
    assert_string_equal(buf, "Fri Friday Mar March");
    types_strftime(us, "%u %w %q %j %%", buf, sizeof(buf));
    assert_string_equal(buf, "5 5 1 066 %");
    int64_t sun = (int64_t)types_days_from_civil(2024, 12, 29) * US_PER_DAY;
    types_strftime(sun, "%u %w %q %j %a", buf, sizeof(buf));
    assert_string_equal(buf, "7 0 4 364 Sun");
    int64_t dec31 = (int64_t)types_days_from_civil(2024, 12, 31) * US_PER_DAY;
    types_strftime(dec31, "%j", buf, sizeof(buf));
    assert_string_equal(buf, "366");
    types_strftime(INT64_C(-62135596800000000), "%F %A", buf, sizeof(buf));
    assert_string_equal(buf, "0001-01-01 Monday");
    assert_int_equal(types_strftime(us, "", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    /* errors: unknown conversion, trailing %, no room (including the NUL) */
    assert_int_equal(types_strftime(us, "%Y %Q", buf, sizeof(buf)), -1);
    assert_int_equal(types_strftime(us, "%Y %", buf, sizeof(buf)), -1);
    assert_int_equal(types_strftime(us, "%Y-%m", buf, 7), -1);
    assert_int_equal(types_strftime(us, "%Y-%m", buf, 8), 7);
    assert_int_equal(types_strftime(us, "x", buf, 0), -1);
}

static void check_num(double d, const char *want)
{
    char buf[64];
    size_t n = types_format_num(d, buf, sizeof(buf));
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
}

static void test_format_num(void **state)
{
    (void)state;
    check_num(59.97, "59.97");
    check_num(3.0, "3");
    check_num(-3.0, "-3");
    check_num(1e300, "1e+300");
    check_num(0.1, "0.1");
    check_num(0.1 + 0.2, "0.30000000000000004");
    check_num(1.0 / 3.0, "0.3333333333333333");
    check_num(0.0, "0");
    check_num(-0.0, "-0");
    check_num(1e15, "1e+15");
    check_num(123456789012345.0, "123456789012345");
    check_num(1e-5, "1e-05");
    check_num(5e-324, "4.94065645841247e-324"); /* 15 digits already round-trip */
    check_num(DBL_MAX, "1.7976931348623157e+308");
    check_num(9007199254740993.0, "9007199254740992");
    /* shortest round trip for random doubles */
    char buf[64];
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rng();
        double d;
        memcpy(&d, &bits, sizeof(d));
        if (!isfinite(d)) {
            continue;
        }
        size_t n = types_format_num(d, buf, sizeof(buf));
        double back = 0;
        if (types_parse_num(buf, n, '.', 0, &back) != 0 || !same_double(back, d)) {
            fail_msg("%s does not round-trip", buf);
        }
    }
    assert_int_equal(types_format_num(1234.5, buf, 3), 2);
    assert_string_equal(buf, "12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_ok),
        cmocka_unit_test(test_int_errors),
        cmocka_unit_test(test_num_basic),
        cmocka_unit_test(test_num_range),
        cmocka_unit_test(test_num_syntax),
        cmocka_unit_test(test_num_group_and_decimal),
        cmocka_unit_test(test_num_random_vs_strtod),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_date_default),
        cmocka_unit_test(test_date_custom),
        cmocka_unit_test(test_datetime_default),
        cmocka_unit_test(test_datetime_custom),
        cmocka_unit_test(test_format_date_datetime),
        cmocka_unit_test(test_strftime),
        cmocka_unit_test(test_strftime_memo),
        cmocka_unit_test(test_format_num),
    };
    return cmocka_run_group_tests_name("types", tests, NULL, NULL);
}
