/* schema_field.c - parses one field of a Table Schema: name, type, format, decimalChar,
 * groupChar and constraints.
 *
 * Typed constraint values (minimum, maximum, enum) are parsed here with the same parsers the
 * validator applies to cells, so a contract that loads can be used as is.
 */
#include "contract/schema_field.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/types.h"
#include "core/yamlutil.h"

#define MAX_NAME SCHEMA_MAX_NAME

static const char *const field_keys[] = {"name",        "type",        "format",
                                         "title",       "description", "decimalChar",
                                         "groupChar",   "constraints", NULL};
static const char *const cons_keys[] = {"required", "unique",  "minimum",   "maximum",
                                        "enum",     "pattern", "minLength", "maxLength",
                                        NULL};

/* One field being parsed, and the message context of its current key. */
struct fctx {
    const char *source;
    struct sl_error *err;
    struct field_def *f;
    char what[MAX_NAME + 64];
    struct yu_at at;
};

static struct yu_at *fat(struct fctx *fc, const char *key, int line)
{
    snprintf(fc->what, sizeof(fc->what), "key '%s' in field '%s'", key, fc->f->name);
    fc->at.source = fc->source;
    fc->at.line = line;
    fc->at.what = fc->what;
    fc->at.err = fc->err;
    return &fc->at;
}

static int ffail(struct fctx *fc, const char *key, int line, const char *msg)
{
    return yu_fail(fc->err, fc->source, line, "%s: %s", fat(fc, key, line)->what, msg);
}

/* What a value of the field's type looks like, for "expected ..." messages. */
static void describe_type(const struct field_def *f, char *buf, size_t cap)
{
    const char *fmt = f->format != NULL ? f->format : "";
    switch (f->type) {
    case SL_T_INT:
        snprintf(buf, cap, "an integer");
        break;
    case SL_T_NUM:
        snprintf(buf, cap, "a number");
        break;
    case SL_T_BOOL:
        snprintf(buf, cap, "a boolean (true or false)");
        break;
    case SL_T_DATE:
        snprintf(buf, cap, "a date (YYYY-MM-DD%s%s%s)", *fmt ? " or '" : "", fmt,
                 *fmt ? "'" : "");
        break;
    case SL_T_DATETIME:
        snprintf(buf, cap, "a datetime (YYYY-MM-DD HH:MM:SS%s%s%s)", *fmt ? " or '" : "", fmt,
                 *fmt ? "'" : "");
        break;
    default:
        snprintf(buf, cap, "a string");
        break;
    }
}

/* Parses a constraint value in the field's type: the canonical form first (YAML numbers,
 * ISO dates), then the field's own decimalChar/groupChar or format.  Strings point into the
 * document; callers copy them. */
static int parse_typed(struct fctx *fc, struct fy_node *n, const char *key, int line,
                       struct sl_value *out)
{
    const struct field_def *f = fc->f;
    char exp[MAX_NAME], got[96];
    size_t len;
    const char *s = yu_scalar(n, &len);
    int rc = -1;

    memset(out, 0, sizeof(*out));
    out->type = f->type;
    if (s != NULL) {
        switch (f->type) {
        case SL_T_INT:
            rc = types_parse_int(s, len, &out->u.i);
            break;
        case SL_T_NUM:
            rc = types_parse_num(s, len, '.', 0, &out->u.d);
            if (rc != 0 && (f->decimal_char != '.' || f->group_char != 0)) {
                rc = types_parse_num(s, len, f->decimal_char, f->group_char, &out->u.d);
            }
            break;
        case SL_T_BOOL:
            rc = types_parse_bool(s, len, &out->u.b);
            break;
        case SL_T_DATE:
            rc = types_parse_date(s, len, NULL, &out->u.days);
            if (rc != 0 && f->format != NULL) {
                rc = types_parse_date(s, len, f->format, &out->u.days);
            }
            break;
        case SL_T_DATETIME:
            rc = types_parse_datetime(s, len, NULL, &out->u.us);
            if (rc != 0 && f->format != NULL) {
                rc = types_parse_datetime(s, len, f->format, &out->u.us);
            }
            break;
        default:
            rc = memchr(s, '\0', len) == NULL ? 0 : -1;
            out->u.s.p = s;
            out->u.s.n = len;
            break;
        }
    }
    if (rc == 0) {
        return 0;
    }
    describe_type(f, exp, sizeof(exp));
    return yu_fail(fc->err, fc->source, yu_line(n, line), "%s: expected %s, got %s",
                   fat(fc, key, line)->what, exp, yu_describe(n, got, sizeof(got)));
}

