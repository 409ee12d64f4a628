/* expr.c - public face of the expression language: compile, destroy and the scratch arena.
 *
 * The scratch arena is a chain of blocks that never move, so strings handed out earlier in a
 * row stay valid while later ones are allocated; a reset rewinds every block and keeps them
 * for the next row.  At most EXPR_SCRATCH_MAX bytes may be handed out between resets.
 */
#include "contract/expr_int.h"

#include <stdint.h>
#include <stdlib.h>

#define SCRATCH_FIRST_BLOCK 4096

struct scratch_blk {
    struct scratch_blk *next;
    size_t cap;
    size_t used;
    unsigned char data[];
};

struct expr_scratch {
    struct scratch_blk *head;
    struct scratch_blk *cur;
    size_t total;     /* bytes handed out since the last reset */
    unsigned char *last; /* the most recent allocation, for expr_scratch_trim */
    size_t last_n;
};

int expr_compile(const char *src, const struct expr_col *cols, size_t ncols, struct expr **out,
                 enum sl_type *type, struct sl_error *err)
{
    enum fn_id unused = FN_COUNT;
    return expr_compile_ex(src, cols, ncols, 0, out, type, &unused, err);
}

void expr_destroy(struct expr *e)
{
    if (e == NULL) {
        return;
    }
    while (e->strings != NULL) {
        struct str_block *next = e->strings->next;
        free(e->strings);
        e->strings = next;
    }
    free(e->nodes);
    free(e->kids);
    free(e->pool);
    free(e);
}

struct expr_scratch *expr_scratch_create(void)
{
    return calloc(1, sizeof(struct expr_scratch));
}

void expr_scratch_reset(struct expr_scratch *s)
{
    if (s == NULL) {
        return;
    }
    for (struct scratch_blk *b = s->head; b != NULL; b = b->next) {
        b->used = 0;
    }
    s->cur = s->head;
    s->total = 0;
    s->last = NULL;
    s->last_n = 0;
}

void expr_scratch_destroy(struct expr_scratch *s)
{
    if (s == NULL) {
        return;
    }
    while (s->head != NULL) {
        struct scratch_blk *next = s->head->next;
        free(s->head);
        s->head = next;
    }
    free(s);
}

/* Padding that aligns b's next free byte to align. */
static size_t pad_for(const struct scratch_blk *b, size_t align)
{
    uintptr_t at = (uintptr_t)(b->data + b->used);
    return (size_t)((align - (at & (align - 1))) & (align - 1));
}

int expr_scratch_alloc(struct expr_scratch *s, size_t n, size_t align, void **out,
                       struct sl_error *err)
{
    *out = NULL;
    if (s == NULL) {
        return sl_error_set(err, SL_EEXPR, "expression needs scratch space for a string result");
    }
    if (n > EXPR_SCRATCH_MAX || s->total + n > EXPR_SCRATCH_MAX) {
        return sl_error_set(err, SL_EEXPR, "string results of one row exceed %d bytes",
                            EXPR_SCRATCH_MAX);
    }
    struct scratch_blk *b = s->cur;
    struct scratch_blk *tail = NULL;
    for (; b != NULL; b = b->next) {
        size_t pad = pad_for(b, align);
        if (b->cap - b->used >= pad + n) {
            break;
        }
        tail = b;
    }
    if (b == NULL) {
        size_t cap = SCRATCH_FIRST_BLOCK;
        for (struct scratch_blk *x = s->head; x != NULL; x = x->next) {
            tail = x;
            cap = x->cap * 2 > cap ? x->cap * 2 : cap;
        }
        if (cap < n + 16) {
            cap = n + 16;
        }
        b = malloc(sizeof(*b) + cap);
        if (b == NULL) {
            return sl_error_set(err, SL_ENOMEM, "out of memory for expression scratch space");
        }
        b->next = NULL;
        b->cap = cap;
        b->used = 0;
        if (tail == NULL) {
            s->head = b;
        } else {
            tail->next = b;
        }
    }
    size_t pad = pad_for(b, align);
    unsigned char *p = b->data + b->used + pad;
    b->used += pad + n;
    s->cur = b;
    s->total += n;
    s->last = p;
    s->last_n = n;
    *out = p;
    return 0;
}

void expr_scratch_trim(struct expr_scratch *s, void *p, size_t n)
{
    if (s != NULL && p == s->last && n <= s->last_n) {
        s->cur->used -= s->last_n - n;
        s->total -= s->last_n - n;
        s->last_n = n;
    }
}
