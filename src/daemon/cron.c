/* cron.c - parsing 5-field cron expressions into bit sets, and finding the next matching
 * minute in local time.
 *
 * The search walks absolute time (time_t) forward and skips whole months, days and hours that
 * cannot match, so it takes at most a few thousand steps over CRON_SEARCH_YEARS.  Each step
 * strictly advances, which bounds the loop whatever mktime does around DST transitions.  For
 * fixed-time expressions (minute and hour without '*') two DST rules apply (see cron.h): a
 * candidate whose wall-clock time is not later than that of `after` is a repeat and is
 * skipped, and a step that crosses a forward jump returns the instant after the jump when a
 * skipped wall-clock minute would have matched.
 */
#include "daemon/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct field {
    const char *name;
    int lo, hi;
    const char *const *names; /* names[i] is value lo_names + i */
    int names_base;
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const struct field fields[5] = {
    {"minute", 0, 59, NULL, 0},
    {"hour", 0, 23, NULL, 0},
    {"day-of-month", 1, 31, NULL, 0},
    {"month", 1, 12, month_names, 1},
    {"day-of-week", 0, 7, wday_names, 0},
};

static int fail(struct sl_error *err, int fi, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct sl_error *err, int fi, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_error_set(err, SL_ECONFIG, "field %d (%s): %s", fi + 1, fields[fi].name, msg);
}

/* One value: a number or (month, weekday) a name.  p..end is the text. */
static int parse_value(int fi, const char *p, const char *end, int *out, struct sl_error *err)
{
    const struct field *f = &fields[fi];
    char tok[32];
    size_t n = (size_t)(end - p);
    snprintf(tok, sizeof(tok), "%.*s", (int)(n < 24 ? n : 24), p);
    if (n == 0) {
        return fail(err, fi, "a value is missing");
    }
    if (isdigit((unsigned char)*p)) {
        long v = 0;
        for (const char *q = p; q < end; q++) {
            if (!isdigit((unsigned char)*q)) {
                return fail(err, fi, "'%s' is not a number", tok);
            }
            if (v < 1000) {
                v = v * 10 + (*q - '0');
            }
        }
        if (v < f->lo || v > f->hi) {
            return fail(err, fi, "%s is out of range %d-%d", tok, f->lo, f->hi);
        }
        *out = (int)v;
        return 0;
    }
    if (f->names != NULL && n == 3) {
        for (int i = 0; f->names[i] != NULL; i++) {
            if (strncasecmp(p, f->names[i], 3) == 0) {
                *out = f->names_base + i;
                return 0;
            }
        }
    }
    if (f->names != NULL) {
        return fail(err, fi, "'%s' is not a %s", tok,
                    fi == 3 ? "month (1-12 or jan..dec)" : "weekday (0-7 or sun..sat)");
    }
    return fail(err, fi, "'%s' is not a number", tok);
}

/* One list item: *, N, A-B, each optionally /STEP.  Sets bits in *set. */
static int parse_item(int fi, const char *p, const char *end, uint64_t *set,
                      struct sl_error *err)
{
    const struct field *f = &fields[fi];
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *bend = slash != NULL ? slash : end;
    int lo = 0, hi = 0, step = 1, rc;

    if (p == bend) {
        return fail(err, fi, "an empty item in the list");
    }
    if (bend - p == 1 && *p == '*') {
        lo = f->lo;
        hi = f->hi == 7 ? 6 : f->hi; /* weekday 7 is Sunday again */
    } else {
        const char *dash = memchr(p, '-', (size_t)(bend - p));
        if ((rc = parse_value(fi, p, dash != NULL ? dash : bend, &lo, err)) != 0) {
            return rc;
        }
        if (dash != NULL) {
            if ((rc = parse_value(fi, dash + 1, bend, &hi, err)) != 0) {
                return rc;
            }
            if (hi < lo) {
                char tok[48];
                snprintf(tok, sizeof(tok), "%.*s", (int)(bend - p < 40 ? bend - p : 40), p);
                return fail(err, fi, "range %s goes backwards", tok);
            }
        } else {
            hi = slash != NULL ? (f->hi == 7 ? 6 : f->hi) : lo;
        }
    }
    if (slash != NULL) {
        const char *s = slash + 1;
        long v = 0;
        char tok[32];
        snprintf(tok, sizeof(tok), "%.*s", (int)(end - s < 24 ? end - s : 24), s);
        if (s == end) {
            return fail(err, fi, "a step is missing after '/'");
        }
        for (const char *q = s; q < end; q++) {
            if (!isdigit((unsigned char)*q)) {
                return fail(err, fi, "step '%s' is not a number", tok);
            }
            if (v < 1000) {
                v = v * 10 + (*q - '0');
            }
        }
        if (v < 1 || v > f->hi) {
            return fail(err, fi, "step %s is out of range 1-%d", tok, f->hi);
        }
        step = (int)v;
    }
    for (int v = lo; v <= hi; v += step) {
        *set |= (uint64_t)1 << (fi == 4 && v == 7 ? 0 : v);
    }
    return 0;
}

static int parse_field(int fi, const char *p, const char *end, uint64_t *set,
                       struct sl_error *err)
{
    *set = 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *iend = comma != NULL ? comma : end;
        int rc = parse_item(fi, p, iend, set, err);
        if (rc != 0) {
            return rc;
        }
        if (comma == NULL) {
            return 0;
        }
        p = comma + 1;
    }
}

