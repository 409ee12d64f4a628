/* validate.c - turns CSV records into typed batch rows, or into rejects that say which
 * line, column and rule failed and why.  Knows the contract and the plan; knows nothing
 * about where rows or rejects go. */
#include "contract/validate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract/types.h"
#include "contract/valuefmt.h"
#include "core/keyset.h"

#define ECHO_MAX 60 /* bytes of a bad value quoted in a message */

struct validator {
    const struct plan *p;
    size_t nhdr;        /* columns in the bound header */
    ptrdiff_t *csv_idx; /* field i <- CSV column csv_idx[i], -1 when absent */
    struct sl_value *row;
    struct expr_scratch *scratch;
    struct keyset **uniq; /* per field with unique (and not the lone pk column) */
    struct keyset *pkset; /* primary key (all pk columns) */
    struct strbuf key;
    struct strbuf extra;
    struct sl_error eval_err;
    int defer_unique; /* leave within-file uniqueness to validator_unique_row */
    /* missingValues by first byte: a cell whose first byte starts none of them (the usual
     * case) is not missing without a comparison.  miss_empty: "" is one of them. */
    unsigned char miss_first[256];
    int miss_empty;
    /* Within-file uniqueness is one integer-like column's set (a lone integer, date or
     * datetime primary key, or one such unique field and no primary key): the column, and
     * its set; -1 otherwise.  validator_unique_row then inserts the cell directly. */
    ptrdiff_t one_key;
    struct keyset *one_set;
};

struct validator *validator_create(const struct plan *p)
{
    struct validator *v = calloc(1, sizeof(*v));
    if (v == NULL) {
        return NULL;
    }
    v->p = p;
    v->csv_idx = calloc(p->nfields + 1, sizeof(*v->csv_idx));
    v->row = calloc(p->ncols + 1, sizeof(*v->row));
    v->scratch = expr_scratch_create();
    v->uniq = calloc(p->nfields + 1, sizeof(*v->uniq));
    if (!v->csv_idx || !v->row || !v->scratch || !v->uniq) {
        goto fail;
    }
    const struct contract *ct = p->cfg->contract;
    for (size_t i = 0; i < ct->nmissing; i++) {
        unsigned char c0 = (unsigned char)ct->missing_values[i][0];
        if (c0 == '\0') {
            v->miss_empty = 1;
        } else {
            v->miss_first[c0] = 1;
        }
    }
    for (size_t i = 0; i < p->nfields; i++) {
        int lone_pk = ct->npk == 1 && ct->pk[0] == i;
        if (ct->fields[i].unique && !lone_pk) {
            v->uniq[i] = keyset_create();
            if (v->uniq[i] == NULL) {
                goto fail;
            }
        }
    }
    if (ct->npk > 0) {
        v->pkset = keyset_create();
        if (v->pkset == NULL) {
            goto fail;
        }
    }
    /* the set and column of the only uniqueness check, if there is just one, on one column
     * (a composite primary key has no single column: key stays -1) */
    ptrdiff_t key = ct->npk == 1 ? (ptrdiff_t)ct->pk[0] : -1;
    struct keyset *set = v->pkset;
    size_t nsets = v->pkset != NULL;
    for (size_t i = 0; i < p->nfields; i++) {
        if (v->uniq[i] != NULL) {
            nsets++;
            key = (ptrdiff_t)i;
            set = v->uniq[i];
        }
    }
    enum sl_type t = key >= 0 ? p->cols[key].type : SL_T_NULL;
    int int_like = t == SL_T_INT || t == SL_T_DATETIME || t == SL_T_DATE;
    v->one_key = nsets == 1 && int_like ? key : -1;
    v->one_set = set;
    return v;
fail:
    validator_destroy(v);
    return NULL;
}

void validator_destroy(struct validator *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; v->uniq != NULL && i < v->p->nfields; i++) {
        keyset_destroy(v->uniq[i]);
    }
    keyset_destroy(v->pkset);
    free(v->uniq);
    free(v->csv_idx);
    free(v->row);
    expr_scratch_destroy(v->scratch);
    sb_free(&v->key);
    sb_free(&v->extra);
    free(v);
}

const char *validator_extra_columns(const struct validator *v)
{
    return v->extra.len ? v->extra.p : "";
}

