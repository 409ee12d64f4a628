/* encode.c - the byte-level encodings: growable buffers and varints, the RLE/bit-packed
 * hybrid (definition levels and dictionary indices), and the per-chunk dictionary, a hash
 * table over PLAIN-encoded distinct values that doubles as the dictionary page body.
 */
#include "sink/parquet/internal.h"

#include <stdlib.h>
#include <string.h>

#define PQ_BUF_MAX ((size_t)1 << 31)

int pq_buf_grow(struct pq_buf *b, size_t extra)
{
    if (b->failed) {
        return -1;
    }
    if (b->cap - b->len >= extra) {
        return 0;
    }
    if (extra > PQ_BUF_MAX - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        ncap *= 2;
    }
    uint8_t *np = realloc(b->p, ncap);
    if (np == NULL) {
        b->failed = 1;
        return -1;
    }
    b->p = np;
    b->cap = ncap;
    return 0;
}

void pq_buf_free(struct pq_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void pq_buf_varint(struct pq_buf *b, uint64_t v)
{
    if (pq_buf_reserve(b, 10) != 0) {
        return;
    }
    while (v >= 0x80) {
        b->p[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->p[b->len++] = (uint8_t)v;
}

int pq_bit_width(uint32_t n)
{
    int w = 1;
    while (w < 32 && ((uint64_t)1 << w) < n) {
        w++;
    }
    return w;
}

/* Bit-packed run of v[0..n), n padded up to a multiple of 8 with zeros. */
static void bitpack_run(struct pq_buf *out, const uint32_t *v, size_t n, int w)
{
    size_t groups = (n + 7) / 8;
    pq_buf_varint(out, ((uint64_t)groups << 1) | 1);
    if (pq_buf_reserve(out, groups * (size_t)w) != 0) {
        return;
    }
    uint8_t *p = out->p + out->len;
    uint64_t acc = 0;
    int nbits = 0;
    for (size_t i = 0; i < groups * 8; i++) {
        acc |= (uint64_t)(i < n ? v[i] : 0) << nbits;
        nbits += w;
        while (nbits >= 8) {
            *p++ = (uint8_t)acc;
            acc >>= 8;
            nbits -= 8;
        }
    }
    out->len += groups * (size_t)w;
}

static void rle_run(struct pq_buf *out, uint32_t value, size_t count, int w)
{
    pq_buf_varint(out, (uint64_t)count << 1);
    for (int i = 0; i < (w + 7) / 8; i++) {
        pq_buf_byte(out, (uint8_t)(value >> (8 * i)));
    }
}

void pq_rle_encode(struct pq_buf *out, const uint32_t *v, size_t n, int w)
{
    size_t bp_start = 0, bp_n = 0; /* pending bit-packed values v[bp_start..+bp_n) */
    size_t i = 0;
    while (i < n) {
        size_t run = 1;
        while (i + run < n && v[i + run] == v[i]) {
            run++;
        }
        if (run >= 8 && bp_n % 8 != 0) {
            /* complete the pending group with the run's first values */
            size_t k = 8 - bp_n % 8;
            bp_n += k;
            i += k;
            continue;
        }
        if (run >= 8) {
            if (bp_n > 0) {
                bitpack_run(out, v + bp_start, bp_n, w);
            }
            rle_run(out, v[i], run, w);
            i += run;
            bp_start = i;
            bp_n = 0;
            continue;
        }
        if (bp_n == 0) {
            bp_start = i;
        }
        bp_n += run;
        i += run;
    }
    if (bp_n > 0) {
        bitpack_run(out, v + bp_start, bp_n, w);
    }
}

/* ---- dictionary ---- */

void pq_dict_init(struct pq_dict *d, enum sl_type type)
{
    memset(d, 0, sizeof(*d));
    d->type = type;
    d->width = pq_plain_width(type);
}

void pq_dict_reset(struct pq_dict *d)
{
    d->n = 0;
    d->plain.len = 0;
    d->plain.failed = 0;
    if (d->slots != NULL) {
        memset(d->slots, 0, d->nslots * sizeof(*d->slots));
    }
}

void pq_dict_free(struct pq_dict *d)
{
    free(d->slots);
    free(d->soff);
    pq_buf_free(&d->plain);
    memset(d, 0, sizeof(*d));
}

/* Doubles the table (1024 slots at first), re-placing every entry by its stored hash. */
static int rehash(struct pq_dict *d)
{
    size_t ns = d->nslots ? d->nslots * 2 : 1024;
    struct pq_dslot *slots = calloc(ns, sizeof(*slots));
    if (slots == NULL) {
        return -1;
    }
    size_t old = d->slots != NULL ? d->nslots : 0; /* no table yet: nothing to re-place */
    for (size_t i = 0; i < old; i++) {
        if (d->slots[i].e1 == 0) {
            continue;
        }
        size_t pos = d->slots[i].hash & (ns - 1);
        while (slots[pos].e1 != 0) {
            pos = (pos + 1) & (ns - 1);
        }
        slots[pos] = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = ns;
    return 0;
}

/* The empty slot for hash h (the value is known to be absent), growing the table first
 * when the new entry would fill it past half. */
static struct pq_dslot *free_slot(struct pq_dict *d, uint32_t h)
{
    if ((d->slots == NULL || ((size_t)d->n + 1) * 2 > d->nslots) && rehash(d) != 0) {
        return NULL;
    }
    size_t mask = d->nslots - 1;
    size_t pos = h & mask;
    while (d->slots[pos].e1 != 0) {
        pos = (pos + 1) & mask;
    }
    return &d->slots[pos];
}

int pq_dict_add_fixed(struct pq_dict *d, uint64_t key, uint32_t h, uint32_t *idx)
{
    if (d->n == UINT32_MAX - 1) {
        return -1;
    }
    struct pq_dslot *s = free_slot(d, h);
    if (s == NULL) {
        return -1;
    }
    pq_buf_add(&d->plain, &key, d->width); /* little-endian: the low bytes are the value */
    if (d->plain.failed) {
        return -1;
    }
    *s = (struct pq_dslot){.key = key, .hash = h, .e1 = d->n + 1};
    *idx = d->n++;
    return 1;
}

int pq_dict_add_str(struct pq_dict *d, const uint8_t *p, size_t n, uint32_t h, uint32_t *idx)
{
    if (d->n == UINT32_MAX - 1 || n > UINT32_MAX) {
        return -1;
    }
    if (d->n == d->ecap) {
        size_t ncap = d->ecap ? d->ecap * 2 : 512;
        size_t *so = realloc(d->soff, ncap * sizeof(*so));
        if (so == NULL) {
            return -1;
        }
        d->soff = so;
        d->ecap = ncap;
    }
    struct pq_dslot *s = free_slot(d, h);
    if (s == NULL) {
        return -1;
    }
    d->soff[d->n] = d->plain.len;
    pq_buf_u32le(&d->plain, (uint32_t)n);
    pq_buf_add(&d->plain, p, n);
    if (d->plain.failed) {
        return -1;
    }
    *s = (struct pq_dslot){.hash = h, .e1 = d->n + 1};
    *idx = d->n++;
    return 1;
}

int pq_dict_put(struct pq_dict *d, const void *p, size_t n, uint32_t *idx)
{
    if (d->width == 8 || d->width == 4) {
        uint64_t k = 0;
        memcpy(&k, p, d->width);
        return pq_dict_put_fixed(d, k, idx);
    }
    return pq_dict_put_str(d, p, n, idx);
}
