/* expr_parse.c - recursive-descent parser and type checker for expressions.
 *
 * Builds the typed AST bottom-up, checking each operator's operand types as it goes so every
 * error names the operator or token and its offset.  Nesting, node count and source length
 * are bounded; any subtree whose children are all literals is evaluated once here (constant
 * folding), so date('2025-01-01') costs nothing per row and a constant 1/0 fails at compile.
 */
#include "contract/expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_expr(struct parser *p, int *out);
static int parse_unary(struct parser *p, int *out);

int parse_fail(struct parser *p, size_t off, const char *hint, const char *fmt, ...)
{
    char msg[SL_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t at = lex_char_offset(p->lx.src, off);
    /* The codes are returned as constants (not sl_error_set's result) so that callers, and
     * the static analyzer, see that a failure is never 0. */
    if (hint != NULL && hint[0] != '\0') {
        sl_error_set(p->err, SL_EEXPR, "%s at offset %zu (%s)", msg, at, hint);
    } else {
        sl_error_set(p->err, SL_EEXPR, "%s at offset %zu", msg, at);
    }
    return SL_EEXPR;
}

static int no_memory(struct parser *p)
{
    sl_error_set(p->err, SL_ENOMEM, "out of memory compiling an expression");
    return SL_ENOMEM;
}

/* "'text'" of a token, or "end of expression". */
static void tok_text(const struct parser *p, const struct token *t, char *buf, size_t cap)
{
    if (t->kind == TK_EOF) {
        snprintf(buf, cap, "end of expression");
        return;
    }
    int n = t->len > 40 ? 40 : (int)t->len;
    snprintf(buf, cap, "'%.*s%s'", n, p->lx.src + t->off, t->len > 40 ? "..." : "");
}

static int unexpected(struct parser *p, const char *expected)
{
    char what[64];
    tok_text(p, &p->tok, what, sizeof(what));
    return parse_fail(p, p->tok.off, expected, "unexpected %s", what);
}

static int advance(struct parser *p)
{
    return lex_next(&p->lx, &p->tok, p->err);
}

static int expect(struct parser *p, enum tok_kind kind, const char *expected)
{
    if (p->tok.kind != kind) {
        return unexpected(p, expected);
    }
    return advance(p);
}

static enum sl_type ntype(const struct parser *p, int idx)
{
    return (enum sl_type)p->e->nodes[idx].type;
}

static size_t nstart(const struct parser *p, int idx)
{
    return p->e->nodes[idx].start;
}

/* Replaces node idx (all of whose children are literals) by its value. */
static int fold(struct parser *p, int idx)
{
    struct sl_error ferr = {0};
    struct sl_value v;
    struct enode *nd = &p->e->nodes[idx];
    expr_scratch_reset(p->fold);
    int rc = expr_eval_node(p->e, (size_t)idx, NULL, p->fold, &v, &ferr);
    if (rc == SL_ENOMEM) {
        return no_memory(p);
    }
    if (rc != 0) {
        return parse_fail(p, nd->start, NULL, "constant expression fails (%s)", ferr.msg);
    }
    if (v.type == SL_T_STR) {
        struct str_block *b = malloc(sizeof(*b) + v.u.s.n + 1);
        if (b == NULL) {
            return no_memory(p);
        }
        memcpy(b->data, v.u.s.p, v.u.s.n);
        b->data[v.u.s.n] = '\0';
        b->next = p->e->strings;
        p->e->strings = b;
        v.u.s.p = b->data;
    }
    nd->op = OP_LIT;
    nd->val = v;
    return 0;
}

int parse_node(struct parser *p, enum node_op op, enum sl_type type, int aux, int flags,
                    size_t pos, size_t start, const int *kids, size_t nk, int *out)
{
    struct expr *e = p->e;
    if (e->nnodes >= EXPR_MAX_NODES) {
        return parse_fail(p, pos, NULL, "expression too complex (more than %d nodes)",
                          EXPR_MAX_NODES);
    }
    struct enode *nd = &e->nodes[e->nnodes];
    memset(nd, 0, sizeof(*nd));
    nd->op = (unsigned char)op;
    nd->type = (unsigned char)type;
    nd->aux = (unsigned char)aux;
    nd->flags = (unsigned char)flags;
    nd->pos = (uint16_t)pos;
    nd->start = (uint16_t)start;
    nd->nkids = (uint16_t)nk;
    nd->kid = (uint16_t)e->nkids;
    int all_lit = nk > 0;
    for (size_t i = 0; i < nk; i++) {
        e->kids[e->nkids++] = (uint16_t)kids[i];
        if (e->nodes[kids[i]].op != OP_LIT) {
            all_lit = 0;
        }
    }
    *out = (int)e->nnodes++;
    return all_lit ? fold(p, *out) : 0;
}

static int new_lit(struct parser *p, const struct sl_value *v, enum sl_type type, int *out)
{
    int rc = parse_node(p, OP_LIT, type, 0, 0, p->tok.off, p->tok.off, NULL, 0, out);
    if (rc == 0) {
        p->e->nodes[*out].val = *v;
    }
    return rc;
}

/* ---- operators ------------------------------------------------------------------- */

static int parse_primary(struct parser *p, int *out);

static int parse_unary(struct parser *p, int *out)
{
    if (p->tok.kind != TK_MINUS && p->tok.kind != TK_PLUS) {
        return parse_primary(p, out);
    }
    struct token op = p->tok;
    int rc = advance(p);
    if (rc != 0) {
        return rc;
    }
    if (op.kind == TK_MINUS && p->tok.kind == TK_INT && !p->tok.big) {
        /* a negative literal, so -9223372036854775808 is representable */
        struct sl_value v = {.type = SL_T_INT};
        v.u.i = p->tok.mag == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)p->tok.mag;
        rc = new_lit(p, &v, SL_T_INT, out);
        if (rc == 0) {
            p->e->nodes[*out].start = (uint16_t)op.off;
            rc = advance(p);
        }
        return rc;
    }
    if (++p->depth > EXPR_MAX_DEPTH) {
        return parse_fail(p, op.off, NULL, "expression nested too deeply (max %d levels)",
                          EXPR_MAX_DEPTH);
    }
    int x = 0;
    rc = parse_unary(p, &x);
    p->depth--;
    if (rc != 0) {
        return rc;
    }
    enum sl_type t = ntype(p, x);
    if (t != SL_T_INT && t != SL_T_NUM && t != SL_T_NULL) {
        return parse_fail(p, op.off, NULL, "unary '%c' needs a number, got %s",
                          op.kind == TK_MINUS ? '-' : '+', sl_type_name(t));
    }
    if (op.kind == TK_PLUS) {
        *out = x;
        return 0;
    }
    return parse_node(p, OP_NEG, t, 0, 0, op.off, op.off, &x, 1, out);
}

