/* expr_func.c - the function table, argument type rules and name suggestions.
 *
 * Each call is checked once at compile time: argument types, literal-only arguments (the
 * strftime pattern is validated here) and the result type.  Unknown names get the closest
 * known ones by edit distance, for columns and functions alike.
 */
#include "contract/expr_int.h"

#include <stdio.h>
#include <string.h>

const struct fn_info expr_functions[] = {
    {"abs", FN_ABS, 1, 1},
    {"round", FN_ROUND, 1, 2},
    {"floor", FN_FLOOR, 1, 1},
    {"ceil", FN_CEIL, 1, 1},
    {"min", FN_MIN, 2, -1},
    {"max", FN_MAX, 2, -1},
    {"year", FN_YEAR, 1, 1},
    {"month", FN_MONTH, 1, 1},
    {"day", FN_DAY, 1, 1},
    {"hour", FN_HOUR, 1, 1},
    {"minute", FN_MINUTE, 1, 1},
    {"second", FN_SECOND, 1, 1},
    {"quarter", FN_QUARTER, 1, 1},
    {"dayofweek", FN_DAYOFWEEK, 1, 1},
    {"date", FN_DATE, 1, 1},
    {"datetime", FN_DATETIME, 1, 1},
    {"strftime", FN_STRFTIME, 2, 2},
    {"int", FN_INT, 1, 1},
    {"number", FN_NUMBER, 1, 1},
    {"string", FN_STRING, 1, 1},
    {"length", FN_LENGTH, 1, 1},
    {"lower", FN_LOWER, 1, 1},
    {"upper", FN_UPPER, 1, 1},
    {"trim", FN_TRIM, 1, 1},
    {"substr", FN_SUBSTR, 2, 3},
    {"concat", FN_CONCAT, 1, -1},
    {"coalesce", FN_COALESCE, 1, -1},
    {"if", FN_IF, 3, 3},
    {"nullif", FN_NULLIF, 2, 2},
    {"starts_with", FN_STARTS_WITH, 2, 2},
    {"ends_with", FN_ENDS_WITH, 2, 2},
    {"contains", FN_CONTAINS, 2, 2},
    {"count", FN_COUNT, 0, 1},
    {"sum", FN_SUM, 1, 1},
    {"avg", FN_AVG, 1, 1},
    {"count_distinct", FN_COUNT_DISTINCT, 1, 1},
};
const size_t expr_nfunctions = sizeof(expr_functions) / sizeof(expr_functions[0]);

const struct fn_info *expr_find_function(const char *name, size_t n)
{
    for (size_t i = 0; i < expr_nfunctions; i++) {
        const char *f = expr_functions[i].name;
        if (strlen(f) != n) {
            continue;
        }
        size_t k = 0;
        while (k < n && (name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]) == f[k]) {
            k++;
        }
        if (k == n) {
            return &expr_functions[i];
        }
    }
    return NULL;
}

/* ---- suggestions ------------------------------------------------------------------ */

#define SUGGEST_MAX_LEN 64

static char fold_case(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Optimal string alignment distance (insert, delete, substitute, swap neighbours), case
 * folded; SIZE_MAX when either word is too long to bother. */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn)
{
    if (an > SUGGEST_MAX_LEN || bn > SUGGEST_MAX_LEN) {
        return SIZE_MAX;
    }
    size_t rows[3][SUGGEST_MAX_LEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= bn; j++) {
        prev[j] = j;
    }
    for (size_t i = 1; i <= an; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t cost = fold_case(a[i - 1]) == fold_case(b[j - 1]) ? 0 : 1;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) {
                best = prev[j] + 1;
            }
            if (cur[j - 1] + 1 < best) {
                best = cur[j - 1] + 1;
            }
            if (i > 1 && j > 1 && fold_case(a[i - 1]) == fold_case(b[j - 2]) &&
                fold_case(a[i - 2]) == fold_case(b[j - 1]) && prev2[j - 2] + 1 < best) {
                best = prev2[j - 2] + 1;
            }
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[bn];
}

