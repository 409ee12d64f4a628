/* writer_int.h - the Parquet writer's state, shared by writer.c (pages, chunks, row groups)
 * and file.c (open, options, footer, close).  Not for use outside src/sink/parquet.
 */
#ifndef SL_PQ_WRITER_INT_H
#define SL_PQ_WRITER_INT_H

#include "sink/parquet/internal.h"

#define PQ_MIN_DICT_CHECK 1000 /* values in a chunk before the nearly-all-new test */
#define PQ_HALF_DICT_CHECK 20000 /* values in a chunk before the half-distinct test */

struct pq_colw {
    enum sl_type type;
    int optional;
    uint32_t *levels;   /* definition levels of the open page (OPTIONAL columns) */
    uint32_t *idx;      /* dictionary indices of the open page's values */
    struct pq_buf vals; /* PLAIN values of the open page (booleans: one byte each) */
    size_t page_rows, page_vals;
    size_t page_limit;  /* rows the open page may take: up to the next page_end */
    uint64_t chunk_rows, page_end; /* rows in the chunk's flushed pages; where pages end */
    int use_dict;       /* this chunk's values still go to the dictionary */
    int fallback;       /* switch to PLAIN after the open page */
    uint64_t chunk_vals; /* non-null values in this chunk */
    struct pq_dict dict;
    struct pq_buf dpage; /* the chunk's dictionary page (header + body) once frozen */
    struct pq_buf chunk; /* the chunk's data pages (headers + bodies) */
};

struct pq_run {
    size_t r, e; /* rows [r, e) of a batch, every one selected */
};

struct pq_writer {
    char *path;
    int fd;
    size_t ncols;
    struct pq_column *cols;
    struct pq_options opt;
    struct pq_colw *cw;
    struct pq_chunk_meta *cm; /* per column, offsets relative to the chunk until written */
    struct pq_stats *st;
    struct pq_comp comp;
    struct pq_buf body, hdr;  /* scratch: page body, page header / footer */
    struct pq_buf rgs;        /* RowGroup structs of the row groups written */
    struct pq_run *runs;      /* pq_writer_write's scratch */
    size_t runs_cap;
    size_t nrg;
    int64_t offset;           /* bytes written to the file */
    uint64_t rows, rg_rows;
    struct sl_error err;      /* sticky */
};

/* Records a sticky error (SL_EIO adds strerror(errno)); returns code. */
int pq_w_fail(struct pq_writer *w, int code, const char *what);
/* Copies the sticky error to err; returns its code. */
int pq_w_report(struct pq_writer *w, struct sl_error *err);
int pq_w_write_all(struct pq_writer *w, const void *p, size_t n);
#define PQ_IOV_MAX 64 /* iovecs per writev (IOV_MAX is 1024 on Linux) */
/* Starts column c's next chunk: empty dictionary, stats and metadata. */
void pq_w_reset_chunk(struct pq_writer *w, size_t c);
/* Writes the buffered row group (at least one row). */
int pq_w_flush_row_group(struct pq_writer *w);

#endif