static int parse_mul(struct parser *p, int *out)
{
    int rc = parse_unary(p, out);
    while (rc == 0 && (p->tok.kind == TK_STAR || p->tok.kind == TK_SLASH ||
                       p->tok.kind == TK_PERCENT)) {
        struct token op = p->tok;
        int r = 0;
        rc = advance(p);
        rc = rc != 0 ? rc : parse_unary(p, &r);
        rc = rc != 0 ? rc : parse_binary(p, &op, *out, r, out);
    }
    return rc;
}

static int parse_add(struct parser *p, int *out)
{
    int rc = parse_mul(p, out);
    while (rc == 0 && (p->tok.kind == TK_PLUS || p->tok.kind == TK_MINUS)) {
        struct token op = p->tok;
        int r = 0;
        rc = advance(p);
        rc = rc != 0 ? rc : parse_mul(p, &r);
        rc = rc != 0 ? rc : parse_binary(p, &op, *out, r, out);
    }
    return rc;
}

/* x [not] in (a, b, ...): p->tok is 'in'. */
static int parse_in(struct parser *p, int x, int negate, size_t op_off, int *out)
{
    size_t base = p->sp;
    enum sl_type t = ntype(p, x);
    int rc = advance(p);
    rc = rc != 0 ? rc : expect(p, TK_LPAREN, "expected '(' after 'in'");
    if (rc != 0) {
        return rc;
    }
    p->stack[p->sp++] = x;
    for (;;) {
        int item = 0;
        rc = parse_expr(p, &item);
        if (rc != 0) {
            return rc;
        }
        enum sl_type it = ntype(p, item);
        if (expr_unify(t, it, &t) != 0) {
            return parse_fail(p, nstart(p, item), NULL,
                              "'in' list item %zu is %s, which cannot be compared with %s",
                              p->sp - base, sl_type_name(it), sl_type_name(ntype(p, x)));
        }
        p->stack[p->sp++] = item;
        if (p->tok.kind != TK_COMMA) {
            break;
        }
        rc = advance(p);
        if (rc != 0) {
            return rc;
        }
    }
    rc = expect(p, TK_RPAREN, "expected ',' or ')' in the 'in' list");
    if (rc != 0) {
        return rc;
    }
    rc = parse_node(p, OP_IN, SL_T_BOOL, (int)expr_dom_of(t), negate ? NODE_NEGATE : 0, op_off,
                  nstart(p, x), p->stack + base, p->sp - base, out);
    p->sp = base;
    return rc;
}