void expr_suggest(const char *word, size_t wn, const char *(*name_at)(const void *, size_t),
                  const void *ctx, size_t n, char *buf, size_t cap)
{
    size_t limit = wn <= 3 ? 1 : wn <= 6 ? 2 : 3;
    const char *best[3] = {NULL, NULL, NULL};
    size_t bestd[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    for (size_t i = 0; i < n; i++) {
        const char *name = name_at(ctx, i);
        size_t d = edit_distance(word, wn, name, strlen(name));
        if (d > limit) {
            continue;
        }
        for (size_t k = 0; k < 3; k++) {
            if (d < bestd[k]) {
                for (size_t m = 2; m > k; m--) {
                    best[m] = best[m - 1];
                    bestd[m] = bestd[m - 1];
                }
                best[k] = name;
                bestd[k] = d;
                break;
            }
        }
    }
    buf[0] = '\0';
    if (best[0] == NULL || cap == 0) {
        return;
    }
    size_t count = best[2] != NULL ? 3 : best[1] != NULL ? 2 : 1;
    if (count == 1) {
        snprintf(buf, cap, "did you mean '%s'?", best[0]);
    } else if (count == 2) {
        snprintf(buf, cap, "did you mean '%s' or '%s'?", best[0], best[1]);
    } else {
        snprintf(buf, cap, "did you mean '%s', '%s' or '%s'?", best[0], best[1], best[2]);
    }
}

/* ---- shared helpers --------------------------------------------------------------- */

static enum sl_type atype(const struct parser *p, int idx)
{
    return (enum sl_type)p->e->nodes[idx].type;
}

static int is_num(enum sl_type t)
{
    return t == SL_T_INT || t == SL_T_NUM || t == SL_T_NULL;
}

static int is_temporal(enum sl_type t)
{
    return t == SL_T_DATE || t == SL_T_DATETIME || t == SL_T_NULL;
}

static int is_str(enum sl_type t)
{
    return t == SL_T_STR || t == SL_T_NULL;
}

/* ---- operators ------------------------------------------------------------------ */

/* The operator's source text, for messages. */
static int op_len(const struct token *t)
{
    return t->len > 10 ? 10 : (int)t->len;
}

int parse_binary(struct parser *p, const struct token *op, int l, int r, int *out)
{
    enum sl_type lt = atype(p, l);
    enum sl_type rt = atype(p, r);
    int kids[2] = {l, r};
    enum node_op nop;
    enum sl_type type = SL_T_BOOL;
    int aux = 0;
    const char *otext = p->lx.src + op->off;
    switch (op->kind) {
    case TK_PLUS:
    case TK_MINUS:
    case TK_STAR:
    case TK_SLASH:
    case TK_PERCENT:
        nop = op->kind == TK_PLUS    ? OP_ADD
              : op->kind == TK_MINUS ? OP_SUB
              : op->kind == TK_STAR  ? OP_MUL
              : op->kind == TK_SLASH ? OP_DIV
                                     : OP_MOD;
        if (!is_num(lt) || !is_num(rt)) {
            const char *hint = NULL;
            if (nop == OP_ADD && (lt == SL_T_STR || rt == SL_T_STR)) {
                hint = "use concat() to join strings";
            }
            return parse_fail(p, op->off, hint, "operator '%.*s' cannot apply to %s and %s",
                              op_len(op), otext, sl_type_name(lt), sl_type_name(rt));
        }
        /* division always gives a number, even of two integers (listed first on purpose) */
        // NOLINTNEXTLINE(bugprone-branch-clone)
        if (nop == OP_DIV) {
            type = SL_T_NUM;
        } else if (lt == SL_T_NULL && rt == SL_T_NULL) {
            type = SL_T_NULL;
        } else if (lt != SL_T_NUM && rt != SL_T_NUM) {
            type = SL_T_INT;
        } else {
            type = SL_T_NUM;
        }
        break;
    case TK_AND:
    case TK_OR:
        nop = op->kind == TK_AND ? OP_AND : OP_OR;
        if ((lt != SL_T_BOOL && lt != SL_T_NULL) || (rt != SL_T_BOOL && rt != SL_T_NULL)) {
            return parse_fail(p, op->off, NULL,
                              "operator '%.*s' needs boolean operands, got %s and %s",
                              op_len(op), otext, sl_type_name(lt), sl_type_name(rt));
        }
        break;
    default: {
        enum sl_type u;
        nop = op->kind == TK_EQ   ? OP_EQ
              : op->kind == TK_NE ? OP_NE
              : op->kind == TK_LT ? OP_LT
              : op->kind == TK_LE ? OP_LE
              : op->kind == TK_GT ? OP_GT
                                  : OP_GE;
        if (expr_unify(lt, rt, &u) != 0) {
            const char *hint = NULL;
            if ((is_temporal(lt) && rt == SL_T_STR) || (is_temporal(rt) && lt == SL_T_STR)) {
                hint = "write date('YYYY-MM-DD') or datetime('YYYY-MM-DD HH:MM:SS') for a "
                       "date or datetime literal";
            }
            return parse_fail(p, op->off, hint, "operator '%.*s' cannot compare %s with %s",
                              op_len(op), otext, sl_type_name(lt), sl_type_name(rt));
        }
        aux = (int)expr_dom_of(u);
        break;
    }
    }
    return parse_node(p, nop, type, aux, 0, op->off, p->e->nodes[l].start, kids, 2, out);
}

/* ---- names ----------------------------------------------------------------------- */

static const char *col_name_at(const void *ctx, size_t i)
{
    return ((const struct expr_col *)ctx)[i].name;
}

int parse_column_ref(struct parser *p, const struct token *t, int *out)
{
    for (size_t i = 0; i < p->ncols; i++) {
        const char *name = p->cols[i].name;
        if (strlen(name) == t->n && memcmp(name, t->s, t->n) == 0) {
            int rc = parse_node(p, OP_COL, p->cols[i].type, 0, 0, t->off, t->off, NULL, 0, out);
            if (rc == 0) {
                p->e->nodes[*out].val.u.i = (int64_t)i;
            }
            return rc;
        }
    }
    char hint[SL_ERRMSG_MAX / 2];
    expr_suggest(t->s, t->n, col_name_at, p->cols, p->ncols, hint, sizeof(hint));
    int shown = t->n > 40 ? 40 : (int)t->n;
    return parse_fail(p, t->off, hint, "unknown column '%.*s%s'", shown, t->s,
                      t->n > 40 ? "..." : "");
}

static const char *fn_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return expr_functions[i].name;
}

