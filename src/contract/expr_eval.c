/* expr_eval.c - evaluates the typed AST of an expression against one row.
 *
 * A recursive walk over the flat node array: no allocation (string results go to the
 * caller's scratch), no name lookups and no type checks beyond the null tag.  Arithmetic is
 * checked (integer overflow, division by zero), comparisons are exact across int and number,
 * and and/or/not/in/between follow SQL's three-valued logic with short-circuiting.
 */
#include "contract/expr_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ev_fail(struct ev_ctx *cx, const char *fmt, ...)
{
    char msg[SL_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_error_set(cx->err, SL_EEXPR, "%s", msg);
}

void ev_coerce(struct sl_value *v, enum sl_type type)
{
    if (v->type == SL_T_INT && type == SL_T_NUM) {
        v->type = SL_T_NUM;
        v->u.d = (double)v->u.i;
    } else if (v->type == SL_T_DATE && type == SL_T_DATETIME) {
        v->type = SL_T_DATETIME;
        v->u.us = (int64_t)v->u.days * US_PER_DAY;
    }
}

/* ---- type rules ------------------------------------------------------------------- */

int expr_unify(enum sl_type a, enum sl_type b, enum sl_type *out)
{
    if (a == SL_T_NULL || a == b) {
        *out = b;
    } else if (b == SL_T_NULL) {
        *out = a;
    } else if ((a == SL_T_INT && b == SL_T_NUM) || (a == SL_T_NUM && b == SL_T_INT)) {
        *out = SL_T_NUM;
    } else if ((a == SL_T_DATE && b == SL_T_DATETIME) || (a == SL_T_DATETIME && b == SL_T_DATE)) {
        *out = SL_T_DATETIME;
    } else {
        return -1;
    }
    return 0;
}

enum cmp_dom expr_dom_of(enum sl_type t)
{
    switch (t) {
    case SL_T_INT:
        return DOM_INT;
    case SL_T_NUM:
        return DOM_NUM;
    case SL_T_STR:
        return DOM_STR;
    case SL_T_BOOL:
        return DOM_BOOL;
    case SL_T_DATE:
        return DOM_DATE;
    case SL_T_DATETIME:
        return DOM_DT;
    default:
        return DOM_NULL;
    }
}

int expr_cmp_int_num(int64_t i, double d)
{
    if (d >= 9223372036854775808.0) {
        return -1;
    }
    if (d < -9223372036854775808.0) {
        return 1;
    }
    double t = trunc(d);
    int c = expr_sign3(i, (int64_t)t);
    if (c != 0) {
        return c;
    }
    double frac = d - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int64_t as_us(const struct sl_value *v)
{
    return v->type == SL_T_DATE ? (int64_t)v->u.days * US_PER_DAY : v->u.us;
}

int expr_compare(enum cmp_dom dom, const struct sl_value *a, const struct sl_value *b)
{
    switch (dom) {
    case DOM_INT:
        return expr_sign3(a->u.i, b->u.i);
    case DOM_NUM:
        if (a->type == SL_T_INT && b->type == SL_T_INT) {
            return expr_sign3(a->u.i, b->u.i);
        }
        if (a->type == SL_T_INT) {
            return expr_cmp_int_num(a->u.i, b->u.d);
        }
        if (b->type == SL_T_INT) {
            return -expr_cmp_int_num(b->u.i, a->u.d);
        }
        return (a->u.d > b->u.d) - (a->u.d < b->u.d);
    case DOM_STR: {
        size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
        int c = n > 0 ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        if (c != 0) {
            return c < 0 ? -1 : 1;
        }
        return (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
    }
    case DOM_BOOL:
        return (a->u.b > b->u.b) - (a->u.b < b->u.b);
    case DOM_DATE:
        return (a->u.days > b->u.days) - (a->u.days < b->u.days);
    case DOM_DT:
        return expr_sign3(as_us(a), as_us(b));
    default:
        return 0;
    }
}

/* ---- operators ---------------------------------------------------------------------- */

static const uint16_t *kids_of(const struct ev_ctx *cx, const struct enode *nd)
{
    return cx->e->kids + nd->kid;
}

static void set_bool(struct sl_value *out, int b)
{
    out->type = SL_T_BOOL;
    out->u.b = b;
}

static void set_null(struct sl_value *out)
{
    out->type = SL_T_NULL;
}

/* 0 false, 1 true, 2 null (three-valued) */
static void set_tv(struct sl_value *out, int tv)
{
    if (tv == 2) {
        set_null(out);
    } else {
        set_bool(out, tv);
    }
}

int ev_col_value(const struct enode *nd, struct sl_value *v, struct sl_error *err)
{
    if (v->type != nd->type && v->type != SL_T_NULL) {
        ev_coerce(v, (enum sl_type)nd->type);
        if (v->type != nd->type) {
            return sl_error_set(err, SL_EEXPR, "column %lld holds a %s value but the expression "
                                "was compiled for %s", (long long)nd->val.u.i,
                                sl_type_name(v->type), sl_type_name((enum sl_type)nd->type));
        }
    }
    return 0;
}

static int ev_col(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    *out = cx->row[nd->val.u.i];
    if (out->type == (enum sl_type)nd->type || out->type == SL_T_NULL) {
        return 0; /* the usual case, without the call */
    }
    return ev_col_value(nd, out, cx->err);
}

static double num_of(const struct sl_value *v)
{
    return v->type == SL_T_INT ? (double)v->u.i : v->u.d;
}

/* Evaluates a binary node's two operands.  Returns 1 when either is null (out is then null,
 * as SQL propagates it), 0 to go on with *a and *b, or an error.  Inlined: it sits on the
 * per-row path of every rule and derived column. */
__attribute__((always_inline)) static inline int
ev_operands(struct ev_ctx *cx, const struct enode *nd, struct sl_value *a, struct sl_value *b,
            struct sl_value *out)
{
    const uint16_t *k = kids_of(cx, nd);
    int rc = ev_kid(cx, k[0], a);
    rc = rc != 0 ? rc : ev_kid(cx, k[1], b);
    if (rc != 0) {
        return rc;
    }
    if (a->type == SL_T_NULL || b->type == SL_T_NULL) {
        set_null(out);
        return 1;
    }
    return 0;
}

static int ev_arith(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    struct sl_value a, b;
    int rc = ev_operands(cx, nd, &a, &b, out);
    if (rc != 0) {
        return rc > 0 ? 0 : rc;
    }
    if (nd->type == SL_T_INT) {
        int64_t x = a.u.i, y = b.u.i, r = 0;
        int ovf = 0;
        switch (nd->op) {
        case OP_ADD:
            ovf = __builtin_add_overflow(x, y, &r);
            break;
        case OP_SUB:
            ovf = __builtin_sub_overflow(x, y, &r);
            break;
        case OP_MUL:
            ovf = __builtin_mul_overflow(x, y, &r);
            break;
        default: /* OP_MOD */
            if (y == 0) {
                return ev_fail(cx, "division by zero");
            }
            r = y == -1 ? 0 : x % y;
            break;
        }
        if (ovf) {
            return ev_fail(cx, "integer overflow");
        }
        out->type = SL_T_INT;
        out->u.i = r;
        return 0;
    }
    double r;
    const char *why = expr_num_op((enum node_op)nd->op, num_of(&a), num_of(&b), &r);
    if (why != NULL) {
        return ev_fail(cx, "%s", why);
    }
    out->type = SL_T_NUM;
    out->u.d = r;
    return 0;
}

static int ev_neg(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    int rc = ev_node(cx, kids_of(cx, nd)[0], out);
    if (rc != 0 || out->type == SL_T_NULL) {
        return rc;
    }
    if (out->type == SL_T_INT) {
        if (out->u.i == INT64_MIN) {
            return ev_fail(cx, "integer overflow");
        }
        out->u.i = -out->u.i;
    } else {
        out->u.d = -out->u.d;
    }
    return 0;
}

static int ev_cmp(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    struct sl_value a, b;
    int rc = ev_operands(cx, nd, &a, &b, out);
    if (rc != 0) {
        return rc > 0 ? 0 : rc;
    }
    int c = expr_compare((enum cmp_dom)nd->aux, &a, &b);
    set_bool(out, expr_cmp_holds((enum node_op)nd->op, c));
    return 0;
}

static int tv_of(const struct sl_value *v)
{
    return v->type == SL_T_NULL ? 2 : v->u.b;
}

static int ev_logic(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    const uint16_t *k = kids_of(cx, nd);
    struct sl_value a, b;
    int rc = ev_node(cx, k[0], &a);
    if (rc != 0) {
        return rc;
    }
    int decisive = nd->op == OP_OR; /* the value that settles the result */
    int ta = tv_of(&a);
    if (ta == decisive) {
        set_bool(out, decisive);
        return 0;
    }
    rc = ev_node(cx, k[1], &b);
    if (rc != 0) {
        return rc;
    }
    int tb = tv_of(&b);
    if (tb == decisive) {
        set_bool(out, decisive);
    } else {
        set_tv(out, (ta == 2 || tb == 2) ? 2 : !decisive);
    }
    return 0;
}

static int ev_in(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    const uint16_t *k = kids_of(cx, nd);
    struct sl_value x, v;
    int rc = ev_kid(cx, k[0], &x);
    if (rc != 0) {
        return rc;
    }
    int negate = nd->flags & NODE_NEGATE;
    if (x.type == SL_T_NULL) {
        set_null(out);
        return 0;
    }
    int saw_null = 0;
    for (size_t i = 1; i < nd->nkids; i++) {
        rc = ev_kid(cx, k[i], &v);
        if (rc != 0) {
            return rc;
        }
        if (v.type == SL_T_NULL) {
            saw_null = 1;
        } else if (expr_compare((enum cmp_dom)nd->aux, &x, &v) == 0) {
            set_bool(out, !negate);
            return 0;
        }
    }
    set_tv(out, saw_null ? 2 : negate);
    return 0;
}

static int ev_between(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    const uint16_t *k = kids_of(cx, nd);
    struct sl_value x, lo, hi;
    int rc = ev_kid(cx, k[0], &x);
    rc = rc != 0 ? rc : ev_kid(cx, k[1], &lo);
    rc = rc != 0 ? rc : ev_kid(cx, k[2], &hi);
    if (rc != 0) {
        return rc;
    }
    enum cmp_dom dom = (enum cmp_dom)nd->aux;
    int ge = (x.type == SL_T_NULL || lo.type == SL_T_NULL) ? 2 : expr_compare(dom, &x, &lo) >= 0;
    int le = (x.type == SL_T_NULL || hi.type == SL_T_NULL) ? 2 : expr_compare(dom, &x, &hi) <= 0;
    int tv = (ge == 0 || le == 0) ? 0 : (ge == 2 || le == 2) ? 2 : 1;
    if ((nd->flags & NODE_NEGATE) && tv != 2) {
        tv = !tv;
    }
    set_tv(out, tv);
    return 0;
}

int ev_node(struct ev_ctx *cx, size_t idx, struct sl_value *out)
{
    const struct enode *nd = &cx->e->nodes[idx];
    int rc;
    if (nd->fast >= FAST_ARITH) {
        return expr_fast_eval(cx, nd, out);
    }
    switch ((enum node_op)nd->op) {
    case OP_LIT:
        *out = nd->val;
        return 0;
    case OP_COL:
        return ev_col(cx, nd, out);
    case OP_NEG:
        return ev_neg(cx, nd, out);
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
        return ev_arith(cx, nd, out);
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        return ev_cmp(cx, nd, out);
    case OP_AND:
    case OP_OR:
        return ev_logic(cx, nd, out);
    case OP_NOT:
        rc = ev_node(cx, kids_of(cx, nd)[0], out);
        if (rc == 0 && out->type == SL_T_BOOL) {
            out->u.b = !out->u.b;
        }
        return rc;
    case OP_IN:
        return ev_in(cx, nd, out);
    case OP_BETWEEN:
        return ev_between(cx, nd, out);
    case OP_ISNULL:
        rc = ev_node(cx, kids_of(cx, nd)[0], out);
        if (rc == 0) {
            set_bool(out, (out->type == SL_T_NULL) != ((nd->flags & NODE_NEGATE) != 0));
        }
        return rc;
    case OP_CALL:
        return ev_call(cx, nd, out);
    }
    return sl_error_set(cx->err, SL_EBUG, "expression node %zu has unknown op %d", idx,
                        (int)nd->op);
}

int expr_eval_node(const struct expr *e, size_t idx, const struct sl_value *row,
                   struct expr_scratch *scratch, struct sl_value *out, struct sl_error *err)
{
    struct ev_ctx cx = {.e = e, .row = row, .scratch = scratch, .err = err};
    const struct enode *nd = &e->nodes[idx];
    /* a fast root skips ev_node's frame (it is the common rule and derived column) */
    int rc = nd->fast >= FAST_ARITH ? expr_fast_eval(&cx, nd, out) : ev_node(&cx, idx, out);
    if (rc != 0) {
        set_null(out);
    }
    return rc;
}

int expr_eval(const struct expr *e, const struct sl_value *row, struct expr_scratch *scratch,
              struct sl_value *out, struct sl_error *err)
{
    return expr_eval_node(e, e->root, row, scratch, out, err);
}