int cron_parse(const char *text, struct cron *c, struct sl_error *err)
{
    const char *start[6], *stop[6];
    int n = 0;
    const char *p = text;

    memset(c, 0, sizeof(*c));
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        const char *s = p;
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            p++;
        }
        if (n < 6) {
            start[n] = s;
            stop[n] = p;
        }
        n++;
    }
    if (n != 5) {
        return sl_error_set(err, SL_ECONFIG, "expected 5 fields (minute hour day-of-month "
                            "month day-of-week), got %d", n);
    }
    uint64_t sets[5];
    for (int i = 0; i < 5; i++) {
        int rc = parse_field(i, start[i], stop[i], &sets[i], err);
        if (rc != 0) {
            return rc;
        }
    }
    c->minutes = sets[0];
    c->hours = (uint32_t)sets[1];
    c->mdays = (uint32_t)sets[2];
    c->months = (uint16_t)sets[3];
    c->wdays = (uint8_t)sets[4];
    c->flags = (uint8_t)((*start[0] == '*' ? CRON_MIN_STAR : 0) |
                         (*start[1] == '*' ? CRON_HOUR_STAR : 0) |
                         (*start[2] == '*' ? CRON_DOM_STAR : 0) |
                         (*start[4] == '*' ? CRON_DOW_STAR : 0));
    return 0;
}

static int day_matches(const struct cron *c, int mday, int wday)
{
    int dom = (int)(c->mdays >> mday) & 1;
    int dow = (int)(c->wdays >> wday) & 1;
    if (c->flags & (CRON_DOM_STAR | CRON_DOW_STAR)) {
        return dom && dow;
    }
    return dom || dow;
}

int cron_matches(const struct cron *c, const struct tm *tm)
{
    return ((c->months >> (tm->tm_mon + 1)) & 1) && day_matches(c, tm->tm_mday, tm->tm_wday) &&
           ((c->hours >> tm->tm_hour) & 1) && ((c->minutes >> tm->tm_min) & 1);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, struct tm *tm)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    tm->tm_year = (int)(yoe + era * 400 + (m <= 2)) - 1900;
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
}

/* Wall-clock minutes since 1970-01-01 00:00 of a broken-down local time (no zone). */
static int64_t wall_minute(const struct tm *tm)
{
    return days_from_civil((int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday) * 1440 +
           tm->tm_hour * 60 + tm->tm_min;
}

/* Does a wall-clock minute in (w1, w2) that never existed (skipped by a forward jump) match?
 * Minutes the step skipped on purpose cannot match, so any match is one of those. */
static int gap_matches(const struct cron *c, int64_t w1, int64_t w2, int64_t wafter)
{
    for (int64_t w = w1 + 1; w < w2; w++) {
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        int64_t days = w >= 0 ? w / 1440 : -((-w + 1439) / 1440);
        int64_t mins = w - days * 1440;
        civil_from_days(days, &tm);
        tm.tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
        tm.tm_hour = (int)(mins / 60);
        tm.tm_min = (int)(mins % 60);
        if (w > wafter && cron_matches(c, &tm)) {
            return 1;
        }
    }
    return 0;
}

int cron_next(const struct cron *c, time_t after, time_t *next, struct tm *local)
{
    struct tm a, tm, tm2, n;
    int fixed = !(c->flags & (CRON_MIN_STAR | CRON_HOUR_STAR));
    time_t limit = after + (time_t)CRON_SEARCH_YEARS * 366 * 86400;
    time_t t, t2;
    int64_t wafter;

    if (localtime_r(&after, &a) == NULL) {
        return -1;
    }
    wafter = wall_minute(&a);
    t = after - a.tm_sec + 60;
    while (t <= limit) {
        if (localtime_r(&t, &tm) == NULL) {
            return -1;
        }
        int step_mktime = 0;
        memset(&n, 0, sizeof(n));
        n.tm_isdst = -1;
        n.tm_year = tm.tm_year;
        if (!((c->months >> (tm.tm_mon + 1)) & 1)) {
            n.tm_mon = tm.tm_mon + 1; /* the 1st of next month, 00:00 */
            n.tm_mday = 1;
            step_mktime = 1;
        } else if (!day_matches(c, tm.tm_mday, tm.tm_wday)) {
            n.tm_mon = tm.tm_mon; /* tomorrow, 00:00 */
            n.tm_mday = tm.tm_mday + 1;
            step_mktime = 1;
        } else if (!((c->hours >> tm.tm_hour) & 1)) {
            t2 = t + (60 - tm.tm_min) * 60 - tm.tm_sec;
        } else if (!((c->minutes >> tm.tm_min) & 1) || (fixed && wall_minute(&tm) <= wafter)) {
            t2 = t + 60 - tm.tm_sec; /* (the second case: a repeated wall-clock time) */
        } else {
            *next = t;
            if (local != NULL) {
                *local = tm;
            }
            return 0;
        }
        if (step_mktime) {
            t2 = mktime(&n);
        }
        if (t2 == (time_t)-1 || t2 <= t) {
            t2 = t + 60 - tm.tm_sec;
        }
        if (fixed && localtime_r(&t2, &tm2) != NULL) {
            int64_t w1 = wall_minute(&tm), w2 = wall_minute(&tm2);
            if (w2 - w1 > (int64_t)(t2 - t) / 60 && gap_matches(c, w1, w2, wafter)) {
                *next = t2; /* a time the forward jump skipped: run right after it */
                if (local != NULL) {
                    *local = tm2;
                }
                return 0;
            }
        }
        t = t2;
    }
    return -1;
}
