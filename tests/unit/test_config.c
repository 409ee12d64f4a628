/* test_config.c - the config loader: the embedded default (the seed's ventas pipeline),
 * examples/sluice.yaml, sizes, path resolution, and a table of bad configs, each with the
 * message fragment and the line it must report.
 *
 * Run from the repo root (examples/sluice.yaml); temporary files go under /tmp.
 */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/yamlutil.h"

static struct config *load_string(const char *yaml, const char *base_dir)
{
    struct config *c = NULL;
    struct sl_error err = {0};
    if (config_load_string(yaml, strlen(yaml), "t.yaml", base_dir, &c, &err) != 0) {
        fail_msg("unexpected error: %s", err.msg);
    }
    assert_non_null(c);
    return c;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

static void check_int_field(const struct field_def *f, const char *name, int64_t min)
{
    assert_string_equal(f->name, name);
    assert_int_equal(f->type, SL_T_INT);
    assert_true(f->required);
    assert_false(f->unique);
    assert_true(f->has_min);
    assert_false(f->has_max);
    assert_int_equal(f->min.u.i, min);
}

static void check_enum_field(const struct field_def *f, const char *name,
                             const char *const vals[4])
{
    assert_string_equal(f->name, name);
    assert_int_equal(f->type, SL_T_STR);
    assert_true(f->required);
    assert_int_equal(f->n_enum, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(f->enum_src[i], vals[i]);
        assert_int_equal(f->enum_vals[i].type, SL_T_STR);
        assert_int_equal(f->enum_vals[i].u.s.n, strlen(vals[i]));
        assert_memory_equal(f->enum_vals[i].u.s.p, vals[i], strlen(vals[i]));
    }
}

/* Everything but the paths: the seed's ventas pipeline. */
static void check_ventas(const struct config *c)
{
    static const char *const pagos[4] = {"efectivo", "tarjeta", "transferencia", "paypal"};
    static const char *const estados[4] = {"completada", "pendiente", "cancelada", "devuelta"};
    static const char *const metric_names[4] = {"rows", "total_sum", "ticket_promedio",
                                                "clientes_unicos"};
    static const char *const metric_exprs[4] = {"count()", "sum(total)", "avg(total)",
                                                "count_distinct(cliente_id)"};
    const struct contract *k = c->contract;

    assert_string_equal(c->log_level, "info");
    assert_true(c->sqlite_enabled);
    assert_string_equal(c->table, "ventas_near_rt");
    assert_int_equal(c->csv_delimiter, ',');
    assert_int_equal(c->max_field_bytes, 1048576);
    assert_int_equal(c->max_record_bytes, 8388608);
    assert_int_equal(c->max_columns, 4096);
    assert_int_equal(c->max_file_bytes, 0);
    assert_int_equal(c->batch_rows, 8192);
    assert_true(c->max_reject_ratio == 0.2);
    assert_int_equal(c->on_duplicate_key, DUP_SKIP);

    assert_non_null(k);
    assert_int_equal(k->nfields, 9);
    assert_string_equal(k->fields[0].name, "venta_id");
    assert_int_equal(k->fields[0].type, SL_T_INT);
    assert_true(k->fields[0].required && k->fields[0].unique);
    assert_false(k->fields[0].has_min || k->fields[0].has_max);
    check_int_field(&k->fields[1], "cliente_id", 1);
    check_int_field(&k->fields[2], "producto_id", 1);
    check_int_field(&k->fields[3], "cantidad", 1);
    for (size_t i = 4; i < 6; i++) {
        const struct field_def *f = &k->fields[i];
        assert_string_equal(f->name, i == 4 ? "precio_unitario" : "total");
        assert_int_equal(f->type, SL_T_NUM);
        assert_true(f->required && f->has_min && !f->has_max && !f->unique);
        assert_true(f->min.u.d == 0.0);
    }
    assert_string_equal(k->fields[6].name, "fecha_venta");
    assert_int_equal(k->fields[6].type, SL_T_DATETIME);
    assert_null(k->fields[6].format);
    assert_true(k->fields[6].required);
    assert_false(k->fields[6].has_min || k->fields[6].has_max);
    check_enum_field(&k->fields[7], "metodo_pago", pagos);
    check_enum_field(&k->fields[8], "estado", estados);
    for (size_t i = 0; i < 9; i++) {
        const struct field_def *f = &k->fields[i];
        assert_null(f->pattern);
        assert_int_equal(f->min_len, -1);
        assert_int_equal(f->max_len, -1);
        assert_int_equal(f->decimal_char, '.');
        assert_int_equal(f->group_char, 0);
        assert_int_equal(f->n_enum, i >= 7 ? 4 : 0);
        assert_true(f->line > 0);
    }
    assert_int_equal(k->npk, 1);
    assert_int_equal(k->pk[0], 0);
    assert_int_equal(k->nmissing, 1);
    assert_string_equal(k->missing_values[0], "");

    assert_int_equal(c->nrules, 1);
    assert_string_equal(c->rules[0].name, "total_matches");
    assert_string_equal(c->rules[0].expr, "abs(total - cantidad * precio_unitario) <= 0.01");
    assert_string_equal(c->rules[0].message,
                        "total must equal cantidad * precio_unitario (\xc2\xb1" "0.01)");
    assert_true(c->rules[0].line > 0);

    assert_int_equal(c->nderive, 3);
    assert_string_equal(c->derive[0].name, "anio");
    assert_string_equal(c->derive[0].expr, "year(fecha_venta)");
    assert_string_equal(c->derive[1].name, "mes");
    assert_string_equal(c->derive[1].expr, "strftime('%Y-%m', fecha_venta)");
    assert_string_equal(c->derive[2].name, "ticket_unitario");
    assert_string_equal(c->derive[2].expr, "total / cantidad");
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(c->derive[i].type, SL_T_NULL);
        assert_int_equal(c->derive[i].line, c->derive[0].line + (int)i);
    }

