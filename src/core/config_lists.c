/* config_lists.c - the rules, derive and metrics keys of the config.
 *
 * Each entry is stored with its line so the pipeline's plan, which compiles the expressions,
 * can report "FILE:LINE: ..." too.  Names are checked here (identifiers, unique, no clash
 * with the contract's fields); expressions are only required to be non-empty.
 */
#include "core/config_int.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const rule_keys[] = {"name", "expr", "message", NULL};
static const char *const derive_keys[] = {"name", "expr", "type", NULL};

int cfg_is_ident(const char *s)
{
    size_t i;
    for (i = 0; s[i] != '\0'; i++) {
        char ch = s[i];
        int alpha = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
        if (!alpha && (i == 0 || ch < '0' || ch > '9')) {
            return 0;
        }
    }
    return i > 0 && i <= CFG_MAX_NAME;
}

int cfg_reject(struct fy_node *n, const struct yu_at *at, const char *expected)
{
    char got[96];
    return yu_fail(at->err, at->source, at->line, "%s: expected %s, got %s", at->what, expected,
                   yu_describe(n, got, sizeof(got)));
}

/* Reads the optional string key of an entry mapping into *out. */
static int item_str(struct cfg_load *ld, struct fy_node *map, const char *prefix,
                    const char *key, char **out)
{
    char what[CFG_MAX_NAME + 64];
    int line = 0;
    struct fy_node *n = yu_lookup(map, key, &line);
    struct yu_at at = {ld->source, line, what, ld->err};
    if (n == NULL) {
        return 0;
    }
    snprintf(what, sizeof(what), "key '%s.%s'", prefix, key);
    return yu_str(n, &at, out);
}

/* The list under key: NULL when absent or empty (*count 0), else checked to be a list. */
static int list_count(struct cfg_load *ld, const char *key, struct fy_node *n, int line,
                      size_t *count)
{
    char got[96];
    *count = 0;
    if (yu_is_null(n)) {
        return 0;
    }
    if (!yu_is_seq(n)) {
        return yu_fail(ld->err, ld->source, line, "key '%s': expected a list, got %s", key,
                       yu_describe(n, got, sizeof(got)));
    }
    *count = (size_t)fy_node_sequence_item_count(n);
    return 0;
}

static int parse_rule(struct cfg_load *ld, struct fy_node *item, size_t i, struct rule_def *r)
{
    char prefix[48], dotted[52], got[96];
    int rc = 0;
    struct yu_at at = {ld->source, r->line, prefix, ld->err};
    size_t len;

    snprintf(prefix, sizeof(prefix), "rules[%zu]", i);
    snprintf(dotted, sizeof(dotted), "%s.", prefix);
    if (yu_is_map(item)) {
        rc = yu_check_keys(item, rule_keys, ld->source, dotted, "", ld->err);
        if (rc == 0) {
            rc = item_str(ld, item, prefix, "name", &r->name);
        }
        if (rc == 0) {
            rc = item_str(ld, item, prefix, "expr", &r->expr);
        }
        if (rc == 0) {
            rc = item_str(ld, item, prefix, "message", &r->message);
        }
    } else if (yu_scalar(item, &len) != NULL) {
        rc = yu_str(item, &at, &r->expr);
    } else {
        return yu_fail(ld->err, ld->source, r->line, "key '%s': expected a rule {name, expr, "
                       "message} or an expression, got %s", prefix,
                       yu_describe(item, got, sizeof(got)));
    }
    if (rc == 0 && (r->expr == NULL || r->expr[0] == '\0')) {
        rc = yu_fail(ld->err, ld->source, r->line, "key '%s.expr': a rule needs a non-empty "
                     "expression", prefix);
    }
    if (rc == 0 && r->name == NULL) {
        snprintf(got, sizeof(got), "rule_%zu", i + 1);
        r->name = strdup(got);
        if (r->name == NULL) {
            return yu_oom(ld->err);
        }
    }
    if (rc == 0 && r->name[0] == '\0') {
        rc = yu_fail(ld->err, ld->source, r->line, "key '%s.name': the name is empty", prefix);
    }
    return rc;
}

