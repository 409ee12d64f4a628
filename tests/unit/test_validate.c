/* test_validate.c - the row validator: every constraint kind, rules, derived columns,
 * uniqueness, header binding, and the reject's line/column/rule/message. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/validate.h"
#include "contract/valuefmt.h"
#include "core/config.h"

static const char yaml[] =
    "contract:\n"
    "  primaryKey: [k1, k2]\n"
    "  missingValues: ['', 'NA']\n"
    "  fields:\n"
    "    - {name: k1, type: string, constraints: {required: true}}\n"
    "    - {name: k2, type: integer, constraints: {required: true}}\n"
    "    - {name: n, type: integer, constraints: {minimum: 1, maximum: 10}}\n"
    "    - {name: x, type: number, constraints: {minimum: 0.5}}\n"
    "    - {name: code, type: string, constraints: {pattern: '[A-Z]{3}', unique: true}}\n"
    "    - {name: word, type: string, constraints: {minLength: 2, maxLength: 4}}\n"
    "    - {name: color, type: string, constraints: {enum: [red, green]}}\n"
    "    - {name: d, type: date, constraints: {maximum: '2030-12-31'}}\n"
    "    - {name: t, type: datetime}\n"
    "    - {name: b, type: boolean}\n"
    "rules:\n"
    "  - {name: n_vs_x, expr: 'n is null or x is null or n >= x', message: 'n must be >= x'}\n"
    "derive:\n"
    "  - {name: dbl, expr: 'n * 2'}\n"
    "  - {name: yr, expr: 'year(t)'}\n"
    "  - {name: inv, expr: '1 / (n - 5)'}\n"
    "metrics:\n"
    "  rows: 'count()'\n"
    "  sx: 'sum(x)'\n";

static const char header[] = "k1,k2,n,x,code,word,color,d,t,b\n";

struct fixture {
    struct config *cfg;
    struct plan *plan;
    struct validator *val;
    struct batch *batch;
    struct reject rej;
};

/* Config, plan, validator and a 64-row batch for the YAML text y (n bytes). */
static struct fixture *fixture_new(const char *y, size_t n)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct sl_error err = {0};
    assert_non_null(f);
    assert_int_equal(config_load_string(y, n, "t.yaml", NULL, &f->cfg, &err), 0);
    assert_int_equal(plan_create(f->cfg, &f->plan, &err), 0);
    f->val = validator_create(f->plan);
    enum sl_type *types = plan_types(f->plan);
    f->batch = batch_create(types, f->plan->ncols, 64);
    free(types);
    assert_non_null(f->val);
    assert_non_null(f->batch);
    return f;
}

static void fixture_free(struct fixture *f)
{
    batch_destroy(f->batch);
    validator_destroy(f->val);
    plan_destroy(f->plan);
    config_destroy(f->cfg);
    sb_free(&f->rej.msg);
    free(f);
}

static int setup(void **state)
{
    *state = fixture_new(yaml, sizeof(yaml) - 1);
    return 0;
}

static int teardown(void **state)
{
    fixture_free(*state);
    return 0;
}

/* Feeds header + one data line; returns the validator's verdict for that line. */
static int feed(struct fixture *f, const char *hdr, const char *line)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s%s\n", hdr, line);
    struct csv_mem_src src = {buf, strlen(buf), 0, 0};
    struct csv_reader *r = csv_reader_create(NULL, csv_mem_read, &src);
    struct csv_record rec;
    struct sl_error err = {0};
    assert_non_null(r);
    assert_int_equal(csv_reader_next(r, &rec, &err), 1);
    int rc = validator_header(f->val, &rec, &err);
    if (rc != 0) {
        csv_reader_destroy(r);
        return rc;
    }
    assert_int_equal(csv_reader_next(r, &rec, &err), 1);
    rc = validator_row(f->val, &rec, f->batch, &f->rej, &err);
    csv_reader_destroy(r);
    return rc;
}

struct rowcase {
    const char *line;
    const char *rule;   /* NULL: accepted */
    const char *column; /* expected column of the first problem */
    const char *msg;    /* fragment of the message */
};

