/* test_expr.c - the expression language and the metric aggregates.
 *
 * Most cases are rows of tables: an expression, evaluated against one fixed row of the ventas
 * columns (plus a few extra columns for nulls, dates and booleans), and the expected result
 * rendered as "type:value", or the expected compile or runtime error text.  Limits, scratch
 * space and aggregates have their own tests.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "contract/expr.h"
#include "contract/expr_int.h"
#include "contract/types.h"

enum {
    C_VENTA_ID,
    C_CLIENTE_ID,
    C_PRODUCTO_ID,
    C_CANTIDAD,
    C_PRECIO,
    C_TOTAL,
    C_FECHA,
    C_METODO,
    C_ESTADO,
    C_DIA,
    C_N_NULL,
    C_S_NULL,
    C_FLAG,
    C_NOMBRE,
    C_BIG,
    C_ZERO,
    C_NEG,
    NCOLS
};

static const struct expr_col cols[NCOLS] = {
    [C_VENTA_ID] = {"venta_id", SL_T_INT},
    [C_CLIENTE_ID] = {"cliente_id", SL_T_INT},
    [C_PRODUCTO_ID] = {"producto_id", SL_T_INT},
    [C_CANTIDAD] = {"cantidad", SL_T_INT},
    [C_PRECIO] = {"precio_unitario", SL_T_NUM},
    [C_TOTAL] = {"total", SL_T_NUM},
    [C_FECHA] = {"fecha_venta", SL_T_DATETIME},
    [C_METODO] = {"metodo_pago", SL_T_STR},
    [C_ESTADO] = {"estado", SL_T_STR},
    [C_DIA] = {"dia", SL_T_DATE},
    [C_N_NULL] = {"n_null", SL_T_INT},
    [C_S_NULL] = {"s_null", SL_T_STR},
    [C_FLAG] = {"flag", SL_T_BOOL},
    [C_NOMBRE] = {"nombre cliente", SL_T_STR},
    [C_BIG] = {"big", SL_T_INT},
    [C_ZERO] = {"zero", SL_T_INT},
    [C_NEG] = {"neg", SL_T_NUM},
};

static struct sl_value row[NCOLS];

static struct sl_value v_int(int64_t i)
{
    struct sl_value v = {.type = SL_T_INT};
    v.u.i = i;
    return v;
}

static struct sl_value v_num(double d)
{
    struct sl_value v = {.type = SL_T_NUM};
    v.u.d = d;
    return v;
}

static struct sl_value v_str(const char *s)
{
    struct sl_value v = {.type = SL_T_STR};
    v.u.s.p = s;
    v.u.s.n = strlen(s);
    return v;
}

static struct sl_value v_dt(const char *s)
{
    struct sl_value v = {.type = SL_T_DATETIME};
    assert_int_equal(types_parse_datetime(s, strlen(s), NULL, &v.u.us), 0);
    return v;
}

/* 2025-03-07 (a Friday, day 66) 14:05:09: 3 x 19.99 paid by card. */
static void default_row(void)
{
    memset(row, 0, sizeof(row));
    row[C_VENTA_ID] = v_int(1001);
    row[C_CLIENTE_ID] = v_int(42);
    row[C_PRODUCTO_ID] = v_int(7);
    row[C_CANTIDAD] = v_int(3);
    row[C_PRECIO] = v_num(19.99);
    row[C_TOTAL] = v_num(59.97);
    row[C_FECHA] = v_dt("2025-03-07 14:05:09");
    row[C_METODO] = v_str("tarjeta");
    row[C_ESTADO] = v_str("completado");
    row[C_DIA].type = SL_T_DATE;
    row[C_DIA].u.days = types_days_from_civil(2025, 3, 7);
    row[C_FLAG].type = SL_T_BOOL;
    row[C_FLAG].u.b = 1;
    row[C_NOMBRE] = v_str("Ana María");
    row[C_BIG] = v_int(INT64_MAX);
    row[C_ZERO] = v_int(0);
    row[C_NEG] = v_num(-2.5);
}

/* "type:value" of a value, e.g. "int:3", "str:abc", "null". */
static void render(const struct sl_value *v, char *buf, size_t cap)
{
    char tmp[64];
    switch (v->type) {
    case SL_T_NULL:
        snprintf(buf, cap, "null");
        break;
    case SL_T_INT:
        snprintf(buf, cap, "int:%lld", (long long)v->u.i);
        break;
    case SL_T_NUM:
        types_format_num(v->u.d, tmp, sizeof(tmp));
        snprintf(buf, cap, "num:%s", tmp);
        break;
    case SL_T_STR:
        snprintf(buf, cap, "str:%.*s", (int)v->u.s.n, v->u.s.p);
        break;
    case SL_T_BOOL:
        snprintf(buf, cap, "bool:%s", v->u.b ? "true" : "false");
        break;
    case SL_T_DATE:
        types_format_date(v->u.days, tmp, sizeof(tmp));
        snprintf(buf, cap, "date:%s", tmp);
        break;
    case SL_T_DATETIME:
        types_format_datetime(v->u.us, tmp, sizeof(tmp));
        snprintf(buf, cap, "dt:%s", tmp);
        break;
    }
}

struct tcase {
    const char *src;
    const char *want; /* "type:value", "null", "!compile:<text>" or "!runtime:<text>" */
};

/* Compiles and evaluates one case against row; returns 0 when it matches, else writes why. */
static int run_case(const struct tcase *c, struct expr_scratch *scratch, char *why, size_t cap)
{
    struct expr *e = NULL;
    enum sl_type type = SL_T_NULL;
    struct sl_error err = {0};
    char got[600];
    int rc = expr_compile(c->src, cols, NCOLS, &e, &type, &err);
    if (rc != 0) {
        snprintf(got, sizeof(got), "!compile:%s", err.msg);
    } else {
        struct sl_value v;
        rc = expr_eval(e, row, scratch, &v, &err);
        if (rc != 0) {
            snprintf(got, sizeof(got), "!runtime:%s", err.msg);
            if (rc != SL_EEXPR) {
                snprintf(why, cap, "'%s': eval returned %d", c->src, rc);
                expr_destroy(e);
                return -1;
            }
        } else {
            render(&v, got, sizeof(got));
            if (v.type != SL_T_NULL && v.type != type) {
                snprintf(why, cap, "'%s': value type %s differs from compiled type %s", c->src,
                         sl_type_name(v.type), sl_type_name(type));
                expr_destroy(e);
                return -1;
            }
        }
        expr_destroy(e);
    }
    expr_scratch_reset(scratch);
    int match;
    if (c->want[0] == '!') {
        match = strncmp(got, c->want, strchr(c->want, ':') - c->want + 1) == 0 &&
                strstr(got, strchr(c->want, ':') + 1) != NULL;
    } else {
        match = strcmp(got, c->want) == 0;
    }
    if (!match) {
        snprintf(why, cap, "'%s': want [%s], got [%s]", c->src, c->want, got);
        return -1;
    }
    return 0;
}

static void run_table(const struct tcase *cases, size_t n)
{
    struct expr_scratch *scratch = expr_scratch_create();
    assert_non_null(scratch);
    default_row();
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        char why[1400];
        if (run_case(&cases[i], scratch, why, sizeof(why)) != 0) {
            print_error("%s\n", why);
            failures++;
        }
    }
    expr_scratch_destroy(scratch);
    if (failures > 0) {
        fail_msg("%d of %zu cases failed", failures, n);
    }
}

#define RUN(table) run_table(table, sizeof(table) / sizeof(table[0]))

/* ---------------------------------------------------------------------------------- */