static void echo(struct strbuf *sb, const char *p, size_t n)
{
    sb_addc(sb, '\'');
    sb_add(sb, p, n > ECHO_MAX ? ECHO_MAX : n);
    if (n > ECHO_MAX) {
        sb_adds(sb, "...");
    }
    sb_addc(sb, '\'');
}

static int strcaseeq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn) {
        return 0;
    }
    for (size_t i = 0; i < an; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

int validator_header(struct validator *v, const struct csv_record *hdr, struct sl_error *err)
{
    const struct contract *ct = v->p->cfg->contract;
    if (hdr->problem != CSV_ROW_OK) {
        return sl_error_set(err, SL_EHEADER, "line %llu: header column %zu: %s",
                            (unsigned long long)hdr->line, hdr->problem_field + 1,
                            csv_problem_name(hdr->problem));
    }
    for (size_t i = 0; i < ct->nfields; i++) {
        v->csv_idx[i] = -1;
    }
    sb_reset(&v->extra);
    for (size_t c = 0; c < hdr->nfields; c++) {
        const struct csv_field *f = &hdr->fields[c];
        if (f->n == 0) {
            return sl_error_set(err, SL_EHEADER,
                                "line %llu: header column %zu has an empty name%s",
                                (unsigned long long)hdr->line, c + 1,
                                c + 1 == hdr->nfields ? " (a trailing delimiter?)" : "");
        }
        for (size_t d = 0; d < c; d++) {
            const struct csv_field *g = &hdr->fields[d];
            /* Names that differ only in case are duplicates too: never last-wins. */
            if (g->n == f->n && strncasecmp(g->p, f->p, f->n) == 0) {
                int exact = memcmp(g->p, f->p, f->n) == 0;
                return sl_error_set(err, SL_EHEADER,
                                    "line %llu: duplicate column name '%.*s' (columns %zu and "
                                    "%zu%s)",
                                    (unsigned long long)hdr->line, (int)f->n, f->p, d + 1, c + 1,
                                    exact ? "" : " differ only in case");
            }
        }
        int found = 0;
        for (size_t i = 0; i < ct->nfields; i++) {
            const char *name = ct->fields[i].name;
            if (strlen(name) == f->n && memcmp(name, f->p, f->n) == 0) {
                v->csv_idx[i] = (ptrdiff_t)c;
                found = 1;
                break;
            }
        }
        if (!found) {
            if (v->extra.len) {
                sb_adds(&v->extra, ", ");
            }
            sb_add(&v->extra, f->p, f->n > 256 ? 256 : f->n);
        }
    }
    for (size_t i = 0; i < ct->nfields; i++) {
        const struct field_def *fd = &ct->fields[i];
        if (v->csv_idx[i] >= 0 || !fd->required) {
            continue;
        }
        for (size_t c = 0; c < hdr->nfields; c++) {
            if (strcaseeq(hdr->fields[c].p, hdr->fields[c].n, fd->name)) {
                return sl_error_set(err, SL_EHEADER,
                                    "line %llu: required column '%s' is missing (column %zu is "
                                    "'%.*s': names are case-sensitive)",
                                    (unsigned long long)hdr->line, fd->name, c + 1,
                                    (int)hdr->fields[c].n, hdr->fields[c].p);
            }
        }
        return sl_error_set(err, SL_EHEADER, "line %llu: required column '%s' is missing",
                            (unsigned long long)hdr->line, fd->name);
    }
    v->nhdr = hdr->nfields;
    for (size_t i = 0; i < v->p->nfields; i++) {
        if (v->uniq[i] != NULL) {
            keyset_clear(v->uniq[i]);
        }
    }
    if (v->pkset != NULL) {
        keyset_clear(v->pkset);
    }
    return v->extra.failed ? sl_error_set(err, SL_ENOMEM, "out of memory") : 0;
}

/* Adds one problem to rej; the first one names the column and rule. */
static void problem(struct reject *rej, const char *column, const char *rule)
{
    if (rej->nproblems == 0) {
        rej->column = column;
        rej->rule = rule;
    } else {
        sb_adds(&rej->msg, "; ");
    }
    rej->nproblems++;
    if (column != NULL) {
        sb_adds(&rej->msg, column);
        sb_adds(&rej->msg, ": ");
    }
}

static int is_missing(const struct validator *v, const struct contract *ct,
                      const struct csv_field *f)
{
    if (f->n == 0) {
        return v->miss_empty;
    }
    if (!v->miss_first[(unsigned char)f->p[0]]) {
        return 0;
    }
    for (size_t i = 0; i < ct->nmissing; i++) {
        const char *m = ct->missing_values[i];
        /* compare the first byte before strlen: most cells differ right there */
        if ((f->n == 0 ? m[0] == '\0' : m[0] == f->p[0]) && strlen(m) == f->n &&
            memcmp(m, f->p, f->n) == 0) {
            return 1;
        }
    }
    return 0;
}

static size_t utf8_len(const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += ((unsigned char)p[i] & 0xC0) != 0x80;
    }
    return k;
}