/* x [not] between lo and hi: p->tok is 'between'. */
static int parse_between(struct parser *p, int x, int negate, size_t op_off, int *out)
{
    int lo, hi;
    int rc = advance(p);
    rc = rc != 0 ? rc : parse_add(p, &lo);
    rc = rc != 0 ? rc : expect(p, TK_AND, "expected 'and' in 'between ... and ...'");
    rc = rc != 0 ? rc : parse_add(p, &hi);
    if (rc != 0) {
        return rc;
    }
    enum sl_type t = ntype(p, x);
    if (expr_unify(t, ntype(p, lo), &t) != 0 || expr_unify(t, ntype(p, hi), &t) != 0) {
        return parse_fail(p, op_off, NULL, "'between' cannot compare %s with %s and %s",
                          sl_type_name(ntype(p, x)), sl_type_name(ntype(p, lo)),
                          sl_type_name(ntype(p, hi)));
    }
    int kids[3] = {x, lo, hi};
    return parse_node(p, OP_BETWEEN, SL_T_BOOL, (int)expr_dom_of(t), negate ? NODE_NEGATE : 0,
                    op_off, nstart(p, x), kids, 3, out);
}

static int parse_cmp(struct parser *p, int *out)
{
    int rc = parse_add(p, out);
    while (rc == 0) {
        struct token op = p->tok;
        if (op.kind >= TK_EQ && op.kind <= TK_GE) {
            int r = 0;
            rc = advance(p);
            rc = rc != 0 ? rc : parse_add(p, &r);
            rc = rc != 0 ? rc : parse_binary(p, &op, *out, r, out);
        } else if (op.kind == TK_IS) {
            int negate = 0;
            rc = advance(p);
            if (rc == 0 && p->tok.kind == TK_NOT) {
                negate = 1;
                rc = advance(p);
            }
            rc = rc != 0 ? rc : expect(p, TK_NULL, "expected 'null' after 'is' or 'is not'");
            int x = *out;
            rc = rc != 0 ? rc
                         : parse_node(p, OP_ISNULL, SL_T_BOOL, 0, negate ? NODE_NEGATE : 0,
                                    op.off, nstart(p, x), &x, 1, out);
        } else if (op.kind == TK_NOT || op.kind == TK_IN || op.kind == TK_BETWEEN) {
            int negate = op.kind == TK_NOT;
            if (negate) {
                rc = advance(p);
                if (rc == 0 && p->tok.kind != TK_IN && p->tok.kind != TK_BETWEEN) {
                    rc = unexpected(p, "expected 'in' or 'between' after 'not'");
                }
            }
            if (rc == 0) {
                rc = p->tok.kind == TK_IN ? parse_in(p, *out, negate, op.off, out)
                                          : parse_between(p, *out, negate, op.off, out);
            }
        } else {
            break;
        }
    }
    return rc;
}

