/* internal.h - what the Parquet writer's files share: format enums, the RLE/bit-packing
 * encoder, the dictionary hash table, chunk statistics, page compression and the metadata
 * (page header, row group, footer) serializers.  Not for use outside src/sink/parquet.
 */
#ifndef SL_PQ_INTERNAL_H
#define SL_PQ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "contract/value.h"
#include "sink/parquet/buf.h"
#include "sink/parquet/parquet.h"
#include "sink/parquet/thrift.h"

/* parquet.thrift enums */
enum { PQT_BOOLEAN = 0, PQT_INT32 = 1, PQT_INT64 = 2, PQT_DOUBLE = 5, PQT_BYTE_ARRAY = 6 };
enum { PQE_PLAIN = 0, PQE_RLE = 3, PQE_RLE_DICTIONARY = 8 };
enum { PQP_DATA_PAGE = 0, PQP_DICTIONARY_PAGE = 2 };
enum { PQC_UNCOMPRESSED = 0, PQC_SNAPPY = 1, PQC_GZIP = 2, PQC_ZSTD = 6 };

/* Parquet physical type of a sluice type. */
int pq_physical(enum sl_type t);
/* Width in bytes of a PLAIN value of a fixed-width type (0 for strings, booleans). */
size_t pq_plain_width(enum sl_type t);

/* ---- encode.c ---- */

/* Appends n values of bit width w (1..32) as an RLE/bit-packed hybrid (no length prefix). */
void pq_rle_encode(struct pq_buf *out, const uint32_t *v, size_t n, int w);
/* Bits needed for values 0..n-1, at least 1. */
int pq_bit_width(uint32_t n);

/* A chunk's dictionary: distinct values in first-seen order, kept PLAIN-encoded in plain
 * (the dictionary page body), with an open-addressing hash table over them.  A slot holds
 * the entry's hash and, for fixed-width values, the value itself (zero-extended), so a
 * lookup touches one slot and not the page body. */
struct pq_dslot {
    uint64_t key;  /* fixed width: the value's bytes */
    uint32_t hash;
    uint32_t e1;   /* entry + 1; 0 = empty */
};

struct pq_dict {
    enum sl_type type;
    size_t width;      /* PLAIN width of fixed-width values, 0 for strings */
    uint32_t n;        /* entries */
    struct pq_dslot *slots; /* nslots, a power of two, at most half full */
    size_t nslots;
    size_t *soff;      /* strings: entry i's length prefix at plain.p + soff[i] */
    size_t ecap;       /* capacity of soff */
    struct pq_buf plain;
};

void pq_dict_init(struct pq_dict *d, enum sl_type type);
void pq_dict_reset(struct pq_dict *d); /* empties it, keeps memory */
void pq_dict_free(struct pq_dict *d);
/* Finds or adds a value (fixed width: n == width bytes, LE).  Returns 1 when added, 0 when
 * found, -1 on out-of-memory; *idx is its entry. */
int pq_dict_put(struct pq_dict *d, const void *p, size_t n, uint32_t *idx);
/* Adds a value known to be absent, with hash h (the slow paths of pq_dict_put_fixed and
 * pq_dict_put_str). */
int pq_dict_add_fixed(struct pq_dict *d, uint64_t key, uint32_t h, uint32_t *idx);
int pq_dict_add_str(struct pq_dict *d, const uint8_t *p, size_t n, uint32_t h, uint32_t *idx);

static inline uint32_t pq_hash64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return (uint32_t)x;
}

static inline uint32_t pq_hash_bytes(const uint8_t *p, size_t n)
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
    /* the 0..7 tail bytes, read in at most two fixed-size loads (a memcpy of a variable
     * size would be a library call for every short string) */
    uint64_t w = 0;
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        w = (uint64_t)a | (uint64_t)b << 32;
    } else if (n > 0) {
        w = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    }
    h = (h ^ w) * 0x100000001b3ULL;
    return pq_hash64(h);
}

/* memcmp(a, b, n) == 0, in at most two overlapping word compares up to 16 bytes (a memcmp
 * call costs more than the compare for the short enum-like strings dictionaries hold). */
static inline int pq_bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t x0, y0, x1, y1;
        memcpy(&x0, a, 8);
        memcpy(&y0, b, 8);
        memcpy(&x1, a + n - 8, 8);
        memcpy(&y1, b + n - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return n == 0 || memcmp(a, b, n) == 0;
}

/* The entry of string p[0..n) with hash h, if the dictionary has it: 1 and *idx, else 0. */
static inline int pq_dict_find_str(const struct pq_dict *d, const uint8_t *p, size_t n,
                                   uint32_t h, uint32_t *idx)
{
    if (d->slots == NULL) {
        return 0;
    }
    size_t mask = d->nslots - 1;
    for (size_t pos = h & mask; d->slots[pos].e1 != 0; pos = (pos + 1) & mask) {
        const struct pq_dslot *s = &d->slots[pos];
        if (s->hash != h) {
            continue;
        }
        const uint8_t *e = d->plain.p + d->soff[s->e1 - 1];
        uint32_t len;
        memcpy(&len, e, 4);
        if (len == n && pq_bytes_equal(e + 4, p, n)) {
            *idx = s->e1 - 1;
            return 1;
        }
    }
    return 0;
}