/* Parses and checks one cell into *out; on failure records the problem and returns 0. */
/* Whether a value is below (sign -1) or above (sign 1) a bound of its own type: ints and
 * numbers inline, the rest by sl_value_cmp. */
static int beyond(const struct sl_value *x, const struct sl_value *bound, int sign)
{
    int c;
    if (x->type == SL_T_INT) {
        c = (x->u.i > bound->u.i) - (x->u.i < bound->u.i);
    } else if (x->type == SL_T_NUM) {
        c = (x->u.d > bound->u.d) - (x->u.d < bound->u.d);
    } else {
        c = sl_value_cmp(x, bound);
    }
    return c == sign;
}

/* A string enum member: lengths, then the first byte, then the rest. */
static int enum_has_str(const struct field_def *fd, const char *p, size_t n)
{
    for (size_t i = 0; i < fd->n_enum; i++) {
        const struct sl_value *e = &fd->enum_vals[i];
        if (e->type == SL_T_STR && e->u.s.n == n &&
            (n == 0 || (e->u.s.p[0] == p[0] && memcmp(e->u.s.p, p, n) == 0))) {
            return 1;
        }
    }
    return 0;
}

static int check_cell(const struct validator *v, const struct field_def *fd,
                      const struct contract *ct, const struct csv_field *f, struct sl_value *out,
                      struct reject *rej)
{
    out->type = SL_T_NULL;
    if (f == NULL || is_missing(v, ct, f)) {
        if (fd->required) {
            problem(rej, fd->name, "required");
            sb_adds(&rej->msg, f == NULL ? "required column is absent" : "required value is missing");
            return 0;
        }
        return 1;
    }
    int prc = 0;
    const char *what = "";
    switch (fd->type) {
    case SL_T_INT:
        prc = types_parse_int(f->p, f->n, &out->u.i);
        what = "an integer";
        break;
    case SL_T_NUM:
        prc = types_parse_num(f->p, f->n, fd->decimal_char ? fd->decimal_char : '.',
                              fd->group_char, &out->u.d);
        what = "a number";
        break;
    case SL_T_BOOL:
        prc = types_parse_bool(f->p, f->n, &out->u.b);
        what = "a boolean (true/false/1/0)";
        break;
    case SL_T_DATE:
        prc = types_parse_date(f->p, f->n, fd->format, &out->u.days);
        what = fd->format ? "a date in the contract's format" : "a date (YYYY-MM-DD)";
        break;
    case SL_T_DATETIME:
        prc = types_parse_datetime(f->p, f->n, fd->format, &out->u.us);
        what = fd->format ? "a datetime in the contract's format"
                          : "a datetime (YYYY-MM-DD HH:MM:SS)";
        break;
    case SL_T_STR:
        out->u.s.p = f->p;
        out->u.s.n = f->n;
        break;
    case SL_T_NULL:
        break;
    }
    if (prc != 0) {
        problem(rej, fd->name, "type");
        echo(&rej->msg, f->p, f->n);
        sb_printf(&rej->msg, " is %s %s", prc == TYPES_ERANGE ? "out of range for" : "not",
                  what);
        return 0;
    }
    out->type = fd->type;
    if (fd->has_min && beyond(out, &fd->min, -1)) {
        problem(rej, fd->name, "minimum");
        echo(&rej->msg, f->p, f->n);
        sb_adds(&rej->msg, " is below the minimum ");
        value_text(&rej->msg, &fd->min, 0);
        return 0;
    }
    if (fd->has_max && beyond(out, &fd->max, 1)) {
        problem(rej, fd->name, "maximum");
        echo(&rej->msg, f->p, f->n);
        sb_adds(&rej->msg, " is above the maximum ");
        value_text(&rej->msg, &fd->max, 0);
        return 0;
    }
    if (fd->n_enum > 0) {
        int hit = 0;
        if (out->type == SL_T_STR) { /* the common case */
            hit = enum_has_str(fd, out->u.s.p, out->u.s.n);
        } else {
            for (size_t i = 0; i < fd->n_enum && !hit; i++) {
                hit = sl_value_cmp(out, &fd->enum_vals[i]) == 0;
            }
        }
        if (!hit) {
            problem(rej, fd->name, "enum");
            echo(&rej->msg, f->p, f->n);
            sb_adds(&rej->msg, " is not one of ");
            for (size_t i = 0; i < fd->n_enum; i++) {
                sb_adds(&rej->msg, i ? ", " : "");
                sb_adds(&rej->msg, fd->enum_src[i]);
            }
            return 0;
        }
    }
    if (fd->type == SL_T_STR && (fd->min_len >= 0 || fd->max_len >= 0)) {
        size_t len = utf8_len(f->p, f->n);
        if (fd->min_len >= 0 && len < (size_t)fd->min_len) {
            problem(rej, fd->name, "minLength");
            sb_printf(&rej->msg, "%zu characters, fewer than minLength %lld", len,
                      (long long)fd->min_len);
            return 0;
        }
        if (fd->max_len >= 0 && len > (size_t)fd->max_len) {
            problem(rej, fd->name, "maxLength");
            sb_printf(&rej->msg, "%zu characters, more than maxLength %lld", len,
                      (long long)fd->max_len);
            return 0;
        }
    }
    if (fd->pattern != NULL) {
        /* regexec needs a NUL-terminated string; the reader rejects NUL bytes earlier. */
        char small[256];
        char *s = f->n < sizeof(small) ? small : malloc(f->n + 1);
        if (s == NULL) {
            return -1;
        }
        memcpy(s, f->p, f->n);
        s[f->n] = '\0';
        int m = regexec(&fd->pattern_re, s, 0, NULL, 0);
        if (s != small) {
            free(s);
        }
        if (m != 0) {
            problem(rej, fd->name, "pattern");
            echo(&rej->msg, f->p, f->n);
            sb_printf(&rej->msg, " does not match the pattern %s", fd->pattern);
            return 0;
        }
    }
    return 1;
}

