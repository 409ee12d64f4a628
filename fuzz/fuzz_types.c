/* fuzz_types.c - libFuzzer harness for the scalar parsers and formatters
 * (src/contract/types.c): integer, number, date, datetime, boolean, strftime.
 *
 * Input: byte 0 selects the parser and its options; for the patterned date/datetime parsers
 * and strftime the text is "PATTERN\x01VALUE".  Checks, beyond the sanitizers:
 *   - integer: an accepted value prints back (%lld) to text that parses to the same value;
 *   - number: an accepted value equals strtod's on the same text (the documented contract),
 *     is finite, and the shortest formatted text parses back to the same bits;
 *   - date/datetime: an accepted value is a valid calendar day in 0001..9999, and its
 *     canonical text parses back (default format) to the same value;
 *   - strftime/format: the result fits the buffer and is NUL-terminated.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/types.h"

#define CHECK(c)                                                                          \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);         \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static void check_days(int32_t days)
{
    int y, m, d;
    char buf[40];
    int32_t back;
    types_civil_from_days(days, &y, &m, &d);
    CHECK(y >= 1 && y <= 9999 && types_valid_civil(y, m, d));
    CHECK(types_days_from_civil(y, m, d) == days);
    size_t n = types_format_date(days, buf, sizeof(buf));
    CHECK(n < sizeof(buf) && buf[n] == '\0');
    CHECK(types_parse_date(buf, n, NULL, &back) == 0 && back == days);
}

static void check_us(int64_t us)
{
    char buf[40];
    int64_t back;
    size_t n = types_format_datetime(us, buf, sizeof(buf));
    CHECK(n < sizeof(buf) && buf[n] == '\0');
    CHECK(types_parse_datetime(buf, n, NULL, &back) == 0 && back == us);
    int64_t days = us / 86400000000LL - (us % 86400000000LL < 0);
    check_days((int32_t)days);
}

static void check_num_text(const char *s, size_t n, double d)
{
    /* strtod needs a terminated string; the parser accepted the whole span */
    char *z = malloc(n + 1), *end;
    CHECK(z != NULL);
    memcpy(z, s, n);
    z[n] = '\0';
    double ref = strtod(z, &end);
    CHECK(end == z + n);
    CHECK(memcmp(&ref, &d, sizeof(d)) == 0 || (ref == 0 && d == 0));
    free(z);
    CHECK(isfinite(d));
    char buf[64];
    double back;
    size_t m = types_format_num(d, buf, sizeof(buf));
    CHECK(m < sizeof(buf) && buf[m] == '\0');
    CHECK(types_parse_num(buf, m, '.', 0, &back) == 0 && (back == d));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) {
        return 0;
    }
    unsigned sel = data[0];
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    /* the patterned forms: PATTERN \x01 VALUE (the pattern NUL-terminated in a copy) */
    const char *sep = memchr(s, 1, n);
    char *fmt = NULL;
    const char *v = s;
    size_t vn = n;
    if (sep != NULL) {
        size_t fn = (size_t)(sep - s);
        fmt = malloc(fn + 1);
        CHECK(fmt != NULL);
        memcpy(fmt, s, fn);
        fmt[fn] = '\0';
        v = sep + 1;
        vn = n - fn - 1;
    }

    switch (sel % 8) {
    case 0: {
        int64_t i;
        if (types_parse_int(s, n, &i) == 0) {
            char buf[32];
            int64_t back;
            int m = snprintf(buf, sizeof(buf), "%lld", (long long)i);
            CHECK(types_parse_int(buf, (size_t)m, &back) == 0 && back == i);
            check_num_text(buf, (size_t)m, (double)i);
        }
        break;
    }
    case 1: {
        double d;
        if (types_parse_num(s, n, '.', 0, &d) == 0) {
            check_num_text(s, n, d);
        }
        break;
    }
    case 2: { /* other decimal and group characters */
        static const char dec[] = {'.', ',', '.', ','};
        static const char grp[] = {',', '.', ' ', '\''};
        double d;
        if (types_parse_num(s, n, dec[(sel >> 3) & 3], grp[(sel >> 5) & 3], &d) == 0) {
            CHECK(isfinite(d));
        }
        break;
    }
    case 3: {
        int32_t days;
        if (types_parse_date(s, n, NULL, &days) == 0) {
            check_days(days);
        }
        break;
    }
    case 4: {
        int64_t us;
        if (types_parse_datetime(s, n, NULL, &us) == 0) {
            check_us(us);
        }
        break;
    }
    case 5: { /* patterned date and datetime */
        int32_t days;
        int64_t us;
        if (fmt != NULL && types_parse_date(v, vn, fmt, &days) == 0) {
            check_days(days);
        }
        if (fmt != NULL && types_parse_datetime(v, vn, fmt, &us) == 0) {
            check_us(us);
        }
        break;
    }
    case 6: { /* strftime of a parsed datetime with a fuzzed pattern */
        int64_t us;
        char out[256];
        if (fmt != NULL && types_parse_datetime(v, vn, NULL, &us) == 0) {
            size_t cap = 1 + (sel >> 3);
            int m = types_strftime(us, fmt, out, cap);
            CHECK(m < (int)cap);
            if (m >= 0) {
                CHECK(out[m] == '\0');
            }
        }
        break;
    }
    default: {
        int b;
        if (types_parse_bool(s, n, &b) == 0) {
            CHECK(b == 0 || b == 1);
        }
        break;
    }
    }
    free(fmt);
    return 0;
}
