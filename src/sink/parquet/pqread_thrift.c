/* pqread_thrift.c - a generic Thrift compact-protocol decoder into a tree of th_node, and
 * the footer parser built on it.  Every length, count and nesting depth is checked against
 * the input, so a damaged or hostile file gives an error, never a wild read.  Nodes live in
 * an arena freed in one go.
 */
#include "sink/parquet/pqread.h"

#include <stdlib.h>
#include <string.h>

#include "sink/parquet/thrift.h"

#define MAX_DEPTH 32
#define MAX_FIELDS 40

struct pqr_arena {
    struct pqr_arena *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};

static void *arena_alloc(struct pqr_arena **a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (*a == NULL || (*a)->cap - (*a)->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        struct pqr_arena *b = malloc(sizeof(*b) + cap);
        if (b == NULL) {
            return NULL;
        }
        b->next = *a;
        b->used = 0;
        b->cap = cap;
        *a = b;
    }
    void *p = (*a)->mem + (*a)->used;
    (*a)->used += n;
    return p;
}

void pqr_arena_free(struct pqr_arena *a)
{
    while (a != NULL) {
        struct pqr_arena *next = a->next;
        free(a);
        a = next;
    }
}

struct rd {
    const uint8_t *p;
    size_t n, pos;
    struct pqr_arena **arena;
    int depth;
};

static int rd_byte(struct rd *r, uint8_t *b)
{
    if (r->pos >= r->n) {
        return -1;
    }
    *b = r->p[r->pos++];
    return 0;
}

