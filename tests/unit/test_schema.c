/* test_schema.c - the Table Schema loader: every supported key, JSON input, and a table of
 * bad schemas, each with the message fragment and the line it must report.
 *
 * Schemas are written to a mkdtemp folder under /tmp, so the test runs from any folder.
 */
#include "testutil.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "contract/schema.h"
#include "contract/types.h"

static char tmpdir[64];
static char paths[8][128];
static size_t npaths;

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-schema-XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < npaths; i++) {
        unlink(paths[i]);
    }
    return rmdir(tmpdir);
}

/* Writes text to tmpdir/name and returns the path (valid until the next call with name). */
static const char *write_file(const char *name, const char *text)
{
    char path[128];
    FILE *fp;
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    size_t i = 0;
    while (i < npaths && strcmp(paths[i], path) != 0) {
        i++;
    }
    if (i == npaths) {
        assert_true(npaths < sizeof(paths) / sizeof(paths[0]));
        snprintf(paths[npaths++], sizeof(paths[0]), "%s", path);
    }
    fp = fopen(paths[i], "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
    return paths[i];
}

static struct contract *load_ok(const char *name, const char *text)
{
    struct contract *c = NULL;
    struct sl_error err = {0};
    int rc = contract_load_file(write_file(name, text), &c, &err);
    if (rc != 0) {
        fail_msg("unexpected error: %s", err.msg);
    }
    assert_non_null(c);
    return c;
}

static const char full_yaml[] =
    "$schema: https://specs.frictionlessdata.io/schemas/table-schema.json\n"
    "name: orders\n"
    "title: Orders\n"
    "description: every key the loader knows\n"
    "fields:\n"
    "  - name: id\n"                                           /* line 6 */
    "    type: integer\n"
    "    title: Id\n"
    "    description: the key\n"
    "    constraints: {required: yes, unique: True, minimum: 1, maximum: 1000}\n"
    "  - name: price\n"                                        /* line 11 */
    "    type: number\n"
    "    decimalChar: ','\n"
    "    groupChar: '.'\n"
    "    constraints: {minimum: 0.01, maximum: '1.000,5', enum: [1.5, '2,25']}\n"
    "  - name: code\n"                                         /* line 16 */
    "    constraints:\n"
    "      pattern: '[A-Z]{2}-[0-9]+'\n"
    "      minLength: 3\n"
    "      maxLength: 12\n"
    "      enum: ['01', AB-1, \"x y\"]\n"
    "  - name: day\n"                                          /* line 22 */
    "    type: date\n"
    "    format: '%d/%m/%Y'\n"
    "    constraints: {minimum: '2020-01-01', maximum: 31/12/2030}\n"
    "  - name: at\n"                                           /* line 26 */
    "    type: datetime\n"
    "    format: any\n"
    "    constraints: {minimum: '2020-01-01 00:00:00'}\n"
    "  - name: ok\n"                                           /* line 30 */
    "    type: boolean\n"
    "    format: default\n"
    "    constraints: {enum: [true]}\n"
    "primaryKey: [id, code]\n"
    "missingValues: ['', NA, '-']\n";

static void test_full_schema(void **state)
{
    (void)state;
    struct contract *c = load_ok("full.yaml", full_yaml);
    const struct field_def *f;

    assert_int_equal(c->nfields, 6);
    assert_true(strstr(c->source, "full.yaml") != NULL);

    f = &c->fields[0];
    assert_string_equal(f->name, "id");
    assert_int_equal(f->type, SL_T_INT);
    assert_int_equal(f->line, 6);
    assert_true(f->required && f->unique && f->has_min && f->has_max);
    assert_int_equal(f->min.type, SL_T_INT);
    assert_int_equal(f->min.u.i, 1);
    assert_int_equal(f->max.u.i, 1000);
    assert_null(f->pattern);
    assert_int_equal(f->min_len, -1);
    assert_int_equal(f->max_len, -1);

    f = &c->fields[1];
    assert_int_equal(f->type, SL_T_NUM);
    assert_int_equal(f->decimal_char, ',');
    assert_int_equal(f->group_char, '.');
    assert_false(f->required);
    assert_true(f->min.u.d == 0.01);
    assert_true(f->max.u.d == 1000.5);
    assert_int_equal(f->n_enum, 2);
    assert_true(f->enum_vals[0].u.d == 1.5);
    assert_true(f->enum_vals[1].u.d == 2.25);
    assert_string_equal(f->enum_src[1], "2,25");

    f = &c->fields[2];
    assert_int_equal(f->type, SL_T_STR); /* the default type */
    assert_int_equal(f->line, 16);
    assert_string_equal(f->pattern, "[A-Z]{2}-[0-9]+");
    assert_int_equal(regexec(&f->pattern_re, "AB-12", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&f->pattern_re, "xAB-12", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&f->pattern_re, "AB-12x", 0, NULL, 0), 0);
    assert_int_equal(f->min_len, 3);
    assert_int_equal(f->max_len, 12);
    assert_int_equal(f->n_enum, 3);
    assert_string_equal(f->enum_src[0], "01"); /* kept as written, not as a number */
    assert_int_equal(f->enum_vals[0].type, SL_T_STR);
    assert_int_equal(f->enum_vals[0].u.s.n, 2);
    assert_memory_equal(f->enum_vals[0].u.s.p, "01", 2);
    assert_ptr_equal(f->enum_vals[2].u.s.p, f->enum_src[2]);
    assert_string_equal(f->enum_src[2], "x y");

    f = &c->fields[3];
    assert_int_equal(f->type, SL_T_DATE);
    assert_string_equal(f->format, "%d/%m/%Y");
    assert_int_equal(f->min.u.days, types_days_from_civil(2020, 1, 1));
    assert_int_equal(f->max.u.days, types_days_from_civil(2030, 12, 31));

    f = &c->fields[4];
    assert_int_equal(f->type, SL_T_DATETIME);
    assert_null(f->format); /* "any" is the default */
    assert_true(f->min.u.us == (int64_t)types_days_from_civil(2020, 1, 1) * 86400000000LL);

    f = &c->fields[5];
    assert_int_equal(f->type, SL_T_BOOL);
    assert_null(f->format);
    assert_int_equal(f->n_enum, 1);
    assert_int_equal(f->enum_vals[0].u.b, 1);

    assert_int_equal(c->npk, 2);
    assert_int_equal(c->pk[0], 0);
    assert_int_equal(c->pk[1], 2);
    assert_true(c->fields[2].required); /* primary key fields become required */
    assert_int_equal(c->nmissing, 3);
    assert_string_equal(c->missing_values[0], "");
    assert_string_equal(c->missing_values[1], "NA");
    assert_string_equal(c->missing_values[2], "-");

    assert_int_equal(contract_field_index(c, "code"), 2);
    assert_int_equal(contract_field_index(c, "ok"), 5);
    assert_int_equal(contract_field_index(c, "Code"), -1);
    assert_int_equal(contract_field_index(c, "nope"), -1);
    assert_int_equal(contract_field_index(NULL, "id"), -1);
    contract_destroy(c);
    contract_destroy(NULL);
}

static void test_defaults(void **state)
{
    (void)state;
    struct contract *c = load_ok("min.yaml", "fields:\n  - name: a\n  - {name: b}\n");
    assert_int_equal(c->nfields, 2);
    assert_int_equal(c->fields[0].type, SL_T_STR);
    assert_int_equal(c->fields[0].decimal_char, '.');
    assert_int_equal(c->fields[0].group_char, 0);
    assert_int_equal(c->fields[1].line, 3);
    assert_int_equal(c->npk, 0);
    assert_int_equal(c->nmissing, 1);
    assert_string_equal(c->missing_values[0], "");
    contract_destroy(c);

    c = load_ok("min.yaml", "fields: [{name: a}]\nprimaryKey: a\nmissingValues: []\n");
    assert_int_equal(c->npk, 1);
    assert_true(c->fields[0].required);
    assert_int_equal(c->nmissing, 0);
    contract_destroy(c);
}

static void test_json_schema(void **state)
{
    (void)state;
    static const char json[] =
        "{\n"
        "\t\"fields\": [\n"
        "\t\t{\"name\": \"venta_id\", \"type\": \"integer\",\n"
        "\t\t \"constraints\": {\"required\": true, \"minimum\": 1}},\n"
        "\t\t{\"name\": \"total\", \"type\": \"number\", \"constraints\": {\"maximum\": 1e6}},\n"
        "\t\t{\"name\": \"estado\", \"constraints\": {\"enum\": [\"a\", \"b\"]}}\n"
        "\t],\n"
        "\t\"primaryKey\": [\"venta_id\"],\n"
        "\t\"missingValues\": [\"\", \"null\"]\n"
        "}\n";
    struct contract *c = load_ok("s.json", json);
    assert_int_equal(c->nfields, 3);
    assert_int_equal(c->fields[0].type, SL_T_INT);
    assert_int_equal(c->fields[0].min.u.i, 1);
    assert_true(c->fields[1].max.u.d == 1e6);
    assert_int_equal(c->fields[1].line, 5);
    assert_int_equal(c->fields[2].n_enum, 2);
    assert_string_equal(c->fields[2].enum_src[1], "b");
    assert_int_equal(c->npk, 1);
    assert_string_equal(c->missing_values[1], "null"); /* a JSON string, not null */
    contract_destroy(c);

    struct sl_error err = {0};
    const char *p = write_file("bad.json", "{\"fields\": [{\"name\": \"a\",}\n");
    assert_int_equal(contract_load_file(p, &c, &err), SL_ECONFIG);
    assert_null(c);
    assert_true(strstr(err.msg, "bad.json:") != NULL);
    assert_true(strstr(err.msg, "JSON syntax error") != NULL);
}

static void test_from_node(void **state)
{
    (void)state;
    static const char yaml[] = "contract:\n  fields:\n    - {name: x, type: date}\n";
    struct fy_document *doc = fy_document_build_from_string(NULL, yaml, strlen(yaml));
    struct contract *c = NULL;
    struct sl_error err = {0};
    assert_non_null(doc);
    struct fy_node *node = fy_node_by_path(fy_document_root(doc), "/contract", FY_NT, 0);
    assert_int_equal(contract_from_node(node, "inline.yaml", &c, &err), 0);
    assert_string_equal(c->source, "inline.yaml");
    assert_int_equal(c->fields[0].type, SL_T_DATE);
    assert_int_equal(c->fields[0].line, 3);
    contract_destroy(c);
    /* The root is not a Table Schema: it has a 'contract' key. */
    assert_int_equal(contract_from_node(fy_document_root(doc), "inline.yaml", &c, &err),
                     SL_ECONFIG);
    assert_null(c);
    assert_string_equal(err.msg, "inline.yaml:1: unknown key 'contract' (known: fields, "
                        "primaryKey, missingValues, name, title, description, $schema)");
    fy_document_destroy(doc);
    sl_error_clear(&err);
    assert_int_equal(contract_from_node(NULL, "x", &c, &err), SL_ECONFIG);
    assert_string_equal(err.msg, "x: a Table Schema must be a mapping with a 'fields' list, got "
                        "an empty document");
}

struct bad_case {
    const char *yaml;
    int line;
    const char *fragment;
};

static const struct bad_case bad_cases[] = {
    {"fields:\n  - name: total\n    type: number\n    constraints:\n      minimun: 0\n", 5,
     "unknown key 'constraints.minimun' in field 'total' (known: required, unique, minimum, "
     "maximum, enum, pattern, minLength, maxLength)"},
    {"fields:\n  - name: a\n    tpye: integer\n", 3,
     "unknown key 'tpye' in field 'a' (known: name, type, format, title, description, "
     "decimalChar, groupChar, constraints)"},
    {"primarykey: a\nfields: [{name: a}]\n", 1, "unknown key 'primarykey' (known: fields,"},
    {"fields:\n  - name: a\n    constraints: {required: maybe}\n", 3,
     "key 'constraints.required' in field 'a': expected a boolean (true or false), got "
     "'maybe'"},
    {"fields:\n  - name: a\n    constraints:\n      unique: [x]\n", 4,
     "key 'constraints.unique' in field 'a': expected a boolean (true or false), got a list"},
    {"fields:\n  - name: a\n    type: year\n", 3, "key 'type' in field 'a': unknown type 'year'"},
    {"fields:\n  - name: a\n  - name: b\n  - name: a\n", 4,
     "duplicate field name 'a' (first at line 2)"},
    {"fields:\n  - name: Total\n  - name: x\n  - name: TOTAL\n  - name: total\n", 4,
     "field name 'TOTAL' differs only in case from 'Total' at line 2"},
    {"fields: [{name: a}, {name: b}]\nprimaryKey: [a, c]\n", 2,
     "key 'primaryKey': 'c' is not a field"},
    {"fields: [{name: venta_id}]\nprimaryKey: Venta_ID\n", 2,
     "'Venta_ID' is not a field (did you mean 'venta_id'?)"},
    {"fields: [{name: a}]\nprimaryKey: [a, a]\n", 2, "'a' is listed twice"},
    {"fields: [{name: a}]\nprimaryKey: {a: 1}\n", 2,
     "key 'primaryKey': expected a field name or a list of field names, got a mapping"},
    {"fields:\n  - name: s\n    constraints: {minimum: 1}\n", 3,
     "key 'constraints.minimum' in field 's': minimum applies only to integer, number, date "
     "and datetime fields, not string"},
    {"fields:\n  - name: b\n    type: boolean\n    constraints: {maximum: true}\n", 4,
     "maximum applies only to integer, number, date and datetime fields, not boolean"},
    {"fields:\n  - name: s\n    constraints:\n      pattern: '(ab'\n", 4,
     "key 'constraints.pattern' in field 's': invalid regular expression '(ab': "},
    {"fields:\n  - name: n\n    type: integer\n    constraints: {pattern: '[0-9]+'}\n", 4,
     "pattern applies only to string fields, not integer"},
    {"fields:\n  - name: n\n    type: integer\n    constraints: {minLength: 1}\n", 4,
     "minLength applies only to string fields, not integer"},
    {"fields:\n  - name: s\n    constraints: {maxLength: -1}\n", 3,
     "key 'constraints.maxLength' in field 's': expected a non-negative integer, got '-1'"},
    {"fields:\n  - name: s\n    constraints: {minLength: 5, maxLength: 2}\n", 3,
     "maxLength is less than minLength"},
    {"fields:\n  - name: n\n    type: integer\n    constraints:\n      minimum: 1.5\n", 5,
     "key 'constraints.minimum' in field 'n': expected an integer, got '1.5'"},
    {"fields:\n  - name: n\n    type: number\n    constraints: {minimum: 5, maximum: 1}\n", 4,
     "maximum is less than minimum"},
    {"fields:\n  - name: d\n    type: date\n    constraints: {minimum: 2020-13-01}\n", 4,
     "expected a date (YYYY-MM-DD), got '2020-13-01'"},
    {"fields:\n  - name: n\n    type: integer\n    constraints:\n      enum:\n        - 1\n"
     "        - two\n", 7,
     "key 'constraints.enum' in field 'n': expected an integer, got 'two'"},
    {"fields:\n  - name: s\n    constraints: {enum: []}\n", 3,
     "the list must hold at least one value"},
    {"fields:\n  - name: s\n    constraints: {enum: x}\n", 3, "expected a list of values"},
    {"fields:\n  - name: s\n    constraints: {enum: [a, ~]}\n", 3,
     "expected a string, got null"},
    {"fields:\n  - name: n\n    type: integer\n    decimalChar: ','\n", 4,
     "decimalChar applies only to number fields, not integer"},
    {"fields:\n  - name: n\n    type: number\n    decimalChar: ',,'\n", 4,
     "key 'decimalChar' in field 'n': expected one character that is not a digit"},
    {"fields:\n  - name: n\n    type: number\n    groupChar: '.'\n", 4,
     "groupChar must differ from decimalChar"},
    {"fields:\n  - name: d\n    type: date\n    format: '%d.%m.%Q'\n", 4,
     "unsupported conversion '%Q' in '%d.%m.%Q'"},
    {"fields:\n  - name: s\n    format: email\n", 3,
     "format 'email' is not supported for string fields"},
    {"fields:\n  - name: s\n    constraints: [required]\n", 3,
     "key 'constraints' in field 's': expected a mapping, got a list"},
    {"name: x\n", 1, "missing key 'fields'"},
    {"fields: []\n", 1, "key 'fields': expected 1 to 4096 fields, got 0"},
    {"fields: {name: a}\n", 1, "key 'fields': expected a list of fields, got a mapping"},
    {"fields:\n  - a\n", 2, "fields[0]: expected a mapping with a 'name', got 'a'"},
    {"fields:\n  - name: a\n  - type: integer\n", 3, "fields[1] has no 'name'"},
    {"fields:\n  - name: ''\n", 2, "a field name must have 1 to 256 bytes"},
    {"fields:\n  - name: [a]\n", 2,
     "key 'name' in fields[0]: expected a string, got a list"},
    {"fields: [{name: a}]\nmissingValues: NA\n", 2,
     "key 'missingValues': expected a list of strings, got 'NA'"},
    {"fields:\n  - name: &n a\n  - name: *n\n", 3, "aliases are not supported"},
    {"fields:\n  - name: a\n\ttype: integer\n", 3, "YAML syntax error: "},
    {"fields:\n  - name: \"a\n", 2, "YAML syntax error: "},
    {"fields:\n  - name: a\n    ~: 1\n", 3, "unknown key null in field 'a', not a plain string"},
    {"- name: a\n", 1, "a Table Schema must be a mapping with a 'fields' list, got a list"},
    {"# only a comment\n", 0,
     "a Table Schema must be a mapping with a 'fields' list, got an empty document"},
};

static void test_bad_schemas(void **state)
{
    (void)state;
    char prefix[192];
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *bc = &bad_cases[i];
        struct contract *c = NULL;
        struct sl_error err = {0};
        const char *path = write_file("bad.yaml", bc->yaml);
        int rc = contract_load_file(path, &c, &err);
        if (bc->line > 0) {
            snprintf(prefix, sizeof(prefix), "%s:%d: ", path, bc->line);
        } else {
            snprintf(prefix, sizeof(prefix), "%s: ", path);
        }
        if (rc != SL_ECONFIG || c != NULL || strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
            strstr(err.msg, bc->fragment) == NULL) {
            fail_msg("case %zu: rc %d, got \"%s\", want prefix \"%s\" and \"%s\"", i, rc,
                     err.msg, prefix, bc->fragment);
        }
        contract_destroy(c);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    struct contract *c = NULL;
    struct sl_error err = {0};
    assert_int_equal(contract_load_file("/nonexistent/sluice.schema.yaml", &c, &err),
                     SL_ECONFIG);
    assert_null(c);
    assert_string_equal(err.msg,
                        "/nonexistent/sluice.schema.yaml: cannot open: No such file or directory");
}

static void test_field_limit(void **state)
{
    (void)state;
    size_t cap = 4097 * 16 + 16, len;
    char *text = malloc(cap);
    struct contract *c = NULL;
    struct sl_error err = {0};
    assert_non_null(text);
    len = (size_t)snprintf(text, cap, "fields:\n");
    for (int i = 0; i < 4096; i++) {
        len += (size_t)snprintf(text + len, cap - len, "- name: f%d\n", i);
    }
    c = load_ok("many.yaml", text);
    assert_int_equal(c->nfields, 4096);
    assert_int_equal(contract_field_index(c, "f4095"), 4095);
    contract_destroy(c);
    snprintf(text + len, cap - len, "- name: f4096\n");
    assert_int_equal(contract_load_file(write_file("many.yaml", text), &c, &err), SL_ECONFIG);
    assert_true(strstr(err.msg, ":1: key 'fields': expected 1 to 4096 fields, got 4097") !=
                NULL);
    free(text);

    char name[300];
    memset(name, 'n', 257);
    name[257] = '\0';
    text = malloc(400);
    assert_non_null(text);
    snprintf(text, 400, "fields:\n  - name: %s\n", name);
    sl_error_clear(&err);
    assert_int_equal(contract_load_file(write_file("many.yaml", text), &c, &err), SL_ECONFIG);
    assert_true(strstr(err.msg, "a field name must have 1 to 256 bytes") != NULL);
    name[256] = '\0';
    snprintf(text, 400, "fields:\n  - name: %s\n", name);
    c = load_ok("many.yaml", text);
    assert_int_equal(strlen(c->fields[0].name), 256);
    contract_destroy(c);
    free(text);
}

/* Files are read in growing chunks up to 16 MiB; a bigger file is refused. */
static void test_file_sizes(void **state)
{
    (void)state;
    size_t cap = ((size_t)16 << 20) + 64;
    char *text = malloc(cap);
    struct contract *c = NULL;
    struct sl_error err = {0};
    assert_non_null(text);
    memset(text, '#', cap);
    memcpy(text, "fields: [{name: a}]\n", 20);
    text[200000] = '\0'; /* ~200 KB: several chunks */
    c = load_ok("big.yaml", text);
    assert_int_equal(c->nfields, 1);
    contract_destroy(c);
    text[200000] = '#';
    text[((size_t)16 << 20) + 1] = '\0';
    assert_int_equal(contract_load_file(write_file("big.yaml", text), &c, &err), SL_ECONFIG);
    assert_null(c);
    assert_true(strstr(err.msg, "big.yaml: file is larger than 16777216 bytes") != NULL);
    text[(size_t)16 << 20] = '\0'; /* exactly the cap */
    c = load_ok("big.yaml", text);
    contract_destroy(c);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_schema),  cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_json_schema),  cmocka_unit_test(test_from_node),
        cmocka_unit_test(test_bad_schemas),  cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_field_limit),  cmocka_unit_test(test_file_sizes),
    };
    return cmocka_run_group_tests_name("schema", tests, setup, teardown);
}