int cfg_parse_rules(struct cfg_load *ld, struct fy_node *n, int line)
{
    ld->has_rules = 1;
    struct config *c = ld->c;
    void *it = NULL;
    size_t count;
    int rc = list_count(ld, "rules", n, line, &count);

    if (rc != 0 || count == 0) {
        return rc;
    }
    c->rules = calloc(count, sizeof(*c->rules));
    if (c->rules == NULL) {
        return yu_oom(ld->err);
    }
    for (struct fy_node *item = fy_node_sequence_iterate(n, &it);
         rc == 0 && item != NULL && c->nrules < count; item = fy_node_sequence_iterate(n, &it)) {
        size_t i = c->nrules++;
        struct rule_def *r = &c->rules[i];
        r->line = yu_line(item, line);
        rc = parse_rule(ld, item, i, r);
        for (size_t j = 0; rc == 0 && j < i; j++) {
            if (strcmp(c->rules[j].name, r->name) == 0) {
                rc = yu_fail(ld->err, ld->source, r->line, "key 'rules[%zu].name': duplicate "
                             "rule name '%s' (first at line %d)", i, r->name, c->rules[j].line);
            }
        }
    }
    return rc;
}

static int parse_derive_item(struct cfg_load *ld, struct fy_node *item, size_t i,
                             struct derive_def *d)
{
    char prefix[48], dotted[52], got[96], *type = NULL;
    int rc, line = 0;

    snprintf(prefix, sizeof(prefix), "derive[%zu]", i);
    snprintf(dotted, sizeof(dotted), "%s.", prefix);
    if (!yu_is_map(item)) {
        return yu_fail(ld->err, ld->source, d->line, "key '%s': expected a mapping {name, expr, "
                       "type}, got %s", prefix, yu_describe(item, got, sizeof(got)));
    }
    rc = yu_check_keys(item, derive_keys, ld->source, dotted, "", ld->err);
    if (rc == 0) {
        rc = item_str(ld, item, prefix, "name", &d->name);
    }
    if (rc == 0 && d->name == NULL) {
        rc = yu_fail(ld->err, ld->source, d->line, "key '%s.name' is required", prefix);
    }
    if (rc == 0 && !cfg_is_ident(d->name)) {
        rc = yu_fail(ld->err, ld->source, d->line, "key '%s.name': expected an identifier "
                     "([A-Za-z_][A-Za-z0-9_]*, at most %d bytes), got '%.64s'", prefix,
                     CFG_MAX_NAME, d->name);
    }
    if (rc == 0) {
        rc = item_str(ld, item, prefix, "expr", &d->expr);
    }
    if (rc == 0 && (d->expr == NULL || d->expr[0] == '\0')) {
        rc = yu_fail(ld->err, ld->source, d->line, "key '%s.expr': a derived column needs a "
                     "non-empty expression", prefix);
    }
    if (rc == 0) {
        rc = item_str(ld, item, prefix, "type", &type);
    }
    if (rc == 0 && type != NULL && sl_type_from_name(type, &d->type) != 0) {
        yu_lookup(item, "type", &line);
        rc = yu_fail(ld->err, ld->source, line, "key '%s.type': unknown type '%.64s' "
                     "(supported: integer, number, string, boolean, date, datetime)", prefix,
                     type);
    }
    free(type);
    return rc;
}

