/* test_types_fast.c - the fast parsers of contract/types_fast.c against the general parsers
 * they stand in front of, and the day-keyed memos of contract/types.c.
 *
 * A fast parser must give the general parser's value and error code for everything it
 * settles, and hand back (TYPES_FAST_NO) only what the general parser then decides; numbers
 * are also checked against strtod.  The inputs come from a fixed-seed generator: random
 * digits and fields, the shapes `sluice gen` writes, values around 2^53, and single-byte
 * mutations with the bytes that word-at-a-time digit tests could get wrong.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "contract/types.h"
#include "contract/types_fast.h"

static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Bytes next to the digits and separators in the ASCII table, and high bytes whose +6
 * carries into the next byte of a word. */
static const unsigned char odd_bytes[] = {0x00, '/', ':', '-', '.', ' ', 'T', 't', 'Z', 'z',
                                          'e', 'E', '+', ',', 0x29, 0x3A, 0x3F, 0x40, 0x70,
                                          0x7F, 0x80, 0xB0, 0xF0, 0xF9, 0xFA, 0xFF};

static char odd_byte(void)
{
    return (char)odd_bytes[rng() % sizeof(odd_bytes)];
}

/* ---- the word-at-a-time digit helpers -------------------------------------------------- */

static void test_eight_digits(void **state)
{
    (void)state;
    char w[8];
    /* every byte value at every position of an otherwise valid word */
    for (int pos = 0; pos < 8; pos++) {
        for (int b = 0; b < 256; b++) {
            memcpy(w, "12345678", 8);
            w[pos] = (char)b;
            int want = b >= '0' && b <= '9';
            if (types_eight_digits(types_load8(w)) != want) {
                fail_msg("byte 0x%02x at %d: want %d", b, pos, want);
            }
            if (want) {
                uint64_t v = types_eight_value(types_load8(w));
                if (v != strtoull((char[9]){w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], 0},
                                  NULL, 10)) {
                    fail_msg("value of %.8s: %llu", w, (unsigned long long)v);
                }
            }
        }
    }
    /* words of digits and odd bytes, several odd ones side by side */
    for (int iter = 0; iter < 200000; iter++) {
        int want = 1;
        for (int i = 0; i < 8; i++) {
            w[i] = rng() % 3 == 0 ? odd_byte() : (char)('0' + rng() % 10);
            want &= w[i] >= '0' && w[i] <= '9';
        }
        if (types_eight_digits(types_load8(w)) != want) {
            fail_msg("word %d: want %d", iter, want);
        }
        if (want) {
            uint64_t ref = 0;
            for (int i = 0; i < 8; i++) {
                ref = ref * 10 + (uint64_t)(w[i] - '0');
            }
            assert_true(types_eight_value(types_load8(w)) == ref);
        }
    }
}

/* ---- integers ------------------------------------------------------------------------- */

/* The integer grammar, one digit at a time with an exact overflow test. */
static int ref_int(const char *s, size_t n, int64_t *out)
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
    for (size_t k = i; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') {
            return TYPES_ESYNTAX;
        }
    }
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10) {
            return TYPES_ERANGE;
        }
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static void test_int_vs_reference(void **state)
{
    (void)state;
    char buf[32];
    for (int iter = 0; iter < 300000; iter++) {
        size_t k = 0;
        if (rng() % 4 == 0) {
            buf[k++] = rng() % 2 ? '-' : '+';
        }
        size_t nd = (size_t)(rng() % 21); /* 0..20 digits: both sides of 8, 16 and 18 */
        for (size_t i = 0; i < nd; i++) {
            buf[k++] = (char)('0' + (i == 0 && rng() % 3 == 0 ? 9 : rng() % 10));
        }
        if (k > 0 && rng() % 4 == 0) {
            buf[rng() % k] = odd_byte();
        }
        int64_t got = 0, want = 0;
        int rg = types_parse_int(buf, k, &got), rw = ref_int(buf, k, &want);
        if (rg != rw || (rg == 0 && got != want)) {
            fail_msg("'%.*s': got %d %lld, want %d %lld", (int)k, buf, rg, (long long)got, rw,
                     (long long)want);
        }
    }
    /* the generator's ids, and the int64 edges */
    static const char *const ok[] = {"1795874320699602", "18446744", "12345678", "-87654321",
                                     "999999999999999999", "-999999999999999999",
                                     "9223372036854775807", "-9223372036854775808"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t got = 0;
        assert_int_equal(types_parse_int(ok[i], strlen(ok[i]), &got), 0);
        assert_true(got == strtoll(ok[i], NULL, 10));
    }
}

