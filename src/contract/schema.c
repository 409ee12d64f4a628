/* schema.c - loads the data contract, a Frictionless Table Schema, from YAML or JSON.
 *
 * Every key is checked: unknown keys and values of the wrong shape fail with the file and
 * line.  This file handles the schema as a whole (the fields list, unique names, primaryKey,
 * missingValues); schema_field.c parses each field.  Nothing here validates data.
 */
#include "contract/schema.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract/schema_field.h"
#include "core/yamlutil.h"

#define MAX_FIELDS 4096

static const char *const top_keys[] = {"fields", "primaryKey", "missingValues", "name",
                                       "title",  "description", "$schema",      NULL};

struct name_ref {
    const char *name;
    size_t idx;
};

static int name_ref_cmp(const void *a, const void *b)
{
    const struct name_ref *x = a, *y = b;
    int c = strcasecmp(x->name, y->name);
    if (c != 0) {
        return c;
    }
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Names must be unique, also ignoring ASCII case (SQLite column names do). */
static int check_unique_names(struct contract *c, struct sl_error *err)
{
    struct name_ref *refs = calloc(c->nfields, sizeof(*refs));
    size_t first = 0, dup = SIZE_MAX;
    if (refs == NULL) {
        return yu_oom(err);
    }
    for (size_t i = 0; i < c->nfields; i++) {
        refs[i].name = c->fields[i].name;
        refs[i].idx = i;
    }
    qsort(refs, c->nfields, sizeof(*refs), name_ref_cmp);
    for (size_t i = 1; i < c->nfields; i++) {
        int group_start = i == 1 || strcasecmp(refs[i - 2].name, refs[i - 1].name) != 0;
        if (group_start && strcasecmp(refs[i - 1].name, refs[i].name) == 0 &&
            (dup == SIZE_MAX || refs[i].idx < dup)) {
            first = refs[i - 1].idx;
            dup = refs[i].idx;
        }
    }
    free(refs);
    if (dup == SIZE_MAX) {
        return 0;
    }
    const struct field_def *a = &c->fields[first], *b = &c->fields[dup];
    /* every field has a name here: schema_parse_field fails a field without one */
    if (strcmp(a->name, b->name) == 0) { // NOLINT(clang-analyzer-core.NonNullParamChecker)
        return yu_fail(err, c->source, b->line, "duplicate field name '%s' (first at line %d)",
                       b->name, a->line);
    }
    return yu_fail(err, c->source, b->line,
                   "field name '%s' differs only in case from '%s' at line %d (field names "
                   "are compared case-insensitively)", b->name, a->name, a->line);
}

static int parse_fields(struct contract *c, struct fy_node *root, struct sl_error *err)
{
    int line = 0, rc;
    struct fy_node *n = yu_lookup(root, "fields", &line), *item;
    void *it = NULL;
    size_t count, i = 0;
    char got[96];

    if (n == NULL) {
        return yu_fail(err, c->source, yu_line(root, 0), "missing key 'fields' (the list of "
                       "columns)");
    }
    if (!yu_is_seq(n)) {
        return yu_fail(err, c->source, line, "key 'fields': expected a list of fields, got %s",
                       yu_describe(n, got, sizeof(got)));
    }
    count = (size_t)fy_node_sequence_item_count(n);
    if (count == 0 || count > MAX_FIELDS) {
        return yu_fail(err, c->source, line, "key 'fields': expected 1 to %d fields, got %zu",
                       MAX_FIELDS, count);
    }
    c->fields = calloc(count, sizeof(*c->fields));
    if (c->fields == NULL) {
        return yu_oom(err);
    }
    c->nfields = count;
    for (i = 0; i < count; i++) {
        c->fields[i].type = SL_T_STR;
        c->fields[i].decimal_char = '.';
        c->fields[i].min_len = -1;
        c->fields[i].max_len = -1;
    }
    i = 0;
    for (item = fy_node_sequence_iterate(n, &it); item != NULL && i < count;
         item = fy_node_sequence_iterate(n, &it)) {
        rc = schema_parse_field(c->source, item, i, &c->fields[i], err);
        if (rc != 0) {
            return rc;
        }
        i++;
    }
    return check_unique_names(c, err);
}

static int parse_primary_key(struct contract *c, struct fy_node *root, struct sl_error *err)
{
    int line = 0, rc = 0;
    struct fy_node *n = yu_lookup(root, "primaryKey", &line), *item;
    void *it = NULL;
    size_t count;
    char got[96], *name = NULL;
    struct yu_at at = {c->source, line, "key 'primaryKey'", err};

    if (n == NULL) {
        return 0;
    }
    if (!yu_is_seq(n) && yu_scalar(n, &count) == NULL) {
        return yu_fail(err, c->source, line, "key 'primaryKey': expected a field name or a "
                       "list of field names, got %s", yu_describe(n, got, sizeof(got)));
    }
    count = yu_is_seq(n) ? (size_t)fy_node_sequence_item_count(n) : 1;
    c->pk = calloc(count ? count : 1, sizeof(*c->pk));
    if (c->pk == NULL) {
        return yu_oom(err);
    }
    item = yu_is_seq(n) ? fy_node_sequence_iterate(n, &it) : n;
    for (; rc == 0 && item != NULL && c->npk < count;
         item = yu_is_seq(n) ? fy_node_sequence_iterate(n, &it) : NULL) {
        at.line = yu_line(item, line);
        rc = yu_str(item, &at, &name);
        if (rc != 0) {
            break;
        }
        int idx = contract_field_index(c, name);
        for (size_t j = 0; idx < 0 && j < c->nfields; j++) {
            /* names are never NULL (see check_unique_names) */
            // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
            if (strcasecmp(c->fields[j].name, name) == 0) {
                rc = yu_fail(err, c->source, at.line, "key 'primaryKey': '%s' is not a field "
                             "(did you mean '%s'?)", name, c->fields[j].name);
            }
        }
        if (idx < 0) {
            rc = yu_fail(err, c->source, at.line, "key 'primaryKey': '%s' is not a field",
                         name);
        }
        for (size_t j = 0; rc == 0 && j < c->npk; j++) {
            if (c->pk[j] == (size_t)idx) {
                rc = yu_fail(err, c->source, at.line, "key 'primaryKey': '%s' is listed twice",
                             name);
            }
        }
        if (rc == 0 && idx >= 0) {
            c->fields[idx].required = 1;
            c->pk[c->npk++] = (size_t)idx;
        }
        free(name);
        name = NULL;
    }
    return rc;
}

static int parse_missing(struct contract *c, struct fy_node *root, struct sl_error *err)
{
    int line = 0, rc;
    struct fy_node *n = yu_lookup(root, "missingValues", &line), *item;
    void *it = NULL;
    size_t count;
    char got[96];
    struct yu_at at = {c->source, line, "key 'missingValues'", err};

    if (n != NULL && !yu_is_seq(n)) {
        return yu_fail(err, c->source, line, "key 'missingValues': expected a list of strings, "
                       "got %s", yu_describe(n, got, sizeof(got)));
    }
    count = n != NULL ? (size_t)fy_node_sequence_item_count(n) : 1;
    c->missing_values = calloc(count ? count : 1, sizeof(*c->missing_values));
    if (c->missing_values == NULL) {
        return yu_oom(err);
    }
    if (n == NULL) {
        c->missing_values[0] = strdup("");
        c->nmissing = 1;
        return c->missing_values[0] != NULL ? 0 : yu_oom(err);
    }
    for (item = fy_node_sequence_iterate(n, &it); item != NULL && c->nmissing < count;
         item = fy_node_sequence_iterate(n, &it)) {
        at.line = yu_line(item, line);
        rc = yu_str(item, &at, &c->missing_values[c->nmissing]);
        if (rc != 0) {
            return rc;
        }
        c->nmissing++;
    }
    return 0;
}

int contract_from_node(struct fy_node *node, const char *source, struct contract **out,
                       struct sl_error *err)
{
    int rc;
    char got[96];
    struct contract *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c != NULL) {
        c->source = strdup(source != NULL ? source : "<contract>");
    }
    if (c == NULL || c->source == NULL) {
        rc = yu_oom(err);
        goto out;
    }
    if (!yu_is_map(node)) {
        rc = yu_fail(err, c->source, yu_line(node, 0), "a Table Schema must be a mapping with "
                     "a 'fields' list, got %s",
                     node != NULL ? yu_describe(node, got, sizeof(got)) : "an empty document");
        goto out;
    }
    rc = yu_check_keys(node, top_keys, c->source, "", "", err);
    if (rc == 0) {
        rc = parse_fields(c, node, err);
    }
    if (rc == 0) {
        rc = parse_primary_key(c, node, err);
    }
    if (rc == 0) {
        rc = parse_missing(c, node, err);
    }
    if (rc == 0) {
        *out = c;
        c = NULL;
    }
out:
    contract_destroy(c);
    return rc;
}