static int parse_bound(struct fctx *fc, struct fy_node *cons, const char *name, int *has,
                       struct sl_value *v)
{
    char key[32], msg[160];
    int line = 0;
    struct fy_node *n = yu_lookup(cons, name, &line);
    enum sl_type t = fc->f->type;
    if (n == NULL) {
        return 0;
    }
    snprintf(key, sizeof(key), "constraints.%s", name);
    if (t != SL_T_INT && t != SL_T_NUM && t != SL_T_DATE && t != SL_T_DATETIME) {
        snprintf(msg, sizeof(msg),
                 "%s applies only to integer, number, date and datetime fields, not %s", name,
                 sl_type_name(t));
        return ffail(fc, key, line, msg);
    }
    *has = 1;
    return parse_typed(fc, n, key, line, v);
}

static int parse_enum(struct fctx *fc, struct fy_node *cons)
{
    struct field_def *f = fc->f;
    int line = 0;
    struct fy_node *n = yu_lookup(cons, "enum", &line), *item;
    void *it = NULL;
    size_t count, i = 0;
    char got[96];

    if (n == NULL) {
        return 0;
    }
    if (!yu_is_seq(n)) {
        return yu_fail(fc->err, fc->source, line, "%s: expected a list of values, got %s",
                       fat(fc, "constraints.enum", line)->what,
                       yu_describe(n, got, sizeof(got)));
    }
    count = (size_t)fy_node_sequence_item_count(n);
    if (count == 0) {
        return ffail(fc, "constraints.enum", line, "the list must hold at least one value");
    }
    f->enum_src = calloc(count, sizeof(*f->enum_src));
    f->enum_vals = calloc(count, sizeof(*f->enum_vals));
    if (f->enum_src == NULL || f->enum_vals == NULL) {
        return yu_oom(fc->err);
    }
    f->n_enum = count;
    for (item = fy_node_sequence_iterate(n, &it); item != NULL && i < count;
         item = fy_node_sequence_iterate(n, &it)) {
        struct sl_value v;
        size_t len;
        const char *s;
        int rc = parse_typed(fc, item, "constraints.enum", line, &v);
        if (rc != 0) {
            return rc;
        }
        s = yu_scalar(item, &len);
        f->enum_src[i] = strndup(s, len);
        if (f->enum_src[i] == NULL) {
            return yu_oom(fc->err);
        }
        if (v.type == SL_T_STR) {
            v.u.s.p = f->enum_src[i];
        }
        f->enum_vals[i++] = v;
    }
    return 0;
}

static int parse_pattern(struct fctx *fc, struct fy_node *cons)
{
    struct field_def *f = fc->f;
    int line = 0, rc;
    struct fy_node *n = yu_lookup(cons, "pattern", &line);
    char *p = NULL, *re = NULL, msg[MAX_NAME + 160], why[128];
    size_t cap;

    if (n == NULL) {
        return 0;
    }
    if (f->type != SL_T_STR) {
        snprintf(msg, sizeof(msg), "pattern applies only to string fields, not %s",
                 sl_type_name(f->type));
        return ffail(fc, "constraints.pattern", line, msg);
    }
    rc = yu_str(n, fat(fc, "constraints.pattern", line), &p);
    if (rc != 0) {
        goto out;
    }
    cap = strlen(p) + 5;
    re = malloc(cap);
    if (re == NULL) {
        rc = yu_oom(fc->err);
        goto out;
    }
    snprintf(re, cap, "^(%s)$", p);
    rc = regcomp(&f->pattern_re, re, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        regerror(rc, &f->pattern_re, why, sizeof(why));
        snprintf(msg, sizeof(msg), "invalid regular expression '%.*s': %s", MAX_NAME, p, why);
        rc = ffail(fc, "constraints.pattern", line, msg);
        goto out;
    }
    f->pattern = p; /* from here on contract_destroy calls regfree */
    p = NULL;
out:
    free(p);
    free(re);
    return rc;
}