/* ---- numbers -------------------------------------------------------------------------- */

/* One number's text into buf; returns its length. */
static size_t gen_number(char *buf, size_t cap)
{
    size_t k = 0;
    switch (rng() % 8) {
    case 0: { /* what `sluice gen` writes: prices and totals with two decimals */
        double v = (double)(rng() % 10000000) / 100.0 * (rng() % 5 == 0 ? -1 : 1);
        return (size_t)snprintf(buf, cap, "%.2f", v);
    }
    case 1: { /* around 2^53, the mantissa bound of the exact path, with a point anywhere */
        uint64_t m = (UINT64_C(1) << 53) - 3 + rng() % 7;
        k = (size_t)snprintf(buf, cap, "%s%llu", rng() % 3 == 0 ? "-" : "",
                             (unsigned long long)m);
        size_t at = (size_t)(rng() % (k + 1));
        if (at > 0 && at < k && buf[at - 1] != '-') {
            memmove(buf + at + 1, buf + at, k - at);
            buf[at] = '.';
            k++;
        }
        return k;
    }
    default:
        break;
    }
    if (rng() % 4 == 0) {
        buf[k++] = rng() % 2 ? '-' : '+';
    }
    size_t nzero = rng() % 4 == 0 ? rng() % 4 : 0; /* leading zeros */
    size_t nint = (size_t)(rng() % 21), nfrac = (size_t)(rng() % 21);
    for (size_t i = 0; i < nzero; i++) {
        buf[k++] = '0';
    }
    for (size_t i = 0; i < nint; i++) {
        buf[k++] = (char)('0' + rng() % 10);
    }
    if (nfrac > 0 || rng() % 6 == 0) {
        buf[k++] = '.';
    }
    for (size_t i = 0; i < nfrac; i++) {
        buf[k++] = (char)(rng() % 5 == 0 ? '0' : '0' + rng() % 10);
    }
    if (rng() % 6 == 0) {
        k += (size_t)snprintf(buf + k, cap - k, "e%d", (int)(rng() % 60) - 30);
    }
    return k;
}

static void check_num(const char *s, size_t n, char dec, char group, int *fast_hits)
{
    double fast = 0, pub = 0, gen = 0;
    int rf = types_fast_num(s, n, dec, &fast);
    int rp = types_parse_num(s, n, dec, group, &pub);
    int rg = types_num_general(s, n, dec, group, &gen);
    if (rp != rg || (rg == 0 && !same_double(pub, gen))) {
        fail_msg("'%.*s' (%c %c): parse %d %.17g, general %d %.17g", (int)n, s, dec,
                 group ? group : '0', rp, pub, rg, gen);
    }
    if (rf != TYPES_FAST_NO) {
        ++*fast_hits;
        if (rf != 0 || rg != 0 || !same_double(fast, gen)) {
            fail_msg("'%.*s': fast %d %.17g, general %d %.17g", (int)n, s, rf, fast, rg, gen);
        }
    }
    if (rg == 0 && dec == '.' && group == 0) {
        char z[64];
        memcpy(z, s, n);
        z[n] = '\0';
        double want = strtod(z, NULL);
        if (!same_double(gen, want)) {
            fail_msg("'%s': %.17g, strtod %.17g", z, gen, want);
        }
    }
}

