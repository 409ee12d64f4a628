/* duration.c - parses and formats the durations of `sluice run` and the watch.* keys.
 *
 * The grammar is deliberately small: digits, then ms, s, m or h (or nothing for seconds).
 * No fractions, signs or spaces, so "1.5s" or "5 s" is an error rather than a guess.
 */
#include "core/duration.h"

#include <stdio.h>
#include <string.h>

int duration_parse(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0;
    int64_t v = 0, mult;

    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (v > DURATION_MAX_MS) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0) {
        return -1;
    }
    size_t ulen = n - i;
    const char *u = s + i;
    if (ulen == 0 || (ulen == 1 && u[0] == 's')) {
        mult = 1000;
    } else if (ulen == 2 && memcmp(u, "ms", 2) == 0) {
        mult = 1;
    } else if (ulen == 1 && u[0] == 'm') {
        mult = 60 * 1000;
    } else if (ulen == 1 && u[0] == 'h') {
        mult = 3600 * 1000;
    } else {
        return -1;
    }
    if (v > DURATION_MAX_MS / mult) {
        return -1;
    }
    *ms = v * mult;
    return 0;
}

const char *duration_format(int64_t ms, char *buf, size_t cap)
{
    if (ms != 0 && ms % (3600 * 1000) == 0) {
        snprintf(buf, cap, "%lldh", (long long)(ms / (3600 * 1000)));
    } else if (ms != 0 && ms % (60 * 1000) == 0) {
        snprintf(buf, cap, "%lldm", (long long)(ms / (60 * 1000)));
    } else if (ms % 1000 == 0) {
        snprintf(buf, cap, "%llds", (long long)(ms / 1000));
    } else {
        snprintf(buf, cap, "%lldms", (long long)ms);
    }
    return buf;
}