/* Key bytes of a value for uniqueness sets.  A column's values all have one type, so no
 * type tag is needed; strings carry a length prefix only inside multi-column keys. */
static void key_add(struct strbuf *k, const struct sl_value *v, int tuple)
{
    if (v->type == SL_T_NULL) {
        sb_addc(k, 0); /* only inside tuples; single-column nulls are never inserted */
        return;
    }
    switch (v->type) {
    case SL_T_STR: {
        if (tuple) {
            uint64_t n = v->u.s.n;
            sb_add(k, &n, sizeof(n));
        }
        sb_add(k, v->u.s.p, v->u.s.n);
        break;
    }
    case SL_T_NUM: {
        double d = v->u.d == 0.0 ? 0.0 : v->u.d; /* -0 equals 0 */
        sb_add(k, &d, sizeof(d));
        break;
    }
    case SL_T_DATE:
        sb_add(k, &v->u.days, sizeof(v->u.days));
        break;
    case SL_T_BOOL:
        sb_addc(k, (char)(v->u.b != 0));
        break;
    case SL_T_INT:
        sb_add(k, &v->u.i, sizeof(v->u.i));
        break;
    case SL_T_DATETIME:
        sb_add(k, &v->u.us, sizeof(v->u.us));
        break;
    case SL_T_NULL:
        break;
    }
}

/* One value into a uniqueness set: integers (and dates, datetimes) by value, the rest by
 * their key bytes. */
static int keyset_put(struct keyset *k, const struct sl_value *val, struct strbuf *buf,
                      uint64_t line, uint64_t *first)
{
    switch (val->type) {
    case SL_T_INT:
        return keyset_insert_i64(k, val->u.i, line, first);
    case SL_T_DATETIME:
        return keyset_insert_i64(k, val->u.us, line, first);
    case SL_T_DATE:
        return keyset_insert_i64(k, val->u.days, line, first);
    default:
        sb_reset(buf);
        key_add(buf, val, 0);
        return buf->failed ? -1 : keyset_insert(k, buf->p, buf->len, line, first);
    }
}

/* Within-file uniqueness; only called for otherwise valid rows.  Returns 1 ok, 0 dup,
 * -1 OOM. */
