/* compress.c - page compression: one zstd frame, a raw snappy block, or one gzip member
 * (deflate with RFC 1952 framing, not zlib) per page body.  Contexts are made once per
 * writer and reused for every page.
 */
#include "sink/parquet/internal.h"

#include <limits.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

int pq_codec_thrift(enum pq_codec c)
{
    switch (c) {
    case PQ_SNAPPY:
        return PQC_SNAPPY;
    case PQ_GZIP:
        return PQC_GZIP;
    case PQ_NONE:
        return PQC_UNCOMPRESSED;
    default:
        return PQC_ZSTD;
    }
}

/* Finished writers leave their zstd contexts here for the next ones: making a context (and
 * its first tables) cost more than compressing the pages of a 100-row file. */
#define ZSTD_POOL 8
static ZSTD_CCtx *zstd_pool[ZSTD_POOL];
static size_t zstd_npool;
static pthread_mutex_t zstd_mu = PTHREAD_MUTEX_INITIALIZER;

static ZSTD_CCtx *zstd_take(void)
{
    ZSTD_CCtx *z = NULL;
    pthread_mutex_lock(&zstd_mu);
    if (zstd_npool > 0) {
        z = zstd_pool[--zstd_npool];
    }
    pthread_mutex_unlock(&zstd_mu);
    if (z != NULL) {
        ZSTD_CCtx_reset(z, ZSTD_reset_session_and_parameters);
        return z;
    }
    return ZSTD_createCCtx();
}

static void zstd_give(ZSTD_CCtx *z)
{
    pthread_mutex_lock(&zstd_mu);
    if (zstd_npool < ZSTD_POOL) {
        zstd_pool[zstd_npool++] = z;
        z = NULL;
    }
    pthread_mutex_unlock(&zstd_mu);
    ZSTD_freeCCtx(z); /* NULL is fine */
}

void pq_comp_pool_free(void)
{
    pthread_mutex_lock(&zstd_mu);
    while (zstd_npool > 0) {
        ZSTD_freeCCtx(zstd_pool[--zstd_npool]);
    }
    pthread_mutex_unlock(&zstd_mu);
}

int pq_comp_init(struct pq_comp *c, enum pq_codec codec, int level)
{
    memset(c, 0, sizeof(*c));
    c->codec = codec;
    c->level = level;
    if (codec == PQ_ZSTD) {
        c->zstd = zstd_take();
        if (c->zstd == NULL) {
            return -1;
        }
        if (ZSTD_isError(ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel, level))) {
            return -1;
        }
    } else if (codec == PQ_GZIP) {
        z_stream *zs = calloc(1, sizeof(*zs));
        if (zs == NULL) {
            return -1;
        }
        if (deflateInit2(zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            free(zs);
            return -1;
        }
        c->zlib = zs;
    }
    return 0;
}

void pq_comp_free(struct pq_comp *c)
{
    if (c->zstd != NULL) {
        zstd_give(c->zstd);
    }
    if (c->zlib != NULL) {
        deflateEnd(c->zlib);
        free(c->zlib);
    }
    pq_buf_free(&c->out);
    c->zstd = c->zlib = NULL;
}

static int run_gzip(struct pq_comp *c, const uint8_t *in, size_t n)
{
    z_stream *zs = c->zlib;
    if (n > UINT_MAX || deflateReset(zs) != Z_OK) {
        return -1;
    }
    uLong bound = deflateBound(zs, (uLong)n) + 32; /* + gzip header and trailer */
    if (bound > UINT_MAX || pq_buf_reserve(&c->out, bound) != 0) {
        return -1;
    }
    zs->next_in = (Bytef *)(uintptr_t)in;
    zs->avail_in = (uInt)n;
    zs->next_out = c->out.p;
    zs->avail_out = (uInt)bound;
    if (deflate(zs, Z_FINISH) != Z_STREAM_END) {
        return -1;
    }
    c->out.len = bound - zs->avail_out;
    return 0;
}

int pq_comp_run(struct pq_comp *c, const uint8_t *in, size_t n, const uint8_t **out,
                size_t *outn)
{
    c->out.len = 0;
    switch (c->codec) {
    case PQ_NONE:
        *out = in;
        *outn = n;
        return 0;
    case PQ_SNAPPY: {
        size_t bound = snappy_max_compressed_length(n);
        if (pq_buf_reserve(&c->out, bound) != 0) {
            return -1;
        }
        size_t len = bound;
        if (snappy_compress((const char *)in, n, (char *)c->out.p, &len) != SNAPPY_OK) {
            return -1;
        }
        c->out.len = len;
        break;
    }
    case PQ_GZIP:
        if (run_gzip(c, in, n) != 0) {
            return -1;
        }
        break;
    default: {
        size_t bound = ZSTD_compressBound(n);
        if (pq_buf_reserve(&c->out, bound) != 0) {
            return -1;
        }
        size_t len = ZSTD_compress2(c->zstd, c->out.p, bound, in, n);
        if (ZSTD_isError(len)) {
            return -1;
        }
        c->out.len = len;
        break;
    }
    }
    *out = c->out.p;
    *outn = c->out.len;
    return 0;
}
