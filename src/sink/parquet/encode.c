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

static uint32_t mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return (uint32_t)x;
}

static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n > 0) {
        memcpy(&w, p, n);
    }
    h = (h ^ w) * 0x100000001b3ULL;
    return mix64(h);
}

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
    free(d->hash);
    free(d->soff);
    pq_buf_free(&d->plain);
    memset(d, 0, sizeof(*d));
}

static int entry_equal(const struct pq_dict *d, uint32_t e, const void *p, size_t n)
{
    uint32_t len;
    memcpy(&len, d->plain.p + d->soff[e], 4);
    return len == n && memcmp(d->plain.p + d->soff[e] + 4, p, n) == 0;
}

static int rehash(struct pq_dict *d)
{
    size_t ns = d->nslots ? d->nslots * 2 : 1024;
    uint32_t *slots = calloc(ns, sizeof(*slots));
    if (slots == NULL) {
        return -1;
    }
    for (uint32_t e = 0; e < d->n; e++) {
        size_t pos = d->hash[e] & (ns - 1);
        while (slots[pos] != 0) {
            pos = (pos + 1) & (ns - 1);
        }
        slots[pos] = e + 1;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = ns;
    return 0;
}

static int grow_entries(struct pq_dict *d)
{
    size_t ncap = d->ecap ? d->ecap * 2 : 512;
    uint32_t *h = realloc(d->hash, ncap * sizeof(*h));
    if (h == NULL) {
        return -1;
    }
    d->hash = h;
    if (d->width == 0) {
        size_t *so = realloc(d->soff, ncap * sizeof(*so));
        if (so == NULL) {
            return -1;
        }
        d->soff = so;
    }
    d->ecap = ncap;
    return 0;
}

/* Adds a new entry at empty slot pos. */
static int add_entry(struct pq_dict *d, size_t pos, uint32_t h, const void *p, size_t n,
                     uint32_t *idx)
{
    if (d->n == UINT32_MAX - 1 || n > UINT32_MAX) {
        return -1;
    }
    if (d->n == d->ecap && grow_entries(d) != 0) {
        return -1;
    }
    if (d->width == 0) {
        d->soff[d->n] = d->plain.len;
        pq_buf_u32le(&d->plain, (uint32_t)n);
    }
    pq_buf_add(&d->plain, p, n);
    if (d->plain.failed) {
        return -1;
    }
    d->hash[d->n] = h;
    d->slots[pos] = d->n + 1;
    *idx = d->n++;
    return 1;
}

int pq_dict_put(struct pq_dict *d, const void *p, size_t n, uint32_t *idx)
{
    uint64_t k = 0;
    uint32_t h;
    if (d->width == 8) {
        memcpy(&k, p, 8);
        h = mix64(k);
    } else if (d->width == 4) {
        uint32_t k32;
        memcpy(&k32, p, 4);
        k = k32;
        h = mix64(k);
    } else {
        h = hash_bytes(p, n);
    }
    if ((size_t)d->n * 2 >= d->nslots && rehash(d) != 0) {
        return -1;
    }
    size_t mask = d->nslots - 1;
    size_t pos = h & mask;
    if (d->width != 0) {
        for (; d->slots[pos] != 0; pos = (pos + 1) & mask) {
            uint32_t e = d->slots[pos] - 1;
            uint64_t x;
            if (d->width == 8) {
                memcpy(&x, d->plain.p + (size_t)e * 8, 8);
            } else {
                uint32_t x32;
                memcpy(&x32, d->plain.p + (size_t)e * 4, 4);
                x = x32;
            }
            if (x == k) {
                *idx = e;
                return 0;
            }
        }
        return add_entry(d, pos, h, p, d->width, idx);
    }
    for (; d->slots[pos] != 0; pos = (pos + 1) & mask) {
        uint32_t e = d->slots[pos] - 1;
        if (d->hash[e] == h && entry_equal(d, e, p, n)) {
            *idx = e;
            return 0;
        }
    }
    return add_entry(d, pos, h, p, n, idx);
}