static int check_unique(struct validator *v, uint64_t line, struct reject *rej)
{
    const struct contract *ct = v->p->cfg->contract;
    uint64_t first = 0;
    for (size_t i = 0; i < v->p->nfields; i++) {
        if (v->uniq[i] == NULL || v->row[i].type == SL_T_NULL) {
            continue;
        }
        int r = keyset_put(v->uniq[i], &v->row[i], &v->key, line, &first);
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            problem(rej, ct->fields[i].name, "unique");
            sb_adds(&rej->msg, "duplicate value ");
            value_text(&rej->msg, &v->row[i], 1);
            sb_printf(&rej->msg, " (first seen on line %llu)", (unsigned long long)first);
            return 0;
        }
    }
    if (v->pkset == NULL) {
        return 1;
    }
    int r;
    if (ct->npk == 1) {
        r = keyset_put(v->pkset, &v->row[ct->pk[0]], &v->key, line, &first);
    } else {
        sb_reset(&v->key);
        for (size_t k = 0; k < ct->npk; k++) {
            key_add(&v->key, &v->row[ct->pk[k]], 1);
        }
        r = v->key.failed ? -1 : keyset_insert(v->pkset, v->key.p, v->key.len, line, &first);
    }
    if (r < 0) {
        return -1;
    }
    if (r == 0) {
        problem(rej, ct->fields[ct->pk[0]].name, ct->npk == 1 ? "unique" : "primaryKey");
        sb_adds(&rej->msg, "duplicate primary key ");
        for (size_t k = 0; k < ct->npk; k++) {
            sb_adds(&rej->msg, k ? ", " : "");
            value_text(&rej->msg, &v->row[ct->pk[k]], 1);
        }
        sb_printf(&rej->msg, " (first seen on line %llu)", (unsigned long long)first);
        return 0;
    }
    return 1;
}

static int compute(struct validator *v, struct reject *rej)
{
    const struct plan *p = v->p;
    const struct config *cfg = p->cfg;
    for (size_t i = 0; i < cfg->nderive; i++) {
        struct sl_value *out = &v->row[p->nfields + i];
        if (v->eval_err.code != 0) { /* first error wins: clear a previous row's */
            sl_error_clear(&v->eval_err);
        }
        if (expr_eval(p->derive[i], v->row, v->scratch, out, &v->eval_err) != 0) {
            problem(rej, cfg->derive[i].name, "derive");
            sb_adds(&rej->msg, v->eval_err.msg);
            return 0;
        }
        if (out->type == SL_T_INT && p->cols[p->nfields + i].type == SL_T_NUM) {
            out->type = SL_T_NUM;
            out->u.d = (double)out->u.i;
        }
    }
    int ok = 1;
    for (size_t i = 0; i < cfg->nrules; i++) {
        struct sl_value res;
        if (v->eval_err.code != 0) {
            sl_error_clear(&v->eval_err);
        }
        if (expr_eval(p->rules[i], v->row, v->scratch, &res, &v->eval_err) != 0) {
            problem(rej, NULL, cfg->rules[i].name);
            sb_printf(&rej->msg, "rule '%s' could not be evaluated: %s", cfg->rules[i].name,
                      v->eval_err.msg);
            ok = 0;
        } else if (res.type == SL_T_BOOL && !res.u.b) {
            problem(rej, NULL, cfg->rules[i].name);
            if (cfg->rules[i].message != NULL) {
                sb_adds(&rej->msg, cfg->rules[i].message);
            } else {
                sb_printf(&rej->msg, "rule '%s' failed: %s", cfg->rules[i].name,
                          cfg->rules[i].expr);
            }
            ok = 0;
        }
    }
    return ok;
}

/* A partition column's value becomes a folder name: one that cannot be a folder name is
 * the row's problem, found before anything is loaded.  Returns 1 ok, 0 rejected. */
