/* parquet.h - the Parquet sink: writes a column batch stream to one Parquet file.
 *
 * Flat schema, one leaf per column, v1 data pages, PLAIN or RLE_DICTIONARY values, RLE
 * definition levels for OPTIONAL columns, chunk statistics, zstd/snappy/gzip/none pages.
 * Memory is bounded by one row group's compressed pages plus one open page and one
 * dictionary per column.  A file is complete only after pq_writer_close returns 0.
 */
#ifndef SL_SINK_PARQUET_H
#define SL_SINK_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "contract/value.h"
#include "core/batch.h"
#include "core/error.h"

enum pq_codec { PQ_ZSTD = 0, PQ_SNAPPY, PQ_GZIP, PQ_NONE };

struct pq_column {
    const char *name; /* non-empty, unique ignoring ASCII case */
    enum sl_type type; /* any type but SL_T_NULL */
    int required;      /* 1: REQUIRED (a null value is an error), 0: OPTIONAL */
};

/* Zero fields take the defaults shown. */
struct pq_options {
    enum pq_codec codec;   /* PQ_ZSTD */
    int zstd_level;        /* 3 (1..22) */
    size_t row_group_rows; /* 1,048,576 */
    size_t row_group_bytes; /* 64 MiB of buffered encoded pages: ends a row group early */
    size_t page_bytes;     /* 1 MiB of encoded values per data page */
    size_t page_rows;      /* 20,000 rows per data page at most */
    size_t dict_max_bytes; /* 1 MiB: a larger dictionary falls back to PLAIN for the chunk */
    const char *created_by; /* "sluice version X.Y.Z (build H)"; NULL: not written */
    size_t nkv;            /* key-value metadata pairs (keys should be unique) */
    const char *const *kv_keys;
    const char *const *kv_values; /* an entry may be NULL: key without value */
    int (*create)(const char *path, int mode); /* makes the new file: an fd, or -1 and
                              errno (EEXIST when it exists); NULL: open(O_CREAT|O_EXCL) */
    int defer_sync;        /* close starts writeback but does not fsync: the caller fsyncs
                              the file later (many files then share one journal commit) */
};

struct pq_writer;

/* Creates path (O_CREAT|O_EXCL, mode 0640) and writes the leading magic.  opt may be NULL.
 * Bad columns (none, empty or duplicate names, SL_T_NULL) are SL_EUSAGE. */
int pq_writer_open(const char *path, const struct pq_column *cols, size_t ncols,
                   const struct pq_options *opt, struct pq_writer **out, struct sl_error *err);

/* Appends rows [from, to) of b whose row_mask[r] is nonzero (row_mask NULL: every row);
 * b's columns map 1:1 to the writer's and must have the same types.  A null in a REQUIRED
 * column is SL_ETYPE.  Errors are sticky: every later call returns the first one, and the
 * caller should pq_writer_abort. */
int pq_writer_write(struct pq_writer *w, const struct batch *b, size_t from, size_t to,
                    const uint8_t *row_mask, struct sl_error *err);

/* Moves the open file to path (rename) and names it so in errors; -1 with errno. */
int pq_writer_rename(struct pq_writer *w, const char *path);
/* Replaces the value of key-value metadata key (written by pq_writer_close); -1 when the
 * key is not there or out of memory. */
int pq_writer_set_kv(struct pq_writer *w, const char *key, const char *value);

/* Bytes of encoded pages and dictionaries held for the current row group. */
size_t pq_writer_buffered(const struct pq_writer *w);
/* Ends the current row group now (writes it to the file) if it has rows: a caller holding
 * many writers bounds their memory together this way. */
int pq_writer_flush(struct pq_writer *w, struct sl_error *err);

/* Writes the last row group and the footer, fsyncs and closes; frees w in every case.
 * On error (including an earlier sticky one) the file is unlinked.  With no rows written
 * the file is still valid: full schema, no row groups, num_rows 0. */
int pq_writer_close(struct pq_writer *w, uint64_t *rows_written, struct sl_error *err);

/* Closes and unlinks the file, frees w.  NULL is a no-op. */
void pq_writer_abort(struct pq_writer *w);

/* Frees the zstd contexts finished writers left for reuse (call when no writer is open). */
void pq_comp_pool_free(void);

#endif