static const struct rowcase cases[] = {
    {"a,1,3,2.5,ABC,hey,red,2025-01-01,2025-01-01 10:00:00,true", NULL, NULL, NULL},
    {"a,2,NA,NA,NA,NA,NA,NA,NA,NA", NULL, NULL, NULL},
    {",3,3,1,ABD,hey,red,2025-01-01,2025-01-01 10:00,1", "required", "k1", "required value"},
    {"a,x,3,1,ABE,hey,red,2025-01-01,2025-01-01 10:00,1", "type", "k2", "'x' is not an integer"},
    {"a,4,0,1,ABF,hey,red,,,", "minimum", "n", "'0' is below the minimum 1"},
    {"a,5,11,1,ABG,hey,red,,,", "maximum", "n", "above the maximum 10"},
    {"a,6,3,0.25,ABH,hey,red,,,", "minimum", "x", "below the minimum 0.5"},
    {"a,7,3,1,abc,hey,red,,,", "pattern", "code", "does not match the pattern"},
    {"a,8,3,1,ABI,h,red,,,", "minLength", "word", "fewer than minLength 2"},
    {"a,9,3,1,ABJ,hello,red,,,", "maxLength", "word", "more than maxLength 4"},
    {"a,10,3,1,ABK,hey,blue,,,", "enum", "color", "'blue' is not one of red, green"},
    {"a,11,3,1,ABL,hey,red,2031-01-01,,", "maximum", "d", "above the maximum 2030-12-31"},
    {"a,12,3,1,ABM,hey,red,2025-02-30,,", "type", "d", "out of range"},
    {"a,13,3,1,ABN,hey,red,,2025-01-01 25:00:00,", "type", "t", "datetime"},
    {"a,14,3,1,ABO,hey,red,,,maybe", "type", "b", "boolean"},
    {"a,15,3,9.5,ABP,hey,red,,,", "n_vs_x", NULL, "n must be >= x"},
    {"a,16,5,1,ABQ,hey,red,,,", "derive", "inv", "division by zero"},
    {"a,17,3,1,ABR,hey,red,,", "ragged_row", NULL, "9 fields, the header has 10"},
    {"a,18,x,y,ABS,hey,red,,,", "type", "n", "'x' is not an integer; x: 'y' is not a number"},
};

static void test_row_cases(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct rowcase *c = &cases[i];
        int rc = feed(f, header, c->line);
        if (c->rule == NULL) {
            if (rc != 1) {
                fail_msg("case %zu (%s): rejected: %s", i, c->line, f->rej.msg.p);
            }
            continue;
        }
        if (rc != 0) {
            fail_msg("case %zu (%s): accepted, wanted rule %s", i, c->line, c->rule);
        }
        assert_string_equal(f->rej.rule, c->rule);
        if (c->column != NULL) {
            assert_non_null(f->rej.column);
            assert_string_equal(f->rej.column, c->column);
        } else {
            assert_null(f->rej.column);
        }
        if (strstr(sb_cstr(&f->rej.msg), c->msg) == NULL) {
            fail_msg("case %zu: message '%s' lacks '%s'", i, sb_cstr(&f->rej.msg), c->msg);
        }
        assert_int_equal(f->rej.line, 2);
    }
}

static void test_accepted_values_and_derived(void **state)
{
    struct fixture *f = *state;
    batch_clear(f->batch);
    assert_int_equal(feed(f, header, "a,1,3,2.5,ABC,hey,red,2025-01-01,2025-06-01 10:00:00,true"), 1);
    assert_int_equal(f->batch->nrows, 1);
    struct sl_value v;
    batch_get(f->batch, 0, 2, &v);
    assert_int_equal(v.type, SL_T_INT);
    assert_int_equal(v.u.i, 3);
    batch_get(f->batch, 0, 10, &v); /* dbl */
    assert_int_equal(v.u.i, 6);
    batch_get(f->batch, 0, 11, &v); /* yr */
    assert_int_equal(v.u.i, 2025);
    batch_get(f->batch, 0, 12, &v); /* inv = 1 / (3 - 5) */
    assert_int_equal(v.type, SL_T_NUM);
    assert_true(v.u.d == -0.5);
    batch_get(f->batch, 0, 4, &v);
    assert_int_equal(v.type, SL_T_STR);
    assert_int_equal(v.u.s.n, 3);
    assert_memory_equal(v.u.s.p, "ABC", 3);
    assert_int_equal(f->batch->line[0], 2);
}