static const struct tcase literal_cases[] = {
    {"42", "int:42"},
    {"-9223372036854775808", "int:-9223372036854775808"},
    {"9223372036854775807", "int:9223372036854775807"},
    {"9223372036854775808", "!compile:integer literal '9223372036854775808' out of range"},
    {"0.01", "num:0.01"},
    {"1e3", "num:1000"},
    {".5", "num:0.5"},
    {"5.", "num:5"},
    {"1e999", "!compile:number out of range '1e999' at offset 1"},
    {"1.2.3", "!compile:invalid number '1.2.3' at offset 1"},
    {"12abc", "!compile:invalid number '12abc'"},
    {"'it''s'", "str:it's"},
    {"\"say \"\"hi\"\"\"", "str:say \"hi\""},
    {"'a\\'b\\\"c\\\\d'", "str:a'b\"c\\d"},
    {"'tab\\there'", "str:tab\there"},
    {"'line\\nbreak'", "str:line\nbreak"},
    {"'bad \\q'", "!compile:unknown escape '\\q' at offset 6"},
    {"'open", "!compile:unterminated string starting at offset 1"},
    {"true", "bool:true"},
    {"FALSE", "bool:false"},
    {"Null", "null"},
    {"`total`", "num:59.97"},
    {"`nombre cliente`", "str:Ana María"},
    {"`nombre", "!compile:unterminated quoted name starting at offset 1"},
    {"nombre cliente", "!compile:unknown column 'nombre' at offset 1"},
    {"", "!compile:empty expression"},
    {"   ", "!compile:empty expression"},
    {"total # 2", "!compile:unexpected character '#' at offset 7"},
    {"año", "!compile:unexpected character 'ñ' at offset 2 (write names with other characters "
            "in backquotes"},
};

static void test_literals_and_names(void **state)
{
    (void)state;
    RUN(literal_cases);
}

static const struct tcase arith_cases[] = {
    {"cantidad + 2", "int:5"},
    {"cantidad - 5", "int:-2"},
    {"cantidad * 4", "int:12"},
    {"7 % 3", "int:1"},
    {"-7 % 3", "int:-1"},
    {"7 / 2", "num:3.5"},
    {"6 / 3", "num:2"},
    {"total / cantidad", "num:19.99"},
    {"cantidad * precio_unitario", "num:59.97"},
    {"total + 1", "num:60.97"},
    {"7.5 % 2", "num:1.5"},
    {"-cantidad", "int:-3"},
    {"+cantidad", "int:3"},
    {"- -cantidad", "int:3"},
    {"-neg", "num:2.5"},
    {"1 + 2 * 3", "int:7"},
    {"(1 + 2) * 3", "int:9"},
    {"10 - 4 - 3", "int:3"},
    {"2 * 3 % 4", "int:2"},
    {"-2 * 3", "int:-6"},
    {"big + 1", "!runtime:integer overflow"},
    {"big * 2", "!runtime:integer overflow"},
    {"-big - 2", "!runtime:integer overflow"},
    {"-(-9223372036854775807 - 1)", "!compile:constant expression fails (integer overflow)"},
    {"cantidad / zero", "!runtime:division by zero"},
    {"cantidad % zero", "!runtime:division by zero"},
    {"total / (total - total)", "!runtime:division by zero"},
    {"total % 0.0", "!runtime:division by zero"},
    {"1 / 0", "!compile:constant expression fails (division by zero) at offset 1"},
    {"1e308 * total", "!runtime:number out of range"},
    {"metodo_pago + 1", "!compile:operator '+' cannot apply to string and integer at offset 13 "
                        "(use concat() to join strings)"},
    {"fecha_venta - 1", "!compile:operator '-' cannot apply to datetime and integer"},
    {"-metodo_pago", "!compile:unary '-' needs a number, got string at offset 1"},
    {"flag * 2", "!compile:operator '*' cannot apply to boolean and integer"},
};

static void test_arithmetic(void **state)
{
    (void)state;
    RUN(arith_cases);
}

static const struct tcase compare_cases[] = {
    {"cantidad = 3", "bool:true"},
    {"cantidad == 3", "bool:true"},
    {"cantidad != 3", "bool:false"},
    {"cantidad <> 4", "bool:true"},
    {"cantidad < 3", "bool:false"},
    {"cantidad <= 3", "bool:true"},
    {"cantidad > 2.5", "bool:true"},
    {"cantidad >= 3.0", "bool:true"},
    {"3 = 3.0", "bool:true"},
    {"big = 9223372036854775807.0", "bool:false"}, /* exact: 2^63 is not INT64_MAX */
    {"big < 9223372036854775807.0", "bool:true"},
    {"9007199254740993 > 9007199254740992.0", "bool:true"},
    {"metodo_pago = 'tarjeta'", "bool:true"},
    {"metodo_pago < 'tarjetas'", "bool:true"},
    {"'B' < 'a'", "bool:true"},
    {"'' < 'a'", "bool:true"},
    {"flag = true", "bool:true"},
    {"false < true", "bool:true"},
    {"dia = date('2025-03-07')", "bool:true"},
    {"dia < fecha_venta", "bool:true"},
    {"dia = datetime('2025-03-07')", "bool:true"},
    {"fecha_venta >= datetime('2025-03-07 14:05:09')", "bool:true"},
    {"fecha_venta > datetime('2025-03-07 14:05:09')", "bool:false"},
    {"metodo_pago < 1", "!compile:operator '<' cannot compare string with integer at offset 13"},
    {"flag = 1", "!compile:operator '=' cannot compare boolean with integer"},
    {"fecha_venta > '2025-01-01'", "!compile:operator '>' cannot compare datetime with string "
                                   "at offset 13 (write date('YYYY-MM-DD')"},
    {"cantidad in (1, 2, 3)", "bool:true"},
    {"cantidad in (1, 2)", "bool:false"},
    {"cantidad in (2.5, 3.0)", "bool:true"},
    {"cantidad not in (1, 2)", "bool:true"},
    {"cantidad NOT IN (3)", "bool:false"},
    {"metodo_pago in ('efectivo', 'tarjeta')", "bool:true"},
    {"cantidad in (1, null)", "null"},
    {"cantidad in (3, null)", "bool:true"},
    {"cantidad not in (1, null)", "null"},
    {"n_null in (1, 2)", "null"},
    {"cantidad in (1, 'a')", "!compile:'in' list item 2 is string, which cannot be compared with "
                             "integer at offset 17"},
    {"cantidad in 1", "!compile:unexpected '1' at offset 13 (expected '(' after 'in')"},
    {"cantidad between 1 and 3", "bool:true"},
    {"cantidad between 4 and 9", "bool:false"},
    {"total between 59.97 and 60", "bool:true"},
    {"cantidad not between 1 and 2", "bool:true"},
    {"cantidad between 1 and 5 and flag", "bool:true"},
    {"cantidad between n_null and 5", "null"},
    {"cantidad between n_null and 2", "bool:false"},
    {"fecha_venta between dia and datetime('2025-03-08')", "bool:true"},
    {"cantidad between 'a' and 2",
     "!compile:'between' cannot compare integer with string and integer at offset 10"},
    {"cantidad between 1 or 2", "!compile:unexpected 'or' at offset 20 (expected 'and'"},
    {"n_null is null", "bool:true"},
    {"cantidad is null", "bool:false"},
    {"n_null is not null", "bool:false"},
    {"s_null IS NOT NULL", "bool:false"},
    {"null is null", "bool:true"},
    {"cantidad is 3", "!compile:unexpected '3' at offset 13 (expected 'null' after 'is'"},
    {"cantidad not like 3", "!compile:unexpected 'like' at offset 14 (expected 'in' or "
                            "'between' after 'not')"},
    {"1 < 2 = true", "bool:true"},
    {"1 < 2 < 3", "!compile:operator '<' cannot compare boolean with integer at offset 7"},
};

static void test_comparisons(void **state)
{
    (void)state;
    RUN(compare_cases);
}

