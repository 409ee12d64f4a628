/* expr_fast.c - specialised evaluation of the common numeric shapes of rules and derived
 * columns.
 *
 * Most expressions are arithmetic and comparisons over number and integer columns and
 * literals ("abs(total - cantidad * precio_unitario) <= 0.01", "total / cantidad"), or a date
 * part of a column ("year(fecha_venta)").  The generic walk (expr_eval.c) pays per node for
 * a dispatch, copies of struct sl_value and a coercion check; here such a subtree is computed
 * on plain doubles and integers in one recursive pass.  expr_fast_prepare decides once, at
 * compile time, which nodes qualify.  Anything outside these shapes, and any cell whose type
 * is not its column's, goes back to ev_node, so values, nulls, errors and the order in which
 * they are found stay those of the generic walk; tests/unit/test_expr.c compares the two.
 *
 * The readers return the value itself and leave in cx->st whether it is one (0), a null (1)
 * or an error (< 0, with cx->err set): no local has its address taken, so the recursive
 * readers need no stack-protector check and keep their values in registers.
 */
#include "contract/expr_int.h"

#include <math.h>
#include <string.h>

#include "contract/types.h"

/* The day a datetime falls on: floor division, as types_strftime takes it. */
static int32_t day_of(int64_t us)
{
    int64_t q = us / US_PER_DAY;
    return (int32_t)(us % US_PER_DAY < 0 ? q - 1 : q);
}

static size_t index_of(const struct ev_ctx *cx, const struct enode *nd)
{
    return (size_t)(nd - cx->e->nodes);
}

static const struct enode *kid_node(const struct ev_ctx *cx, const struct enode *nd, size_t i)
{
    return &cx->e->nodes[cx->e->kids[nd->kid + i]];
}

/* An int or number value as the generic arithmetic reads it (num_of in expr_eval.c). */
static double as_double(const struct sl_value *v)
{
    return v->type == SL_T_INT ? (double)v->u.i : v->u.d;
}

/* The generic walk's value of nd.  Kept out of line: its sl_value local would cost every
 * reader a stack-protector check. */
__attribute__((noinline)) static double num_generic(struct ev_ctx *cx, const struct enode *nd)
{
    struct sl_value v;
    cx->st = ev_node(cx, index_of(cx, nd), &v);
    if (cx->st != 0) {
        return 0;
    }
    if (v.type == SL_T_NULL) {
        cx->st = 1;
        return 0;
    }
    return as_double(&v);
}

static double num_node(struct ev_ctx *cx, const struct enode *nd);

/* nd's value as a double; cx->st says whether it is one, a null or an error.  Columns and
 * literals, the usual operands, are read here, inlined into their parent; the rest recurse. */
static inline double num_read(struct ev_ctx *cx, const struct enode *nd)
{
    if (nd->fast == FAST_COL) {
        const struct sl_value *v = &cx->row[nd->val.u.i];
        if (v->type == (enum sl_type)nd->type) {
            cx->st = 0;
            return as_double(v);
        }
    } else if (nd->fast == FAST_LIT) {
        cx->st = nd->val.type == SL_T_NULL;
        return as_double(&nd->val);
    }
    return num_node(cx, nd);
}

/* After both operands of a binary node: sa is the first one's status, cx->st the second's.
 * 1 to go on with two values; 0 with cx->st saying why not (an error in either wins over
 * a null in the other, else null propagates). */
static inline int both_values(struct ev_ctx *cx, int sa)
{
    if (cx->st < 0) {
        return 0;
    }
    if (sa != 0 || cx->st != 0) {
        cx->st = 1;
        return 0;
    }
    return 1;
}

/* Number arithmetic, as ev_arith does it for a node of static type number: both operands
 * are evaluated (an error in either wins over a null in the other), then null propagates. */
static double num_arith(struct ev_ctx *cx, const struct enode *nd)
{
    double x = num_read(cx, kid_node(cx, nd, 0));
    int sa = cx->st;
    if (sa < 0) {
        return 0;
    }
    double y = num_read(cx, kid_node(cx, nd, 1));
    if (!both_values(cx, sa)) {
        return 0;
    }
    double r;
    const char *why = expr_num_op((enum node_op)nd->op, x, y, &r);
    if (why != NULL) {
        cx->st = ev_fail(cx, "%s", why);
        return 0;
    }
    return r;
}