static void test_uniqueness_within_file(void **state)
{
    struct fixture *f = *state;
    char buf[512];
    snprintf(buf, sizeof(buf), "%s%s", header,
             "a,1,3,1,AAA,hey,red,,,\n"
             "a,2,3,1,AAA,hey,red,,,\n"  /* code repeats */
             "a,1,3,1,BBB,hey,red,,,\n"  /* primary key repeats */
             "b,1,3,1,CCC,hey,red,,,\n"  /* other k1: fine */
             "c,3,3,1,NA,hey,red,,,\n"   /* null code: not a duplicate */
             "c,4,3,1,NA,hey,red,,,\n");
    struct csv_mem_src src = {buf, strlen(buf), 0, 0};
    struct csv_reader *r = csv_reader_create(NULL, csv_mem_read, &src);
    struct csv_record rec;
    struct sl_error err = {0};
    assert_int_equal(csv_reader_next(r, &rec, &err), 1);
    assert_int_equal(validator_header(f->val, &rec, &err), 0);
    int want[] = {1, 0, 0, 1, 1, 1};
    const char *rules[] = {NULL, "unique", "primaryKey", NULL, NULL, NULL};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(csv_reader_next(r, &rec, &err), 1);
        int rc = validator_row(f->val, &rec, f->batch, &f->rej, &err);
        assert_int_equal(rc, want[i]);
        if (rules[i] != NULL) {
            assert_string_equal(f->rej.rule, rules[i]);
            assert_non_null(strstr(sb_cstr(&f->rej.msg), "first seen on line 2"));
        }
    }
    csv_reader_destroy(r);
    /* A new header resets the sets: the same key is fine in the next file. */
    batch_clear(f->batch);
    assert_int_equal(feed(f, header, "a,1,3,1,AAA,hey,red,,,"), 1);
}

static void test_header_binding(void **state)
{
    struct fixture *f = *state;
    /* any column order, extra columns ignored */
    assert_int_equal(feed(f, "b,t,d,color,word,code,x,n,k2,k1,extra\n",
                          "1,,,red,hey,XYZ,1,3,5,z,whatever"), 1);
    assert_string_equal(validator_extra_columns(f->val), "extra");
    /* a missing optional column is null; a missing required one fails the file */
    assert_int_equal(feed(f, "k1,k2\n", "q,1"), 1);
    assert_int_equal(feed(f, "k1,n\n", "q,1"), SL_EHEADER);
    assert_int_equal(feed(f, "k1,K2\n", "q,1"), SL_EHEADER);
    assert_int_equal(feed(f, "k1,k2,k1\n", "q,1,q"), SL_EHEADER);
    assert_int_equal(feed(f, "k1,k2,\n", "q,1,"), SL_EHEADER);
}

static void test_metrics(void **state)
{
    struct fixture *f = *state;
    batch_clear(f->batch);
    plan_metrics_reset(f->plan);
    assert_int_equal(feed(f, header, "a,1,3,2.5,ABC,hey,red,,,"), 1);
    assert_int_equal(feed(f, header, "a,2,3,1.5,ABD,hey,red,,,"), 1);
    memset(f->batch->outcome, BATCH_LOADED, f->batch->nrows);
    struct sl_error err = {0};
    assert_int_equal(plan_metrics_step(f->plan, f->batch, &err), 0);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(plan_metrics_json(f->plan, &sb), 0);
    assert_string_equal(sb_cstr(&sb), "{\"rows\":2,\"sx\":4}");
    sb_free(&sb);
}

/* Metrics of the rows below with the given metrics block: plan_metrics_step's direct path
 * (every metric count() or of a bare column) or, with one more metric that is not, the
 * evaluator's.  Rows 2 and 5 are not loaded. */