static const struct tcase logic_cases[] = {
    {"true and true", "bool:true"},
    {"true and false", "bool:false"},
    {"true and null", "null"},
    {"false and null", "bool:false"},
    {"null and false", "bool:false"},
    {"null and null", "null"},
    {"true or null", "bool:true"},
    {"null or true", "bool:true"},
    {"false or null", "null"},
    {"false or false", "bool:false"},
    {"not null", "null"},
    {"not true", "bool:false"},
    {"!flag", "bool:false"},
    {"flag && cantidad > 2", "bool:true"},
    {"flag || n_null > 1", "bool:true"},
    {"n_null > 1 and cantidad > 5", "bool:false"},
    {"n_null > 1 or cantidad > 5", "null"},
    {"not n_null > 1", "null"},
    /* precedence: not < comparison, and < not, or < and */
    {"not cantidad = 4", "bool:true"},
    {"true or true and false", "bool:true"},
    {"(true or true) and false", "bool:false"},
    {"not false and false", "bool:false"},
    {"not (false and false)", "bool:true"},
    {"false and true or true", "bool:true"},
    {"TRUE AnD NOT FALSE", "bool:true"},
    /* short-circuit: the right side is not evaluated */
    {"zero = 0 or cantidad / zero > 1", "bool:true"},
    {"zero <> 0 and cantidad / zero > 1", "bool:false"},
    {"zero = 0 and cantidad / zero > 1", "!runtime:division by zero"},
    {"cantidad and true", "!compile:operator 'and' needs boolean operands, got integer and "
                          "boolean at offset 10"},
    {"flag || 'x'", "!compile:operator '||' needs boolean operands, got boolean and string"},
    {"not metodo_pago", "!compile:operator 'not' needs a boolean operand, got string at offset 1"},
};

static void test_logic(void **state)
{
    (void)state;
    RUN(logic_cases);
}

static const struct tcase null_cases[] = {
    {"n_null + 1", "null"},
    {"1 - n_null", "null"},
    {"n_null * 2.5", "null"},
    {"total / n_null", "null"},
    {"n_null % 0", "null"},
    {"-n_null", "null"},
    {"n_null = n_null", "null"},
    {"s_null < 'a'", "null"},
    {"null + 1", "null"},
    {"null = null", "null"},
    {"abs(n_null)", "null"},
    {"round(total, n_null)", "null"},
    {"year(null)", "null"},
    {"upper(s_null)", "null"},
    {"length(s_null)", "null"},
    {"substr(metodo_pago, n_null)", "null"},
    {"min(1, n_null, 3)", "null"},
    {"max(n_null, 1)", "null"},
    {"strftime('%Y', null)", "null"},
    {"date(s_null)", "null"},
    {"string(n_null)", "null"},
    {"contains(s_null, 'a')", "null"},
    {"coalesce(n_null, 7)", "int:7"},
    {"coalesce(n_null, total)", "num:59.97"},
    {"coalesce(n_null, cantidad, 9)", "int:3"},
    {"coalesce(s_null, metodo_pago)", "str:tarjeta"},
    {"coalesce(n_null, null)", "null"},
    {"coalesce(n_null, 2.5)", "num:2.5"},
    {"coalesce(cantidad, 2.5)", "num:3"},
    {"coalesce(dia, fecha_venta)", "dt:2025-03-07 00:00:00"},
    {"coalesce(metodo_pago, 1)", "!compile:coalesce() cannot mix string and integer "
                                 "(argument 2) at offset 23"},
    {"if(n_null > 1, 'yes', 'no')", "str:no"},
    {"if(null, 1, 2)", "int:2"},
    {"if(flag, cantidad, 2.5)", "num:3"},
    {"if(flag, n_null, 2)", "null"},
    {"if(cantidad, 1, 2)", "!compile:if() needs a boolean as argument 1, got integer at "
                           "offset 4"},
    {"if(flag, 1, 'a')", "!compile:if() cannot mix integer and string (argument 3)"},
    {"nullif(cantidad, 3)", "null"},
    {"nullif(cantidad, 4)", "int:3"},
    {"nullif(cantidad, 3.0)", "null"},
    {"nullif(cantidad, n_null)", "int:3"},
    {"nullif(n_null, 3)", "null"},
    {"nullif(metodo_pago, '')", "str:tarjeta"},
    {"nullif(metodo_pago, 1)", "!compile:nullif() cannot mix string and integer"},
    {"concat('a', n_null, 'b', s_null)", "str:ab"},
    {"total / nullif(zero, 0)", "null"},
};

static void test_nulls(void **state)
{
    (void)state;
    RUN(null_cases);
}