/* The other shapes of num_read, and a column's null or mistyped cell. */
static double num_node(struct ev_ctx *cx, const struct enode *nd)
{
    switch ((enum fast_kind)nd->fast) {
    case FAST_COL:
        if (cx->row[nd->val.u.i].type == SL_T_NULL) {
            cx->st = 1;
            return 0;
        }
        break; /* a cell of another type: the generic walk coerces it or says why not */
    case FAST_ARITH:
        return num_arith(cx, nd);
    case FAST_NEG: /* the child is a number (sure_num): negated as ev_neg does */
        return -num_read(cx, kid_node(cx, nd, 0));
    case FAST_ABS:
        return fabs(num_read(cx, kid_node(cx, nd, 0)));
    default:
        break;
    }
    return num_generic(cx, nd);
}

/* An integer literal or column (the only int operands expr_fast_prepare lets through). */
__attribute__((noinline)) static int64_t int_generic(struct ev_ctx *cx, const struct enode *nd)
{
    struct sl_value g;
    cx->st = ev_node(cx, index_of(cx, nd), &g);
    if (cx->st == 0 && g.type == SL_T_NULL) {
        cx->st = 1;
    }
    return cx->st == 0 ? g.u.i : 0;
}

static int64_t int_read(struct ev_ctx *cx, const struct enode *nd)
{
    const struct sl_value *v = nd->op == OP_LIT ? &nd->val : &cx->row[nd->val.u.i];
    if (v->type == SL_T_INT) {
        cx->st = 0;
        return v->u.i;
    }
    if (v->type == SL_T_NULL) {
        cx->st = 1;
        return 0;
    }
    return int_generic(cx, nd);
}

/* A comparison whose operands are ints and numbers, exact across the two as expr_compare:
 * whether it holds, with cx->st. */
static int fast_cmp(struct ev_ctx *cx, const struct enode *nd)
{
    const struct enode *l = kid_node(cx, nd, 0), *r = kid_node(cx, nd, 1);
    int li = l->type == SL_T_INT, ri = r->type == SL_T_INT;
    int64_t ai = 0, bi = 0;
    double ad = 0, bd = 0;
    if (li) {
        ai = int_read(cx, l);
    } else {
        ad = num_read(cx, l);
    }
    int sa = cx->st;
    if (sa < 0) {
        return 0;
    }
    if (ri) {
        bi = int_read(cx, r);
    } else {
        bd = num_read(cx, r);
    }
    if (!both_values(cx, sa)) {
        return 0;
    }
    int c;
    if (li && ri) {
        c = expr_sign3(ai, bi);
    } else if (li) {
        c = expr_cmp_int_num(ai, bd);
    } else if (ri) {
        c = -expr_cmp_int_num(bi, ad);
    } else {
        c = (ad > bd) - (ad < bd);
    }
    return expr_cmp_holds((enum node_op)nd->op, c);
}

int expr_fast_eval(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out)
{
    switch ((enum fast_kind)nd->fast) {
    case FAST_CMP:
        out->u.b = fast_cmp(cx, nd);
        out->type = SL_T_BOOL;
        break;
    case FAST_DATEPART: {
        const struct enode *c = kid_node(cx, nd, 0);
        const struct sl_value *v = &cx->row[c->val.u.i];
        if (v->type != (enum sl_type)c->type) {
            return ev_call(cx, nd, out); /* null, or a cell the generic walk must coerce */
        }
        out->type = SL_T_INT;
        out->u.i = expr_date_part(v, (enum fn_id)nd->aux);
        return 0;
    }
    case FAST_STRFTIME: {
        const struct enode *c = kid_node(cx, nd, 1);
        const struct sl_value *v = &cx->row[c->val.u.i];
        if (v->type != (enum sl_type)c->type) {
            return ev_call(cx, nd, out); /* null, or a cell the generic walk must coerce */
        }
        int32_t days = v->type == SL_T_DATE ? v->u.days : day_of(v->u.us);
        return expr_strftime_day(cx, &kid_node(cx, nd, 0)->val, days, out);
    }
    default: /* FAST_ARITH, FAST_NEG, FAST_ABS: a number */
        out->u.d = num_read(cx, nd);
        out->type = SL_T_NUM;
        break;
    }
    if (cx->st > 0) {
        out->type = SL_T_NULL;
        return 0;
    }
    return cx->st;
}