static void metrics_of(const char *metrics, struct strbuf *out)
{
    static const char *const lines[] = {
        "a,1,3,2.5,ABC,hey,red,2025-01-01,2025-01-01 10:00:00,true",
        "a,2,NA,NA,NA,NA,NA,NA,NA,NA",
        "b,3,7,0.5,ABD,hi,green,2024-02-29,2024-02-29 23:59:59.5,false",
        "c,4,9,8.75,ABE,hola,red,1999-12-31,,1",
        "d,5,2,1.5,ABF,zz,green,2030-12-31,1970-01-01 00:00:00,0",
        "e,6,4,0.5,ABG,ab,green,,2000-01-01 00:00:00,",
    };
    struct strbuf y = STRBUF_INIT;
    const char *cut = strstr(yaml, "metrics:\n");
    sb_add(&y, yaml, (size_t)(cut - yaml));
    sb_adds(&y, "metrics:\n");
    sb_adds(&y, metrics);
    struct fixture *f = fixture_new(y.p, y.len);
    struct sl_error err = {0};
    char buf[2048];
    size_t k = (size_t)snprintf(buf, sizeof(buf), "%s", header);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s\n", lines[i]);
    }
    struct csv_mem_src src = {buf, k, 0, 0};
    struct csv_reader *r = csv_reader_create(NULL, csv_mem_read, &src);
    struct csv_record rec;
    assert_int_equal(csv_reader_next(r, &rec, &err), 1);
    assert_int_equal(validator_header(f->val, &rec, &err), 0);
    while (csv_reader_next(r, &rec, &err) == 1) {
        assert_int_equal(validator_row(f->val, &rec, f->batch, &f->rej, &err), 1);
    }
    struct batch *b = f->batch;
    assert_int_equal((int)b->nrows, 6);
    memset(b->outcome, BATCH_LOADED, b->nrows);
    b->outcome[1] = b->outcome[4] = BATCH_DUP_SKIP;
    plan_metrics_reset(f->plan);
    assert_int_equal(plan_metrics_step(f->plan, b, &err), 0);
    assert_int_equal(plan_metrics_json(f->plan, out), 0);
    csv_reader_destroy(r);
    fixture_free(f);
    sb_free(&y);
}

static void test_metrics_direct_equals_evaluated(void **state)
{
    (void)state;
    static const char common[] =
        "  rows: 'count()'\n  cx: 'count(x)'\n  sx: 'sum(x)'\n  an: 'avg(n)'\n"
        "  sn: 'sum(n)'\n  wmin: 'min(word)'\n  dmax: 'max(d)'\n  tmin: 'min(t)'\n"
        "  bmax: 'max(b)'\n  colors: 'count_distinct(color)'\n  xs: 'count_distinct(x)'\n"
        "  sd: 'sum(dbl)'\n  yr: 'max(yr)'\n";
    struct strbuf direct = STRBUF_INIT, evaluated = STRBUF_INIT, want = STRBUF_INIT;
    metrics_of(common, &direct);
    char more[sizeof(common) + 64];
    snprintf(more, sizeof(more), "%s  z: 'sum(n + 0)'\n", common);
    metrics_of(more, &evaluated);
    sb_add(&want, direct.p, direct.len - 1); /* without the closing brace */
    sb_adds(&want, ",\"z\":23}");
    assert_string_equal(sb_cstr(&evaluated), sb_cstr(&want));
    assert_string_equal(sb_cstr(&direct),
                        "{\"rows\":4,\"cx\":4,\"sx\":12.25,\"an\":5.75,\"sn\":23,\"wmin\":\"ab\","
                        "\"dmax\":\"2025-01-01\",\"tmin\":\"2000-01-01 00:00:00\",\"bmax\":true,"
                        "\"colors\":2,\"xs\":3,\"sd\":46,\"yr\":2025}");
    sb_free(&direct);
    sb_free(&evaluated);
    sb_free(&want);
}

/* agg_step_column's typed loops against the cell-at-a-time path (agg_step_cell) on the same
 * rows: nulls and rows not loaded skipped, -0 and 0 one distinct value, and an integer sum
 * that overflows failing the same way. */