static const struct tcase fn_cases[] = {
    {"abs(-3)", "int:3"},
    {"abs(neg)", "num:2.5"},
    {"abs(-9223372036854775807 - 1)", "!compile:constant expression fails (integer overflow)"},
    {"abs(metodo_pago)", "!compile:abs() needs a number as argument 1, got string at offset 5"},
    {"round(2.5)", "num:3"},
    {"round(-2.5)", "num:-3"},
    {"round(2.4)", "num:2"},
    {"round(-0.4)", "num:0"},
    {"round(7)", "int:7"},
    {"round(2.675, 2)", "num:2.68"},
    {"round(1.005, 2)", "num:1.01"},
    {"round(-1.005, 2)", "num:-1.01"},
    {"round(59.9749, 2)", "num:59.97"},
    {"round(total / 7, 3)", "num:8.567"},
    {"round(1234.5678, -2)", "num:1200"},
    {"round(1250, -2)", "int:1300"},
    {"round(-1250, -2)", "int:-1300"},
    {"round(1249, -2)", "int:1200"},
    {"round(1e300, 2)", "num:1e+300"},
    {"round(1.5, 'x')", "!compile:round() needs an integer as argument 2, got string"},
    {"round(1.5, 2.0)", "!compile:round() needs an integer as argument 2, got number"},
    {"floor(2.7)", "int:2"},
    {"floor(-2.5)", "int:-3"},
    {"ceil(2.1)", "int:3"},
    {"ceil(-2.5)", "int:-2"},
    {"floor(cantidad)", "int:3"},
    {"ceil(total)", "int:60"},
    {"floor(1e19)", "!compile:floor(): 1e+19 is out of integer range"},
    {"floor(total * 1e300)", "!runtime:floor(): 5.997e+301 is out of integer range"},
    {"min(3, 1, 2)", "int:1"},
    {"max(3, 1, 2)", "int:3"},
    {"min(cantidad, 2.5)", "num:2.5"},
    {"max(cantidad, 2.5)", "num:3"},
    {"min('b', 'a', 'c')", "str:a"},
    {"max(dia, fecha_venta)", "dt:2025-03-07 14:05:09"},
    {"min(dia, fecha_venta)", "dt:2025-03-07 00:00:00"},
    {"max(false, flag)", "bool:true"},
    {"min(1, 'a')", "!compile:min() cannot mix integer and string (argument 2) at offset 8"},
    {"min(total)", "!compile:aggregate min() is only allowed in metrics at offset 1 (use two or "
                   "more arguments"},
    {"max()", "!compile:max() takes at least 2 arguments, got 0 at offset 1"},
    {"year(fecha_venta)", "int:2025"},
    {"month(fecha_venta)", "int:3"},
    {"day(fecha_venta)", "int:7"},
    {"hour(fecha_venta)", "int:14"},
    {"minute(fecha_venta)", "int:5"},
    {"second(fecha_venta)", "int:9"},
    {"quarter(fecha_venta)", "int:1"},
    {"quarter(datetime('2025-12-31 23:59'))", "int:4"},
    {"dayofweek(fecha_venta)", "int:5"},
    {"dayofweek(date('2025-03-09'))", "int:7"},
    {"dayofweek(date('2025-03-10'))", "int:1"},
    {"year(dia)", "int:2025"},
    {"hour(dia)", "int:0"},
    {"year(datetime('1969-12-31 23:59:59'))", "int:1969"},
    {"year(metodo_pago)", "!compile:year() needs a date or datetime as argument 1, got string"},
    {"date(fecha_venta)", "date:2025-03-07"},
    {"date(dia)", "date:2025-03-07"},
    {"date('2024-02-29')", "date:2024-02-29"},
    {"date(metodo_pago)", "!runtime:date(): cannot parse 'tarjeta' as a date (YYYY-MM-DD)"},
    {"date('2025-02-30')", "!compile:date(): cannot parse '2025-02-30' as a date"},
    {"date(1)", "!compile:date() needs a date, datetime or string as argument 1, got integer"},
    {"datetime(dia)", "dt:2025-03-07 00:00:00"},
    {"datetime('2025-03-07T10:11:12.5')", "dt:2025-03-07 10:11:12.500000"},
    {"datetime('2025-03-07')", "dt:2025-03-07 00:00:00"},
    {"datetime(estado)", "!runtime:datetime(): cannot parse 'completado' as a datetime"},
    {"strftime('%Y-%m', fecha_venta)", "str:2025-03"},
    {"strftime('%d/%m/%Y %H:%M', fecha_venta)", "str:07/03/2025 14:05"},
    {"strftime('%A %B %j q%q %u %w %%', dia)", "str:Friday March 066 q1 5 5 %"},
    {"strftime('%F %T', fecha_venta)", "str:2025-03-07 14:05:09"},
    {"strftime('%Q', fecha_venta)", "!compile:strftime() format has an unknown conversion '%Q' "
                                    "at offset 10"},
    {"strftime('%Y%', fecha_venta)", "!compile:strftime() format has an unknown conversion '%'"},
    {"strftime(metodo_pago, fecha_venta)", "!compile:strftime() needs a string literal as its "
                                           "format at offset 10"},
    {"strftime('%Y', total)", "!compile:strftime() needs a date or datetime as argument 2, got "
                              "number"},
    {"int('12')", "int:12"},
    {"int('-0012')", "int:-12"},
    {"int(2.9)", "int:2"},
    {"int(-2.9)", "int:-2"},
    {"int(flag)", "int:1"},
    {"int(metodo_pago)", "!runtime:int(): cannot convert 'tarjeta' to an integer"},
    {"int('1.5')", "!compile:int(): cannot convert '1.5' to an integer"},
    {"int(1e20)", "!compile:int(): 1e+20 is out of integer range"},
    {"int(dia)", "!compile:int() needs a number, string or boolean as argument 1, got date"},
    {"number('2.5')", "num:2.5"},
    {"number(cantidad)", "num:3"},
    {"number(false)", "num:0"},
    {"number(estado)", "!runtime:number(): cannot convert 'completado' to a number"},
    {"string(total)", "str:59.97"},
    {"string(cantidad)", "str:3"},
    {"string(-12)", "str:-12"},
    {"string(1e300)", "str:1e+300"},
    {"string(flag)", "str:true"},
    {"string(dia)", "str:2025-03-07"},
    {"string(fecha_venta)", "str:2025-03-07 14:05:09"},
    {"string(metodo_pago)", "str:tarjeta"},
    {"length(metodo_pago)", "int:7"},
    {"length(`nombre cliente`)", "int:9"},
    {"length('')", "int:0"},
    {"length(cantidad)", "!compile:length() needs a string as argument 1, got integer"},
    {"lower('ÁbC')", "str:Ábc"},
    {"upper(metodo_pago)", "str:TARJETA"},
    {"trim('  a b \t')", "str:a b"},
    {"trim('   ')", "str:"},
    {"substr('héllo', 2, 3)", "str:éll"},
    {"substr('héllo', 2)", "str:éllo"},
    {"substr('hello', 0, 2)", "str:h"},
    {"substr('hello', 4, 10)", "str:lo"},
    {"substr('hello', 9)", "str:"},
    {"substr('hello', 2, -1)", "str:"},
    {"substr('hello', 1.5)", "!compile:substr() needs an integer as argument 2, got number"},
    {"substr('abc')", "!compile:substr() takes 2 to 3 arguments, got 1 at offset 1"},
    {"concat('a', 1, 2.5, true, dia)", "str:a12.5true2025-03-07"},
    {"concat(metodo_pago, '-', cantidad)", "str:tarjeta-3"},
    {"concat(fecha_venta)", "str:2025-03-07 14:05:09"},
    {"concat('a','b','c','d','e','f','g','h','i','j',cantidad)", "str:abcdefghij3"},
    {"starts_with(metodo_pago, 'tar')", "bool:true"},
    {"starts_with(metodo_pago, 'jeta')", "bool:false"},
    {"ends_with(metodo_pago, 'jeta')", "bool:true"},
    {"ends_with('a', 'abc')", "bool:false"},
    {"contains(metodo_pago, 'rje')", "bool:true"},
    {"contains(metodo_pago, '')", "bool:true"},
    {"contains(metodo_pago, 'x')", "bool:false"},
    {"contains(cantidad, 'x')", "!compile:contains() needs a string as argument 1, got integer"},
    {"ABS(-1)", "int:1"},
    {"foo(1)", "!compile:unknown function 'foo' at offset 1 (known functions: abs, round"},
    {"cncat('a')", "!compile:unknown function 'cncat' at offset 1 (did you mean 'concat'?)"},
    {"yeer(fecha_venta)", "!compile:unknown function 'yeer' at offset 1 (did you mean 'year'"},
    {"sum(total)", "!compile:aggregate sum() is only allowed in metrics at offset 1"},
    {"count()", "!compile:aggregate count() is only allowed in metrics"},
    {"if(flag, 1)", "!compile:if() takes 3 arguments, got 2"},
    {"abs(1, 2)", "!compile:abs() takes 1 argument, got 2"},
    {"abs(1", "!compile:unexpected end of expression at offset 6 (expected ',' or ')' in the "
              "argument list)"},
};

static void test_functions(void **state)
{
    (void)state;
    RUN(fn_cases);
}

static const struct tcase column_cases[] = {
    {"abs(totl - 1)", "!compile:unknown column 'totl' at offset 5 (did you mean 'total'?)"},
    {"cantidd > 1", "!compile:unknown column 'cantidd' at offset 1 (did you mean 'cantidad'?)"},
    {"Total", "!compile:unknown column 'Total' at offset 1 (did you mean 'total'?)"},
    {"xyzzy", "!compile:unknown column 'xyzzy' at offset 1"},
    {"fecha > 1", "!compile:unknown column 'fecha' at offset 1"},
    {"'ñandú' = estado2", "!compile:unknown column 'estado2' at offset 11 (did you mean "
                          "'estado'?)"},
    {"total total", "!compile:unexpected 'total' at offset 7 (expected an operator or the end"},
    {"(1", "!compile:unexpected end of expression at offset 3 (expected ')')"},
    {"1)", "!compile:unexpected ')' at offset 2"},
    {"1 +", "!compile:unexpected end of expression at offset 4 (expected a value"},
};

static void test_columns_and_syntax(void **state)
{
    (void)state;
    RUN(column_cases);
}

/* ---------------------------------------------------------------------------------- */

static struct expr *compile_ok(const char *src, enum sl_type want_type)
{
    struct expr *e = NULL;
    enum sl_type type = SL_T_NULL;
    struct sl_error err = {0};
    if (expr_compile(src, cols, NCOLS, &e, &type, &err) != 0) {
        fail_msg("'%s' does not compile: %s", src, err.msg);
    }
    assert_int_equal(type, want_type);
    return e;
}