static void test_num_vs_general_and_strtod(void **state)
{
    (void)state;
    char buf[96];
    int hits = 0;
    for (int iter = 0; iter < 300000; iter++) {
        size_t n = gen_number(buf, sizeof(buf));
        if (n == 0) {
            continue;
        }
        if (rng() % 8 == 0) {
            buf[rng() % n] = odd_byte();
        }
        check_num(buf, n, '.', 0, &hits);
        /* the same text under a decimal comma, and with ',' as a group separator */
        check_num(buf, n, ',', 0, &hits);
        check_num(buf, n, '.', ',', &hits);
    }
    static const char *const edges[] = {
        "0", "-0", "+0", "0.0", "-0.000", "000123.4500", ".5", "5.", ".", "-", "+.", "1.2.3",
        "9007199254740992", "9007199254740993", "9007199254740993.0", "900719925474099.3",
        "0.9007199254740993", "1234567890123456789", "12345678901234567890",
        "1.234567890123456789", "0.0000000000000000001", "99999999999999999999", "304.44",
        "608.88", "-1727.70", "1,234.5", "1e5", "1E+5", "NaN", "inf", "0x10"};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        check_num(edges[i], strlen(edges[i]), '.', 0, &hits);
        check_num(edges[i], strlen(edges[i]), '.', ',', &hits);
        check_num(edges[i], strlen(edges[i]), ',', '.', &hits);
    }
    assert_true(hits > 200000); /* the fast path settled a good share of them */
}

/* ---- dates and datetimes ---------------------------------------------------------------- */

/* A default-format date or datetime: fields mostly in range, sometimes one past it. */
static size_t gen_datetime(char *buf, size_t cap, int with_time)
{
    int y = (int)(rng() % 10000), m = (int)(rng() % 14), d = (int)(rng() % 33);
    if (rng() % 2) { /* mostly real days, often the ends of months */
        y = 1 + (int)(rng() % 9999);
        m = 1 + (int)(rng() % 12);
        d = rng() % 3 == 0 ? 28 + (int)(rng() % 4) : 1 + (int)(rng() % 28);
    }
    if (!with_time) {
        return (size_t)snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
    }
    int hh = (int)(rng() % 26), mi = (int)(rng() % 62), ss = (int)(rng() % 62);
    if (rng() % 2) {
        hh %= 24;
        mi %= 60;
        ss %= 60;
    }
    const char *tails[] = {"", "", "", "Z", ".5", ".123456", "Z ", ".1234567"};
    const char *tail = tails[rng() % 8];
    if (rng() % 6 == 0) { /* no seconds */
        return (size_t)snprintf(buf, cap, "%04d-%02d-%02d%c%02d:%02d%s", y, m, d,
                                rng() % 2 ? ' ' : 'T', hh, mi, tail);
    }
    return (size_t)snprintf(buf, cap, "%04d-%02d-%02d%c%02d:%02d:%02d%s", y, m, d,
                            rng() % 2 ? ' ' : 'T', hh, mi, ss, tail);
}

static void test_date_vs_general(void **state)
{
    (void)state;
    char buf[32], prev[32] = "2026-10-21";
    int hits = 0;
    for (int iter = 0; iter < 300000; iter++) {
        size_t n;
        if (rng() % 3 == 0) { /* the previous text again: the memo's hit */
            n = strlen(prev);
            memcpy(buf, prev, n + 1);
        } else {
            n = gen_datetime(buf, sizeof(buf), 0);
            memcpy(prev, buf, n + 1);
        }
        if (rng() % 5 == 0) {
            buf[rng() % n] = rng() % 2 ? odd_byte() : (char)('0' + rng() % 10);
        }
        int32_t fast = 0, pub = 0, gen = 0;
        int rf = types_fast_date(buf, n, &fast);
        int rp = types_parse_date(buf, n, NULL, &pub);
        int rg = types_date_general(buf, n, NULL, &gen);
        if (rp != rg || (rg == 0 && pub != gen)) {
            fail_msg("'%s': parse %d %d, general %d %d", buf, rp, pub, rg, gen);
        }
        if (rf != TYPES_FAST_NO) {
            hits++;
            if (rf != rg || (rf == 0 && fast != gen)) {
                fail_msg("'%s': fast %d %d, general %d %d", buf, rf, fast, rg, gen);
            }
        } else if (n == 10 && rg != TYPES_ESYNTAX) {
            fail_msg("'%s': handed back, but general says %d", buf, rg);
        }
    }
    assert_true(hits > 150000);
}