static void step_both(const char *src, const struct batch *b, size_t col, struct sl_value *typed,
                      struct sl_value *cells, int *rc_typed, int *rc_cells)
{
    static const struct expr_col cols[] = {{"n", SL_T_INT}, {"x", SL_T_NUM}};
    struct agg *a = NULL, *c = NULL;
    struct sl_error err = {0};
    assert_int_equal(agg_compile(src, cols, 2, &a, &err), 0);
    assert_int_equal(agg_compile(src, cols, 2, &c, &err), 0);
    *rc_typed = agg_step_column(a, b, col, &err);
    *rc_cells = 0;
    for (size_t r = 0; r < b->nrows && *rc_cells == 0; r++) {
        if (b->outcome[r] == BATCH_LOADED) {
            struct sl_value v;
            batch_get(b, r, col, &v);
            *rc_cells = strcmp(src, "count()") == 0 ? agg_step(c, NULL, NULL, &err)
                                                    : agg_step_cell(c, &v, &err);
        }
    }
    agg_result(a, typed);
    agg_result(c, cells);
    agg_destroy(a);
    agg_destroy(c);
}

static void test_metrics_typed_columns(void **state)
{
    (void)state;
    enum sl_type types[] = {SL_T_INT, SL_T_NUM};
    struct batch *b = batch_create(types, 2, 16);
    assert_non_null(b);
    static const double xs[] = {0.0, -0.0, 1.5, 2.25, 1.5, -3.0, 1e300, 0.0};
    for (size_t i = 0; i < 8; i++) {
        struct sl_value v = {.type = i == 3 ? SL_T_NULL : SL_T_INT, .u.i = (int64_t)i * 5 - 7};
        assert_int_equal(batch_set(b, 0, &v), 0);
        v = (struct sl_value){.type = i == 5 ? SL_T_NULL : SL_T_NUM, .u.d = xs[i]};
        assert_int_equal(batch_set(b, 1, &v), 0);
        assert_int_equal(batch_row_commit(b, i + 2, "r", 1), 0);
    }
    memset(b->outcome, BATCH_LOADED, b->nrows);
    b->outcome[2] = BATCH_DUP_SKIP; /* its 1.5 is seen again in row 4 */
    b->outcome[6] = BATCH_DUP_REJECT; /* its 1e300 would dominate the sums */
    static const struct {
        const char *src;
        size_t col;
        const char *want;
    } tc[] = {
        {"count()", 0, "6"},         {"count(n)", 0, "5"},          {"sum(n)", 0, "50"},
        {"avg(n)", 0, "10"},         {"count_distinct(n)", 0, "5"}, {"count(x)", 1, "5"},
        {"sum(x)", 1, "3.75"},       {"avg(x)", 1, "0.75"},         {"count_distinct(x)", 1, "3"},
    };
    for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
        struct sl_value t, c;
        int rt, rc;
        step_both(tc[i].src, b, tc[i].col, &t, &c, &rt, &rc);
        assert_int_equal(rt, 0);
        assert_int_equal(rc, 0);
        char bt[64], bc[64];
        struct strbuf st = STRBUF_INIT, sc = STRBUF_INIT;
        value_json(&st, &t);
        value_json(&sc, &c);
        snprintf(bt, sizeof(bt), "%s", sb_cstr(&st));
        snprintf(bc, sizeof(bc), "%s", sb_cstr(&sc));
        sb_free(&st);
        sb_free(&sc);
        if (strcmp(bt, tc[i].want) != 0 || strcmp(bc, tc[i].want) != 0) {
            fail_msg("%s: typed %s, cells %s, want %s", tc[i].src, bt, bc, tc[i].want);
        }
    }
    /* an integer sum past INT64_MAX: the same error both ways */
    struct sl_value big = {.type = SL_T_INT, .u.i = INT64_MAX - 5};
    b->cols[0].v.i64[0] = big.u.i;
    struct sl_value t, c;
    int rt, rc;
    step_both("sum(n)", b, 0, &t, &c, &rt, &rc);
    assert_int_equal(rt, SL_EEXPR);
    assert_int_equal(rc, SL_EEXPR);
    batch_destroy(b);
}

/* Within-file uniqueness checked after parsing (validator_unique_row, as the parallel
 * reader does) gives the serial reader's verdicts and messages, for the shapes with one
 * integer-like key (checked cell by cell without a row) and for one that is not. */
