/* cron.h - classic 5-field cron expressions for the daemon's scheduled jobs (config key
 * schedule[].cron), evaluated in local time (TZ).
 *
 *   minute hour day-of-month month day-of-week
 *   0-59   0-23 1-31         1-12  0-7 (0 and 7 are Sunday)
 *
 * Each field is a comma-separated list of items: `*`, `N`, `A-B`, `*` or `A-B` or `N` followed
 * by `/STEP` (`N/STEP` means N to the field's maximum).  Months take jan..dec and weekdays
 * sun..sat (any case), also in ranges (mon-fri).  When both day-of-month and day-of-week are
 * restricted (neither starts with `*`), a day matches when EITHER matches (Vixie cron's rule):
 * `0 0 1,15 * mon` runs on the 1st, the 15th and every Monday.
 *
 * Daylight saving time, as in Vixie/ISC cron: an expression whose minute and hour are both
 * fixed (neither starts with `*`) runs once per matching wall-clock time: a time skipped when
 * clocks go forward runs right after the jump, and a time repeated when clocks go back runs only
 * the first time.  Expressions with `*` in the minute or hour follow elapsed time (they run in
 * the repeated hour too, and not in the skipped one).
 */
#ifndef SL_CRON_H
#define SL_CRON_H

#include <stdint.h>
#include <time.h>

#include "core/error.h"

#define CRON_MIN_STAR 0x01  /* the minute field starts with '*' */
#define CRON_HOUR_STAR 0x02 /* likewise the hour */
#define CRON_DOM_STAR 0x04  /* likewise day-of-month */
#define CRON_DOW_STAR 0x08  /* likewise day-of-week */

#define CRON_SEARCH_YEARS 5 /* cron_next gives up after this long */

struct cron {
    uint64_t minutes; /* bit m: minute m (0-59) */
    uint32_t hours;   /* bit h: hour h (0-23) */
    uint32_t mdays;   /* bit d: day of month d (1-31) */
    uint16_t months;  /* bit m: month m (1-12) */
    uint8_t wdays;    /* bit w: weekday w (0 = Sunday .. 6) */
    uint8_t flags;    /* CRON_*_STAR */
};

/* Parses text.  Returns 0, or SL_ECONFIG with err->msg saying which field and why, e.g.
 * "field 2 (hour): 25 is out of range 0-23". */
int cron_parse(const char *text, struct cron *c, struct sl_error *err);

/* 1 when the local wall-clock time (tm fields: tm_min, tm_hour, tm_mday, tm_mon 0-11, tm_wday)
 * matches. */
int cron_matches(const struct cron *c, const struct tm *tm);

/* The first minute strictly after `after` that matches, in local time (localtime_r/mktime,
 * so TZ applies): *next gets it and *local (if not NULL) its broken-down local time.  Returns
 * 0, or -1 when nothing matches within CRON_SEARCH_YEARS (e.g. `0 0 30 2 *`). */
int cron_next(const struct cron *c, time_t after, time_t *next, struct tm *local);

#endif