static int rd_varint(struct rd *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (rd_byte(r, &b) != 0) {
            return -1;
        }
        x |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static int64_t unzigzag(uint64_t z)
{
    return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static int rd_struct(struct rd *r, struct th_node *out);

static int rd_value(struct rd *r, uint8_t type, struct th_node *out)
{
    uint64_t u;
    uint8_t b;
    out->type = type;
    switch (type) {
    case TH_TRUE:
    case TH_FALSE:
        out->type = TH_TRUE;
        out->i = type == TH_TRUE;
        return 0;
    case TH_I8:
        if (rd_byte(r, &b) != 0) {
            return -1;
        }
        out->i = (int8_t)b; // NOLINT(bugprone-signed-char-misuse,cert-str34-c): Thrift i8 is signed
        return 0;
    case TH_I16:
    case TH_I32:
    case TH_I64:
        if (rd_varint(r, &u) != 0) {
            return -1;
        }
        out->i = unzigzag(u);
        return 0;
    case TH_DOUBLE:
        if (r->n - r->pos < 8) {
            return -1;
        }
        memcpy(&out->d, r->p + r->pos, 8);
        r->pos += 8;
        return 0;
    case TH_BINARY:
        if (rd_varint(r, &u) != 0 || u > r->n - r->pos) {
            return -1;
        }
        out->p = r->p + r->pos;
        out->n = (size_t)u;
        r->pos += (size_t)u;
        return 0;
    case TH_LIST:
    case TH_SET: {
        if (rd_byte(r, &b) != 0) {
            return -1;
        }
        uint64_t cnt = b >> 4;
        out->etype = b & 0x0f;
        if (cnt == 15 && rd_varint(r, &cnt) != 0) {
            return -1;
        }
        if (cnt > r->n - r->pos || out->etype == TH_STOP) {
            return -1; /* every element takes at least one byte */
        }
        out->n = (size_t)cnt;
        out->kids = arena_alloc(r->arena, (cnt ? cnt : 1) * sizeof(*out->kids));
        if (out->kids == NULL) {
            return -1;
        }
        memset(out->kids, 0, (cnt ? cnt : 1) * sizeof(*out->kids));
        for (size_t i = 0; i < cnt; i++) {
            if (out->etype == TH_TRUE || out->etype == TH_FALSE) {
                if (rd_byte(r, &b) != 0) {
                    return -1;
                }
                out->kids[i].type = TH_TRUE;
                out->kids[i].i = b == 1;
            } else if (rd_value(r, out->etype, &out->kids[i]) != 0) {
                return -1;
            }
        }
        return 0;
    }
    case TH_STRUCT:
        return rd_struct(r, out);
    default:
        return -1; /* maps and unknown types: Parquet has none */
    }
}

static int rd_struct(struct rd *r, struct th_node *out)
{
    struct th_node f[MAX_FIELDS];
    size_t k = 0;
    int64_t last = 0;
    if (++r->depth > MAX_DEPTH) {
        return -1;
    }
    for (;;) {
        uint8_t b;
        if (rd_byte(r, &b) != 0) {
            return -1;
        }
        if (b == TH_STOP) {
            break;
        }
        int64_t id;
        if (b >> 4) {
            id = last + (b >> 4);
        } else {
            uint64_t u;
            if (rd_varint(r, &u) != 0) {
                return -1;
            }
            id = unzigzag(u);
        }
        if (k == MAX_FIELDS || id < INT16_MIN || id > INT16_MAX) {
            return -1;
        }
        memset(&f[k], 0, sizeof(f[k]));
        f[k].id = (int16_t)id;
        if (rd_value(r, b & 0x0f, &f[k]) != 0) {
            return -1;
        }
        last = id;
        k++;
    }
    r->depth--;
    out->type = TH_STRUCT;
    out->n = k;
    out->kids = arena_alloc(r->arena, (k ? k : 1) * sizeof(*out->kids));
    if (out->kids == NULL) {
        return -1;
    }
    if (k > 0) {
        memcpy(out->kids, f, k * sizeof(*f));
    }
    return 0;
}

int pqr_thrift_struct(struct pqr_arena **arena, const uint8_t *p, size_t n,
                      struct th_node *out, size_t *used)
{
    struct rd r = {p, n, 0, arena, 0};
    memset(out, 0, sizeof(*out));
    if (rd_struct(&r, out) != 0) {
        return -1;
    }
    *used = r.pos;
    return 0;
}

const struct th_node *th_get(const struct th_node *st, int16_t id)
{
    if (st == NULL || st->type != TH_STRUCT) {
        return NULL;
    }
    for (size_t i = 0; i < st->n; i++) {
        if (st->kids[i].id == id) {
            return &st->kids[i];
        }
    }
    return NULL;
}

int64_t th_get_int(const struct th_node *st, int16_t id, int64_t dflt)
{
    const struct th_node *f = th_get(st, id);
    if (f == NULL || f->type == TH_LIST || f->type == TH_STRUCT || f->type == TH_BINARY) {
        return dflt;
    }
    return f->i;
}

static const struct th_node *list_field(const struct th_node *st, int16_t id)
{
    const struct th_node *f = th_get(st, id);
    return f != NULL && f->type == TH_LIST ? f : NULL;
}

int pqr_open(struct pqr_file *f, const uint8_t *data, size_t len, struct sl_error *err)
{
    memset(f, 0, sizeof(*f));
    f->data = data;
    f->len = len;
    if (len < 12 || memcmp(data, "PAR1", 4) != 0 || memcmp(data + len - 4, "PAR1", 4) != 0) {
        return sl_error_set(err, SL_EFILE, "parquet: no PAR1 magic");
    }
    uint32_t flen;
    memcpy(&flen, data + len - 8, 4);
    if (flen > len - 12) {
        return sl_error_set(err, SL_EFILE, "parquet: footer length %u too large", flen);
    }
    size_t used;
    if (pqr_thrift_struct(&f->arena, data + len - 8 - flen, flen, &f->meta, &used) != 0
        || used != flen) {
        pqr_close(f);
        return sl_error_set(err, SL_EFILE, "parquet: footer is not valid Thrift");
    }
    const struct th_node *schema = list_field(&f->meta, 2);
    const struct th_node *rgs = list_field(&f->meta, 4);
    if (schema == NULL || schema->n < 2 || rgs == NULL || th_get(&f->meta, 3) == NULL
        || th_get_int(&schema->kids[0], 5, -1) != (int64_t)schema->n - 1) {
        pqr_close(f);
        return sl_error_set(err, SL_EFILE, "parquet: footer lacks schema or row groups");
    }
    f->ncols = schema->n - 1;
    f->nrg = rgs->n;
    f->num_rows = th_get_int(&f->meta, 3, -1);
    for (size_t c = 0; c < f->ncols; c++) {
        if (th_get(&schema->kids[c + 1], 5) != NULL || th_get(&schema->kids[c + 1], 1) == NULL) {
            pqr_close(f);
            return sl_error_set(err, SL_EFILE, "parquet: schema is not flat");
        }
    }
    for (size_t g = 0; g < f->nrg; g++) {
        const struct th_node *cols = list_field(&rgs->kids[g], 1);
        if (cols == NULL || cols->n != f->ncols) {
            pqr_close(f);
            return sl_error_set(err, SL_EFILE, "parquet: row group %zu has no columns", g);
        }
        for (size_t c = 0; c < f->ncols; c++) {
            if (th_get(&cols->kids[c], 3) == NULL) {
                pqr_close(f);
                return sl_error_set(err, SL_EFILE, "parquet: chunk without metadata");
            }
        }
    }
    return 0;
}

void pqr_close(struct pqr_file *f)
{
    pqr_arena_free(f->arena);
    f->arena = NULL;
}

const struct th_node *pqr_leaf(const struct pqr_file *f, size_t c)
{
    const struct th_node *schema = list_field(&f->meta, 2);
    return c < f->ncols ? &schema->kids[c + 1] : NULL;
}

const struct th_node *pqr_chunk_meta(const struct pqr_file *f, size_t rg, size_t c)
{
    const struct th_node *rgs = list_field(&f->meta, 4);
    if (rg >= f->nrg || c >= f->ncols) {
        return NULL;
    }
    return th_get(&list_field(&rgs->kids[rg], 1)->kids[c], 3);
}

enum sl_type pqr_leaf_type(const struct th_node *leaf)
{
    const struct th_node *lt = th_get(leaf, 10);
    switch (th_get_int(leaf, 1, -1)) {
    case 0:
        return SL_T_BOOL;
    case 1:
        return SL_T_DATE;
    case 2:
        return th_get(lt, 8) != NULL ? SL_T_DATETIME : SL_T_INT;
    case 5:
        return SL_T_NUM;
    case 6:
        return SL_T_STR;
    default:
        return SL_T_NULL;
    }
}