static int parse_not(struct parser *p, int *out)
{
    if (p->tok.kind != TK_NOT) {
        return parse_cmp(p, out);
    }
    struct token op = p->tok;
    int rc = advance(p);
    if (rc != 0) {
        return rc;
    }
    if (++p->depth > EXPR_MAX_DEPTH) {
        return parse_fail(p, op.off, NULL, "expression nested too deeply (max %d levels)",
                          EXPR_MAX_DEPTH);
    }
    int x = 0;
    rc = parse_not(p, &x);
    p->depth--;
    if (rc != 0) {
        return rc;
    }
    enum sl_type t = ntype(p, x);
    if (t != SL_T_BOOL && t != SL_T_NULL) {
        return parse_fail(p, op.off, NULL, "operator '%.*s' needs a boolean operand, got %s",
                          (int)op.len, p->lx.src + op.off, sl_type_name(t));
    }
    return parse_node(p, OP_NOT, SL_T_BOOL, 0, 0, op.off, op.off, &x, 1, out);
}

static int parse_and(struct parser *p, int *out)
{
    int rc = parse_not(p, out);
    while (rc == 0 && p->tok.kind == TK_AND) {
        struct token op = p->tok;
        int r = 0;
        rc = advance(p);
        rc = rc != 0 ? rc : parse_not(p, &r);
        rc = rc != 0 ? rc : parse_binary(p, &op, *out, r, out);
    }
    return rc;
}

static int parse_or(struct parser *p, int *out)
{
    int rc = parse_and(p, out);
    while (rc == 0 && p->tok.kind == TK_OR) {
        struct token op = p->tok;
        int r = 0;
        rc = advance(p);
        rc = rc != 0 ? rc : parse_and(p, &r);
        rc = rc != 0 ? rc : parse_binary(p, &op, *out, r, out);
    }
    return rc;
}

static int parse_expr(struct parser *p, int *out)
{
    if (++p->depth > EXPR_MAX_DEPTH) {
        return parse_fail(p, p->tok.off, NULL, "expression nested too deeply (max %d levels)",
                          EXPR_MAX_DEPTH);
    }
    int rc = parse_or(p, out);
    p->depth--;
    return rc;
}

/* ---- operands -------------------------------------------------------------------- */

static int is_aggregate(enum fn_id id, size_t nargs)
{
    return id >= FN_COUNT_ROW_FNS || ((id == FN_MIN || id == FN_MAX) && nargs == 1);
}

/* name( args ): p->tok is the '('. */
static int parse_call(struct parser *p, const struct token *name, int *out)
{
    const struct fn_info *fn = expr_find_function(name->s, name->n);
    if (fn == NULL) {
        return parse_unknown_function(p, name);
    }
    size_t base = p->sp;
    int rc = advance(p);
    if (rc == 0 && p->tok.kind != TK_RPAREN) {
        for (;;) {
            int a = 0;
            rc = parse_expr(p, &a);
            if (rc != 0) {
                return rc;
            }
            p->stack[p->sp++] = a;
            if (p->tok.kind != TK_COMMA) {
                break;
            }
            rc = advance(p);
            if (rc != 0) {
                return rc;
            }
        }
    }
    rc = rc != 0 ? rc : expect(p, TK_RPAREN, "expected ',' or ')' in the argument list");
    if (rc != 0) {
        return rc;
    }
    size_t nargs = p->sp - base;
    if (is_aggregate(fn->id, nargs)) {
        if (p->in_agg) {
            return parse_fail(p, name->off, NULL,
                              "aggregate %s() cannot be nested inside another aggregate",
                              fn->name);
        }
        return parse_fail(p, name->off,
                          fn->id < FN_COUNT_ROW_FNS ? "use two or more arguments for the "
                                                      "row-wise least/greatest value"
                                                    : NULL,
                          "aggregate %s() is only allowed in metrics", fn->name);
    }
    if (nargs < (size_t)fn->min_args || (fn->max_args >= 0 && nargs > (size_t)fn->max_args)) {
        char want[48];
        if (fn->max_args < 0) {
            snprintf(want, sizeof(want), "at least %d", fn->min_args);
        } else if (fn->min_args == fn->max_args) {
            snprintf(want, sizeof(want), "%d", fn->min_args);
        } else {
            snprintf(want, sizeof(want), "%d to %d", fn->min_args, fn->max_args);
        }
        return parse_fail(p, name->off, NULL, "%s() takes %s argument%s, got %zu", fn->name,
                          want, (fn->min_args == 1 && fn->max_args == 1) ? "" : "s", nargs);
    }
    enum sl_type type;
    rc = expr_check_call(p, fn, name->off, p->stack + base, nargs, &type);
    rc = rc != 0 ? rc
                 : parse_node(p, OP_CALL, type, (int)fn->id, 0, name->off, name->off,
                            p->stack + base, nargs, out);
    p->sp = base;
    return rc;
}