static void test_seed_expressions(void **state)
{
    (void)state;
    default_row();
    struct expr_scratch *scratch = expr_scratch_create();
    struct sl_error err = {0};
    struct sl_value v;
    struct expr *rule = compile_ok("abs(total - cantidad * precio_unitario) <= 0.01", SL_T_BOOL);
    struct expr *year = compile_ok("year(fecha_venta)", SL_T_INT);
    struct expr *ym = compile_ok("strftime('%Y-%m', fecha_venta)", SL_T_STR);
    struct expr *unit = compile_ok("total / cantidad", SL_T_NUM);

    assert_int_equal(expr_eval(rule, row, scratch, &v, &err), 0);
    assert_true(v.type == SL_T_BOOL && v.u.b == 1);
    row[C_TOTAL] = v_num(59.98); /* inside the tolerance */
    assert_int_equal(expr_eval(rule, row, scratch, &v, &err), 0);
    assert_true(v.type == SL_T_BOOL && v.u.b == 1);
    row[C_TOTAL] = v_num(60.5);
    assert_int_equal(expr_eval(rule, row, scratch, &v, &err), 0);
    assert_true(v.type == SL_T_BOOL && v.u.b == 0);
    row[C_TOTAL].type = SL_T_NULL; /* a missing total: the rule does not apply */
    assert_int_equal(expr_eval(rule, row, scratch, &v, &err), 0);
    assert_int_equal(v.type, SL_T_NULL);
    default_row();

    assert_int_equal(expr_eval(year, row, scratch, &v, &err), 0);
    assert_true(v.type == SL_T_INT && v.u.i == 2025);
    assert_int_equal(expr_eval(ym, row, scratch, &v, &err), 0);
    assert_true(v.type == SL_T_STR && v.u.s.n == 7 && memcmp(v.u.s.p, "2025-03", 7) == 0);
    assert_int_equal(expr_eval(unit, row, scratch, &v, &err), 0);
    assert_true(v.type == SL_T_NUM && v.u.d == 19.99);
    row[C_CANTIDAD] = v_int(0);
    assert_int_equal(expr_eval(unit, row, scratch, &v, &err), SL_EEXPR);
    assert_string_equal(err.msg, "division by zero");
    assert_int_equal(v.type, SL_T_NULL);

    /* a row value of int in a number column is accepted as a number */
    default_row();
    row[C_TOTAL] = v_int(60);
    sl_error_clear(&err);
    assert_int_equal(expr_eval(unit, row, scratch, &v, &err), 0);
    assert_true(v.type == SL_T_NUM && v.u.d == 20.0);
    /* a value of the wrong type is reported, not misread */
    row[C_TOTAL] = v_str("x");
    assert_int_equal(expr_eval(unit, row, scratch, &v, &err), SL_EEXPR);
    assert_non_null(strstr(err.msg, "compiled for number"));

    expr_destroy(rule);
    expr_destroy(year);
    expr_destroy(ym);
    expr_destroy(unit);
    expr_scratch_destroy(scratch);
    expr_destroy(NULL);
    expr_scratch_destroy(NULL);
    expr_scratch_reset(NULL);
}

static int compile_err(const char *src, char *msg, size_t cap)
{
    struct expr *e = NULL;
    enum sl_type type;
    struct sl_error err = {0};
    int rc = expr_compile(src, cols, NCOLS, &e, &type, &err);
    snprintf(msg, cap, "%s", err.msg);
    if (rc == 0) {
        assert_non_null(e);
    } else {
        assert_null(e);
    }
    expr_destroy(e);
    return rc;
}

static char *repeat(const char *prefix, const char *unit, size_t times, const char *suffix)
{
    size_t len = strlen(prefix) + strlen(unit) * times + strlen(suffix) + 1;
    char *s = malloc(len);
    assert_non_null(s);
    size_t k = (size_t)snprintf(s, len, "%s", prefix);
    for (size_t i = 0; i < times; i++) {
        k += (size_t)snprintf(s + k, len - k, "%s", unit);
    }
    snprintf(s + k, len - k, "%s", suffix);
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    char msg[SL_ERRMSG_MAX];
    char close[200];
    memset(close, ')', sizeof(close));

    /* 63 parentheses inside the top level: depth 64 is allowed */
    close[63] = '\0';
    char *s = repeat("", "(", 63, "");
    char *src = malloc(strlen(s) + 200);
    snprintf(src, strlen(s) + 200, "%s1%s", s, close);
    assert_int_equal(compile_err(src, msg, sizeof(msg)), 0);
    free(s);
    free(src);

    s = repeat("", "(", 64, "1");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_non_null(strstr(msg, "expression nested too deeply (max 64 levels) at offset 65"));
    free(s);

    s = repeat("", "(", 4000, "1"); /* deep, but no stack overflow */
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_non_null(strstr(msg, "nested too deeply"));
    free(s);
    s = repeat("", "-", 3000, "cantidad");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_non_null(strstr(msg, "nested too deeply"));
    free(s);
    s = repeat("", "not ", 1000, "flag");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_non_null(strstr(msg, "nested too deeply"));
    free(s);
    s = repeat("", "abs(", 100, "1");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_non_null(strstr(msg, "nested too deeply"));
    free(s);

    /* source length */
    s = repeat("1", " ", 4095, "");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), 0);
    free(s);
    s = repeat("1", " ", 4096, "");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_string_equal(msg, "expression too long (4097 bytes, max 4096)");
    free(s);

    /* node count: 512 column terms make 1023 nodes, 513 make 1025 */
    s = repeat("neg", "+neg", 511, "");
    struct expr *e = compile_ok(s, SL_T_NUM);
    struct sl_value v;
    struct sl_error err = {0};
    default_row();
    assert_int_equal(expr_eval(e, row, NULL, &v, &err), 0);
    assert_true(v.type == SL_T_NUM && v.u.d == -2.5 * 512);
    expr_destroy(e);
    free(s);
    s = repeat("neg", "+neg", 512, "");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_non_null(strstr(msg, "expression too complex (more than 1024 nodes)"));
    free(s);
    s = repeat("cantidad in (1", ",1", 1100, ")");
    assert_int_equal(compile_err(s, msg, sizeof(msg)), SL_EEXPR);
    assert_non_null(strstr(msg, "too complex"));
    free(s);
}

static void test_scratch(void **state)
{
    (void)state;
    struct sl_error err = {0};
    struct sl_value v;
    default_row();
    struct expr *e = compile_ok("concat(estado, estado)", SL_T_STR);
    /* string results need scratch */
    assert_int_equal(expr_eval(e, row, NULL, &v, &err), SL_EEXPR);
    assert_non_null(strstr(err.msg, "scratch"));

    struct expr_scratch *scratch = expr_scratch_create();
    /* many results in one row stay valid as the arena grows */
    const char *ptrs[3000];
    for (int i = 0; i < 3000; i++) {
        sl_error_clear(&err);
        assert_int_equal(expr_eval(e, row, scratch, &v, &err), 0);
        ptrs[i] = v.u.s.p;
    }
    for (int i = 0; i < 3000; i++) {
        assert_memory_equal(ptrs[i], "completadocompletado", 20);
    }
    expr_scratch_reset(scratch);

    /* over 1 MiB in one row is an error */
    size_t big = 600 * 1024;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, 'x', big);
    row[C_ESTADO].u.s.p = text;
    row[C_ESTADO].u.s.n = big;
    sl_error_clear(&err);
    assert_int_equal(expr_eval(e, row, scratch, &v, &err), SL_EEXPR);
    assert_non_null(strstr(err.msg, "exceed 1048576 bytes"));
    /* after a reset the same row within the cap works again */
    expr_scratch_reset(scratch);
    row[C_ESTADO].u.s.n = 500 * 1024;
    sl_error_clear(&err);
    assert_int_equal(expr_eval(e, row, scratch, &v, &err), 0);
    assert_int_equal(v.u.s.n, 1000 * 1024);
    expr_destroy(e);

    /* upper() of a long string */
    e = compile_ok("upper(estado)", SL_T_STR);
    expr_scratch_reset(scratch);
    assert_int_equal(expr_eval(e, row, scratch, &v, &err), 0);
    assert_true(v.u.s.n == 500 * 1024 && v.u.s.p[0] == 'X' && v.u.s.p[v.u.s.n - 1] == 'X');
    expr_destroy(e);
    free(text);
    expr_scratch_destroy(scratch);
}

/* ---------------------------------------------------------------------------------- */

static struct agg *agg_ok(const char *src)
{
    struct agg *a = NULL;
    struct sl_error err = {0};
    if (agg_compile(src, cols, NCOLS, &a, &err) != 0) {
        fail_msg("'%s' does not compile: %s", src, err.msg);
    }
    return a;
}

static void step_ok(struct agg *a, struct expr_scratch *scratch)
{
    struct sl_error err = {0};
    if (agg_step(a, row, scratch, &err) != 0) {
        fail_msg("agg_step: %s", err.msg);
    }
}