    assert_int_equal(c->nmetrics, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(c->metrics[i].name, metric_names[i]);
        assert_string_equal(c->metrics[i].expr, metric_exprs[i]);
        assert_int_equal(c->metrics[i].line, c->metrics[0].line + (int)i);
    }
}

/* 1-based line of the first line of text that starts with what; 0 when none does. */
static int line_of(const char *text, const char *what)
{
    int line = 1;
    for (const char *p = text; *p != '\0'; p++) {
        if ((p == text || p[-1] == '\n') && strncmp(p, what, strlen(what)) == 0) {
            return line;
        }
        line += *p == '\n';
    }
    return 0;
}

static void test_embedded_default(void **state)
{
    (void)state;
    struct config *c = NULL;
    struct sl_error err = {0};
    assert_int_equal(config_load_string(config_default_yaml, strlen(config_default_yaml),
                                        "<embedded default>", NULL, &c, &err), 0);
    check_ventas(c);
    assert_string_equal(c->source, "<embedded default>");
    assert_string_equal(c->base_dir, ".");
    assert_string_equal(c->incoming, "ingest/incoming");
    assert_string_equal(c->processed, "ingest/processed");
    assert_string_equal(c->failed, "ingest/failed");
    assert_string_equal(c->work, "ingest/.work");
    assert_string_equal(c->log_path, "logs/sluice.log");
    assert_string_equal(c->sqlite_path, "outputs/near_rt_analytics.db");
    assert_null(c->contract_path);
    assert_string_equal(c->contract->source, "<embedded default>");
    assert_int_equal(c->rules[0].line, line_of(config_default_yaml, "  - name: total_matches"));
    config_destroy(c);
    config_destroy(NULL);
}