static int parse_primary(struct parser *p, int *out)
{
    struct token t = p->tok;
    struct sl_value v = {.type = SL_T_NULL};
    int rc;
    switch (t.kind) {
    case TK_INT:
        if (t.big || t.mag > (uint64_t)INT64_MAX) {
            return parse_fail(p, t.off, NULL, "integer literal '%.*s' out of range",
                              t.len > 40 ? 40 : (int)t.len, p->lx.src + t.off);
        }
        v.type = SL_T_INT;
        v.u.i = (int64_t)t.mag;
        break;
    case TK_NUM:
        v.type = SL_T_NUM;
        v.u.d = t.d;
        break;
    case TK_STR:
        v.type = SL_T_STR;
        v.u.s.p = t.s;
        v.u.s.n = t.n;
        break;
    case TK_TRUE:
    case TK_FALSE:
        v.type = SL_T_BOOL;
        v.u.b = t.kind == TK_TRUE;
        break;
    case TK_NULL:
        break;
    case TK_LPAREN:
        rc = advance(p);
        rc = rc != 0 ? rc : parse_expr(p, out);
        return rc != 0 ? rc : expect(p, TK_RPAREN, "expected ')'");
    case TK_IDENT:
        rc = advance(p);
        if (rc != 0) {
            return rc;
        }
        return p->tok.kind == TK_LPAREN ? parse_call(p, &t, out) : parse_column_ref(p, &t, out);
    case TK_QIDENT:
        rc = advance(p);
        return rc != 0 ? rc : parse_column_ref(p, &t, out);
    default:
        return unexpected(p, "expected a value, a column or a function call");
    }
    rc = new_lit(p, &v, v.type, out);
    return rc != 0 ? rc : advance(p);
}

/* ---- entry points ---------------------------------------------------------------- */

static const char agg_usage[] = "a metric is one aggregate call: count(), count(x), sum(x), "
                                "avg(x), min(x), max(x) or count_distinct(x)";