static void test_agg_basic(void **state)
{
    (void)state;
    struct expr_scratch *scratch = expr_scratch_create();
    struct sl_value v;
    default_row();
    struct agg *cnt = agg_ok("count()");
    struct agg *cnt_x = agg_ok("COUNT(total)");
    struct agg *sum_i = agg_ok("sum(cantidad)");
    struct agg *sum_n = agg_ok("sum(total)");
    struct agg *avg = agg_ok("avg(cantidad)");
    struct agg *mn = agg_ok("min(metodo_pago)");
    struct agg *mx = agg_ok("max(fecha_venta)");
    struct agg *mxn = agg_ok("max(total / cantidad)");
    struct agg *all[] = {cnt, cnt_x, sum_i, sum_n, avg, mn, mx, mxn};

    /* nothing seen yet */
    agg_result(cnt, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 0);
    agg_result(cnt_x, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 0);
    for (size_t i = 2; i < 8; i++) {
        agg_result(all[i], &v);
        assert_int_equal(v.type, SL_T_NULL);
    }

    const char *metodos[] = {"tarjeta", "efectivo", "transferencia", "bizum"};
    char buf[32];
    for (int i = 0; i < 10; i++) {
        row[C_CANTIDAD] = v_int(i + 1);
        row[C_TOTAL] = v_num(0.1);
        if (i % 3 == 0) {
            row[C_TOTAL].type = SL_T_NULL;
        }
        snprintf(buf, sizeof(buf), "%s", metodos[i % 4]);
        row[C_METODO] = v_str(buf); /* the aggregate must copy it */
        row[C_FECHA].u.us += INT64_C(86400000000);
        for (size_t k = 0; k < 8; k++) {
            step_ok(all[k], scratch);
        }
        expr_scratch_reset(scratch);
    }
    memset(buf, '#', sizeof(buf));

    agg_result(cnt, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 10);
    agg_result(cnt_x, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 6);
    agg_result(sum_i, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 55);
    agg_result(sum_n, &v);
    assert_true(v.type == SL_T_NUM && fabs(v.u.d - 0.6) < 1e-15);
    agg_result(avg, &v);
    assert_true(v.type == SL_T_NUM && v.u.d == 5.5);
    agg_result(mn, &v);
    assert_true(v.type == SL_T_STR && v.u.s.n == 5 && memcmp(v.u.s.p, "bizum", 5) == 0);
    agg_result(mx, &v);
    assert_int_equal(v.type, SL_T_DATETIME);
    types_format_datetime(v.u.us, buf, sizeof(buf));
    assert_string_equal(buf, "2025-03-17 14:05:09");
    agg_result(mxn, &v);
    assert_true(v.type == SL_T_NUM && v.u.d == 0.1 / 2);

    for (size_t i = 0; i < 8; i++) {
        agg_reset(all[i]);
    }
    agg_result(cnt, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 0);
    agg_result(mn, &v);
    assert_int_equal(v.type, SL_T_NULL);
    agg_result(sum_i, &v);
    assert_int_equal(v.type, SL_T_NULL);
    default_row();
    step_ok(sum_i, scratch);
    agg_result(sum_i, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 3);

    for (size_t i = 0; i < 8; i++) {
        agg_destroy(all[i]);
    }
    agg_destroy(NULL);

    /* sums of numbers are compensated: 1e16 + 1 + 1 - 1e16 is 2, not 0 */
    struct agg *comp = agg_ok("sum(total)");
    const double parts[] = {1e16, 1.0, 1.0, -1e16};
    for (size_t i = 0; i < 4; i++) {
        row[C_TOTAL] = v_num(parts[i]);
        step_ok(comp, scratch);
    }
    agg_result(comp, &v);
    assert_true(v.type == SL_T_NUM && v.u.d == 2.0);
    agg_destroy(comp);
    expr_scratch_destroy(scratch);
}

static void test_agg_errors(void **state)
{
    (void)state;
    struct agg *a = NULL;
    struct sl_error err = {0};
    struct sl_value v;
    static const struct tcase bad[] = {
        {"total", "a metric is one aggregate call"},
        {"sum(total) + 1", "unexpected '+' at offset 12 (a metric is a single aggregate call)"},
        {"sum(sum(total))", "aggregate sum() cannot be nested inside another aggregate"},
        {"count(min(total))", "aggregate min() cannot be nested"},
        {"sum(metodo_pago)", "sum() needs a number, got string at offset 5"},
        {"avg(fecha_venta)", "avg() needs a number, got datetime"},
        {"sum()", "sum() needs an argument"},
        {"max(total, cantidad)", "aggregate max() takes one argument"},
        {"min(null)", "min() needs a typed value, got null"},
        {"sum(totl)", "unknown column 'totl' at offset 5 (did you mean 'total'?)"},
        {"median(total)", "a metric is one aggregate call"},
        {"", "empty expression"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_error_clear(&err);
        a = NULL;
        int rc = agg_compile(bad[i].src, cols, NCOLS, &a, &err);
        if (rc != SL_EEXPR || a != NULL || strstr(err.msg, bad[i].want) == NULL) {
            fail_msg("'%s': want error containing [%s], got %d [%s]", bad[i].src, bad[i].want,
                     rc, err.msg);
        }
    }

    /* sum of ints overflows; count(x) of an erroring expression reports the error */
    default_row();
    struct expr_scratch *scratch = expr_scratch_create();
    a = agg_ok("sum(big)");
    sl_error_clear(&err);
    assert_int_equal(agg_step(a, row, scratch, &err), 0);
    assert_int_equal(agg_step(a, row, scratch, &err), SL_EEXPR);
    assert_string_equal(err.msg, "integer overflow in sum()");
    agg_result(a, &v);
    assert_true(v.type == SL_T_INT && v.u.i == INT64_MAX);
    agg_destroy(a);

    a = agg_ok("count(cantidad / zero)");
    sl_error_clear(&err);
    assert_int_equal(agg_step(a, row, scratch, &err), SL_EEXPR);
    assert_string_equal(err.msg, "division by zero");
    agg_destroy(a);

    a = agg_ok("count(n_null)");
    assert_int_equal(agg_step(a, row, scratch, &err), 0);
    agg_result(a, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 0);
    agg_destroy(a);
    expr_scratch_destroy(scratch);
}

static void test_agg_count_distinct(void **state)
{
    (void)state;
    struct expr_scratch *scratch = expr_scratch_create();
    struct sl_value v;
    default_row();
    struct agg *ints = agg_ok("count_distinct(cliente_id)");
    struct agg *strs = agg_ok("count_distinct(concat('c-', cliente_id))");
    struct agg *nums = agg_ok("count_distinct(total)");
    struct agg *dates = agg_ok("count_distinct(date(fecha_venta))");
    /* 100k rows over 37813 distinct clients, every 10th row null */
    uint64_t x = 12345;
    int64_t n_distinct = 37813;
    char seen[37813] = {0};
    int64_t want = 0;
    for (int i = 0; i < 100000; i++) {
        x = x * UINT64_C(6364136223846793005) + 1442695040888963407;
        int64_t id = (int64_t)((x >> 33) % (uint64_t)n_distinct);
        if (i % 10 == 9) {
            row[C_CLIENTE_ID].type = SL_T_NULL;
        } else {
            row[C_CLIENTE_ID] = v_int(id);
            if (!seen[id]) {
                seen[id] = 1;
                want++;
            }
        }
        row[C_TOTAL] = v_num(i % 2 == 0 ? 0.0 : -0.0); /* one value */
        row[C_FECHA] = v_dt(i % 3 == 0 ? "2025-01-01 10:00:00" : "2025-01-01 23:00:00");
        step_ok(ints, scratch);
        step_ok(strs, scratch);
        step_ok(nums, scratch);
        step_ok(dates, scratch);
        expr_scratch_reset(scratch);
    }
    agg_result(ints, &v);
    assert_true(v.type == SL_T_INT && v.u.i == want);
    agg_result(strs, &v); /* concat() of a null id is 'c-', one more value */
    assert_true(v.type == SL_T_INT && v.u.i == want + 1);
    agg_result(nums, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 1);
    agg_result(dates, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 1);
    assert_true(want > 30000); /* most of the 37813 ids occur */

    agg_reset(strs);
    agg_result(strs, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 0);
    default_row();
    step_ok(strs, scratch);
    step_ok(strs, scratch);
    agg_result(strs, &v);
    assert_true(v.type == SL_T_INT && v.u.i == 1);

    agg_destroy(ints);
    agg_destroy(strs);
    agg_destroy(nums);
    agg_destroy(dates);
    expr_scratch_destroy(scratch);
}

/* ---- fast paths (expr_fast.c) against the generic walk ------------------------------- */

enum { F_I, F_J, F_X, F_Y, F_D, F_T, NFCOLS };

static const struct expr_col fcols[NFCOLS] = {
    [F_I] = {"i", SL_T_INT},  [F_J] = {"j", SL_T_INT},  [F_X] = {"x", SL_T_NUM},
    [F_Y] = {"y", SL_T_NUM},  [F_D] = {"d", SL_T_DATE}, [F_T] = {"t", SL_T_DATETIME},
};

struct fast_src {
    const char *src;
    int fast; /* the root must take a fast path */
};

static const struct fast_src fast_srcs[] = {
    {"abs(x - i * y) <= 0.01", 1},
    {"x / i", 1},
    {"x / y", 1},
    {"x % y", 1},
    {"x % i", 1},
    {"i / j", 1}, /* division is a number */
    {"x + i", 1},
    {"x - y * 2", 1},
    {"-x", 1},
    {"-(x + y)", 1},
    {"abs(-x) + abs(y)", 1},
    {"x * 1e300 * 1e300", 1},
    {"x + null", 1},
    {"x < i", 1},
    {"i > x", 1},
    {"i = x", 1},
    {"x <> y", 1},
    {"i >= j", 1},
    {"i <= 3", 1},
    {"x > 2.5", 1},
    {"i = 9007199254740993", 1},
    {"x = 9007199254740993", 1},
    {"(x + y) / i < 10", 1},
    {"year(t)", 1},
    {"month(t)", 1},
    {"day(d)", 1},
    {"hour(t)", 1},
    {"quarter(d)", 1},
    {"dayofweek(t)", 1},
    {"i * j + x", 1},     /* an int subtree inside number arithmetic: generic child */
    {"abs(i) + x", 1},    /* abs of an int: generic child */
    {"abs(i - j) < x", 0}, /* the int side is not a literal or column: generic */
    {"-i", 0},
    {"i + j", 0},
    {"strftime('%Y-%m', t)", 1},
    {"strftime('%F %a %b %j %u%w%q%y%%', t)", 1},
    {"strftime('%A %B %d', d)", 1},
    {"strftime('%Y-%m-%d', d)", 1},
    {"strftime('%Y-%m %H', t)", 0}, /* a time of day: types_strftime each row */
};

static struct sl_value v_null(void)
{
    struct sl_value v = {.type = SL_T_NULL};
    return v;
}

static uint64_t fast_rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    fast_rng ^= fast_rng << 13;
    fast_rng ^= fast_rng >> 7;
    fast_rng ^= fast_rng << 17;
    return fast_rng;
}