static void test_datetime_vs_general(void **state)
{
    (void)state;
    char buf[40], prev[40] = "2026-10-21 05:26:41";
    int hits = 0;
    for (int iter = 0; iter < 300000; iter++) {
        size_t n;
        if (rng() % 3 == 0) { /* the same day again, another time: the memo's hit */
            n = strlen(prev);
            memcpy(buf, prev, n + 1);
            if (n >= 19) {
                buf[17] = (char)('0' + rng() % 6);
            }
        } else {
            n = gen_datetime(buf, sizeof(buf), 1);
            memcpy(prev, buf, n + 1);
        }
        if (rng() % 5 == 0) {
            buf[rng() % n] = rng() % 2 ? odd_byte() : (char)('0' + rng() % 10);
        }
        int64_t fast = 0, pub = 0, gen = 0;
        int rf = types_fast_datetime(buf, n, &fast);
        int rp = types_parse_datetime(buf, n, NULL, &pub);
        int rg = types_datetime_general(buf, n, NULL, &gen);
        if (rp != rg || (rg == 0 && pub != gen)) {
            fail_msg("'%s': parse %d %lld, general %d %lld", buf, rp, (long long)pub, rg,
                     (long long)gen);
        }
        if (rf != TYPES_FAST_NO) {
            hits++;
            if (rf != rg || (rf == 0 && fast != gen)) {
                fail_msg("'%s': fast %d %lld, general %d %lld", buf, rf, (long long)fast, rg,
                         (long long)gen);
            }
        } else if ((n == 19 || (n == 20 && buf[19] == 'Z')) && rg != TYPES_ESYNTAX) {
            fail_msg("'%s': handed back, but general says %d", buf, rg);
        }
    }
    assert_true(hits > 100000);
    /* the edges, spelled out */
    int64_t us = 0;
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("0001-01-01 00:00:00"), NULL, &us), 0);
    assert_true(us == INT64_C(-719162) * US_PER_DAY);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("9999-12-31T23:59:59Z"), NULL, &us), 0);
    assert_true(us == INT64_C(2932897) * US_PER_DAY - 1000000);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2024-02-29 12:00:00"), NULL, &us), 0);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2023-02-29 12:00:00"), NULL, &us),
                     TYPES_ERANGE);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("0000-01-01 00:00:00"), NULL, &us),
                     TYPES_ERANGE);
    /* a syntax error in the time wins over a day out of range */
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2023-02-30 12:00:0x"), NULL, &us),
                     TYPES_ESYNTAX);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2023-02-30 12:00:00z"), NULL, &us),
                     TYPES_ESYNTAX);
    /* a valid day in the memo does not hide an invalid time, nor the reverse */
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2026-10-21 05:26:41"), NULL, &us), 0);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2026-10-21 24:00:00"), NULL, &us),
                     TYPES_ERANGE);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2026-10-21 23:59:60"), NULL, &us),
                     TYPES_ERANGE);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2026-10-21 23:60:00"), NULL, &us),
                     TYPES_ERANGE);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2026-10-32 05:26:41"), NULL, &us),
                     TYPES_ERANGE);
    assert_int_equal(types_parse_datetime(STRLEN_ARGS("2026-10-21 05:26:41"), NULL, &us), 0);
    assert_true(us == (int64_t)types_days_from_civil(2026, 10, 21) * US_PER_DAY +
                          (INT64_C(5) * 3600 + 26 * 60 + 41) * 1000000);
}

/* ---- day-keyed strftime and the calendar memo ------------------------------------------- */