int contract_load_file(const char *path, struct contract **out, struct sl_error *err)
{
    char *text = NULL;
    size_t len = 0, plen = strlen(path);
    struct fy_document *doc = NULL;
    int json = plen >= 5 && strcasecmp(path + plen - 5, ".json") == 0;
    int rc;

    *out = NULL;
    rc = yu_read_file(path, &text, &len, err);
    if (rc == 0) {
        rc = yu_parse(text, len, path, json, &doc, err);
    }
    if (rc == 0) {
        rc = contract_from_node(doc != NULL ? fy_document_root(doc) : NULL, path, out, err);
    }
    if (doc != NULL) {
        fy_document_destroy(doc);
    }
    free(text);
    return rc;
}

void contract_destroy(struct contract *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; c->fields != NULL && i < c->nfields; i++) {
        struct field_def *f = &c->fields[i];
        free(f->name);
        free(f->format);
        for (size_t j = 0; f->enum_src != NULL && j < f->n_enum; j++) {
            free(f->enum_src[j]);
        }
        free(f->enum_src);
        free(f->enum_vals);
        if (f->pattern != NULL) {
            regfree(&f->pattern_re);
            free(f->pattern);
        }
    }
    free(c->fields);
    free(c->pk);
    for (size_t i = 0; c->missing_values != NULL && i < c->nmissing; i++) {
        free(c->missing_values[i]);
    }
    free(c->missing_values);
    free(c->source);
    free(c);
}

int contract_field_index(const struct contract *c, const char *name)
{
    for (size_t i = 0; c != NULL && name != NULL && i < c->nfields; i++) {
        /* a loaded contract's field names are never NULL (see check_unique_names) */
        // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
        if (strcmp(c->fields[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}