static int parse_length(struct fctx *fc, struct fy_node *cons, const char *name, int64_t *out)
{
    char key[32], msg[96];
    int line = 0;
    struct fy_node *n = yu_lookup(cons, name, &line);
    if (n == NULL) {
        return 0;
    }
    snprintf(key, sizeof(key), "constraints.%s", name);
    if (fc->f->type != SL_T_STR) {
        snprintf(msg, sizeof(msg), "%s applies only to string fields, not %s", name,
                 sl_type_name(fc->f->type));
        return ffail(fc, key, line, msg);
    }
    return yu_int(n, fat(fc, key, line), 0, INT64_MAX, out);
}

static int parse_constraints(struct fctx *fc, struct fy_node *field, char *suffix)
{
    struct field_def *f = fc->f;
    int line = 0, rc;
    struct fy_node *cons = yu_lookup(field, "constraints", &line), *n;
    char got[96];

    if (cons == NULL || yu_is_null(cons)) {
        return 0;
    }
    if (!yu_is_map(cons)) {
        return yu_fail(fc->err, fc->source, line, "%s: expected a mapping, got %s",
                       fat(fc, "constraints", line)->what, yu_describe(cons, got, sizeof(got)));
    }
    rc = yu_check_keys(cons, cons_keys, fc->source, "constraints.", suffix, fc->err);
    n = yu_lookup(cons, "required", &line);
    if (rc == 0 && n != NULL) {
        rc = yu_bool(n, fat(fc, "constraints.required", line), &f->required);
    }
    n = yu_lookup(cons, "unique", &line);
    if (rc == 0 && n != NULL) {
        rc = yu_bool(n, fat(fc, "constraints.unique", line), &f->unique);
    }
    if (rc == 0) {
        rc = parse_bound(fc, cons, "minimum", &f->has_min, &f->min);
    }
    if (rc == 0) {
        rc = parse_bound(fc, cons, "maximum", &f->has_max, &f->max);
    }
    if (rc == 0 && f->has_min && f->has_max && sl_value_cmp(&f->min, &f->max) > 0) {
        yu_lookup(cons, "maximum", &line);
        rc = ffail(fc, "constraints.maximum", line, "maximum is less than minimum");
    }
    if (rc == 0) {
        rc = parse_enum(fc, cons);
    }
    if (rc == 0) {
        rc = parse_pattern(fc, cons);
    }
    if (rc == 0) {
        rc = parse_length(fc, cons, "minLength", &f->min_len);
    }
    if (rc == 0) {
        rc = parse_length(fc, cons, "maxLength", &f->max_len);
    }
    if (rc == 0 && f->min_len >= 0 && f->max_len >= 0 && f->min_len > f->max_len) {
        yu_lookup(cons, "maxLength", &line);
        rc = ffail(fc, "constraints.maxLength", line, "maxLength is less than minLength");
    }
    return rc;
}

/* A date/datetime pattern may only use the conversions types_parse_date understands. */
static int check_format(struct fctx *fc, const char *fmt, int line)
{
    char msg[MAX_NAME + 160];
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            continue;
        }
        p++;
        if (*p == '\0' || strchr("YmdyHMSfjb%", *p) == NULL) {
            snprintf(msg, sizeof(msg),
                     "unsupported conversion '%%%.1s' in '%.*s' (supported: %%Y %%m %%d %%y "
                     "%%H %%M %%S %%f %%j %%b %%%%)",
                     p, MAX_NAME, fmt);
            return ffail(fc, "format", line, msg);
        }
    }
    return 0;
}