static void test_strftime_by_day(void **state)
{
    (void)state;
    static const char *const yes[] = {"%Y-%m", "", "%%", "abc", "%F", "%d %j %y %b %B %a %A",
                                      "%u%w%q", "100%%",
                                      "%Yxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}; /* 31 bytes */
    static const char *const no[] = {"%H",  "%M",    "%S", "%f",   "%T",       "%Y %",
                                     "%Q",  "%Y-%Q", "%",  "%F %T", "%Y-%m-%d %H",
                                     "%Yxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}; /* 32 bytes */
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!types_strftime_by_day(yes[i])) {
            fail_msg("'%s' depends on the day alone", yes[i]);
        }
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (types_strftime_by_day(no[i])) {
            fail_msg("'%s' must not go by the day", no[i]);
        }
    }
    /* types_strftime_day agrees with types_strftime at any time of the day, while patterns
     * and days alternate so that the memo is hit, missed and replaced */
    static const char *const fmts[] = {"%Y-%m", "%Y-%m-%d", "%F %a", "%j/%y %B", "%u%w%q %%",
                                       "%Y", "%d/%m", "%A %b"};
    int32_t day = 20000;
    for (int iter = 0; iter < 200000; iter++) {
        const char *fmt = fmts[rng() % (sizeof(fmts) / sizeof(fmts[0]))];
        switch (rng() % 4) {
        case 0:
            day = (int32_t)(rng() % 6000000) - 3000000;
            break;
        case 1:
            day += rng() % 2 ? 1 : -1;
            break;
        default:
            break; /* the same day */
        }
        int64_t us = (int64_t)day * US_PER_DAY + (int64_t)(rng() % (uint64_t)US_PER_DAY);
        char a[96], b[96], timed[40];
        size_t cap = rng() % 8 == 0 ? 1 + rng() % 12 : sizeof(a);
        int ra = types_strftime_day(day, fmt, strlen(fmt), a, cap);
        /* the reference goes around every memo: the same pattern plus an hour, which
         * types_strftime never keeps, then the hour's two digits cut off again */
        snprintf(timed, sizeof(timed), "%s%%H", fmt);
        int rb = types_strftime(us, timed, b, sizeof(b));
        assert_true(rb >= 2);
        rb -= 2;
        b[rb] = '\0';
        if ((size_t)rb + 1 > cap) {
            rb = -1;
        }
        if (ra != rb || (ra >= 0 && strcmp(a, b) != 0)) {
            fail_msg("'%s' day %d cap %zu: %d '%s', strftime %d '%s'", fmt, day, cap, ra,
                     ra >= 0 ? a : "", rb, rb >= 0 ? b : "");
        }
    }
    /* the extreme instants: their day, not days * 86400e6, which would overflow */
    char a[64], b[64];
    int32_t lo = (int32_t)(INT64_MIN / US_PER_DAY - 1), hi = (int32_t)(INT64_MAX / US_PER_DAY);
    assert_int_equal(types_strftime_day(lo, "%F", 2, a, sizeof(a)),
                     types_strftime(INT64_MIN, "%F", b, sizeof(b)));
    assert_string_equal(a, b);
    assert_int_equal(types_strftime_day(hi, "%F", 2, a, sizeof(a)),
                     types_strftime(INT64_MAX, "%F", b, sizeof(b)));
    assert_string_equal(a, b);
}

static void test_civil_memo(void **state)
{
    (void)state;
    int32_t day = 0;
    for (int iter = 0; iter < 300000; iter++) {
        switch (rng() % 3) {
        case 0:
            day = (int32_t)(rng() % 8000000) - 4000000;
            break;
        case 1:
            day += 1;
            break;
        default:
            break;
        }
        int y, m, d;
        types_civil_from_days(day, &y, &m, &d);
        if (types_days_from_civil(y, m, d) != day || m < 1 || m > 12 || d < 1 || d > 31) {
            fail_msg("day %d gave %d-%d-%d", day, y, m, d);
        }
    }
    int y, m, d;
    types_civil_from_days(0, &y, &m, &d);
    assert_true(y == 1970 && m == 1 && d == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_digits),
        cmocka_unit_test(test_int_vs_reference),
        cmocka_unit_test(test_num_vs_general_and_strtod),
        cmocka_unit_test(test_date_vs_general),
        cmocka_unit_test(test_datetime_vs_general),
        cmocka_unit_test(test_strftime_by_day),
        cmocka_unit_test(test_civil_memo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
