/* config_jobs.c - the schedule key: the timed jobs of `sluice run`.
 *
 *   schedule:
 *     - {name: snapshot, every: 5m, job: metrics_snapshot}
 *     - {name: daily, cron: "0 8 * * *", job: digest}
 *     - {name: cleanup, cron: "30 3 * * *", job: retention, days: 30}
 *
 * Each entry has a unique name, exactly one of every (a duration) and cron (5 fields, local
 * time; parsed here so a bad expression is a config error with its line), a job, and days for
 * retention only.  The daemon (src/daemon/jobs.c) runs them.
 */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config_int.h"
#include "core/duration.h"
#include "daemon/cron.h"

#define JOB_MAX_NAME 64
#define JOB_MIN_EVERY_MS 100
#define JOB_MAX_DAYS 36500

static const char *const job_keys[] = {"name", "every", "cron", "job", "days", NULL};
static const char *const job_kinds[] = {"metrics_snapshot", "digest", "retention", NULL};

const char *job_kind_name(enum job_kind k)
{
    return (unsigned)k < sizeof(job_kinds) / sizeof(job_kinds[0]) - 1 ? job_kinds[k] : "?";
}

static int valid_job_name(const char *s)
{
    size_t i;
    for (i = 0; s[i] != '\0'; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.')) {
            return 0;
        }
    }
    return i > 0 && i <= JOB_MAX_NAME;
}

static int parse_every(struct fy_node *n, const struct yu_at *at, int64_t *out)
{
    size_t len = 0;
    const char *s = yu_scalar(n, &len);
    int64_t ms = 0;
    char lo[32], hi[32], expected[128];
    if (s == NULL || duration_parse(s, len, &ms) != 0 || ms < JOB_MIN_EVERY_MS ||
        ms > DURATION_MAX_MS) {
        snprintf(expected, sizeof(expected), "a duration from %s to %s, like 500ms, 5s, 2m or 1h",
                 duration_format(JOB_MIN_EVERY_MS, lo, sizeof(lo)),
                 duration_format(DURATION_MAX_MS, hi, sizeof(hi)));
        return cfg_reject(n, at, expected);
    }
    *out = ms;
    return 0;
}

static int parse_cron(struct cfg_load *ld, struct fy_node *n, const struct yu_at *at,
                      char **out)
{
    struct sl_error cerr = {0};
    struct cron c;
    time_t next;
    int rc = yu_str(n, at, out);
    if (rc != 0) {
        return rc;
    }
    if (cron_parse(*out, &c, &cerr) != 0) {
        return yu_fail(ld->err, ld->source, at->line, "%s: %s (in \"%.80s\"; the 5 fields are "
                       "minute hour day-of-month month day-of-week)", at->what, cerr.msg, *out);
    }
    if (cron_next(&c, time(NULL), &next, NULL) != 0) {
        return yu_fail(ld->err, ld->source, at->line, "%s: \"%.80s\" never matches (no time "
                       "within %d years)", at->what, *out, CRON_SEARCH_YEARS);
    }
    return 0;
}

