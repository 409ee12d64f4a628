/* pqread.h - a small, bounds-checked Parquet reader for what pq_writer produces: a generic
 * Thrift compact-protocol decoder for the footer (and page headers) and a column reader
 * for flat files with PLAIN / RLE_DICTIONARY v1 pages under every codec the writer has.
 * Used by the unit tests and meant for fuzzing; not a general Parquet reader.
 */
#ifndef SL_PQ_READ_H
#define SL_PQ_READ_H

#include <stddef.h>
#include <stdint.h>

#include "contract/value.h"
#include "core/error.h"

/* One decoded Thrift value: a struct field (id set) or a list element. */
struct th_node {
    uint8_t type;  /* enum th_type; TH_TRUE for both booleans, value in i */
    uint8_t etype; /* list element type */
    int16_t id;
    int64_t i;     /* integers and booleans */
    double d;
    const uint8_t *p; /* binary */
    size_t n;         /* binary length, or number of kids */
    struct th_node *kids; /* struct fields or list elements */
};

struct pqr_arena;

struct pqr_file {
    const uint8_t *data;
    size_t len;
    struct th_node meta; /* FileMetaData */
    size_t ncols, nrg;
    int64_t num_rows;
    struct pqr_arena *arena;
};

/* Decodes one struct at p[0..n) into *out; *used gets its length.  0 or -1. */
int pqr_thrift_struct(struct pqr_arena **arena, const uint8_t *p, size_t n,
                      struct th_node *out, size_t *used);
void pqr_arena_free(struct pqr_arena *a);
/* The field with this id of a struct node, or NULL. */
const struct th_node *th_get(const struct th_node *st, int16_t id);
int64_t th_get_int(const struct th_node *st, int16_t id, int64_t dflt);

/* Parses magic, footer length and FileMetaData of data[0..len) (which must outlive f). */
int pqr_open(struct pqr_file *f, const uint8_t *data, size_t len, struct sl_error *err);
void pqr_close(struct pqr_file *f);
/* Schema leaf c (0-based) and column chunk c of row group rg (its ColumnMetaData). */
const struct th_node *pqr_leaf(const struct pqr_file *f, size_t c);
const struct th_node *pqr_chunk_meta(const struct pqr_file *f, size_t rg, size_t c);
/* The sluice type a leaf maps back to (SL_T_NULL when unknown). */
enum sl_type pqr_leaf_type(const struct th_node *leaf);

/* All values of one column, every row group. */
struct pqr_column {
    enum sl_type type;
    size_t n;
    uint8_t *null;
    int64_t *i64;  /* INT, DATETIME; also DATE and BOOL widened */
    double *f64;
    size_t *off;   /* STR: value r is data[off[r] .. off[r+1]) */
    uint8_t *data;
};

int pqr_read_column(const struct pqr_file *f, size_t c, struct pqr_column *out,
                    struct sl_error *err);
void pqr_column_free(struct pqr_column *col);

#endif