static void test_unique_after_parsing(void **state)
{
    (void)state;
    static const char *const contracts[] = {
        "  primaryKey: id\n  fields:\n    - {name: id, type: integer}\n"
        "    - {name: d, type: date}\n",
        "  fields:\n    - {name: id, type: integer}\n"
        "    - {name: d, type: date, constraints: {unique: true}}\n",
        "  primaryKey: d\n  fields:\n    - {name: id, type: integer}\n"
        "    - {name: d, type: datetime}\n",
        "  primaryKey: id\n  fields:\n    - {name: id, type: integer}\n"
        "    - {name: d, type: date, constraints: {unique: true}}\n",
    };
    static const char *const rows[][2] = {
        {"5", "2024-01-01"}, {"-7", "2024-01-02"}, {"5", "2024-01-03"},
        {"", "2024-01-01"},  {"9", ""},            {"-7", ""},
        {"9223372036854775807", "1969-12-31"},    {"9223372036854775807", "1969-12-31"},
        {"12", "2024-01-02"},
    };
    for (size_t k = 0; k < sizeof(contracts) / sizeof(contracts[0]); k++) {
        struct strbuf y = STRBUF_INIT, serial = STRBUF_INIT, after = STRBUF_INIT;
        char data[1024];
        size_t dn = (size_t)snprintf(data, sizeof(data), "id,d\n");
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            int dt = k == 2 && rows[i][1][0] != '\0'; /* the datetime contract */
            dn += (size_t)snprintf(data + dn, sizeof(data) - dn, "%s,%s%s\n", rows[i][0],
                                   rows[i][1], dt ? " 10:00:00" : "");
        }
        sb_adds(&y, "contract:\n");
        sb_adds(&y, contracts[k]);
        for (int deferred = 0; deferred < 2; deferred++) {
            struct fixture *f = fixture_new(y.p, y.len);
            struct strbuf *out = deferred ? &after : &serial;
            validator_defer_unique(f->val, deferred);
            struct csv_mem_src src = {data, dn, 0, 0};
            struct csv_reader *r = csv_reader_create(NULL, csv_mem_read, &src);
            struct csv_record rec;
            struct sl_error err = {0};
            assert_int_equal(csv_reader_next(r, &rec, &err), 1);
            assert_int_equal(validator_header(f->val, &rec, &err), 0);
            while (csv_reader_next(r, &rec, &err) == 1) {
                size_t row = f->batch->nrows;
                int rc = validator_row(f->val, &rec, f->batch, &f->rej, &err);
                if (rc == 1 && deferred) {
                    rc = validator_unique_row(f->val, f->batch, row, &f->rej);
                }
                sb_printf(out, "%llu:%d", (unsigned long long)rec.line, rc);
                if (rc == 0) {
                    sb_printf(out, " %s %s", f->rej.rule, sb_cstr(&f->rej.msg));
                }
                sb_adds(out, "\n");
            }
            csv_reader_destroy(r);
            fixture_free(f);
        }
        if (strcmp(sb_cstr(&serial), sb_cstr(&after)) != 0) {
            fail_msg("contract %zu:\nserial:\n%safter parsing:\n%s", k, sb_cstr(&serial),
                     sb_cstr(&after));
        }
        /* every contract has duplicates here, found on their first sighting's line */
        if (strstr(sb_cstr(&after), "(first seen on line") == NULL) {
            fail_msg("contract %zu: no duplicate:\n%s", k, sb_cstr(&after));
        }
        sb_free(&y);
        sb_free(&serial);
        sb_free(&after);
    }
}

static void test_bad_expressions_are_config_errors(void **state)
{
    (void)state;
    static const char bad[] =
        "contract:\n"
        "  fields:\n"
        "    - {name: a, type: integer}\n"
        "rules:\n"
        "  - {name: r1, expr: 'a > 1'}\n"
        "  - {name: r2, expr: 'b > 1'}\n";
    struct config *cfg = NULL;
    struct plan *p = NULL;
    struct sl_error err = {0};
    assert_int_equal(config_load_string(bad, sizeof(bad) - 1, "bad.yaml", NULL, &cfg, &err), 0);
    assert_int_equal(plan_create(cfg, &p, &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "bad.yaml:6: rule 'r2'"));
    assert_non_null(strstr(err.msg, "'b'"));
    config_destroy(cfg);
}

/* The validator's shortcuts: missing values by first byte, enum members by length and first
 * byte, int and number bounds compared inline.  Each line is checked alone. */
