/* test_cron.c - cron expressions for the daemon's scheduled jobs: parsing (bit sets, names,
 * steps, error messages), the next matching time against a table in UTC (steps, ranges,
 * lists, names, the day-of-month/day-of-week OR rule, Feb 29, month ends), DST in
 * Europe/Madrid (skipped when tzdata is missing), and the schedule config key's errors.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "daemon/cron.h"

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* "YYYY-MM-DD HH:MM[:SS]" in UTC. */
static time_t utc(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int n = sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec);
    assert_true(n >= 5);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static void fmt_utc(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

static void parse_ok(const char *text, struct cron *c)
{
    struct sl_error err = {0};
    if (cron_parse(text, c, &err) != 0) {
        fail_msg("'%s' should parse: %s", text, err.msg);
    }
}

static void test_parse_sets(void **state)
{
    (void)state;
    struct cron c;
    parse_ok("*/15 9-17/4 1,15 JAN,dec mon-fri", &c);
    assert_true(c.minutes == ((1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45)));
    assert_int_equal(c.hours, (1u << 9) | (1u << 13) | (1u << 17));
    assert_int_equal(c.mdays, (1u << 1) | (1u << 15));
    assert_int_equal(c.months, (1u << 1) | (1u << 12));
    assert_int_equal(c.wdays, 0x3e);
    assert_int_equal(c.flags, CRON_MIN_STAR);
    parse_ok("  0\t0  *  *  5-7 ", &c); /* 7 is Sunday again */
    assert_int_equal(c.wdays, (1u << 0) | (1u << 5) | (1u << 6));
    assert_int_equal(c.flags, CRON_DOM_STAR);
    parse_ok("* * * * *", &c);
    assert_true(c.minutes == (1ull << 60) - 1);
    assert_int_equal(c.hours, (1u << 24) - 1);
    assert_int_equal(c.mdays, 0xfffffffeu);
    assert_int_equal(c.months, 0x1ffe);
    assert_int_equal(c.wdays, 0x7f);
    assert_int_equal(c.flags, CRON_MIN_STAR | CRON_HOUR_STAR | CRON_DOM_STAR | CRON_DOW_STAR);
    parse_ok("30/10 * * * 0,7", &c); /* N/STEP: N to the maximum */
    assert_true(c.minutes == ((1ull << 30) | (1ull << 40) | (1ull << 50)));
    assert_int_equal(c.wdays, 1);
    parse_ok("0 0 * * SUN-sat", &c);
    assert_int_equal(c.wdays, 0x7f);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
        {"* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
        {"", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
        {"0 25 * * *", "field 2 (hour): 25 is out of range 0-23"},
        {"60 * * * *", "field 1 (minute): 60 is out of range 0-59"},
        {"0 0 0 * *", "field 3 (day-of-month): 0 is out of range 1-31"},
        {"0 0 32 * *", "field 3 (day-of-month): 32 is out of range 1-31"},
        {"0 0 * 13 *", "field 4 (month): 13 is out of range 1-12"},
        {"0 0 * * 8", "field 5 (day-of-week): 8 is out of range 0-7"},
        {"0 0 * foo *", "field 4 (month): 'foo' is not a month (1-12 or jan..dec)"},
        {"0 0 * * funday", "field 5 (day-of-week): 'funday' is not a weekday (0-7 or sun..sat)"},
        {"0 mon * * *", "field 2 (hour): 'mon' is not a number"},
        {"x * * * *", "field 1 (minute): 'x' is not a number"},
        {"5x * * * *", "field 1 (minute): '5x' is not a number"},
        {"5-1 * * * *", "field 1 (minute): range 5-1 goes backwards"},
        {"0 0 * * fri-mon", "field 5 (day-of-week): range fri-mon goes backwards"},
        {"*/0 * * * *", "field 1 (minute): step 0 is out of range 1-59"},
        {"*/ * * * *", "field 1 (minute): a step is missing after '/'"},
        {"*/x * * * *", "field 1 (minute): step 'x' is not a number"},
        {"1,,2 * * * *", "field 1 (minute): an empty item in the list"},
        {"1, * * * *", "field 1 (minute): an empty item in the list"},
        {"0 -3 * * *", "field 2 (hour): a value is missing"},
        {"0 3- * * *", "field 2 (hour): a value is missing"},
        {"0 * 1 * 99999999999", "field 5 (day-of-week): 99999999999 is out of range 0-7"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cron c;
        struct sl_error err = {0};
        int rc = cron_parse(cases[i].text, &c, &err);
        if (rc != SL_ECONFIG || strcmp(err.msg, cases[i].msg) != 0) {
            fail_msg("'%s': got rc %d '%s', want '%s'", cases[i].text, rc, err.msg,
                     cases[i].msg);
        }
    }
}

struct next_case {
    const char *expr, *after, *want; /* want NULL: no match within the search bound */
};

static void check_next(const struct next_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct cron c;
        time_t next = 0;
        char got[32];
        parse_ok(cases[i].expr, &c);
        int rc = cron_next(&c, utc(cases[i].after), &next, NULL);
        if (cases[i].want == NULL) {
            if (rc != -1) {
                fmt_utc(next, got, sizeof(got));
                fail_msg("'%s' after %s: got %s, want no match", cases[i].expr, cases[i].after,
                         got);
            }
            continue;
        }
        if (rc != 0) {
            fail_msg("'%s' after %s: no match, want %s", cases[i].expr, cases[i].after,
                     cases[i].want);
        }
        fmt_utc(next, got, sizeof(got));
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("'%s' after %s: got %s, want %s", cases[i].expr, cases[i].after, got,
                     cases[i].want);
        }
    }
}

static void test_next_utc(void **state)
{
    (void)state;
    static const struct next_case cases[] = {
        /* strictly after, whole minutes */
        {"* * * * *", "2025-01-01 00:00", "2025-01-01 00:01"},
        {"* * * * *", "2025-01-01 00:00:59", "2025-01-01 00:01"},
        {"* * * * *", "2025-12-31 23:59:30", "2026-01-01 00:00"},
        /* steps */
        {"*/15 * * * *", "2025-01-01 00:07", "2025-01-01 00:15"},
        {"*/15 * * * *", "2025-01-01 00:45", "2025-01-01 01:00"},
        {"0 */6 * * *", "2025-01-01 06:00", "2025-01-01 12:00"},
        {"0 9-17/4 * * *", "2025-01-01 10:00", "2025-01-01 13:00"},
        {"0 9-17/4 * * *", "2025-01-01 17:00", "2025-01-02 09:00"},
        /* fixed times, lists, ranges */
        {"5 4 * * *", "2025-01-01 04:05", "2025-01-02 04:05"},
        {"5 4 * * *", "2025-01-01 04:04:59", "2025-01-01 04:05"},
        {"10,20,30 * * * *", "2025-01-01 00:25", "2025-01-01 00:30"},
        {"10,20,30 * * * *", "2025-01-01 00:30", "2025-01-01 01:10"},
        {"0 8-10 * * *", "2025-01-01 10:00", "2025-01-02 08:00"},
        /* names */
        {"0 0 1 jan *", "2025-03-01 00:00", "2026-01-01 00:00"},
        {"0 12 * * mon-fri", "2025-01-03 13:00", "2025-01-06 12:00"}, /* Fri -> Mon */
        {"0 0 * * 7", "2025-01-01 00:00", "2025-01-05 00:00"},        /* Wed -> Sun */
        {"0 0 * * sun", "2025-01-01 00:00", "2025-01-05 00:00"},
        {"0 0 * jun sat", "2025-01-01 00:00", "2025-06-07 00:00"},
        /* day-of-month OR day-of-week when both are restricted */
        {"0 0 13 * fri", "2025-01-01 00:00", "2025-01-03 00:00"},
        {"0 0 13 * fri", "2025-01-10 00:00", "2025-01-13 00:00"},
        {"0 0 1,15 * mon", "2025-01-02 00:00", "2025-01-06 00:00"},
        {"0 0 1,15 * mon", "2025-01-13 00:00", "2025-01-15 00:00"},
        /* ... but AND when one of them starts with '*' */
        {"0 0 */2 * mon", "2025-01-01 00:00", "2025-01-13 00:00"},
        {"0 0 13 * *", "2025-01-14 00:00", "2025-02-13 00:00"},
        /* month ends, Feb 29 */
        {"0 0 31 * *", "2025-04-01 00:00", "2025-05-31 00:00"},
        {"0 0 31 * *", "2025-07-31 00:00", "2025-08-31 00:00"},
        {"0 0 30 * *", "2025-01-30 00:00", "2025-03-30 00:00"},
        {"0 0 29 2 *", "2025-01-01 00:00", "2028-02-29 00:00"},
        {"0 0 29 2 *", "2028-02-29 00:00", "2032-02-29 00:00"},
        {"59 23 31 12 *", "2025-12-31 23:59", "2026-12-31 23:59"},
        {"0 0 28-31 2 *", "2025-02-28 00:00", "2026-02-28 00:00"},
        /* never */
        {"0 0 30 2 *", "2025-01-01 00:00", NULL},
        {"0 0 31 4,6,9,11 *", "2025-01-01 00:00", NULL},
    };
    set_tz("UTC");
    check_next(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_next_local_out(void **state)
{
    (void)state;
    struct cron c;
    struct tm tm;
    time_t next;
    set_tz("UTC");
    parse_ok("30 6 * * *", &c);
    assert_int_equal(cron_next(&c, utc("2025-05-01 07:00"), &next, &tm), 0);
    assert_int_equal(tm.tm_mday, 2);
    assert_int_equal(tm.tm_hour, 6);
    assert_int_equal(tm.tm_min, 30);
    assert_int_equal(cron_matches(&c, &tm), 1);
}

/* Europe/Madrid: 2025-03-30 02:00 CET -> 03:00 CEST (01:00Z); 2025-10-26 03:00 CEST -> 02:00
 * CET (01:00Z).  Times are given and expected in UTC. */
static void test_next_dst_madrid(void **state)
{
    (void)state;
    static const struct next_case cases[] = {
        /* a fixed time in the skipped hour runs right after the jump (03:00 CEST) */
        {"30 2 * * *", "2025-03-29 23:00", "2025-03-30 01:00"},
        /* ... and on the next day at its normal time (02:30 CEST = 00:30Z) */
        {"30 2 * * *", "2025-03-30 01:00", "2025-03-31 00:30"},
        /* a fixed time outside the gap is unaffected (04:00 CEST = 02:00Z) */
        {"0 4 * * *", "2025-03-29 23:00", "2025-03-30 02:00"},
        /* wildcard minutes follow elapsed time: nothing in the missing hour */
        {"*/30 * * * *", "2025-03-30 00:45", "2025-03-30 01:00"},
        {"*/30 2 * * *", "2025-03-29 23:00", "2025-03-31 00:00"},
        /* a repeated time runs once: 02:30 CEST (00:30Z), not again at 02:30 CET (01:30Z) */
        {"30 2 * * *", "2025-10-25 23:00", "2025-10-26 00:30"},
        {"30 2 * * *", "2025-10-26 00:30", "2025-10-27 01:30"},
        /* wildcard minutes run in the repeated hour too */
        {"*/30 * * * *", "2025-10-26 00:45", "2025-10-26 01:00"},
        {"0 3 * * *", "2025-10-26 00:30", "2025-10-26 02:00"},
    };
    if (access("/usr/share/zoneinfo/Europe/Madrid", R_OK) != 0) {
        set_tz("UTC");
        skip();
    }
    set_tz("Europe/Madrid");
    check_next(cases, sizeof(cases) / sizeof(cases[0]));
    set_tz("UTC");
}

/* The schedule key: good entries, and each error with its line. */
static void test_schedule_config(void **state)
{
    (void)state;
    static const char good[] =
        "schedule:\n"
        "  - {name: snap, every: 200ms, job: metrics_snapshot}\n"
        "  - name: daily-digest.v2\n"
        "    cron: \"0 8 * * mon-fri\"\n"
        "    job: digest\n"
        "  - {name: clean, cron: \"30 3 * * *\", job: retention, days: 30}\n";
    struct config *c = NULL;
    struct sl_error err = {0};
    set_tz("UTC");
    if (config_load_string(good, strlen(good), "t.yaml", NULL, &c, &err) != 0) {
        fail_msg("unexpected error: %s", err.msg);
    }
    assert_int_equal(c->njobs, 3);
    assert_string_equal(c->jobs[0].name, "snap");
    assert_int_equal(c->jobs[0].kind, JOB_METRICS_SNAPSHOT);
    assert_int_equal(c->jobs[0].every_ms, 200);
    assert_null(c->jobs[0].cron);
    assert_int_equal(c->jobs[0].line, 2);
    assert_string_equal(c->jobs[1].name, "daily-digest.v2");
    assert_int_equal(c->jobs[1].kind, JOB_DIGEST);
    assert_string_equal(c->jobs[1].cron, "0 8 * * mon-fri");
    assert_int_equal(c->jobs[1].every_ms, 0);
    assert_int_equal(c->jobs[1].days, 0);
    assert_int_equal(c->jobs[2].kind, JOB_RETENTION);
    assert_int_equal(c->jobs[2].days, 30);
    assert_string_equal(job_kind_name(c->jobs[2].kind), "retention");
    config_destroy(c);

    static const char *const empty[] = {"schedule:\n", "schedule: []\n", "paths: {}\n"};
    for (size_t i = 0; i < 3; i++) {
        c = NULL;
        assert_int_equal(config_load_string(empty[i], strlen(empty[i]), "t.yaml", NULL, &c,
                                            &err), 0);
        assert_int_equal(c->njobs, 0);
        config_destroy(c);
    }

    static const struct {
        const char *yaml, *msg;
    } bad[] = {
        {"schedule:\n  - {name: a, every: 1s, job: digest}\n  - name: b\n    cron: \"0 25 * * *\"\n"
         "    job: digest\n",
         "t.yaml:4: key 'schedule[1].cron': field 2 (hour): 25 is out of range 0-23"},
        {"schedule:\n  - {name: a, cron: \"0 0 * *\", job: digest}\n",
         "t.yaml:2: key 'schedule[0].cron': expected 5 fields"},
        {"schedule:\n  - {name: a, cron: \"0 0 30 2 *\", job: digest}\n",
         "t.yaml:2: key 'schedule[0].cron': \"0 0 30 2 *\" never matches"},
        {"schedule:\n  - {every: 1s, job: digest}\n",
         "t.yaml:2: key 'schedule[0].name' is required"},
        {"schedule:\n  - {name: a, every: 1s, job: digest}\n  - {name: a, every: 2s, job: digest}\n",
         "t.yaml:3: key 'schedule[1].name': duplicate job name 'a' (first at line 2)"},
        {"schedule:\n  - {name: 'a b', every: 1s, job: digest}\n",
         "t.yaml:2: key 'schedule[0].name': expected a name of letters"},
        {"schedule:\n  - {name: a, job: digest}\n",
         "t.yaml:2: key 'schedule[0]': give when the job runs: every: DURATION or cron"},
        {"schedule:\n  - name: a\n    every: 1s\n    cron: \"* * * * *\"\n    job: digest\n",
         "t.yaml:4: key 'schedule[0]': every and cron exclude each other"},
        {"schedule:\n  - {name: a, every: 10ms, job: digest}\n",
         "t.yaml:2: key 'schedule[0].every': expected a duration from 100ms to"},
        {"schedule:\n  - {name: a, every: soon, job: digest}\n",
         "t.yaml:2: key 'schedule[0].every': expected a duration"},
        {"schedule:\n  - {name: a, every: 1s}\n",
         "t.yaml:2: key 'schedule[0].job' is required"},
        {"schedule:\n  - {name: a, every: 1s, job: backup}\n",
         "t.yaml:2: key 'schedule[0].job': expected one of metrics_snapshot, digest, retention"},
        {"schedule:\n  - name: a\n    every: 1s\n    job: digest\n    days: 3\n",
         "t.yaml:5: key 'schedule[0].days': only the retention job takes days"},
        {"schedule:\n  - {name: a, every: 1s, job: retention}\n",
         "t.yaml:2: key 'schedule[0].days' is required for the retention job"},
        {"schedule:\n  - {name: a, every: 1s, job: retention, days: 0}\n",
         "t.yaml:2: key 'schedule[0].days': expected"},
        {"schedule:\n  - name: a\n    every: 1s\n    job: digest\n    when: now\n",
         "t.yaml:5: unknown key 'schedule[0].when'"},
        {"schedule: {name: a}\n", "t.yaml:1: key 'schedule': expected a list of jobs"},
        {"schedule:\n  - digest\n", "t.yaml:2: key 'schedule[0]': expected a mapping"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sl_error e = {0};
        c = NULL;
        int rc = config_load_string(bad[i].yaml, strlen(bad[i].yaml), "t.yaml", NULL, &c, &e);
        if (rc != SL_ECONFIG || strstr(e.msg, bad[i].msg) != e.msg) {
            fail_msg("case %zu: got rc %d '%s', want prefix '%s'", i, rc, e.msg, bad[i].msg);
        }
        assert_null(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_sets),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_next_utc),
        cmocka_unit_test(test_next_local_out),
        cmocka_unit_test(test_next_dst_madrid),
        cmocka_unit_test(test_schedule_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