/* A cell for column c: mostly of its type, sometimes null, now and then of another type
 * (which the generic walk coerces or refuses). */
static struct sl_value random_cell(int c)
{
    static const int64_t ints[] = {0, 1, -1, 3, 7, 1000000, INT64_MAX, INT64_MIN,
                                   INT64_C(9007199254740993), -INT64_C(4611686018427387904)};
    static const double nums[] = {0.0, -0.0, 1.0, -2.5, 0.01, 0.005, 3.0, 1e308, -1e308,
                                  9007199254740992.0, 4.9e-324, 123.456};
    uint64_t r = next_rand();
    size_t pick = (size_t)(r >> 8);
    struct sl_value v = v_null();
    if (r % 8 == 0) {
        return v;
    }
    if (r % 53 == 1) { /* the wrong type */
        return c == F_I || c == F_J ? v_num(1.5) : c == F_X || c == F_Y ? v_int(7) : v_str("s");
    }
    switch (c) {
    case F_I:
    case F_J:
        return v_int(ints[pick % (sizeof(ints) / sizeof(ints[0]))]);
    case F_X:
    case F_Y:
        if (r % 41 == 2) {
            return v_num(r % 2 ? NAN : INFINITY); /* never parsed, but both paths agree */
        }
        return v_num(nums[pick % (sizeof(nums) / sizeof(nums[0]))]);
    case F_D:
        v.type = r % 29 == 3 ? SL_T_DATETIME : SL_T_DATE;
        v.u.days = (int32_t)(pick % 800000) - 400000;
        if (v.type == SL_T_DATETIME) {
            v.u.us = (int64_t)v.u.days * US_PER_DAY + 5;
        }
        return v;
    default:
        if (r % 29 == 3) { /* a date in a datetime column: coerced */
            v.type = SL_T_DATE;
            v.u.days = (int32_t)(pick % 800000) - 400000;
            return v;
        }
        v.type = SL_T_DATETIME;
        v.u.us = (int64_t)(pick % (UINT64_C(1) << 52)) - (INT64_C(1) << 51);
        return v;
    }
}

static int same_value(const struct sl_value *a, const struct sl_value *b)
{
    if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case SL_T_NULL:
        return 1;
    case SL_T_NUM:
        return (isnan(a->u.d) && isnan(b->u.d)) || memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case SL_T_BOOL:
        return a->u.b == b->u.b;
    case SL_T_STR:
        return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    default:
        return a->u.i == b->u.i;
    }
}

/* Every source compiled twice, once with its fast marks cleared, evaluated on the same
 * random rows: value, null, error code and message must match. */
static void test_fast_matches_generic(void **state)
{
    (void)state;
    struct expr_scratch *scratch = expr_scratch_create();
    assert_non_null(scratch);
    for (size_t s = 0; s < sizeof(fast_srcs) / sizeof(fast_srcs[0]); s++) {
        struct expr *fast = NULL, *slow = NULL;
        struct sl_error err = {0};
        assert_int_equal(expr_compile(fast_srcs[s].src, fcols, NFCOLS, &fast, NULL, &err), 0);
        assert_int_equal(expr_compile(fast_srcs[s].src, fcols, NFCOLS, &slow, NULL, &err), 0);
        expr_fast_clear(slow);
        if ((fast->nodes[fast->root].fast >= FAST_ARITH) != fast_srcs[s].fast) {
            fail_msg("'%s': fast kind %d at the root", fast_srcs[s].src,
                     fast->nodes[fast->root].fast);
        }
        for (int n = 0; n < 20000; n++) {
            struct sl_value r[NFCOLS];
            for (int c = 0; c < NFCOLS; c++) {
                r[c] = random_cell(c);
            }
            struct sl_value a, b;
            struct sl_error ea = {0}, eb = {0};
            int ra = expr_eval(fast, r, scratch, &a, &ea);
            int rb = expr_eval(slow, r, scratch, &b, &eb);
            if (ra != rb || strcmp(ea.msg, eb.msg) != 0 || (ra == 0 && !same_value(&a, &b))) {
                char ga[64], gb[64];
                render(&a, ga, sizeof(ga));
                render(&b, gb, sizeof(gb));
                fail_msg("'%s' row %d: fast %d [%s] %s, generic %d [%s] %s", fast_srcs[s].src, n,
                         ra, ea.msg, ga, rb, eb.msg, gb);
            }
            expr_scratch_reset(scratch);
        }
        expr_destroy(fast);
        expr_destroy(slow);
    }
    expr_scratch_destroy(scratch);
}