int parse_unknown_function(struct parser *p, const struct token *name)
{
    char hint[SL_ERRMSG_MAX - 80];
    expr_suggest(name->s, name->n, fn_name_at, NULL, expr_nfunctions, hint, sizeof(hint));
    if (hint[0] == '\0') {
        size_t k = (size_t)snprintf(hint, sizeof(hint), "known functions:");
        for (size_t i = 0; i < expr_nfunctions && k < sizeof(hint); i++) {
            k += (size_t)snprintf(hint + k, sizeof(hint) - k, "%s %s", i == 0 ? "" : ",",
                                  expr_functions[i].name);
        }
    }
    int shown = name->n > 40 ? 40 : (int)name->n;
    return parse_fail(p, name->off, hint, "unknown function '%.*s'", shown, name->s);
}

/* ---- argument types ---------------------------------------------------------------- */

static int bad_arg(struct parser *p, const struct fn_info *fn, const int *args, size_t i,
                   const char *want)
{
    return parse_fail(p, p->e->nodes[args[i]].start, NULL,
                      "%s() needs %s as argument %zu, got %s", fn->name, want, i + 1,
                      sl_type_name(atype(p, args[i])));
}

/* The common type of args[from..nargs), or an error naming the first misfit. */
static int unify_args(struct parser *p, const struct fn_info *fn, const int *args,
                      size_t from, size_t nargs, enum sl_type *out)
{
    enum sl_type t = SL_T_NULL;
    for (size_t i = from; i < nargs; i++) {
        enum sl_type next;
        if (expr_unify(t, atype(p, args[i]), &next) != 0) {
            return parse_fail(p, p->e->nodes[args[i]].start, NULL,
                              "%s() cannot mix %s and %s (argument %zu)", fn->name,
                              sl_type_name(t), sl_type_name(atype(p, args[i])), i + 1);
        }
        t = next;
    }
    *out = t;
    return 0;
}

static int check_strftime(struct parser *p, const struct fn_info *fn, const int *args)
{
    const struct enode *f = &p->e->nodes[args[0]];
    if (f->op != OP_LIT || f->val.type != SL_T_STR) {
        return parse_fail(p, f->start, NULL, "strftime() needs a string literal as its format");
    }
    const char *s = f->val.u.s.p;
    for (size_t i = 0; i < f->val.u.s.n; i++) {
        if (s[i] != '%') {
            continue;
        }
        if (i + 1 >= f->val.u.s.n || strchr("YmdHMSfyjbBaAuwqFT%", s[i + 1]) == NULL ||
            s[i + 1] == '\0') {
            return parse_fail(p, f->start,
                              "known: %Y %m %d %H %M %S %f %y %j %b %B %a %A %u %w %q %F %T %%",
                              "strftime() format has an unknown conversion '%.*s'",
                              i + 1 < f->val.u.s.n ? 2 : 1, s + i);
        }
        i++;
    }
    if (!is_temporal(atype(p, args[1]))) {
        return bad_arg(p, fn, args, 1, "a date or datetime");
    }
    return 0;
}