static void test_example_file(void **state)
{
    (void)state;
    const char *path = "examples/sluice.yaml", *dir = "examples";
    char want[PATH_MAX];
    struct config *c = NULL;
    struct sl_error err = {0};

    if (access(path, R_OK) != 0) { /* run from tests/unit */
        path = "../../examples/sluice.yaml";
        dir = "../../examples";
    }
    if (config_load(path, &c, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    check_ventas(c);
    assert_string_equal(c->source, path);
    assert_string_equal(c->base_dir, dir);
    snprintf(want, sizeof(want), "%s/ventas.schema.yaml", dir);
    assert_string_equal(c->contract_path, want);
    assert_string_equal(c->contract->source, want);
    snprintf(want, sizeof(want), "%s/ingest/incoming", dir);
    assert_string_equal(c->incoming, want);
    snprintf(want, sizeof(want), "%s/ingest/.work", dir);
    assert_string_equal(c->work, want);
    snprintf(want, sizeof(want), "%s/logs/sluice.log", dir);
    assert_string_equal(c->log_path, want);
    snprintf(want, sizeof(want), "%s/outputs/near_rt_analytics.db", dir);
    assert_string_equal(c->sqlite_path, want);
    config_destroy(c);
}

static void test_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok;
        uint64_t want;
    } cases[] = {
        {"1MiB", 1, 1048576},       {"1MB", 1, 1000000},         {"512", 1, 512},
        {"0", 1, 0},                {"64KiB", 1, 65536},         {"64KB", 1, 64000},
        {"2 GiB", 1, 2147483648u},  {"3GB", 1, 3000000000u},     {"100B", 1, 100},
        {"8mib", 1, 8388608},       {"18446744073709551615", 1, UINT64_MAX},
        {"", 0, 0},                 {"MiB", 0, 0},               {"1.5MiB", 0, 0},
        {"10XB", 0, 0},             {"-1", 0, 0},                {"1 TB", 0, 0},
        {"1  MiB", 0, 0},           {"1MiB ", 0, 0},             {"18446744073709551616", 0, 0},
        {"20000000000GiB", 0, 0},   {"0x10", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = 12345;
        int rc = yu_parse_size(cases[i].text, strlen(cases[i].text), &v);
        if ((rc == 0) != cases[i].ok || (rc == 0 && v != cases[i].want)) {
            fail_msg("size '%s': rc %d value %llu", cases[i].text, rc, (unsigned long long)v);
        }
    }
    struct config *c = load_string("limits:\n  max_field_bytes: 1MiB\n  max_record_bytes: 1MB\n"
                                   "  max_file_bytes: 512\n  max_columns: 12\n"
                                   "  batch_rows: 100\n", NULL);
    assert_int_equal(c->max_field_bytes, 1048576);
    assert_int_equal(c->max_record_bytes, 1000000);
    assert_int_equal(c->max_file_bytes, 512);
    assert_int_equal(c->max_columns, 12);
    assert_int_equal(c->batch_rows, 100);
    config_destroy(c);
}

static void test_absent_and_empty(void **state)
{
    (void)state;
    struct config *c = load_string("", NULL);
    assert_string_equal(c->source, "t.yaml");
    assert_int_equal(c->contract->nfields, 9); /* the ventas contract */
    assert_string_equal(c->contract->source, "<embedded default>");
    /* without a contract, the default's whole data pipeline comes with it */
    assert_int_equal(c->nrules, 1);
    assert_int_equal(c->nderive, 3);
    assert_int_equal(c->nmetrics, 4);
    assert_string_equal(c->derive[1].name, "mes");
    assert_string_equal(c->metrics[0].name, "rows");
    assert_string_equal(c->metrics[0].expr, "count()");
    assert_string_equal(c->incoming, "ingest/incoming");
    config_destroy(c);

    /* with its own contract, a config gets no rules or derived columns it did not ask for */
    c = load_string("contract: {fields: [{name: a, type: integer}]}\n", NULL);
    assert_int_equal(c->nrules, 0);
    assert_int_equal(c->nderive, 0);
    assert_int_equal(c->nmetrics, 1);
    assert_string_equal(c->metrics[0].expr, "count()");
    assert_int_equal(c->batch_rows, 8192);
    config_destroy(c);

    c = load_string("# nothing but comments\npaths:\nrules:\nderive: []\nmetrics:\n", NULL);
    assert_int_equal(c->nrules, 0);
    assert_int_equal(c->nderive, 0);
    assert_int_equal(c->nmetrics, 0);
    config_destroy(c);
}

static void test_values(void **state)
{
    (void)state;
    struct config *c = load_string(
        "log: {path: '', level: debug}\n"
        "sqlite: {enabled: Off, table: _Ventas2}\n"
        "csv: {delimiter: tab}\n"
        "quality: {max_reject_ratio: 0, on_duplicate_key: update}\n"
        "contract:\n"
        "  fields: [{name: a, type: integer}, {name: b}]\n"
        "rules:\n"
        "  - \"a > 0\"\n"
        "  - {expr: 'b != \"x\"', message: no x}\n"
        "derive:\n"
        "  - name: a2\n"
        "    expr: a * 2\n"
        "    type: integer\n"
        "metrics: {n: count(), s: sum(a)}\n", NULL);
    assert_string_equal(c->log_path, "");
    assert_string_equal(c->log_level, "debug");
    assert_false(c->sqlite_enabled);
    assert_string_equal(c->table, "_Ventas2");
    assert_int_equal(c->csv_delimiter, '\t');
    assert_true(c->max_reject_ratio == 0.0);
    assert_int_equal(c->on_duplicate_key, DUP_UPDATE);
    assert_int_equal(c->contract->nfields, 2);
    assert_string_equal(c->contract->source, "t.yaml");
    assert_null(c->contract_path);
    assert_int_equal(c->nrules, 2);
    assert_string_equal(c->rules[0].name, "rule_1");
    assert_string_equal(c->rules[0].expr, "a > 0");
    assert_null(c->rules[0].message);
    assert_int_equal(c->rules[0].line, 8);
    assert_string_equal(c->rules[1].name, "rule_2");
    assert_string_equal(c->rules[1].expr, "b != \"x\"");
    assert_string_equal(c->rules[1].message, "no x");
    assert_int_equal(c->rules[1].line, 9);
    assert_int_equal(c->nderive, 1);
    assert_string_equal(c->derive[0].name, "a2");
    assert_int_equal(c->derive[0].type, SL_T_INT);
    assert_int_equal(c->derive[0].line, 11);
    assert_int_equal(c->nmetrics, 2);
    assert_string_equal(c->metrics[1].name, "s");
    assert_string_equal(c->metrics[1].expr, "sum(a)");
    assert_int_equal(c->metrics[1].line, 14);
    config_destroy(c);

    static const char *const delims[][2] = {
        {"\"\\t\"", "\t"}, {"'\\t'", "\t"}, {"';'", ";"}, {"'|'", "|"}, {"' '", " "}};
    for (size_t i = 0; i < sizeof(delims) / sizeof(delims[0]); i++) {
        char yaml[64];
        snprintf(yaml, sizeof(yaml), "csv:\n  delimiter: %s\n", delims[i][0]);
        c = load_string(yaml, NULL);
        assert_int_equal(c->csv_delimiter, delims[i][1][0]);
        config_destroy(c);
    }
    c = load_string("sqlite:\n  table: t234567890123456789012345678901234567890123456789012345"
                    "678901234\n", NULL);
    assert_int_equal(strlen(c->table), 64); /* the longest table name allowed */
    config_destroy(c);
    c = load_string("quality: {max_reject_ratio: 1, on_duplicate_key: reject}\n", NULL);
    assert_true(c->max_reject_ratio == 1.0);
    assert_int_equal(c->on_duplicate_key, DUP_REJECT);
    assert_int_equal(c->parse_threads, -1); /* auto unless said */
    config_destroy(c);
    c = load_string("parse_threads: 0\nworkers: auto\n", NULL);
    assert_int_equal(c->parse_threads, 0);
    assert_int_equal(c->workers, 0);
    config_destroy(c);
    c = load_string("parse_threads: 64\nworkers: 3\n", NULL);
    assert_int_equal(c->parse_threads, 64);
    assert_int_equal(c->workers, 3);
    config_destroy(c);
    c = load_string("parse_threads: auto\n", NULL);
    assert_int_equal(c->parse_threads, -1);
    config_destroy(c);
}

struct bad_case {
    const char *yaml;
    int line;
    const char *fragment;
};

static const struct bad_case bad_cases[] = {
    {"paht:\n  incoming: x\n", 1, "unknown key 'paht' (known: paths, log, sqlite, csv, limits, "
     "quality, parquet, contract, rules, derive, metrics, watch, schedule, http, notify"},
    {"workers: 0\n", 1, "key 'workers': expected an integer between 1 and 64, got '0'"},
    {"workers: many\n", 1, "key 'workers'"},
    {"parse_threads: 65\n", 1, "key 'parse_threads': expected an integer between 0 and 64, got '65'"},
    {"parse_threads: -1\n", 1, "key 'parse_threads'"},
    {"watch:\n  patterns: [\"in/*.csv\"]\n", 2,
     "key 'watch.patterns': expected a file name pattern (*, ?, [...]; no '/')"},
    {"watch:\n  patterns: []\n", 2, "key 'watch.patterns': expected 1 to 64 file name patterns"},
    {"watch:\n  patterns: \"*.csv\"\n", 2, "key 'watch.patterns': expected a list of file name"},
    {"quality:\n  max_reject: 0.1\n", 2,
     "unknown key 'quality.max_reject' (known: max_reject_ratio, on_duplicate_key)"},
    {"log:\n  path: x\n  file: y\n", 3, "unknown key 'log.file' (known: path, level)"},
    {"contract:\n  fields:\n    - name: total\n      type: number\n      constraints: "
     "{minimun: 0}\n", 5, "unknown key 'constraints.minimun' in field 'total' (known: "
     "required, unique, minimum, maximum, enum, pattern, minLength, maxLength)"},
    {"contract:\n  fields: [{name: a}]\n  primarykey: a\n", 3, "unknown key 'primarykey'"},
    {"rules:\n  - name: r\n    expr: x\n    mesage: m\n", 4,
     "unknown key 'rules[0].mesage' (known: name, expr, message)"},
    {"derive:\n  - {name: a, expr: x}\n  - {name: b, expr: x, typ: integer}\n", 3,
     "unknown key 'derive[1].typ' (known: name, expr, type)"},
    {"sqlite:\n  enabled: maybe\n", 2,
     "key 'sqlite.enabled': expected a boolean (true or false), got 'maybe'"},
    {"paths: [a, b]\n", 1, "key 'paths': expected a mapping, got a list"},
    {"paths:\n  incoming: {a: 1}\n", 2, "key 'paths.incoming': expected a string, got a mapping"},
    {"paths:\n  work: ''\n", 2, "key 'paths.work': expected a non-empty path, got ''"},
    {"paths:\n  failed: ~\n", 2, "key 'paths.failed': expected a string, got null"},
    {"limits:\n  max_columns: many\n", 2,
     "key 'limits.max_columns': expected an integer between 1 and 1048576, got 'many'"},
    {"limits:\n  batch_rows: 0\n", 2, "key 'limits.batch_rows': expected an integer between 1 "
     "and 1048576, got '0'"},
    {"limits:\n  max_field_bytes: 10XB\n", 2, "key 'limits.max_field_bytes': expected a size in "
     "bytes like 512, 64KiB or 8MiB (suffixes B, KB, KiB, MB, MiB, GB, GiB), got '10XB'"},
    {"limits:\n  max_record_bytes: 0\n", 2,
     "key 'limits.max_record_bytes': expected a size greater than 0, got '0'"},
    {"limits:\n  max_file_bytes: 1.5GiB\n", 2, "key 'limits.max_file_bytes': expected a size"},
    {"quality:\n  max_reject_ratio: 1.5\n", 2,
     "key 'quality.max_reject_ratio': expected a number between 0 and 1, got '1.5'"},
    {"quality:\n  max_reject_ratio: -0.1\n", 2,
     "key 'quality.max_reject_ratio': expected a number between 0 and 1, got '-0.1'"},
    {"quality:\n  max_reject_ratio: 20%\n", 2, "expected a number between 0 and 1, got '20%'"},
    {"quality:\n  on_duplicate_key: ignore\n", 2,
     "key 'quality.on_duplicate_key': expected one of skip, update, reject, got 'ignore'"},
    {"log:\n  level: verbose\n", 2,
     "key 'log.level': expected one of debug, info, warn, error, got 'verbose'"},
    {"sqlite:\n  table: 1ventas\n", 2, "key 'sqlite.table': expected a table name matching "
     "[A-Za-z_][A-Za-z0-9_]{0,63} that does not start with sqlite_ or sluice_, got '1ventas'"},
    {"sqlite:\n  table: sqlite_master\n", 2, "key 'sqlite.table': expected a table name"},
    {"sqlite:\n  table: SLUICE_files\n", 2, "key 'sqlite.table': expected a table name"},
    {"sqlite:\n  table: ventas-rt\n", 2, "key 'sqlite.table': expected a table name"},
    {"sqlite:\n  table: t2345678901234567890123456789012345678901234567890123456789012345\n", 2,
     "key 'sqlite.table': expected a table name"},
    {"csv:\n  delimiter: '\"'\n", 2, "key 'csv.delimiter': expected one byte other than a "
     "double quote, CR or LF (\"tab\" for a tab), got '\"'"},
    {"csv:\n  delimiter: \"\\n\"\n", 2, "key 'csv.delimiter': expected one byte"},
    {"csv:\n  delimiter: ';;'\n", 2, "key 'csv.delimiter': expected one byte"},
    {"contract:\n  fields:\n    - name: a\n    - name: a\n", 4,
     "duplicate field name 'a' (first at line 3)"},
    {"contract:\n  fields:\n    - name: Fecha\n    - name: fecha\n", 4,
     "field name 'fecha' differs only in case from 'Fecha' at line 3"},
    {"contract:\n  primaryKey: id\n  fields:\n    - name: a\n", 2,
     "key 'primaryKey': 'id' is not a field"},
    {"contract:\n  fields:\n    - name: s\n      constraints: {minimum: 1}\n", 4,
     "key 'constraints.minimum' in field 's': minimum applies only to integer, number, date "
     "and datetime fields, not string"},
    {"contract:\n  fields:\n    - name: s\n      constraints:\n        pattern: '[a-'\n", 5,
     "key 'constraints.pattern' in field 's': invalid regular expression '[a-'"},
    {"contract:\n  fields:\n    - name: n\n      type: integer\n      constraints: {required: "
     "perhaps}\n", 5, "key 'constraints.required' in field 'n': expected a boolean"},
    {"paths:\n  incoming: a\n\tfailed: b\n", 3,
     "YAML syntax error: invalid tab used as indentation"},
    {"log:\n  level: info\n  level: debug\n", 3, "YAML syntax error: duplicate key"},
    {"sqlite:\n  table: \"abc\n", 2, "YAML syntax error: "},
    {"paths:\n  incoming: x\ncontract: no-such-contract.schema.yaml\n", 3,
     "key 'contract': no-such-contract.schema.yaml: cannot open: No such file or directory"},
    {"contract: [a]\n", 1, "key 'contract': expected a Table Schema file path or an inline "
     "Table Schema mapping, got a list"},
    {"contract:\n", 1, "key 'contract': expected a Table Schema file path"},
    {"derive:\n  - {name: anio, expr: 'year(fecha_venta)'}\n  - name: Total\n"
     "    expr: 'total * 2'\n", 3,
     "key 'derive[1].name': 'Total' is already a field of the contract"},
    {"derive:\n  - {name: x, expr: '1'}\ncontract:\n  fields: [{name: x}]\n", 2,
     "key 'derive[0].name': 'x' is already a field of the contract"},
    {"derive:\n  - {name: 2x, expr: x}\n", 2, "key 'derive[0].name': expected an identifier "
     "([A-Za-z_][A-Za-z0-9_]*, at most 256 bytes), got '2x'"},
    {"derive:\n  - {name: a b, expr: x}\n", 2, "key 'derive[0].name': expected an identifier"},
    {"derive:\n  - {expr: x}\n", 2, "key 'derive[0].name' is required"},
    {"derive:\n  - {name: a, expr: x}\n  - {name: A, expr: y}\n", 3,
     "key 'derive[1].name': duplicate derived column 'A' (first at line 2)"},
    {"derive:\n  - {name: a}\n", 2,
     "key 'derive[0].expr': a derived column needs a non-empty expression"},
    {"derive:\n  - {name: a, expr: x, type: float}\n", 2,
     "key 'derive[0].type': unknown type 'float'"},
    {"derive:\n  - anio\n", 2,
     "key 'derive[0]': expected a mapping {name, expr, type}, got 'anio'"},
    {"derive: anio\n", 1, "key 'derive': expected a list, got 'anio'"},
    {"rules:\n  - {name: r, expr: a}\n  - {name: r, expr: b}\n", 3,
     "key 'rules[1].name': duplicate rule name 'r' (first at line 2)"},
    {"rules:\n  - a > 1\n  - {name: rule_1, expr: b}\n", 3, "duplicate rule name 'rule_1'"},
    {"rules:\n  - {name: r, message: m}\n", 2,
     "key 'rules[0].expr': a rule needs a non-empty expression"},
    {"rules:\n  - ''\n", 2, "key 'rules[0].expr': a rule needs a non-empty expression"},
    {"rules:\n  - [a]\n", 2, "key 'rules[0]': expected a rule {name, expr, message} or an "
     "expression, got a list"},
    {"rules: {a: b}\n", 1, "key 'rules': expected a list, got a mapping"},
    {"metrics:\n  rows: count()\n  total-sum: sum(total)\n", 3, "key 'metrics': metric names "
     "must be identifiers ([A-Za-z_][A-Za-z0-9_]*), got 'total-sum'"},
    {"metrics:\n  rows: [count]\n", 2, "key 'metrics.rows': expected a string, got a list"},
    {"metrics:\n  rows: ''\n", 2, "key 'metrics.rows': expected an aggregate expression"},
    {"metrics:\n  - count()\n", 1, "key 'metrics': expected a mapping of name: aggregate "
     "expression, got a list"},
    {"- a\n", 1, "expected a mapping of sections (paths, log, sqlite, ...), got a list"},
    {"log:\n  level: &l info\nsqlite:\n  table: *l\n", 4,
     "key 'sqlite.table': expected a string, got an alias '*l' (aliases are not supported)"},
};

static void test_bad_configs(void **state)
{
    (void)state;
    char prefix[64];
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *bc = &bad_cases[i];
        struct config *c = NULL;
        struct sl_error err = {0};
        int rc = config_load_string(bc->yaml, strlen(bc->yaml), "t.yaml", NULL, &c, &err);
        snprintf(prefix, sizeof(prefix), "t.yaml:%d: ", bc->line);
        if (rc != SL_ECONFIG || err.code != SL_ECONFIG || c != NULL ||
            strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
            strstr(err.msg, bc->fragment) == NULL) {
            fail_msg("case %zu: rc %d, got \"%s\", want prefix \"%s\" and \"%s\"", i, rc,
                     err.msg, prefix, bc->fragment);
        }
    }
}

