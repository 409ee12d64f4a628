/* fuzz_expr.c - libFuzzer harness for the expression language (src/contract/expr_*.c and
 * agg.c): lexer, parser, type checker, constant folding, evaluation and aggregates.
 *
 * The input is one expression (NUL-terminated copy) compiled against a fixed set of columns
 * of every type.  When it compiles, it is evaluated over a few rows (ordinary values, nulls,
 * and edge values: INT64_MIN/MAX, huge and tiny doubles, empty and non-ASCII strings, the
 * first and last representable days); a value's type must be the compiled type or null, and
 * a runtime failure must be SL_EEXPR.  The same text is also compiled as an aggregate and
 * stepped over the rows.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/expr.h"
#include "contract/types.h"

#define CHECK(c)                                                                          \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);         \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static const struct expr_col cols[] = {
    {"i", SL_T_INT},    {"j", SL_T_INT},      {"x", SL_T_NUM},  {"y", SL_T_NUM},
    {"s", SL_T_STR},    {"t", SL_T_STR},      {"b", SL_T_BOOL}, {"d", SL_T_DATE},
    {"ts", SL_T_DATETIME}, {"nombre cliente", SL_T_STR},
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))
#define NROWS 4

static struct sl_value rows[NROWS][NCOLS];

static struct sl_value vi(int64_t i)
{
    struct sl_value v = {.type = SL_T_INT};
    v.u.i = i;
    return v;
}
static struct sl_value vn(double d)
{
    struct sl_value v = {.type = SL_T_NUM};
    v.u.d = d;
    return v;
}
static struct sl_value vs(const char *s)
{
    struct sl_value v = {.type = SL_T_STR};
    v.u.s.p = s;
    v.u.s.n = strlen(s);
    return v;
}
static struct sl_value vb(int b)
{
    struct sl_value v = {.type = SL_T_BOOL};
    v.u.b = b;
    return v;
}
static struct sl_value vd(int32_t days)
{
    struct sl_value v = {.type = SL_T_DATE};
    v.u.days = days;
    return v;
}
static struct sl_value vt(int64_t us)
{
    struct sl_value v = {.type = SL_T_DATETIME};
    v.u.us = us;
    return v;
}

static void init_rows(void)
{
    int32_t first = types_days_from_civil(1, 1, 1), last = types_days_from_civil(9999, 12, 31);
    struct sl_value r0[NCOLS] = {vi(7),  vi(-3),        vn(2.5),  vn(-0.0),
                                 vs("tarjeta"), vs("  Ab c "), vb(1), vd(20000),
                                 vt(1741356300000000LL), vs("x")};
    struct sl_value r1[NCOLS] = {vi(INT64_MIN), vi(-1),  vn(DBL_MAX), vn(DBL_MIN),
                                 vs(""), vs("\xc3\xb1\xe2\x82\xac\xf0\x9f\x98\x80"), vb(0),
                                 vd(first), vt((int64_t)first * 86400000000LL), vs("")};
    struct sl_value r2[NCOLS] = {vi(INT64_MAX), vi(0), vn(-DBL_MAX), vn(5e-324), vs("%Y%%"),
                                 vs("2025-02-28 23:59:59"), vb(1), vd(last),
                                 vt((int64_t)last * 86400000000LL + 86399999999LL),
                                 vs("2025-01-01")};
    memcpy(rows[0], r0, sizeof(r0));
    memcpy(rows[1], r1, sizeof(r1));
    memcpy(rows[2], r2, sizeof(r2));
    for (size_t c = 0; c < NCOLS; c++) {
        rows[3][c].type = SL_T_NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        init_rows();
        ready = 1;
    }
    if (size > 2048) {
        return 0;
    }
    char *src = malloc(size + 1);
    CHECK(src != NULL);
    memcpy(src, data, size);
    src[size] = '\0';

    struct expr *e = NULL;
    enum sl_type type = SL_T_NULL;
    struct sl_error err = {0};
    if (expr_compile(src, cols, NCOLS, &e, &type, &err) == 0) {
        struct expr_scratch *scratch = expr_scratch_create();
        CHECK(scratch != NULL);
        for (size_t r = 0; r < NROWS; r++) {
            struct sl_value out;
            struct sl_error e2 = {0};
            int rc = expr_eval(e, rows[r], scratch, &out, &e2);
            if (rc == 0) {
                CHECK(out.type == SL_T_NULL || out.type == type);
                if (out.type == SL_T_STR) {
                    CHECK(out.u.s.n == 0 || out.u.s.p != NULL);
                    volatile char sink = 0;
                    for (size_t k = 0; k < out.u.s.n; k++) {
                        sink ^= out.u.s.p[k]; /* ASan checks the bytes are readable */
                    }
                    (void)sink;
                }
            } else {
                CHECK(rc == SL_EEXPR && e2.msg[0] != '\0');
            }
            expr_scratch_reset(scratch);
        }
        expr_scratch_destroy(scratch);
        expr_destroy(e);
    } else {
        CHECK(err.code != 0 && err.msg[0] != '\0');
    }

    struct agg *a = NULL;
    struct sl_error ea = {0};
    if (agg_compile(src, cols, NCOLS, &a, &ea) == 0) {
        struct expr_scratch *scratch = expr_scratch_create();
        CHECK(scratch != NULL);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t r = 0; r < NROWS; r++) {
                struct sl_error e3 = {0};
                (void)agg_step(a, rows[r], scratch, &e3);
                expr_scratch_reset(scratch);
            }
            struct sl_value out;
            agg_result(a, &out);
            agg_reset(a);
        }
        expr_scratch_destroy(scratch);
        agg_destroy(a);
    }
    free(src);
    return 0;
}
