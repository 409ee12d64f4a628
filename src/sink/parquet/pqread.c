/* pqread.c - reads one column back from a flat Parquet file: walks each chunk's pages,
 * decompresses them (none, snappy, gzip, zstd), decodes RLE/bit-packed definition levels
 * and PLAIN or dictionary-encoded values into a pqr_column.  Bounds-checked throughout.
 */
#include "sink/parquet/pqread.h"

#include <limits.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "sink/parquet/buf.h"

#define MAX_ROWS ((int64_t)1 << 28)
#define MAX_PAGE ((int64_t)1 << 30)

struct dict {
    size_t n;
    int64_t *i64;
    double *f64;
    size_t *off, *len; /* strings, into the decompressed dictionary page */
    uint8_t *page;
};

struct chunk_rd {
    const struct pqr_file *f;
    struct pqr_column *out;
    int physical, optional, codec;
    size_t row;    /* next row of out */
    size_t end;    /* rows of out this chunk may fill */
    struct dict dict;
    struct pq_buf data;
    uint32_t *tmp; /* levels, then indices */
    struct pqr_arena *arena; /* page headers */
};

static int decompress(int codec, const uint8_t *in, size_t n, uint8_t *out, size_t un)
{
    switch (codec) {
    case 0:
        if (n != un) {
            return -1;
        }
        if (n > 0) {
            memcpy(out, in, n);
        }
        return 0;
    case 1: {
        size_t len;
        if (snappy_uncompressed_length((const char *)in, n, &len) != SNAPPY_OK || len != un) {
            return -1;
        }
        return snappy_uncompress((const char *)in, n, (char *)out, &len) == SNAPPY_OK
                   && len == un ? 0 : -1;
    }
    case 2: {
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        if (n > UINT_MAX || un > UINT_MAX || inflateInit2(&zs, 15 + 16) != Z_OK) {
            return -1;
        }
        zs.next_in = (Bytef *)(uintptr_t)in;
        zs.avail_in = (uInt)n;
        zs.next_out = out;
        zs.avail_out = (uInt)un;
        int rc = inflate(&zs, Z_FINISH);
        size_t got = zs.total_out;
        inflateEnd(&zs);
        return rc == Z_STREAM_END && got == un ? 0 : -1;
    }
    case 6: {
        size_t got = ZSTD_decompress(out, un, in, n);
        return !ZSTD_isError(got) && got == un ? 0 : -1;
    }
    default:
        return -1;
    }
}

/* Decodes count values of width w from p[0..n) into out. */
static int rle_decode(const uint8_t *p, size_t n, int w, uint32_t *out, size_t count)
{
    size_t pos = 0, got = 0;
    if (w < 0 || w > 32) {
        return -1;
    }
    while (got < count) {
        uint64_t h = 0;
        int shift = 0;
        for (;;) {
            if (pos >= n || shift > 56) {
                return -1;
            }
            h |= (uint64_t)(p[pos] & 0x7f) << shift;
            shift += 7;
            if ((p[pos++] & 0x80) == 0) {
                break;
            }
        }
        if (h & 1) {
            uint64_t nvals = (h >> 1) * 8;
            if ((h >> 1) > (n - pos) / (w ? (size_t)w : 1)) {
                return -1;
            }
            for (uint64_t j = 0; j < nvals && got < count; j++) {
                uint64_t bit = j * (uint64_t)w;
                uint64_t v = 0;
                for (int k = 0; k < w; k++) {
                    uint64_t b = bit + (uint64_t)k;
                    v |= (uint64_t)((p[pos + b / 8] >> (b % 8)) & 1) << k;
                }
                out[got++] = (uint32_t)v;
            }
            pos += (size_t)(h >> 1) * (size_t)w;
        } else {
            size_t vb = ((size_t)w + 7) / 8;
            uint32_t v = 0;
            if (n - pos < vb) {
                return -1;
            }
            for (size_t k = 0; k < vb; k++) {
                v |= (uint32_t)p[pos + k] << (8 * k);
            }
            pos += vb;
            for (uint64_t j = 0; j < (h >> 1) && got < count; j++) {
                out[got++] = v;
            }
        }
    }
    return 0;
}