/* A config in dir/conf with its contract in dir/conf/schemas: every relative path is
 * resolved against dir/conf, absolute ones are kept. */
static void test_relative_paths(void **state)
{
    (void)state;
    char dir[] = "/tmp/sluice-config-XXXXXX", path[PATH_MAX], want[PATH_MAX];
    struct config *c = NULL;
    struct sl_error err = {0};

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/conf", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/conf/schemas", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/conf/schemas/v.json", dir);
    write_file(path, "{\"fields\": [{\"name\": \"id\", \"type\": \"integer\"}],\n"
                     " \"primaryKey\": \"id\"}\n");
    snprintf(path, sizeof(path), "%s/conf/schemas/bad.yaml", dir);
    write_file(path, "fields:\n  - name: id\n    typ: integer\n");
    snprintf(path, sizeof(path), "%s/conf/sluice.yaml", dir);
    write_file(path, "paths:\n  incoming: in\n  processed: /srv/processed\n"
                     "log: {path: ''}\nsqlite: {path: db/x.db}\ncontract: schemas/v.json\n");

    assert_int_equal(config_load(path, &c, &err), 0);
    snprintf(want, sizeof(want), "%s/conf", dir);
    assert_string_equal(c->base_dir, want);
    snprintf(want, sizeof(want), "%s/conf/in", dir);
    assert_string_equal(c->incoming, want);
    assert_string_equal(c->processed, "/srv/processed");
    snprintf(want, sizeof(want), "%s/conf/ingest/failed", dir); /* defaults too */
    assert_string_equal(c->failed, want);
    assert_string_equal(c->log_path, "");
    snprintf(want, sizeof(want), "%s/conf/db/x.db", dir);
    assert_string_equal(c->sqlite_path, want);
    snprintf(want, sizeof(want), "%s/conf/schemas/v.json", dir);
    assert_string_equal(c->contract_path, want);
    assert_int_equal(c->contract->nfields, 1);
    assert_int_equal(c->contract->npk, 1);
    config_destroy(c);

    /* An error inside the contract file names both files and lines. */
    write_file(path, "sqlite: {table: t}\ncontract: schemas/bad.yaml\n");
    assert_int_equal(config_load(path, &c, &err), SL_ECONFIG);
    assert_null(c);
    snprintf(want, sizeof(want), "%s/conf/sluice.yaml:2: key 'contract': %s/conf/schemas/"
             "bad.yaml:3: unknown key 'typ' in field 'id'", dir, dir);
    if (strncmp(err.msg, want, strlen(want)) != 0) {
        fail_msg("got \"%s\", want \"%s...\"", err.msg, want);
    }

    /* config_load_string: base_dir NULL keeps paths as written, a base_dir prefixes them. */
    c = load_string("paths: {incoming: in}\n", NULL);
    assert_string_equal(c->incoming, "in");
    assert_string_equal(c->base_dir, ".");
    config_destroy(c);
    c = load_string("paths: {incoming: in}\n", "rel/dir/");
    assert_string_equal(c->incoming, "rel/dir/in");
    assert_string_equal(c->work, "rel/dir/ingest/.work");
    config_destroy(c);

    snprintf(path, sizeof(path), "%s/conf/schemas/v.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/conf/schemas/bad.yaml", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/conf/sluice.yaml", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/conf/schemas", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/conf", dir);
    rmdir(path);
    assert_int_equal(rmdir(dir), 0);
}

/* config_load(NULL): ./sluice.yaml when it exists, else the embedded default. */
static void test_load_null(void **state)
{
    (void)state;
    char dir[] = "/tmp/sluice-cwd-XXXXXX", old[PATH_MAX];
    struct config *c = NULL;
    struct sl_error err = {0};

    assert_non_null(getcwd(old, sizeof(old)));
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chdir(dir), 0);

    assert_int_equal(config_load(NULL, &c, &err), 0);
    assert_string_equal(c->source, "<embedded default>");
    check_ventas(c);
    assert_string_equal(c->incoming, "ingest/incoming");
    config_destroy(c);

    write_file("sluice.yaml", "log:\n  level: warn\n");
    assert_int_equal(config_load(NULL, &c, &err), 0);
    assert_string_equal(c->source, "sluice.yaml");
    assert_string_equal(c->base_dir, ".");
    assert_string_equal(c->log_level, "warn");
    assert_string_equal(c->incoming, "ingest/incoming");
    assert_int_equal(c->nrules, 1); /* no contract key: the default pipeline */
    assert_int_equal(c->nmetrics, 4);
    config_destroy(c);

    write_file("sluice.yaml", "log:\n  level: loud\n");
    assert_int_equal(config_load(NULL, &c, &err), SL_ECONFIG);
    assert_string_equal(err.msg, "sluice.yaml:2: key 'log.level': expected one of debug, info, "
                        "warn, error, got 'loud'");

    assert_int_equal(unlink("sluice.yaml"), 0);
    assert_int_equal(chdir(old), 0);
    assert_int_equal(rmdir(dir), 0);

    sl_error_clear(&err);
    assert_int_equal(config_load("/nonexistent/sluice.yaml", &c, &err), SL_ECONFIG);
    assert_null(c);
    assert_string_equal(err.msg, "/nonexistent/sluice.yaml: cannot open: No such file or "
                        "directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_default), cmocka_unit_test(test_example_file),
        cmocka_unit_test(test_sizes),            cmocka_unit_test(test_absent_and_empty),
        cmocka_unit_test(test_values),           cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_relative_paths),   cmocka_unit_test(test_load_null),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
