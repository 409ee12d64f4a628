/* expr_int.h - private to the expression modules (expr*.c, agg.c): tokens, the typed AST and
 * the helpers they share.
 *
 * A compiled expression is a flat array of nodes; each node's children are a run of indexes in
 * kids[].  Types are fixed at compile time and every node evaluates to a value of its static
 * type or to null, so evaluation never looks at names or re-checks types.
 */
#ifndef SL_EXPR_INT_H
#define SL_EXPR_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "contract/expr.h"
#include "contract/types.h"

#define EXPR_MAX_SRC 4096    /* bytes of source */
#define EXPR_MAX_DEPTH 64    /* parser nesting: parentheses, calls, unary operators */
#define EXPR_MAX_NODES 1024  /* AST nodes */
#define EXPR_SCRATCH_MAX (1024 * 1024)

/* ---- tokens ---- */

enum tok_kind {
    TK_EOF = 0,
    TK_INT,     /* mag (with big set when it exceeds 2^63) */
    TK_NUM,     /* d */
    TK_STR,     /* s/n decoded, NUL-terminated, in the lexer's pool */
    TK_IDENT,   /* s/n point into the source */
    TK_QIDENT,  /* `quoted name`: s/n decoded into the pool */
    TK_LPAREN,
    TK_RPAREN,
    TK_COMMA,
    TK_PLUS,
    TK_MINUS,
    TK_STAR,
    TK_SLASH,
    TK_PERCENT,
    TK_EQ,
    TK_NE,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE,
    TK_AND,
    TK_OR,
    TK_NOT,
    TK_IN,
    TK_IS,
    TK_NULL,
    TK_TRUE,
    TK_FALSE,
    TK_BETWEEN,
};

struct token {
    enum tok_kind kind;
    size_t off, len; /* byte span in the source */
    uint64_t mag;
    int big;
    double d;
    const char *s;
    size_t n;
};

struct lexer {
    const char *src;
    size_t len;
    size_t pos;
    char *pool; /* decoded string literals and quoted names; at least len + 1 bytes */
    size_t pool_used;
};

/* Reads the next token; on a lexical error fills err (with the offset) and returns SL_EEXPR. */
int lex_next(struct lexer *lx, struct token *t, struct sl_error *err);
/* 1-based character (code point) offset of byte offset off. */
size_t lex_char_offset(const char *src, size_t off);

/* ---- the typed AST ---- */

enum node_op {
    OP_LIT = 0, /* val */
    OP_COL,     /* val.u.i = column index */
    OP_NEG,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_AND,
    OP_OR,
    OP_NOT,
    OP_IN,      /* kids: x, items...; flags NEGATE for "not in" */
    OP_BETWEEN, /* kids: x, lo, hi; flags NEGATE */
    OP_ISNULL,  /* flags NEGATE for "is not null" */
    OP_CALL,    /* aux = enum fn_id */
};

#define NODE_NEGATE 1

/* How two values compare (aux of comparison, in and between nodes). */
enum cmp_dom {
    DOM_NULL = 0, /* both sides are the null literal: always null */
    DOM_INT,
    DOM_NUM,  /* int and/or number, compared exactly */
    DOM_STR,  /* bytewise */
    DOM_BOOL,
    DOM_DATE,
    DOM_DT,   /* datetimes, dates promoted to midnight */
};

enum fn_id {
    FN_ABS = 0,
    FN_ROUND,
    FN_FLOOR,
    FN_CEIL,
    FN_MIN,
    FN_MAX,
    FN_YEAR,
    FN_MONTH,
    FN_DAY,
    FN_HOUR,
    FN_MINUTE,
    FN_SECOND,
    FN_QUARTER,
    FN_DAYOFWEEK,
    FN_DATE,
    FN_DATETIME,
    FN_STRFTIME,
    FN_INT,
    FN_NUMBER,
    FN_STRING,
    FN_LENGTH,
    FN_LOWER,
    FN_UPPER,
    FN_TRIM,
    FN_SUBSTR,
    FN_CONCAT,
    FN_COALESCE,
    FN_IF,
    FN_NULLIF,
    FN_STARTS_WITH,
    FN_ENDS_WITH,
    FN_CONTAINS,
    FN_COUNT_ROW_FNS, /* aggregates follow: known names, only valid at a metric's top */
    FN_COUNT = FN_COUNT_ROW_FNS,
    FN_SUM,
    FN_AVG,
    FN_COUNT_DISTINCT,
    FN_AGG_MIN, /* min/max with one argument */
    FN_AGG_MAX,
};

struct fn_info {
    const char *name;
    enum fn_id id;
    int min_args, max_args; /* max_args -1: any number */
};