static int check_partitions(struct validator *v, struct reject *rej)
{
    const struct plan *p = v->p;
    int ok = 1;
    for (size_t k = 0; k < p->npart; k++) {
        const struct sl_value *val = &v->row[p->part[k]];
        const char *name = p->cols[p->part[k]].name;
        if (val->type != SL_T_STR || val->u.s.n * 3 <= VALUE_PATH_MAX) {
            continue; /* short enough even if every byte were escaped */
        }
        sb_reset(&v->key);
        value_path_segment(&v->key, val);
        size_t room = NAME_MAX - strlen(name) - 1;
        size_t max = room < VALUE_PATH_MAX ? room : VALUE_PATH_MAX;
        if (v->key.len > max) {
            problem(rej, name, "partition_value");
            sb_printf(&rej->msg, "too long for a partition folder name (%zu bytes once escaped, "
                                 "at most %zu): see parquet.partition_by",
                      v->key.len, max);
            ok = 0;
        }
    }
    return ok;
}

int validator_row(struct validator *v, const struct csv_record *rec, struct batch *b,
                  struct reject *rej, struct sl_error *err)
{
    const struct plan *p = v->p;
    const struct contract *ct = p->cfg->contract;
    rej->line = rec->line;
    rej->column = NULL;
    rej->rule = NULL;
    rej->nproblems = 0;
    sb_reset(&rej->msg);
    expr_scratch_reset(v->scratch);

    if (rec->problem != CSV_ROW_OK) {
        const char *col = NULL;
        for (size_t i = 0; i < ct->nfields; i++) {
            if (v->csv_idx[i] == (ptrdiff_t)rec->problem_field) {
                col = ct->fields[i].name;
            }
        }
        problem(rej, col, csv_problem_name(rec->problem));
        sb_printf(&rej->msg, "%s in column %zu at byte %zu of the row",
                  csv_problem_name(rec->problem), rec->problem_field + 1, rec->problem_offset);
        goto rejected;
    }
    if (rec->nfields != v->nhdr) {
        problem(rej, NULL, "ragged_row");
        sb_printf(&rej->msg, "the row has %zu fields, the header has %zu", rec->nfields, v->nhdr);
        goto rejected;
    }
    int ok = 1;
    for (size_t i = 0; i < p->nfields; i++) {
        ptrdiff_t c = v->csv_idx[i];
        const struct csv_field *f = c >= 0 ? &rec->fields[c] : NULL;
        const struct field_def *fd = &ct->fields[i];
        if (f == NULL && !fd->required) {
            v->row[i].type = SL_T_NULL;
            continue;
        }
        int r = check_cell(v, fd, ct, f, &v->row[i], rej);
        if (r < 0) {
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        ok &= r;
    }
    if (!ok || !compute(v, rej) || !check_partitions(v, rej)) {
        goto rejected;
    }
    int u = v->defer_unique ? 1 : check_unique(v, rec->line, rej);
    if (u < 0) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (u == 0) {
        goto rejected;
    }
    if (batch_append_row(b, v->row, rec->line, rec->raw, rec->raw_len) != 0) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return 1;
rejected:
    if (rej->msg.failed) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return 0;
}

void validator_defer_unique(struct validator *v, int on)
{
    v->defer_unique = on;
}

int validator_has_unique(const struct validator *v)
{
    if (v->pkset != NULL) {
        return 1;
    }
    for (size_t i = 0; i < v->p->nfields; i++) {
        if (v->uniq[i] != NULL) {
            return 1;
        }
    }
    return 0;
}

int validator_unique_row(struct validator *v, const struct batch *b, size_t r,
                         struct reject *rej)
{
    if (v->one_key >= 0 && b->cols[v->one_key].null[r] == 0) {
        const struct column *c = &b->cols[v->one_key];
        int64_t key = c->type == SL_T_DATE ? c->v.i32[r] : c->v.i64[r];
        uint64_t first;
        int k = keyset_insert_i64(v->one_set, key, b->line[r], &first);
        if (k != 0) {
            return k; /* new (1), or out of memory (-1) */
        }
        /* a duplicate: the full path below finds it again (the set did not change) and
         * writes the reject */
    }
    const struct contract *ct = v->p->cfg->contract;
    rej->line = b->line[r];
    rej->column = NULL;
    rej->rule = NULL;
    rej->nproblems = 0;
    sb_reset(&rej->msg);
    for (size_t i = 0; i < v->p->nfields; i++) {
        if (v->uniq[i] != NULL) {
            batch_get(b, r, i, &v->row[i]);
        }
    }
    for (size_t k = 0; v->pkset != NULL && k < ct->npk; k++) {
        batch_get(b, r, ct->pk[k], &v->row[ct->pk[k]]);
    }
    int u = check_unique(v, b->line[r], rej);
    return u >= 0 && rej->msg.failed ? -1 : u;
}