/* Reads one PLAIN value at p[*pos..n) (booleans: bit *bit) into row r of out. */
static int plain_value(struct chunk_rd *c, const uint8_t *p, size_t n, size_t *pos,
                       size_t *bit, size_t r)
{
    struct pqr_column *o = c->out;
    size_t need = c->physical == 1 ? 4 : 8;
    if (c->physical == 0) {
        if (*bit / 8 >= n - *pos) {
            return -1;
        }
        o->i64[r] = (p[*pos + *bit / 8] >> (*bit % 8)) & 1;
        (*bit)++;
        return 0;
    }
    if (c->physical == 6) {
        uint32_t len;
        if (n - *pos < 4) {
            return -1;
        }
        memcpy(&len, p + *pos, 4);
        if (len > n - *pos - 4) {
            return -1;
        }
        pq_buf_add(&c->data, p + *pos + 4, len);
        *pos += 4 + (size_t)len;
        o->off[r + 1] = c->data.len;
        return c->data.failed ? -1 : 0;
    }
    if (n - *pos < need) {
        return -1;
    }
    if (c->physical == 1) {
        int32_t v;
        memcpy(&v, p + *pos, 4);
        o->i64[r] = v;
    } else if (c->physical == 5) {
        memcpy(&o->f64[r], p + *pos, 8);
    } else {
        memcpy(&o->i64[r], p + *pos, 8);
    }
    *pos += need;
    return 0;
}

static int read_dict(struct chunk_rd *c, uint8_t *page, size_t n, int64_t nvals)
{
    struct dict *d = &c->dict;
    if (d->page != NULL || nvals < 0 || nvals > (int64_t)n + 1) {
        return -1;
    }
    d->page = page;
    d->n = (size_t)nvals;
    size_t cnt = d->n ? d->n : 1;
    d->i64 = calloc(cnt, sizeof(*d->i64));
    d->f64 = calloc(cnt, sizeof(*d->f64));
    d->off = calloc(cnt, sizeof(*d->off));
    d->len = calloc(cnt, sizeof(*d->len));
    if (d->i64 == NULL || d->f64 == NULL || d->off == NULL || d->len == NULL) {
        return -1;
    }
    size_t pos = 0;
    for (size_t i = 0; i < d->n; i++) {
        size_t need = c->physical == 6 ? 4 : c->physical == 1 ? 4 : 8;
        if (c->physical == 0 || n - pos < need) {
            return -1;
        }
        if (c->physical == 6) {
            uint32_t len;
            memcpy(&len, page + pos, 4);
            if (len > n - pos - 4) {
                return -1;
            }
            d->off[i] = pos + 4;
            d->len[i] = len;
            pos += 4 + (size_t)len;
        } else if (c->physical == 1) {
            int32_t v;
            memcpy(&v, page + pos, 4);
            d->i64[i] = v;
            pos += 4;
        } else {
            memcpy(&d->i64[i], page + pos, 8);
            memcpy(&d->f64[i], page + pos, 8);
            pos += 8;
        }
    }
    return 0;
}

static int dict_value(struct chunk_rd *c, uint32_t e, size_t r)
{
    struct dict *d = &c->dict;
    if (e >= d->n) {
        return -1;
    }
    if (c->physical == 6) {
        pq_buf_add(&c->data, d->page + d->off[e], d->len[e]);
        c->out->off[r + 1] = c->data.len;
        return c->data.failed ? -1 : 0;
    }
    if (c->physical == 5) {
        c->out->f64[r] = d->f64[e];
    } else {
        c->out->i64[r] = d->i64[e];
    }
    return 0;
}