static int parse_agg_top(struct parser *p, int *root, enum fn_id *agg_fn)
{
    struct token name = p->tok;
    const struct fn_info *fn = NULL;
    if (name.kind == TK_IDENT) {
        fn = expr_find_function(name.s, name.n);
    }
    if (fn == NULL || !is_aggregate(fn->id, 1)) {
        return unexpected(p, agg_usage);
    }
    int rc = advance(p);
    if (rc == 0 && p->tok.kind != TK_LPAREN) {
        rc = unexpected(p, agg_usage);
    }
    rc = rc != 0 ? rc : advance(p);
    if (rc != 0) {
        return rc;
    }
    enum fn_id id = fn->id == FN_MIN ? FN_AGG_MIN : fn->id == FN_MAX ? FN_AGG_MAX : fn->id;
    *agg_fn = id;
    *root = -1;
    if (!(id == FN_COUNT && p->tok.kind == TK_RPAREN)) {
        if (p->tok.kind == TK_RPAREN) {
            return parse_fail(p, name.off, NULL, "%s() needs an argument", fn->name);
        }
        p->in_agg = 1;
        rc = parse_expr(p, root);
        if (rc != 0) {
            return rc;
        }
        if (p->tok.kind == TK_COMMA) {
            return parse_fail(p, name.off, NULL, "aggregate %s() takes one argument",
                              fn->name);
        }
        enum sl_type t = ntype(p, *root);
        if ((id == FN_SUM || id == FN_AVG) && t != SL_T_INT && t != SL_T_NUM) {
            return parse_fail(p, nstart(p, *root), NULL, "%s() needs a number, got %s",
                              fn->name, sl_type_name(t));
        }
        if ((id == FN_AGG_MIN || id == FN_AGG_MAX) && t == SL_T_NULL) {
            return parse_fail(p, nstart(p, *root), NULL, "%s() needs a typed value, got null",
                              fn->name);
        }
    }
    rc = expect(p, TK_RPAREN, "expected ')'");
    if (rc == 0 && p->tok.kind != TK_EOF) {
        rc = unexpected(p, "a metric is a single aggregate call");
    }
    return rc;
}

int expr_compile_ex(const char *src, const struct expr_col *cols, size_t ncols, int agg_mode,
                    struct expr **out, enum sl_type *type, enum fn_id *agg_fn,
                    struct sl_error *err)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    struct expr *e = NULL;
    int rc = 0;
    int root = -1;
    *out = NULL;
    if (src == NULL) {
        return sl_error_set(err, SL_EEXPR, "no expression given");
    }
    size_t len = strlen(src);
    if (len > EXPR_MAX_SRC) {
        return sl_error_set(err, SL_EEXPR, "expression too long (%zu bytes, max %d)", len,
                            EXPR_MAX_SRC);
    }
    p.err = err;
    p.cols = cols;
    p.ncols = cols != NULL ? ncols : 0;
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        rc = no_memory(&p);
        goto out;
    }
    p.e = e;
    e->nodes = malloc(EXPR_MAX_NODES * sizeof(*e->nodes));
    e->kids = malloc(EXPR_MAX_NODES * sizeof(*e->kids));
    e->pool = malloc(len + 1);
    p.stack = malloc((EXPR_MAX_NODES + 1) * sizeof(*p.stack));
    p.fold = expr_scratch_create();
    if (e->nodes == NULL || e->kids == NULL || e->pool == NULL || p.stack == NULL ||
        p.fold == NULL) {
        rc = no_memory(&p);
        goto out;
    }
    p.lx.src = src;
    p.lx.len = len;
    p.lx.pool = e->pool;
    rc = advance(&p);
    if (rc == 0 && p.tok.kind == TK_EOF) {
        rc = parse_fail(&p, 0, NULL, "empty expression");
    }
    if (rc == 0 && agg_mode) {
        rc = parse_agg_top(&p, &root, agg_fn);
    } else if (rc == 0) {
        rc = parse_expr(&p, &root);
        if (rc == 0 && p.tok.kind != TK_EOF) {
            rc = unexpected(&p, "expected an operator or the end of the expression");
        }
    }
    if (rc != 0) {
        goto out;
    }
    if (root < 0) { /* count() reads no column */
        if (type != NULL) {
            *type = SL_T_NULL;
        }
        goto out;
    }
    e->root = (uint16_t)root;
    e->type = (enum sl_type)e->nodes[root].type;
    expr_fast_prepare(e);
    struct enode *nodes = realloc(e->nodes, e->nnodes * sizeof(*e->nodes));
    if (nodes != NULL) {
        e->nodes = nodes;
    }
    if (type != NULL) {
        *type = e->type;
    }
    *out = e;
    e = NULL;
out:
    expr_destroy(e);
    free(p.stack);
    expr_scratch_destroy(p.fold);
    return rc;
}