/* The edges the fast paths must keep, spelled out. */
static void test_fast_edges(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        struct sl_value cells[4]; /* i j x y */
        const char *want;
    } cases[] = {
        {"x / i", {{SL_T_INT, {.i = 0}}, {0}, {SL_T_NUM, {.d = 1}}}, "!division by zero"},
        {"x / i", {{SL_T_INT, {.i = 0}}, {0}, {SL_T_NULL, {0}}}, "null"},
        {"x % y", {{0}, {0}, {SL_T_NUM, {.d = 1}}, {SL_T_NUM, {.d = -0.0}}},
         "!division by zero"},
        /* an error on the right wins over a null on the left */
        {"x + i * j", {{SL_T_INT, {.i = INT64_MAX}}, {SL_T_INT, {.i = 2}}, {0}},
         "!integer overflow"},
        {"x * y", {{0}, {0}, {SL_T_NUM, {.d = 1e308}}, {SL_T_NUM, {.d = 10}}},
         "!number out of range"},
        {"abs(x - i * y) <= 0.01",
         {{SL_T_INT, {.i = 3}}, {0}, {SL_T_NUM, {.d = 59.97}}, {SL_T_NUM, {.d = 19.99}}},
         "bool:true"},
        {"abs(x - i * y) <= 0.01",
         {{SL_T_INT, {.i = 3}}, {0}, {SL_T_NUM, {.d = 59.99}}, {SL_T_NUM, {.d = 19.99}}},
         "bool:false"},
        {"abs(x - i * y) <= 0.01", {{SL_T_INT, {.i = 3}}, {0}, {0}, {SL_T_NUM, {.d = 1}}}, "null"},
        /* int against number is exact, not through a double: 2^53 + 1 > 2^53 */
        {"i > x",
         {{SL_T_INT, {.i = INT64_C(9007199254740993)}}, {0}, {SL_T_NUM, {.d = 9007199254740992.0}}},
         "bool:true"},
        {"x < i",
         {{SL_T_INT, {.i = INT64_C(9007199254740993)}}, {0}, {SL_T_NUM, {.d = 9007199254740992.0}}},
         "bool:true"},
        {"i / j", {{SL_T_INT, {.i = 7}}, {SL_T_INT, {.i = 2}}}, "num:3.5"},
        {"x + i", {{SL_T_INT, {.i = 1}}, {0}, {SL_T_INT, {.i = 2}}}, "num:3"}, /* coerced */
        {"x + i", {{SL_T_NUM, {.d = 1}}, {0}, {SL_T_NUM, {.d = 2}}}, "!holds a number value"},
        {"-x", {{0}, {0}, {SL_T_NUM, {.d = 0.0}}}, "num:-0"},
    };
    struct expr_scratch *scratch = expr_scratch_create();
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct expr *e = NULL;
        struct sl_error err = {0};
        assert_int_equal(expr_compile(cases[k].src, fcols, NFCOLS, &e, NULL, &err), 0);
        assert_true(e->nodes[e->root].fast >= FAST_ARITH);
        struct sl_value r[NFCOLS] = {0};
        memcpy(r, cases[k].cells, sizeof(cases[k].cells));
        struct sl_value v;
        char got[300];
        if (expr_eval(e, r, scratch, &v, &err) != 0) {
            snprintf(got, sizeof(got), "!%s", err.msg);
        } else {
            render(&v, got, sizeof(got));
        }
        int ok = cases[k].want[0] == '!' ? got[0] == '!' && strstr(got, cases[k].want + 1) != NULL
                                         : strcmp(got, cases[k].want) == 0;
        if (!ok) {
            fail_msg("'%s' case %zu: want [%s], got [%s]", cases[k].src, k, cases[k].want, got);
        }
        expr_destroy(e);
        expr_scratch_reset(scratch);
    }
    expr_scratch_destroy(scratch);
}

/* strftime by the day: which patterns take it, the extreme instants, two patterns
 * alternating on one thread's memo, and the scratch limit, all as the generic walk. */
static void test_fast_strftime(void **state)
{
    (void)state;
    static const struct fast_src srcs[] = {
        {"strftime('%Y-%m', t)", 1},
        {"strftime('%Y', t)", 1},
        {"strftime('%d/%m/%Y %A', d)", 1},
        {"strftime('%F', t)", 1},
        {"strftime('%Yxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', t)", 0}, /* 32 bytes: past the memo */
        {"strftime('%T', t)", 0},
    };
    enum { NS = sizeof(srcs) / sizeof(srcs[0]) };
    struct expr *fast[NS], *slow[NS];
    struct sl_error err = {0};
    for (size_t k = 0; k < NS; k++) {
        assert_int_equal(expr_compile(srcs[k].src, fcols, NFCOLS, &fast[k], NULL, &err), 0);
        assert_int_equal(expr_compile(srcs[k].src, fcols, NFCOLS, &slow[k], NULL, &err), 0);
        expr_fast_clear(slow[k]);
        if ((fast[k]->nodes[fast[k]->root].fast == FAST_STRFTIME) != srcs[k].fast) {
            fail_msg("'%s': fast kind %d", srcs[k].src, fast[k]->nodes[fast[k]->root].fast);
        }
    }
    static const int64_t instants[] = {INT64_MIN, INT64_MIN + 1, -US_PER_DAY - 1, -1, 0, 1,
                                       US_PER_DAY - 1, INT64_MAX};
    struct expr_scratch *sa = expr_scratch_create(), *sb = expr_scratch_create();
    for (int n = 0; n < 40000; n++) {
        struct sl_value r[NFCOLS] = {0};
        r[F_T] = n < 8 ? (struct sl_value){.type = SL_T_DATETIME, .u.us = instants[n]}
                       : random_cell(F_T);
        r[F_D] = random_cell(F_D);
        for (size_t k = 0; k < NS; k++) { /* every pattern on every row: the memo alternates */
            struct sl_value a, b;
            struct sl_error ea = {0}, eb = {0};
            int ra = expr_eval(fast[k], r, sa, &a, &ea);
            int rb = expr_eval(slow[k], r, sb, &b, &eb);
            if (ra != rb || strcmp(ea.msg, eb.msg) != 0 || (ra == 0 && !same_value(&a, &b))) {
                char ga[96], gb[96];
                render(&a, ga, sizeof(ga));
                render(&b, gb, sizeof(gb));
                fail_msg("'%s' row %d: fast %d [%s] %s, generic %d [%s] %s", srcs[k].src, n, ra,
                         ea.msg, ga, rb, eb.msg, gb);
            }
        }
        expr_scratch_reset(sa);
        expr_scratch_reset(sb);
    }
    /* a row whose scratch is nearly used up: the reservation fails (or fits) alike */
    for (size_t left = 100; left <= 200; left += 44) {
        void *m;
        struct sl_value r[NFCOLS] = {0}, a, b;
        r[F_T] = (struct sl_value){.type = SL_T_DATETIME, .u.us = 0};
        struct sl_error ea = {0}, eb = {0};
        assert_int_equal(expr_scratch_alloc(sa, EXPR_SCRATCH_MAX - left, 1, &m, &ea), 0);
        assert_int_equal(expr_scratch_alloc(sb, EXPR_SCRATCH_MAX - left, 1, &m, &eb), 0);
        int ra = expr_eval(fast[0], r, sa, &a, &ea);
        int rb = expr_eval(slow[0], r, sb, &b, &eb);
        assert_int_equal(ra, rb);
        assert_string_equal(ea.msg, eb.msg);
        assert_int_equal(ra, left < 64 + 16 * 5 ? SL_EEXPR : 0);
        expr_scratch_reset(sa);
        expr_scratch_reset(sb);
    }
    for (size_t k = 0; k < NS; k++) {
        expr_destroy(fast[k]);
        expr_destroy(slow[k]);
    }
    expr_scratch_destroy(sa);
    expr_scratch_destroy(sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_and_names),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_columns_and_syntax),
        cmocka_unit_test(test_seed_expressions),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_scratch),
        cmocka_unit_test(test_agg_basic),
        cmocka_unit_test(test_agg_errors),
        cmocka_unit_test(test_agg_count_distinct),
        cmocka_unit_test(test_fast_matches_generic),
        cmocka_unit_test(test_fast_edges),
        cmocka_unit_test(test_fast_strftime),
    };
    return cmocka_run_group_tests_name("expr", tests, NULL, NULL);
}