static const char edge_yaml[] =
    "contract:\n"
    "  missingValues: ['', NA, N/A, '-']\n"
    "  fields:\n"
    "    - {name: n, type: integer, constraints: {minimum: -3, maximum: 10}}\n"
    "    - {name: x, type: number, constraints: {minimum: -0.5, maximum: 2.5}}\n"
    "    - {name: c, type: string, constraints: {enum: [red, rex, rose, green]}}\n"
    "    - {name: s, type: string, constraints: {required: true}}\n";

static const struct rowcase edge_cases[] = {
    {"-,-,-,a", NULL, NULL, NULL},              /* '-' is missing everywhere */
    {"NA,N/A,,a", NULL, NULL, NULL},
    {"-3,-0.5,rex,a", NULL, NULL, NULL},        /* starts like a missing value, is not one */
    {"10,2.5,rose,a", NULL, NULL, NULL},
    {"-2,0,green,N", NULL, NULL, NULL},
    {"N,1,red,a", "type", "n", "'N' is not an integer"},
    {"NAN,1,red,a", "type", "n", "'NAN' is not an integer"},
    {"N/,1,red,a", "type", "n", "'N/' is not an integer"},
    {"-4,1,red,a", "minimum", "n", "'-4' is below the minimum -3"},
    {"11,1,red,a", "maximum", "n", "'11' is above the maximum 10"},
    {"1,-0.51,red,a", "minimum", "x", "below the minimum -0.5"},
    {"1,2.5000001,red,a", "maximum", "x", "above the maximum 2.5"},
    {"1,1,rez,a", "enum", "c", "'rez' is not one of red, rex, rose, green"},
    {"1,1,re,a", "enum", "c", "'re' is not one of"},
    {"1,1,Red,a", "enum", "c", "'Red' is not one of"},
    {"1,1,rosa,a", "enum", "c", "'rosa' is not one of"},
    {"1,1,gren,a", "enum", "c", "'gren' is not one of"},
    {"1,1,red,-", "required", "s", "required value is missing"},
    {"1,1,red,NA", "required", "s", "required value is missing"},
    {"1,1,red,", "required", "s", "required value is missing"},
};

static void test_missing_enum_bounds_edges(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(edge_yaml, sizeof(edge_yaml) - 1);
    for (size_t i = 0; i < sizeof(edge_cases) / sizeof(edge_cases[0]); i++) {
        const struct rowcase *c = &edge_cases[i];
        batch_clear(f->batch);
        int rc = feed(f, "n,x,c,s\n", c->line);
        if (c->rule == NULL) {
            if (rc != 1) {
                fail_msg("edge %zu (%s): rejected: %s", i, c->line, sb_cstr(&f->rej.msg));
            }
            continue;
        }
        if (rc != 0) {
            fail_msg("edge %zu (%s): accepted, wanted rule %s", i, c->line, c->rule);
        }
        assert_string_equal(f->rej.rule, c->rule);
        assert_string_equal(f->rej.column, c->column);
        if (strstr(sb_cstr(&f->rej.msg), c->msg) == NULL) {
            fail_msg("edge %zu: message '%s' lacks '%s'", i, sb_cstr(&f->rej.msg), c->msg);
        }
    }
    /* missing cells are nulls, the others keep their values */
    batch_clear(f->batch);
    assert_int_equal(feed(f, "n,x,c,s\n", "-,-3e-1,-,-x"), 1);
    struct sl_value v;
    batch_get(f->batch, 0, 0, &v);
    assert_int_equal(v.type, SL_T_NULL);
    batch_get(f->batch, 0, 1, &v);
    assert_int_equal(v.type, SL_T_NUM);
    assert_true(v.u.d == -0.3);
    batch_get(f->batch, 0, 2, &v);
    assert_int_equal(v.type, SL_T_NULL);
    batch_get(f->batch, 0, 3, &v);
    assert_int_equal(v.type, SL_T_STR);
    assert_memory_equal(v.u.s.p, "-x", 2);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_row_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_values_and_derived, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uniqueness_within_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
        cmocka_unit_test(test_metrics_direct_equals_evaluated),
        cmocka_unit_test(test_metrics_typed_columns),
        cmocka_unit_test(test_unique_after_parsing),
        cmocka_unit_test(test_bad_expressions_are_config_errors),
        cmocka_unit_test(test_missing_enum_bounds_edges),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