extern const struct fn_info expr_functions[];
extern const size_t expr_nfunctions;

struct enode {
    unsigned char op;    /* enum node_op */
    unsigned char type;  /* static result type (enum sl_type) */
    unsigned char aux;   /* enum cmp_dom or enum fn_id */
    unsigned char flags; /* NODE_NEGATE */
    uint16_t nkids;
    uint16_t kid;        /* first child in expr.kids */
    uint16_t pos;        /* byte offset of the operator or name token */
    uint16_t start;      /* byte offset where the node's text starts */
    unsigned char fast;  /* enum fast_kind, set by expr_fast_prepare once the AST is final */
    struct sl_value val; /* OP_LIT value; OP_COL: val.u.i is the column index */
};

/* How a node can skip the generic walk (expr_fast.c).  LIT and COL only say how a fast
 * parent reads them; the kinds from FAST_ARITH on are evaluated by expr_fast_eval. */
enum fast_kind {
    FAST_NONE = 0,
    FAST_LIT,      /* an int or number literal (or null) */
    FAST_COL,      /* an int or number column */
    FAST_ARITH,    /* + - * / % of static type number */
    FAST_NEG,      /* -x, x a number of a fast kind */
    FAST_ABS,      /* abs(x), x a number of a fast kind */
    FAST_CMP,      /* = <> < <= > >= of two int/number operands of fast kinds */
    FAST_DATEPART, /* year(c), month(c), ...: c a date or datetime column */
    FAST_STRFTIME, /* strftime('<pattern of the day alone>', c): c a date or datetime column */
};

struct str_block {
    struct str_block *next;
    char data[];
};

struct expr {
    struct enode *nodes;
    uint16_t *kids;
    size_t nnodes, nkids;
    uint16_t root;
    enum sl_type type;
    char *pool;                /* string literals (the lexer's pool) */
    struct str_block *strings; /* strings made by constant folding */
};

/* ---- the parser (expr_parse.c), shared with the function checker (expr_func.c) ---- */

struct parser {
    struct lexer lx;
    struct token tok;
    const struct expr_col *cols;
    size_t ncols;
    struct expr *e;
    int *stack; /* pending children of calls and lists, EXPR_MAX_NODES entries */
    size_t sp;
    int depth;
    int in_agg; /* parsing the argument of an aggregate */
    struct expr_scratch *fold;
    struct sl_error *err;
};