static int parse_format(struct fctx *fc, struct fy_node *field)
{
    struct field_def *f = fc->f;
    int line = 0, rc;
    struct fy_node *n = yu_lookup(field, "format", &line);
    char *fmt = NULL, msg[MAX_NAME + 96];

    if (n == NULL) {
        return 0;
    }
    rc = yu_str(n, fat(fc, "format", line), &fmt);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(fmt, "default") == 0 || strcmp(fmt, "any") == 0) {
        free(fmt);
        return 0;
    }
    if (f->type != SL_T_DATE && f->type != SL_T_DATETIME) {
        snprintf(msg, sizeof(msg), "format '%.*s' is not supported for %s fields (only "
                 "\"default\"; patterns are for date and datetime)", MAX_NAME, fmt,
                 sl_type_name(f->type));
        free(fmt);
        return ffail(fc, "format", line, msg);
    }
    f->format = fmt;
    return check_format(fc, fmt, line);
}

static int parse_char(struct fctx *fc, struct fy_node *field, const char *key, char *out)
{
    int line = 0, rc;
    struct fy_node *n = yu_lookup(field, key, &line);
    char *s = NULL, msg[96];

    if (n == NULL) {
        return 0;
    }
    if (fc->f->type != SL_T_NUM) {
        snprintf(msg, sizeof(msg), "%s applies only to number fields, not %s", key,
                 sl_type_name(fc->f->type));
        return ffail(fc, key, line, msg);
    }
    rc = yu_str(n, fat(fc, key, line), &s);
    if (rc == 0 && (strlen(s) != 1 || (s[0] >= '0' && s[0] <= '9'))) {
        rc = ffail(fc, key, line, "expected one character that is not a digit");
    }
    if (rc == 0) {
        *out = s[0];
    }
    free(s);
    return rc;
}

int schema_parse_field(const char *source, struct fy_node *item, size_t idx,
                       struct field_def *f, struct sl_error *err)
{
    struct fctx fc = {.source = source, .err = err, .f = f};
    int line = yu_line(item, 0), kl = 0, rc;
    struct fy_node *n;
    char what[64], got[96], suffix[MAX_NAME + 16], *type = NULL;
    struct yu_at at = {source, line, what, err};

    f->line = line;
    if (!yu_is_map(item)) {
        return yu_fail(err, source, line, "fields[%zu]: expected a mapping with a 'name', got %s",
                       idx, yu_describe(item, got, sizeof(got)));
    }
    n = yu_lookup(item, "name", &kl);
    if (n == NULL) {
        return yu_fail(err, source, line, "fields[%zu] has no 'name'", idx);
    }
    snprintf(what, sizeof(what), "key 'name' in fields[%zu]", idx);
    at.line = kl;
    rc = yu_str(n, &at, &f->name);
    if (rc != 0) {
        return rc;
    }
    if (f->name[0] == '\0' || strlen(f->name) > MAX_NAME) {
        return yu_fail(err, source, kl, "%s: a field name must have 1 to %d bytes", what,
                       MAX_NAME);
    }
    snprintf(suffix, sizeof(suffix), " in field '%s'", f->name);
    rc = yu_check_keys(item, field_keys, source, "", suffix, err);
    n = yu_lookup(item, "type", &kl);
    if (rc == 0 && n != NULL) {
        rc = yu_str(n, fat(&fc, "type", kl), &type);
        if (rc == 0 && sl_type_from_name(type, &f->type) != 0) {
            rc = yu_fail(err, source, kl, "%s: unknown type '%.*s' (supported: integer, "
                         "number, string, boolean, date, datetime)", fc.what, MAX_NAME, type);
        }
        free(type);
    }
    if (rc == 0) {
        rc = parse_format(&fc, item);
    }
    if (rc == 0) {
        rc = parse_char(&fc, item, "decimalChar", &f->decimal_char);
    }
    if (rc == 0) {
        rc = parse_char(&fc, item, "groupChar", &f->group_char);
    }
    if (rc == 0 && f->decimal_char == f->group_char) {
        yu_lookup(item, "groupChar", &kl);
        rc = ffail(&fc, "groupChar", kl, "groupChar must differ from decimalChar");
    }
    if (rc == 0) {
        rc = parse_constraints(&fc, item, suffix);
    }
    return rc;
}