/* ---- compile time ------------------------------------------------------------------- */

/* A node of static type number whose value is a number (or null) at run time, as the generic
 * walk would produce it: what negation, abs and an exact comparison may read as a double. */
static int sure_num(const struct enode *nd)
{
    return nd->type == SL_T_NUM && nd->fast != FAST_NONE && nd->fast <= FAST_ABS;
}

static int sure_int(const struct enode *nd)
{
    return nd->type == SL_T_INT && (nd->fast == FAST_LIT || nd->fast == FAST_COL);
}

/* A strftime pattern literal whose text depends on the day alone, decided here once rather
 * than by types_strftime for every row.  A NUL inside the literal would end the pattern
 * early for types_strftime: such a literal keeps the generic walk. */
static int day_pattern(const struct enode *nd)
{
    return nd->op == OP_LIT && nd->val.type == SL_T_STR && nd->val.u.s.p != NULL &&
           strlen(nd->val.u.s.p) == nd->val.u.s.n && types_strftime_by_day(nd->val.u.s.p);
}

static enum fast_kind classify(const struct expr *e, size_t idx)
{
    const struct enode *nd = &e->nodes[idx];
    const uint16_t *k = e->kids + nd->kid;
    enum sl_type t = (enum sl_type)nd->type;
    for (size_t i = 0; i < nd->nkids; i++) {
        if (k[i] >= idx) {
            return FAST_NONE; /* children are built before parents; anything else is unknown */
        }
    }
    const struct enode *k0 = nd->nkids > 0 ? &e->nodes[k[0]] : NULL;
    const struct enode *k1 = nd->nkids > 1 ? &e->nodes[k[1]] : NULL;
    switch ((enum node_op)nd->op) {
    case OP_LIT:
        return (t == SL_T_INT || t == SL_T_NUM) &&
                       (nd->val.type == t || nd->val.type == SL_T_NULL)
                   ? FAST_LIT
                   : FAST_NONE;
    case OP_COL:
        return t == SL_T_INT || t == SL_T_NUM ? FAST_COL : FAST_NONE;
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
        return t == SL_T_NUM && nd->nkids == 2 ? FAST_ARITH : FAST_NONE;
    case OP_NEG:
        return t == SL_T_NUM && nd->nkids == 1 && sure_num(k0) ? FAST_NEG : FAST_NONE;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        return nd->nkids == 2 && (nd->aux == DOM_INT || nd->aux == DOM_NUM) &&
                       (sure_int(k0) || sure_num(k0)) && (sure_int(k1) || sure_num(k1))
                   ? FAST_CMP
                   : FAST_NONE;
    case OP_CALL:
        if (nd->aux == FN_ABS && nd->nkids == 1 && t == SL_T_NUM && sure_num(k0)) {
            return FAST_ABS;
        }
        if (nd->aux >= FN_YEAR && nd->aux <= FN_DAYOFWEEK && nd->nkids == 1 &&
            k0->op == OP_COL && (k0->type == SL_T_DATE || k0->type == SL_T_DATETIME)) {
            return FAST_DATEPART;
        }
        if (nd->aux == FN_STRFTIME && nd->nkids == 2 && t == SL_T_STR && day_pattern(k0) &&
            k1->op == OP_COL && (k1->type == SL_T_DATE || k1->type == SL_T_DATETIME)) {
            return FAST_STRFTIME;
        }
        return FAST_NONE;
    default:
        return FAST_NONE;
    }
}

void expr_fast_prepare(struct expr *e)
{
    for (size_t i = 0; i < e->nnodes; i++) {
        e->nodes[i].fast = (unsigned char)classify(e, i);
    }
}

void expr_fast_clear(struct expr *e)
{
    for (size_t i = 0; i < e->nnodes; i++) {
        e->nodes[i].fast = FAST_NONE;
    }
}