int cfg_parse_derive(struct cfg_load *ld, struct fy_node *n, int line)
{
    ld->has_derive = 1;
    struct config *c = ld->c;
    void *it = NULL;
    size_t count;
    int rc = list_count(ld, "derive", n, line, &count);

    if (rc != 0 || count == 0) {
        return rc;
    }
    c->derive = calloc(count, sizeof(*c->derive));
    if (c->derive == NULL) {
        return yu_oom(ld->err);
    }
    for (struct fy_node *item = fy_node_sequence_iterate(n, &it);
         rc == 0 && item != NULL && c->nderive < count; item = fy_node_sequence_iterate(n, &it)) {
        size_t i = c->nderive++;
        struct derive_def *d = &c->derive[i];
        d->line = yu_line(item, line);
        rc = parse_derive_item(ld, item, i, d);
        for (size_t j = 0; rc == 0 && j < i; j++) {
            if (strcasecmp(c->derive[j].name, d->name) == 0) {
                rc = yu_fail(ld->err, ld->source, d->line, "key 'derive[%zu].name': duplicate "
                             "derived column '%s' (first at line %d)", i, d->name,
                             c->derive[j].line);
            }
        }
    }
    return rc;
}

int cfg_parse_metrics(struct cfg_load *ld, struct fy_node *n, int line)
{
    struct config *c = ld->c;
    size_t count;
    void *it = NULL;
    char got[96], what[CFG_MAX_NAME + 32];
    int rc = 0;

    ld->has_metrics = 1;
    if (yu_is_null(n)) {
        return 0;
    }
    if (!yu_is_map(n)) {
        return yu_fail(ld->err, ld->source, line, "key 'metrics': expected a mapping of name: "
                       "aggregate expression, got %s", yu_describe(n, got, sizeof(got)));
    }
    count = (size_t)fy_node_mapping_item_count(n);
    c->metrics = calloc(count ? count : 1, sizeof(*c->metrics));
    if (c->metrics == NULL) {
        return yu_oom(ld->err);
    }
    for (struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
         rc == 0 && p != NULL && c->nmetrics < count; p = fy_node_mapping_iterate(n, &it)) {
        struct fy_node *k = fy_node_pair_key(p);
        struct metric_def *m = &c->metrics[c->nmetrics++];
        const char *name = yu_key(k);
        struct yu_at at = {ld->source, yu_line(k, line), what, ld->err};
        m->line = at.line;
        if (name == NULL || !cfg_is_ident(name)) {
            return yu_fail(ld->err, ld->source, m->line, "key 'metrics': metric names must be "
                           "identifiers ([A-Za-z_][A-Za-z0-9_]*), got %s",
                           yu_describe(k, got, sizeof(got)));
        }
        snprintf(what, sizeof(what), "key 'metrics.%s'", name);
        m->name = strdup(name);
        if (m->name == NULL) {
            return yu_oom(ld->err);
        }
        rc = yu_str(fy_node_pair_value(p), &at, &m->expr);
        if (rc == 0 && m->expr[0] == '\0') {
            rc = cfg_reject(fy_node_pair_value(p), &at, "an aggregate expression like "
                            "sum(total)");
        }
    }
    return rc;
}

int cfg_finish_lists(struct cfg_load *ld)
{
    struct config *c = ld->c;

    if (!ld->has_metrics) {
        c->metrics = calloc(1, sizeof(*c->metrics));
        if (c->metrics == NULL) {
            return yu_oom(ld->err);
        }
        c->nmetrics = 1;
        c->metrics[0].name = strdup("rows");
        c->metrics[0].expr = strdup("count()");
        if (c->metrics[0].name == NULL || c->metrics[0].expr == NULL) {
            return yu_oom(ld->err);
        }
    }
    for (size_t i = 0; i < c->nderive; i++) {
        for (size_t j = 0; j < c->contract->nfields; j++) {
            if (strcasecmp(c->derive[i].name, c->contract->fields[j].name) == 0) {
                return yu_fail(ld->err, ld->source, c->derive[i].line, "key 'derive[%zu].name':"
                               " '%s' is already a field of the contract", i,
                               c->derive[i].name);
            }
        }
    }
    return 0;
}