static int read_data(struct chunk_rd *c, const uint8_t *p, size_t n, const struct th_node *dph)
{
    int64_t nv = th_get_int(dph, 1, -1);
    int64_t enc = th_get_int(dph, 2, -1);
    size_t pos = 0, bit = 0;
    if (nv < 0 || (size_t)nv > c->end - c->row) {
        return -1;
    }
    uint32_t *lv = c->tmp;
    uint32_t *ix = c->tmp + nv;
    size_t nonnull = (size_t)nv;
    if (c->optional) {
        uint32_t len;
        if (n < 4) {
            return -1;
        }
        memcpy(&len, p, 4);
        if (len > n - 4 || rle_decode(p + 4, len, 1, lv, (size_t)nv) != 0) {
            return -1;
        }
        pos = 4 + (size_t)len;
        nonnull = 0;
        for (int64_t i = 0; i < nv; i++) {
            nonnull += lv[i] == 1;
        }
    }
    int dict = enc == 8 || enc == 2;
    if (dict) {
        if (pos >= n && nonnull > 0) {
            return -1;
        }
        int w = pos < n ? p[pos] : 0;
        if (pos < n) {
            pos++;
        }
        if (rle_decode(p + pos, n - pos, w, ix, nonnull) != 0) {
            return -1;
        }
    } else if (enc != 0) {
        return -1;
    }
    size_t k = 0;
    for (int64_t i = 0; i < nv; i++) {
        size_t r = c->row++;
        if (c->physical == 6) {
            c->out->off[r + 1] = c->data.len;
        }
        if (c->optional && lv[i] != 1) {
            c->out->null[r] = 1;
            continue;
        }
        int rc = dict ? dict_value(c, ix[k++], r) : plain_value(c, p, n, &pos, &bit, r);
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

static int read_chunk(struct chunk_rd *c, const struct th_node *cm)
{
    int64_t start = th_get_int(cm, 9, -1);
    int64_t doff = th_get_int(cm, 11, 0);
    int64_t total = th_get_int(cm, 7, -1);
    int rc = -1;
    if (doff > 0 && doff < start) {
        start = doff;
    }
    if (start < 4 || total < 0 || (uint64_t)start > c->f->len
        || (uint64_t)total > c->f->len - (uint64_t)start) {
        return -1;
    }
    size_t pos = (size_t)start, end = (size_t)(start + total);
    c->codec = (int)th_get_int(cm, 4, -1);
    while (pos < end) {
        struct th_node ph;
        size_t used;
        if (pqr_thrift_struct(&c->arena, c->f->data + pos, end - pos, &ph, &used) != 0) {
            goto out;
        }
        pos += used;
        int64_t type = th_get_int(&ph, 1, -1), un = th_get_int(&ph, 2, -1);
        int64_t cn = th_get_int(&ph, 3, -1);
        if (un < 0 || un > MAX_PAGE || cn < 0 || (uint64_t)cn > end - pos) {
            goto out;
        }
        uint8_t *page = malloc(un ? (size_t)un : 1);
        if (page == NULL
            || decompress(c->codec, c->f->data + pos, (size_t)cn, page, (size_t)un) != 0) {
            free(page);
            goto out;
        }
        pos += (size_t)cn;
        if (type == 2) {
            if (read_dict(c, page, (size_t)un, th_get_int(th_get(&ph, 7), 1, -1)) != 0) {
                if (c->dict.page != page) {
                    free(page);
                }
                goto out;
            }
            continue;
        }
        int bad = type != 0 || read_data(c, page, (size_t)un, th_get(&ph, 5)) != 0;
        free(page);
        if (bad) {
            goto out;
        }
    }
    rc = c->row == c->end ? 0 : -1;
out:
    free(c->dict.i64);
    free(c->dict.f64);
    free(c->dict.off);
    free(c->dict.len);
    free(c->dict.page);
    memset(&c->dict, 0, sizeof(c->dict));
    pqr_arena_free(c->arena);
    c->arena = NULL;
    return rc;
}

void pqr_column_free(struct pqr_column *col)
{
    free(col->null);
    free(col->i64);
    free(col->f64);
    free(col->off);
    free(col->data);
    memset(col, 0, sizeof(*col));
}

int pqr_read_column(const struct pqr_file *f, size_t c, struct pqr_column *out,
                    struct sl_error *err)
{
    struct chunk_rd cr;
    const struct th_node *leaf = pqr_leaf(f, c);
    memset(out, 0, sizeof(*out));
    memset(&cr, 0, sizeof(cr));
    if (leaf == NULL || f->num_rows < 0 || f->num_rows > MAX_ROWS) {
        return sl_error_set(err, SL_EFILE, "parquet: no column %zu or too many rows", c);
    }
    size_t n = (size_t)f->num_rows;
    out->type = pqr_leaf_type(leaf);
    out->n = n;
    out->null = calloc(n + 1, 1);
    out->i64 = calloc(n + 1, sizeof(*out->i64));
    out->f64 = calloc(n + 1, sizeof(*out->f64));
    out->off = calloc(n + 1, sizeof(*out->off));
    cr.tmp = malloc(2 * (n + 1) * sizeof(*cr.tmp));
    cr.f = f;
    cr.out = out;
    cr.physical = (int)th_get_int(leaf, 1, -1);
    cr.optional = th_get_int(leaf, 3, 0) == 1;
    int rc = 0;
    if (out->null == NULL || out->i64 == NULL || out->f64 == NULL || out->off == NULL
        || cr.tmp == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "parquet: out of memory");
        goto out;
    }
    for (size_t g = 0; g < f->nrg; g++) {
        const struct th_node *cm = pqr_chunk_meta(f, g, c);
        const struct th_node *rgs = th_get(&f->meta, 4);
        int64_t rows = th_get_int(&rgs->kids[g], 3, -1);
        if (rows < 0 || (uint64_t)rows > n - cr.row || th_get_int(cm, 5, -1) != rows) {
            rc = sl_error_set(err, SL_EFILE, "parquet: row group %zu: bad row count", g);
            goto out;
        }
        cr.end = cr.row + (size_t)rows;
        if (read_chunk(&cr, cm) != 0) {
            rc = sl_error_set(err, SL_EFILE, "parquet: row group %zu column %zu: bad data",
                              g, c);
            goto out;
        }
    }
    if (cr.row != n) {
        rc = sl_error_set(err, SL_EFILE, "parquet: row groups hold %zu rows, not %zu",
                          cr.row, n);
        goto out;
    }
    out->data = cr.data.p;
    cr.data.p = NULL;
out:
    pq_buf_free(&cr.data);
    free(cr.tmp);
    if (rc != 0) {
        pqr_column_free(out);
    }
    return rc;
}