static int parse_job(struct cfg_load *ld, struct fy_node *item, size_t i, struct job_def *j)
{
    char prefix[48], dotted[52], got[96], what[96];
    struct fy_node *n, *every, *cron;
    int rc, kline = 0, eline = 0, cline = 0, idx = 0;
    struct yu_at at = {ld->source, j->line, what, ld->err};

    snprintf(prefix, sizeof(prefix), "schedule[%zu]", i);
    snprintf(dotted, sizeof(dotted), "%s.", prefix);
    if (!yu_is_map(item)) {
        return yu_fail(ld->err, ld->source, j->line, "key '%s': expected a mapping {name, "
                       "every | cron, job, days}, got %s", prefix,
                       yu_describe(item, got, sizeof(got)));
    }
    if ((rc = yu_check_keys(item, job_keys, ld->source, dotted, "", ld->err)) != 0) {
        return rc;
    }
    /* name */
    n = yu_lookup(item, "name", &kline);
    if (n == NULL) {
        return yu_fail(ld->err, ld->source, j->line, "key '%s.name' is required", prefix);
    }
    at.line = kline;
    snprintf(what, sizeof(what), "key '%s.name'", prefix);
    if ((rc = yu_str(n, &at, &j->name)) != 0) {
        return rc;
    }
    if (!valid_job_name(j->name)) {
        return cfg_reject(n, &at, "a name of letters, digits, '_', '-' or '.' (at most 64 "
                          "bytes)");
    }
    /* job */
    n = yu_lookup(item, "job", &kline);
    if (n == NULL) {
        return yu_fail(ld->err, ld->source, j->line, "key '%s.job' is required (one of "
                       "metrics_snapshot, digest, retention)", prefix);
    }
    at.line = kline;
    snprintf(what, sizeof(what), "key '%s.job'", prefix);
    if ((rc = yu_choice(n, &at, job_kinds, &idx)) != 0) {
        return rc;
    }
    j->kind = (enum job_kind)idx;
    /* every | cron */
    every = yu_lookup(item, "every", &eline);
    cron = yu_lookup(item, "cron", &cline);
    if (every == NULL && cron == NULL) {
        return yu_fail(ld->err, ld->source, j->line, "key '%s': give when the job runs: every: "
                       "DURATION or cron: \"m h dom mon dow\"", prefix);
    }
    if (every != NULL && cron != NULL) {
        return yu_fail(ld->err, ld->source, cline, "key '%s': every and cron exclude each "
                       "other; give one", prefix);
    }
    if (every != NULL) {
        at.line = eline;
        snprintf(what, sizeof(what), "key '%s.every'", prefix);
        rc = parse_every(every, &at, &j->every_ms);
    } else {
        at.line = cline;
        snprintf(what, sizeof(what), "key '%s.cron'", prefix);
        rc = parse_cron(ld, cron, &at, &j->cron);
    }
    if (rc != 0) {
        return rc;
    }
    /* days: retention only, and required there */
    n = yu_lookup(item, "days", &kline);
    if (n != NULL && j->kind != JOB_RETENTION) {
        return yu_fail(ld->err, ld->source, kline, "key '%s.days': only the retention job "
                       "takes days (this job is %s)", prefix, job_kinds[j->kind]);
    }
    if (n == NULL && j->kind == JOB_RETENTION) {
        return yu_fail(ld->err, ld->source, j->line, "key '%s.days' is required for the "
                       "retention job (processed inputs older than this many days are deleted)",
                       prefix);
    }
    if (n != NULL) {
        at.line = kline;
        snprintf(what, sizeof(what), "key '%s.days'", prefix);
        rc = yu_int(n, &at, 1, JOB_MAX_DAYS, &j->days);
    }
    return rc;
}

int cfg_parse_schedule(struct cfg_load *ld, struct fy_node *n, int line)
{
    struct config *c = ld->c;
    void *it = NULL;
    char got[96];
    size_t count;
    int rc = 0;

    if (yu_is_null(n)) {
        return 0;
    }
    if (!yu_is_seq(n)) {
        return yu_fail(ld->err, ld->source, line, "key 'schedule': expected a list of jobs "
                       "({name, every | cron, job}), got %s", yu_describe(n, got, sizeof(got)));
    }
    count = (size_t)fy_node_sequence_item_count(n);
    if (count == 0) {
        return 0;
    }
    c->jobs = calloc(count, sizeof(*c->jobs));
    if (c->jobs == NULL) {
        return yu_oom(ld->err);
    }
    for (struct fy_node *item = fy_node_sequence_iterate(n, &it);
         rc == 0 && item != NULL && c->njobs < count; item = fy_node_sequence_iterate(n, &it)) {
        size_t i = c->njobs++;
        struct job_def *j = &c->jobs[i];
        j->line = yu_line(item, line);
        rc = parse_job(ld, item, i, j);
        for (size_t k = 0; rc == 0 && k < i; k++) {
            if (strcmp(c->jobs[k].name, j->name) == 0) {
                rc = yu_fail(ld->err, ld->source, j->line, "key 'schedule[%zu].name': duplicate "
                             "job name '%s' (first at line %d)", i, j->name, c->jobs[k].line);
            }
        }
    }
    return rc;
}
