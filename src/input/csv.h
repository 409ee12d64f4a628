/* csv.h - streaming RFC 4180 reader with bounded memory and physical line numbers.
 *
 * The reader pulls bytes through a read callback into one buffer it owns and hands out one
 * record at a time.  It knows nothing about headers, contracts or types: the first record is
 * just a record.  Choices (documented in docs/CSV.md):
 *   - LF, CRLF and a lone CR all end a record outside quotes; inside quotes they are data.
 *   - One UTF-8 BOM at the very start of the input is skipped.
 *   - Blank lines (no bytes at all between terminators) are skipped and counted.
 *   - A quote inside an unquoted field, or anything but a delimiter/terminator after a closing
 *     quote (including spaces), is a row-level CSV_ROW_STRAY_QUOTE; the record is still
 *     returned, its fields as read, so the caller can quarantine it.
 *   - A NUL byte, or invalid UTF-8 (when opts.check_utf8), is a row-level problem too.
 *   - EOF inside quotes, a field over max_field_bytes, a record over max_record_bytes or more
 *     than max_columns fields are file-level errors (csv_reader_next returns < 0).
 */
#ifndef SL_CSV_H
#define SL_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct csv_opts {
    char delimiter;          /* default ',' */
    char quote;              /* default '"' */
    int check_utf8;          /* 1: validate every field as UTF-8 */
    size_t max_field_bytes;  /* 0 = default 1 MiB */
    size_t max_record_bytes; /* 0 = default 8 MiB (raw bytes of one record) */
    size_t max_columns;      /* 0 = default 4096 */
    uint64_t first_line;     /* line number of the input's first byte; 0 = 1 */
    int no_bom;              /* 1: the input is not a file's start (a BOM there is data) */
};

/* Row-level problems (csv_record.problem). */
enum csv_problem {
    CSV_ROW_OK = 0,
    CSV_ROW_STRAY_QUOTE, /* quote in an unquoted field, or text after a closing quote */
    CSV_ROW_NUL,         /* a NUL byte in a field */
    CSV_ROW_BAD_UTF8,    /* invalid UTF-8 in a field (opts.check_utf8) */
};

struct csv_field {
    const char *p; /* unescaped bytes, not NUL-terminated */
    size_t n;
    int quoted; /* 1 when the field was quoted in the input */
};

struct csv_record {
    size_t nfields;
    const struct csv_field *fields;
    uint64_t line;     /* physical line (1-based) where the record starts */
    uint64_t end_line; /* physical line where it ends (> line with quoted newlines) */
    const char *raw;   /* the record's bytes exactly as in the input, without its terminator */
    size_t raw_len;
    enum csv_problem problem; /* first row-level problem, CSV_ROW_OK if none */
    size_t problem_field;     /* 0-based field index of that problem */
    size_t problem_offset;    /* byte offset of the problem within the raw record */
};

/* Reads up to cap bytes into buf; returns bytes read, 0 at EOF, -1 on error (errno set). */
typedef ssize_t (*csv_read_fn)(void *ctx, char *buf, size_t cap);

struct csv_reader;

/* Returns a new reader, or NULL on out-of-memory; free with csv_reader_destroy.
 * opts is copied; NULL means all defaults.  ctx is borrowed and passed to read. */
struct csv_reader *csv_reader_create(const struct csv_opts *opts, csv_read_fn read, void *ctx);
void csv_reader_destroy(struct csv_reader *r); /* NULL is a no-op */
/* A reader over p[0..n) in place, without copying it: p[n] must be a NUL byte (the scanner's
 * sentinel), and p must outlive the reader.  NULL on out-of-memory. */
struct csv_reader *csv_reader_create_span(const struct csv_opts *opts, const char *p,
                                          size_t n);

/* Next record into *rec.  Returns 1 when a record was read, 0 at end of input, or a negative
 * SL_E* code (SL_ECSV unclosed quote, SL_ELIMIT a limit, SL_EIO read error) with err filled,
 * naming the physical line.  rec's pointers stay valid until the next call or destroy.
 * After an error, further calls return the same error. */
int csv_reader_next(struct csv_reader *r, struct csv_record *rec, struct sl_error *err);

uint64_t csv_reader_blank_lines(const struct csv_reader *r); /* blank lines skipped so far */
uint64_t csv_reader_bytes(const struct csv_reader *r);       /* input bytes consumed so far */
int csv_reader_had_bom(const struct csv_reader *r);

/* Convenience for tests and small inputs: a read callback over a memory span.
 * struct csv_mem_src { const char *p; size_t n, pos; size_t chunk; } - chunk 0 = unlimited. */
struct csv_mem_src {
    const char *p;
    size_t n;
    size_t pos;
    size_t chunk; /* max bytes returned per call (tests feed every chunk size); 0 = all */
};
ssize_t csv_mem_read(void *ctx, char *buf, size_t cap);

/* Record boundaries without parsing, for cutting an input into pieces that separate
 * readers parse in parallel: the same quoting, terminator and line rules as the reader.
 * p[0..n) starts at a record start (after any BOM).  Returns the length of the longest
 * prefix that ends right after a record's terminator and holds at most max_lines physical
 * lines and max_records records (blank lines count as lines, not records), with its line
 * count in *lines; 0 when no record ends within p[0..n) under those caps.  A CR at p[n-1]
 * never ends the prefix (an LF may follow it).  at_eof: p[n-1] is the input's last byte,
 * so an unterminated last record ends there. */
size_t csv_split(const struct csv_opts *o, const char *p, size_t n, size_t max_lines,
                 size_t max_records, int at_eof, uint64_t *lines);

/* Problem name for rejects: "stray_quote", "nul_byte", "invalid_utf8". */
const char *csv_problem_name(enum csv_problem p);

#endif