/* Sets a compile error "<message> at offset N[ (hint)]" and returns SL_EEXPR. */
int parse_fail(struct parser *p, size_t off, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends a node; folds it to a literal when all its children are literals. */
int parse_node(struct parser *p, enum node_op op, enum sl_type type, int aux, int flags,
               size_t pos, size_t start, const int *kids, size_t nk, int *out);
/* l op r for arithmetic, comparison and and/or tokens, type-checked. */
int parse_binary(struct parser *p, const struct token *op, int l, int r, int *out);
/* A column reference by name (t is an identifier or quoted name). */
int parse_column_ref(struct parser *p, const struct token *t, int *out);
int parse_unknown_function(struct parser *p, const struct token *name);
/* The result type of fn applied to args (node indexes), or a compile error. */
int expr_check_call(struct parser *p, const struct fn_info *fn, size_t name_off,
                    const int *args, size_t nargs, enum sl_type *type);
/* The function called name (case-insensitive), or NULL. */
const struct fn_info *expr_find_function(const char *name, size_t n);
/* Writes "did you mean 'x'?" (up to three close names, closest first) into buf, or "" when
 * none of the n names given by name_at(ctx, i) is close to word. */
void expr_suggest(const char *word, size_t wn, const char *(*name_at)(const void *, size_t),
                  const void *ctx, size_t n, char *buf, size_t cap);

/* Compiles src.  agg_mode 0: a row expression (aggregates are errors).  agg_mode 1: src must
 * be one aggregate call; *agg_fn gets its id and *out its argument (NULL for count()), *type
 * the argument's type. */
int expr_compile_ex(const char *src, const struct expr_col *cols, size_t ncols, int agg_mode,
                    struct expr **out, enum sl_type *type, enum fn_id *agg_fn,
                    struct sl_error *err);

/* ---- evaluation (expr_eval.c, expr_fn.c) ---- */

struct ev_ctx {
    const struct expr *e;
    const struct sl_value *row;
    struct expr_scratch *scratch;
    struct sl_error *err;
    int st; /* expr_fast.c's readers: 0 a value, 1 null, < 0 an error */
};

int ev_node(struct ev_ctx *cx, size_t idx, struct sl_value *out);
int ev_call(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out);
/* Sets a runtime error (SL_EEXPR) and returns it. */
int ev_fail(struct ev_ctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Converts an int to number or a date to datetime when the static type asks for it. */
void ev_coerce(struct sl_value *v, enum sl_type type);
/* Column node nd's value v (the row's cell) as the node's static type: coerced, or an
 * SL_EEXPR error when it cannot be.  Nulls stay null. */
int ev_col_value(const struct enode *nd, struct sl_value *v, struct sl_error *err);

/* Marks the nodes of a compiled expression that expr_fast_eval can evaluate (expr_fast.c). */
void expr_fast_prepare(struct expr *e);
/* Evaluates a node whose fast kind is FAST_ARITH or beyond: the same value, null or error as
 * the generic walk, without its per-node dispatch and value copies. */
int expr_fast_eval(struct ev_ctx *cx, const struct enode *nd, struct sl_value *out);
/* Unmarks every node, so the whole expression takes the generic walk: tests compare the two. */
void expr_fast_clear(struct expr *e);
/* The date part id (FN_YEAR .. FN_DAYOFWEEK) of a non-null date or datetime (expr_fn.c). */
int expr_date_part(const struct sl_value *v, enum fn_id id);
/* strftime(fmt, <a date or datetime on day days>) for a pattern types_strftime_by_day
 * accepts, into the scratch as ev_call would (expr_fn.c). */
int expr_strftime_day(struct ev_ctx *cx, const struct sl_value *fmt, int32_t days,
                      struct sl_value *out);

/* A leaf's value without the generic dispatch: literals as they are, a column's cell when it
 * already has the node's type or is null; anything else goes through ev_node.  Inlined into
 * the operators' operand fetches. */
static inline int ev_kid(struct ev_ctx *cx, size_t idx, struct sl_value *out)
{
    const struct enode *kn = &cx->e->nodes[idx];
    if (kn->op == OP_LIT) {
        *out = kn->val;
        return 0;
    }
    if (kn->op == OP_COL) {
        *out = cx->row[kn->val.u.i];
        if (out->type == (enum sl_type)kn->type || out->type == SL_T_NULL) {
            return 0;
        }
    }
    return ev_node(cx, idx, out);
}

/* Evaluates node idx (used by expr_eval and by constant folding at compile time). */
int expr_eval_node(const struct expr *e, size_t idx, const struct sl_value *row,
                   struct expr_scratch *scratch, struct sl_value *out, struct sl_error *err);

/* Scratch allocation: *out gets n bytes aligned to align (a power of two <= 16).  Returns 0,
 * SL_ENOMEM, or SL_EEXPR beyond EXPR_SCRATCH_MAX bytes per reset or without scratch. */
int expr_scratch_alloc(struct expr_scratch *s, size_t n, size_t align, void **out,
                       struct sl_error *err);
/* Shrinks the most recent allocation p to n bytes (n <= its size). */
void expr_scratch_trim(struct expr_scratch *s, void *p, size_t n);

/* Type rules shared by the checker and the aggregates. */
int expr_unify(enum sl_type a, enum sl_type b, enum sl_type *out); /* -1 when incomparable */
enum cmp_dom expr_dom_of(enum sl_type t);
/* -1, 0, 1; a and b are non-null values of the domain's types. */
int expr_compare(enum cmp_dom dom, const struct sl_value *a, const struct sl_value *b);
/* Exact comparison of an int64 with a finite double: -1, 0, 1. */
int expr_cmp_int_num(int64_t i, double d);

/* Number arithmetic (+ - * / %) on two non-null operands: NULL and *r, or the error's
 * message.  The one rule of the generic evaluator (ev_arith) and its fast path. */
static inline const char *expr_num_op(enum node_op op, double x, double y, double *r)
{
    switch (op) {
    case OP_ADD:
        *r = x + y;
        break;
    case OP_SUB:
        *r = x - y;
        break;
    case OP_MUL:
        *r = x * y;
        break;
    case OP_DIV:
        if (y == 0) {
            return "division by zero";
        }
        *r = x / y;
        break;
    default: /* OP_MOD */
        if (y == 0) {
            return "division by zero";
        }
        *r = fmod(x, y);
        break;
    }
    return isfinite(*r) ? NULL : "number out of range";
}

static inline int expr_sign3(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Whether comparison op holds for c, the -1/0/1 outcome of comparing its operands. */
static inline int expr_cmp_holds(enum node_op op, int c)
{
    switch (op) {
    case OP_EQ:
        return c == 0;
    case OP_NE:
        return c != 0;
    case OP_LT:
        return c < 0;
    case OP_LE:
        return c <= 0;
    case OP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

#endif