/* pq_dict_put for a string dictionary. */
static inline int pq_dict_put_str(struct pq_dict *d, const uint8_t *p, size_t n, uint32_t *idx)
{
    uint32_t h = pq_hash_bytes(p, n);
    if (pq_dict_find_str(d, p, n, h, idx)) {
        return 0;
    }
    return pq_dict_add_str(d, p, n, h, idx);
}

/* pq_dict_put for a fixed-width dictionary (width 4 or 8), the value zero-extended to key:
 * the per-value path of every numeric, date and timestamp column, inlined. */
static inline int pq_dict_put_fixed(struct pq_dict *d, uint64_t key, uint32_t *idx)
{
    uint32_t h = pq_hash64(key);
    if (d->slots != NULL) {
        size_t mask = d->nslots - 1;
        for (size_t pos = h & mask; d->slots[pos].e1 != 0; pos = (pos + 1) & mask) {
            if (d->slots[pos].key == key) {
                *idx = d->slots[pos].e1 - 1;
                return 0;
            }
        }
    }
    return pq_dict_add_fixed(d, key, h, idx);
}

/* ---- stats.c ---- */

#define PQ_STATS_MAX_STR 4096 /* longer string bounds are not written */

struct pq_stats {
    enum sl_type type;
    uint64_t nulls;
    int has;   /* a non-null value was seen */
    int nan;   /* a NaN was seen (doubles): min/max are then not written */
    int64_t imin, imax; /* INT, DATETIME, DATE, BOOL */
    double dmin, dmax;
    struct pq_buf smin, smax;
};

void pq_stats_reset(struct pq_stats *s, enum sl_type type);
void pq_stats_free(struct pq_stats *s);
/* Strings; -1 on out-of-memory. */
int pq_stats_str(struct pq_stats *s, const void *p, size_t n);
/* Writes field id as a Statistics struct. */
void pq_stats_write(const struct pq_stats *s, struct th_enc *t, int16_t id);

static inline void pq_stats_int(struct pq_stats *s, int64_t v)
{
    if (!s->has) {
        s->imin = s->imax = v;
        s->has = 1;
    } else if (v < s->imin) {
        s->imin = v;
    } else if (v > s->imax) {
        s->imax = v;
    }
}

void pq_stats_double_slow(struct pq_stats *s, double v);

static inline void pq_stats_double(struct pq_stats *s, double v)
{
    if (s->has && v > s->dmin && v < s->dmax) {
        return;
    }
    pq_stats_double_slow(s, v);
}

/* ---- compress.c ---- */

struct pq_comp {
    enum pq_codec codec;
    int level;
    void *zstd;   /* ZSTD_CCtx */
    void *zlib;   /* z_stream, deflate with gzip framing */
    struct pq_buf out;
};

int pq_comp_init(struct pq_comp *c, enum pq_codec codec, int level);
void pq_comp_free(struct pq_comp *c);
/* Compresses in[0..n); *out is in itself for PQ_NONE, else c->out.p.  0 or -1. */
int pq_comp_run(struct pq_comp *c, const uint8_t *in, size_t n, const uint8_t **out,
                size_t *outn);
int pq_codec_thrift(enum pq_codec c);

/* ---- meta.c ---- */

/* What the footer needs to know about one column chunk. */
struct pq_chunk_meta {
    int64_t num_values;
    int64_t data_page_offset;
    int64_t dict_page_offset; /* 0: no dictionary page */
    int64_t total_uncompressed, total_compressed;
    uint32_t plain_pages, dict_pages; /* data pages by encoding */
};

/* Each appends to out and returns 0, or -1 after an allocation failure. */
/* A PageHeader: a data page (v1, levels RLE) or, with dict set, a dictionary page. */
int pq_meta_page_header(struct pq_buf *out, int dict, size_t usize, size_t csize,
                        uint32_t nvalues, int encoding);
/* One RowGroup struct (a list element).  Chunk offsets are absolute. */
int pq_meta_row_group(struct pq_buf *out, const struct pq_column *cols, size_t ncols,
                      const struct pq_chunk_meta *cm, const struct pq_stats *st,
                      enum pq_codec codec, int64_t num_rows);
/* The FileMetaData struct, with nrg row groups already encoded in rgs. */
int pq_meta_footer(struct pq_buf *out, const struct pq_column *cols, size_t ncols,
                   const struct pq_options *opt, int64_t num_rows, size_t nrg,
                   const struct pq_buf *rgs);

#endif