int expr_check_call(struct parser *p, const struct fn_info *fn, size_t name_off,
                    const int *args, size_t nargs, enum sl_type *type)
{
    (void)name_off;
    enum sl_type t0 = atype(p, args[0]);
    switch (fn->id) {
    case FN_ABS:
        *type = t0;
        return is_num(t0) ? 0 : bad_arg(p, fn, args, 0, "a number");
    case FN_ROUND:
        *type = t0;
        if (!is_num(t0)) {
            return bad_arg(p, fn, args, 0, "a number");
        }
        if (nargs == 2 && atype(p, args[1]) != SL_T_INT && atype(p, args[1]) != SL_T_NULL) {
            return bad_arg(p, fn, args, 1, "an integer");
        }
        return 0;
    case FN_FLOOR:
    case FN_CEIL:
        *type = SL_T_INT;
        return is_num(t0) ? 0 : bad_arg(p, fn, args, 0, "a number");
    case FN_MIN:
    case FN_MAX:
    case FN_COALESCE:
        return unify_args(p, fn, args, 0, nargs, type);
    case FN_YEAR:
    case FN_MONTH:
    case FN_DAY:
    case FN_HOUR:
    case FN_MINUTE:
    case FN_SECOND:
    case FN_QUARTER:
    case FN_DAYOFWEEK:
        *type = SL_T_INT;
        return is_temporal(t0) ? 0 : bad_arg(p, fn, args, 0, "a date or datetime");
    case FN_DATE:
    case FN_DATETIME:
        *type = fn->id == FN_DATE ? SL_T_DATE : SL_T_DATETIME;
        return is_temporal(t0) || t0 == SL_T_STR
                   ? 0
                   : bad_arg(p, fn, args, 0, "a date, datetime or string");
    case FN_STRFTIME:
        *type = SL_T_STR;
        return check_strftime(p, fn, args);
    case FN_INT:
    case FN_NUMBER:
        *type = fn->id == FN_INT ? SL_T_INT : SL_T_NUM;
        return is_num(t0) || t0 == SL_T_STR || t0 == SL_T_BOOL
                   ? 0
                   : bad_arg(p, fn, args, 0, "a number, string or boolean");
    case FN_STRING:
    case FN_CONCAT:
        *type = SL_T_STR;
        return 0;
    case FN_LENGTH:
    case FN_LOWER:
    case FN_UPPER:
    case FN_TRIM:
        *type = fn->id == FN_LENGTH ? SL_T_INT : SL_T_STR;
        return is_str(t0) ? 0 : bad_arg(p, fn, args, 0, "a string");
    case FN_SUBSTR:
        *type = SL_T_STR;
        if (!is_str(t0)) {
            return bad_arg(p, fn, args, 0, "a string");
        }
        for (size_t i = 1; i < nargs; i++) {
            if (atype(p, args[i]) != SL_T_INT && atype(p, args[i]) != SL_T_NULL) {
                return bad_arg(p, fn, args, i, "an integer");
            }
        }
        return 0;
    case FN_IF:
        if (t0 != SL_T_BOOL && t0 != SL_T_NULL) {
            return bad_arg(p, fn, args, 0, "a boolean");
        }
        return unify_args(p, fn, args, 1, 3, type);
    case FN_NULLIF: {
        enum sl_type u;
        *type = t0;
        return unify_args(p, fn, args, 0, 2, &u);
    }
    case FN_STARTS_WITH:
    case FN_ENDS_WITH:
    case FN_CONTAINS:
        *type = SL_T_BOOL;
        for (size_t i = 0; i < 2; i++) {
            if (!is_str(atype(p, args[i]))) {
                return bad_arg(p, fn, args, i, "a string");
            }
        }
        return 0;
    default:
        return parse_fail(p, name_off, NULL, "%s() is not allowed here", fn->name);
    }
}
