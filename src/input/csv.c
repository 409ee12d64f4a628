/* csv.c - the streaming CSV reader: one input buffer, a resumable scanner, records out.
 *
 * Bytes come in through the read callback into r->buf.  The scanner keeps its state (where
 * the record and the current field start, which state it is in) across refills, so every
 * byte is scanned once.  Unquoted and plain quoted fields point into the buffer; quoted
 * fields with doubled quotes or text after the closing quote are unescaped into r->scratch.
 * Limits are checked as bytes arrive, so memory stays near max_record_bytes whatever comes.
 * The inner loops look for the next delimiter, quote or terminator 16 bytes at a time where
 * SSE2 is there (input/scan16.h), since typical fields are only a few bytes long.
 */
#include "input/csv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/scan16.h"
#include "input/utf8.h"

#define CSV_BUF_INIT ((size_t)256 * 1024)
#define CSV_FIELDS_INIT ((size_t)64)
#define CSV_DEF_FIELD ((size_t)1 << 20)
#define CSV_DEF_RECORD ((size_t)8 << 20)
#define CSV_DEF_COLUMNS ((size_t)4096)
#define CSV_MAX_LIMIT (SIZE_MAX / 4) /* keeps buffer size arithmetic far from overflow */

#define C_UNQ 1u /* byte ends a run of unquoted field bytes */
#define C_QUO 2u /* byte ends a run of quoted field bytes */

enum scan_state {
    S_BOM,    /* nothing scanned yet: look for a byte order mark */
    S_REC,    /* between records: skip blank lines */
    S_FSTART, /* at the first byte of a field (in a record from here on) */
    S_UNQ,    /* in an unquoted field, or in stray text after a closing quote */
    S_QUO,    /* in a quoted field */
    S_QQ,     /* just after a quote in a quoted field: doubled quote or closing quote */
};

/* A field's raw bytes end at offset `end` from the record's first byte.  Where they start is
 * not stored: a field starts right after the previous one's delimiter (end + 1), the first
 * at 0.  That keeps the per-field work in the scanner to two small stores. */
struct fspan {
    size_t end;
    unsigned char quoted;
    unsigned char escaped; /* value is not simply the bytes between the quotes */
};

struct csv_reader {
    struct csv_opts o;
    csv_read_fn read;
    void *ctx;
    unsigned char cls[256]; /* C_UNQ / C_QUO bits per byte value */
    char *buf;              /* cap + 1 bytes; buf[len] is always a NUL sentinel */
    size_t cap;
    size_t len;
    size_t pos; /* next byte to scan */
    size_t rec; /* first byte of the current record (while st >= S_FSTART) */
    enum scan_state st;
    int eof;
    int skip_lf; /* the last terminator was a CR: an LF right after it belongs to it */
    int had_bom;
    uint64_t line; /* physical line of buf[pos] */
    uint64_t rec_line;
    uint64_t end_line;
    uint64_t quote_line; /* line of the current field's opening quote */
    uint64_t blank;
    uint64_t nread;
    struct fspan *spans;
    struct csv_field *fields;
    size_t nf;
    size_t fcap;
    size_t room; /* min(fcap, max_columns): at nf == room a new field needs the slow path */
    size_t fast; /* min(max_field_bytes, max_record_bytes): records up to it fit both */
    char *scratch;
    size_t scap;
    size_t raw_len;
    int any_quoted; /* the current record has a quoted field */
    enum csv_problem prob;
    size_t prob_field;
    size_t prob_off;
    int borrowed; /* buf is the caller's (csv_reader_create_span): never freed or grown */
    int err_code; /* sticky */
    char err_msg[SL_ERRMSG_MAX];
};

/* Records the reader's sticky error and returns its code. */
__attribute__((format(printf, 3, 4))) static int fail(struct csv_reader *r, int code,
                                                      const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof(r->err_msg), fmt, ap);
    va_end(ap);
    r->err_code = code;
    return code;
}

static size_t limit_or(size_t v, size_t def)
{
    if (v == 0) {
        return def;
    }
    return v > CSV_MAX_LIMIT ? CSV_MAX_LIMIT : v;
}

struct csv_reader *csv_reader_create(const struct csv_opts *opts, csv_read_fn read, void *ctx)
{
    struct csv_reader *r;

    if (read == NULL) {
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    if (opts != NULL) {
        r->o = *opts;
    }
    r->o.delimiter = r->o.delimiter ? r->o.delimiter : ',';
    r->o.quote = r->o.quote ? r->o.quote : '"';
    r->o.max_field_bytes = limit_or(r->o.max_field_bytes, CSV_DEF_FIELD);
    r->o.max_record_bytes = limit_or(r->o.max_record_bytes, CSV_DEF_RECORD);
    r->o.max_columns = limit_or(r->o.max_columns, CSV_DEF_COLUMNS);
    r->fast = r->o.max_field_bytes < r->o.max_record_bytes ? r->o.max_field_bytes
                                                           : r->o.max_record_bytes;
    if (r->o.delimiter == r->o.quote || r->o.delimiter == '\n' || r->o.delimiter == '\r' ||
        r->o.quote == '\n' || r->o.quote == '\r') {
        goto fail;
    }
    r->read = read;
    r->ctx = ctx;
    r->cls[0] = r->cls['\n'] = r->cls['\r'] = C_UNQ | C_QUO;
    r->cls[(unsigned char)r->o.quote] = C_UNQ | C_QUO;
    r->cls[(unsigned char)r->o.delimiter] = C_UNQ;
    r->cap = CSV_BUF_INIT;
    r->buf = malloc(r->cap + 1);
    r->fcap = CSV_FIELDS_INIT;
    r->room = r->fcap < r->o.max_columns ? r->fcap : r->o.max_columns;
    r->spans = malloc(r->fcap * sizeof(*r->spans));
    r->fields = malloc(r->fcap * sizeof(*r->fields));
    if (r->buf == NULL || r->spans == NULL || r->fields == NULL) {
        goto fail;
    }
    r->buf[0] = '\0';
    r->st = r->o.no_bom ? S_REC : S_BOM;
    r->line = r->o.first_line ? r->o.first_line : 1;
    return r;
fail:
    csv_reader_destroy(r);
    return NULL;
}

static ssize_t no_read(void *ctx, char *buf, size_t cap)
{
    (void)ctx;
    (void)buf;
    (void)cap;
    return 0;
}

struct csv_reader *csv_reader_create_span(const struct csv_opts *opts, const char *p,
                                          size_t n)
{
    struct csv_reader *r = csv_reader_create(opts, no_read, NULL);
    if (r == NULL) {
        return NULL;
    }
    /* The whole input is there and ends at a NUL: refill returns "end of input" before it
     * would move or grow anything, so the caller's bytes are only read. */
    free(r->buf);
    r->buf = (char *)(uintptr_t)p;
    r->borrowed = 1;
    r->len = r->cap = n;
    r->nread = n;
    r->eof = 1;
    return r;
}

void csv_reader_destroy(struct csv_reader *r)
{
    if (r == NULL) {
        return;
    }
    if (!r->borrowed) {
        free(r->buf);
    }
    free(r->spans);
    free(r->fields);
    free(r->scratch);
    free(r);
}

uint64_t csv_reader_blank_lines(const struct csv_reader *r)
{
    return r->blank;
}

uint64_t csv_reader_bytes(const struct csv_reader *r)
{
    return r->nread;
}

int csv_reader_had_bom(const struct csv_reader *r)
{
    return r->had_bom;
}

const char *csv_problem_name(enum csv_problem p)
{
    static const char *const names[] = {"ok", "stray_quote", "nul_byte", "invalid_utf8"};

    return (size_t)p < sizeof(names) / sizeof(names[0]) ? names[p] : "unknown";
}

ssize_t csv_mem_read(void *ctx, char *buf, size_t cap)
{
    struct csv_mem_src *m = ctx;
    size_t n;

    if (m->pos >= m->n) {
        return 0;
    }
    n = m->n - m->pos;
    if (m->chunk != 0 && n > m->chunk) {
        n = m->chunk;
    }
    if (n > cap) {
        n = cap;
    }
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

/* --- limits ------------------------------------------------------------------------------
 * Checked whenever the scanner stops: at each field end and before each refill, on the
 * bytes of the record seen so far (p is one past the last of them).  Field and record sizes
 * are raw input bytes.  When both are over, the one crossed first in the input wins, so
 * the error never depends on how the input happened to be split into reads. */

/* Offset of the current (last) field's first byte within the record. */
static size_t field_start(const struct csv_reader *r)
{
    return r->nf >= 2 ? r->spans[r->nf - 2].end + 1 : 0;
}

static int limits_slow(struct csv_reader *r, size_t p)
{
    size_t rl = p - r->rec;
    size_t fs = field_start(r);
    size_t maxf = r->o.max_field_bytes;
    size_t maxr = r->o.max_record_bytes;
    int over_rec = rl > maxr;

    if (rl - fs > maxf && (!over_rec || (fs <= maxr && maxf <= maxr - fs))) {
        return fail(r, SL_ELIMIT,
                    "line %" PRIu64 ": field %zu is longer than %zu bytes "
                    "(limits.max_field_bytes)",
                    r->rec_line, r->nf, maxf);
    }
    if (over_rec) {
        return fail(r, SL_ELIMIT,
                    "line %" PRIu64 ": record is longer than %zu bytes "
                    "(limits.max_record_bytes)",
                    r->rec_line, maxr);
    }
    return 0;
}

static inline int check_limits(struct csv_reader *r, size_t p)
{
    if (p - r->rec <= r->fast) {
        return 0; /* the common case: the whole record fits either limit */
    }
    return limits_slow(r, p);
}

/* nf == room: either the record has max_columns fields already, or the arrays are full. */
static int fields_full(struct csv_reader *r)
{
    if (r->nf >= r->o.max_columns) {
        return fail(r, SL_ELIMIT,
                    "line %" PRIu64 ": record has more than %zu fields (limits.max_columns)",
                    r->rec_line, r->o.max_columns);
    }
    size_t ncap = r->fcap * 2 < r->o.max_columns ? r->fcap * 2 : r->o.max_columns;
    if (ncap <= r->nf) { /* cannot happen (fcap starts > 0, nf < max_columns); be sure */
        ncap = r->nf + 1;
    }
    void *np = realloc(r->spans, ncap * sizeof(*r->spans));

    if (np == NULL) {
        return fail(r, SL_ENOMEM, "out of memory for %zu fields", ncap);
    }
    r->spans = np;
    np = realloc(r->fields, ncap * sizeof(*r->fields));
    if (np == NULL) {
        return fail(r, SL_ENOMEM, "out of memory for %zu fields", ncap);
    }
    r->fields = np;
    r->fcap = ncap;
    r->room = ncap < r->o.max_columns ? ncap : r->o.max_columns;
    return 0;
}

/* Starts field number nf+1 (right after the previous field's delimiter, or at the record's
 * first byte). */
static inline int begin_field(struct csv_reader *r)
{
    struct fspan *s;

    if (r->nf >= r->room && fields_full(r) != 0) {
        return r->err_code;
    }
    s = &r->spans[r->nf++];
    s->quoted = 0;
    s->escaped = 0;
    return 0;
}

/* The current field ends at the delimiter at p; the next one starts after it. */
static inline int next_field(struct csv_reader *r, size_t p)
{
    r->spans[r->nf - 1].end = p - r->rec;
    return check_limits(r, p) ? r->err_code : begin_field(r);
}

/* The record ends at p, with terminator byte c there (0 at end of input). */
static int end_record(struct csv_reader *r, size_t p, unsigned char c)
{
    r->spans[r->nf - 1].end = p - r->rec;
    if (check_limits(r, p) != 0) {
        return r->err_code;
    }
    r->raw_len = p - r->rec;
    r->end_line = r->line;
    if (c != 0) {
        r->line++;
        r->skip_lf = c == '\r';
        p++;
    }
    r->pos = p;
    r->st = S_REC;
    return 1;
}

static void note_problem(struct csv_reader *r, enum csv_problem p, size_t at)
{
    if (r->prob == CSV_ROW_OK) {
        r->prob = p;
        r->prob_field = r->nf - 1;
        r->prob_off = at - r->rec;
    }
}

/* --- input -------------------------------------------------------------------------------
 * Makes room (drop consumed bytes, move the partial record to the front, or grow up to
 * max_record_bytes + 1) and reads once.  1 = bytes added, 0 = end of input, < 0 error. */
static int refill(struct csv_reader *r)
{
    int in_rec = r->st >= S_FSTART;
    size_t keep = in_rec ? r->rec : r->pos;
    ssize_t n;
    int rc;

    if (in_rec) {
        rc = check_limits(r, r->len);
        if (rc != 0) {
            return rc;
        }
    }
    if (r->eof) {
        return 0;
    }
    if (keep > 0 && (keep == r->len || r->len == r->cap)) {
        memmove(r->buf, r->buf + keep, r->len - keep);
        r->len -= keep;
        r->pos -= keep;
        if (in_rec) {
            r->rec -= keep;
        }
    }
    if (r->len == r->cap) {
        size_t ncap = r->cap * 2;
        char *nb;

        if (ncap > r->o.max_record_bytes + 1) {
            ncap = r->o.max_record_bytes + 1;
        }
        if (ncap <= r->cap) {
            return fail(r, SL_EBUG, "csv buffer full at line %" PRIu64, r->line);
        }
        nb = realloc(r->buf, ncap + 1);
        if (nb == NULL) {
            return fail(r, SL_ENOMEM, "out of memory for a %zu-byte csv buffer", ncap);
        }
        r->buf = nb;
        r->cap = ncap;
    }
    do {
        n = r->read(r->ctx, r->buf + r->len, r->cap - r->len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        char ebuf[128];
        int e = errno;

        return fail(r, SL_EIO, "read error near line %" PRIu64 ": %s", r->line,
                    strerror_r(e, ebuf, sizeof(ebuf)));
    }
    if ((size_t)n > r->cap - r->len) {
        return fail(r, SL_EBUG, "csv read callback returned more bytes than asked");
    }
    r->buf[r->len + (size_t)n] = '\0';
    if (n == 0) {
        r->eof = 1;
        return 0;
    }
    r->len += (size_t)n;
    r->nread += (uint64_t)n;
    return 1;
}

static int skip_bom(struct csv_reader *r)
{
    int rc = 1;

    while (rc > 0 && r->len - r->pos < 3) {
        rc = refill(r);
    }
    if (rc < 0) {
        return rc;
    }
    if (r->len - r->pos >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0) {
        r->pos += 3;
        r->had_bom = 1;
    }
    r->st = S_REC;
    return 0;
}

static int at_eof(struct csv_reader *r)
{
    if (r->st <= S_REC) {
        return 0;
    }
    if (r->st == S_QUO) {
        return fail(r, SL_ECSV,
                    "unclosed quote: the quoted field starting on line %" PRIu64
                    " is never closed",
                    r->quote_line);
    }
    return end_record(r, r->len, 0);
}

/* --- the wide inner loops -----------------------------------------------------------------
 * Typical records are plain fields of a few bytes, so most of the scanner's time goes to
 * finding the next delimiter.  Where the data allows, the loops below look at 16 bytes at a
 * time (input/scan16.h) and walk the structural bytes of each block; the portable
 * byte-at-a-time loops finish the last bytes before len, so no load reaches past the data
 * (the buffer may be the caller's, with nothing after its sentinel). */

/* The field bookkeeping run_unq works on, in its own copies: as far as the compiler knows a
 * store into r->spans could change r->nf or r->rec, which would then be reloaded per field. */
struct unq {
    struct fspan *s;    /* the current field's span: r->spans[nf - 1] */
    struct fspan *last; /* r->spans[room - 1]: at s == last the next field takes the slow path */
    size_t rec;
    size_t lim; /* rec + fast: a field ending past it needs the full limit check */
};

/* next_field for run_unq: the field ends at the delimiter at p and the next one begins.
 * Records near a limit and full arrays take next_field itself, which has the messages. */
static inline int unq_delim(struct csv_reader *r, struct unq *u, size_t p)
{
    if (__builtin_expect(p <= u->lim && u->s < u->last, 1)) {
        u->s->end = p - u->rec;
        u->s++;
        u->s->quoted = 0;
        u->s->escaped = 0;
        return 0;
    }
    r->nf = (size_t)(u->s - r->spans) + 1;
    if (next_field(r, p) != 0) {
        return r->err_code;
    }
    u->s = r->spans + r->nf - 1;
    u->last = r->spans + r->room - 1;
    return 0;
}

/* In an unquoted field at *pp: ends a field at each delimiter until a byte that needs the
 * state machine (terminator, quote, NUL, the end of the data) or a quote that opens the next
 * field (st becomes S_FSTART).  Leaves *pp there; 0 or an error. */
static inline int run_unq(struct csv_reader *r, const unsigned char *b, size_t len, size_t *pp)
{
    const unsigned char *cls = r->cls;
    const unsigned char delim = (unsigned char)r->o.delimiter;
    const unsigned char quote = (unsigned char)r->o.quote;
    struct unq u = {r->spans + r->nf - 1, r->spans + r->room - 1, r->rec, r->rec + r->fast};
    size_t pos = *pp;
    int rc = 0;

#if SL_SCAN16
    const __m128i vd = _mm_set1_epi8((char)delim);
    const __m128i vq = _mm_set1_epi8((char)quote);
    size_t fstart = SIZE_MAX; /* first byte of the last field begun here */

    /* Only blocks with a data byte after them: the byte after a delimiter is then never the
     * end of the data, where the portable loop has to resume in S_FSTART.  A quote opening
     * the next field is found as a stop at fstart, not tested after every delimiter. */
    while (len - pos > 16) {
        unsigned m = scan16_stops(b + pos, vd, vq);

        while (m != 0) {
            size_t p = pos + (unsigned)__builtin_ctz(m);

            m &= m - 1;
            if (b[p] == delim) {
                rc = unq_delim(r, &u, p);
                if (rc != 0) {
                    goto out;
                }
                fstart = p + 1;
            } else if (cls[b[p]] & C_UNQ) {
                if (p == fstart && b[p] == quote) {
                    r->st = S_FSTART;
                }
                pos = p;
                goto out;
            } /* else a control byte that is plain data */
        }
        pos += 16;
    }
    if (pos == fstart && b[pos] == quote) { /* a delimiter ended the last block */
        r->st = S_FSTART;
        goto out;
    }
#endif
    for (;;) {
        while (!(cls[b[pos]] & C_UNQ)) {
            pos++;
        }
        if (pos == len || b[pos] != delim) {
            break;
        }
        rc = unq_delim(r, &u, pos);
        if (rc != 0) {
            break;
        }
        pos++;
        if (pos == len || b[pos] == quote) {
            r->st = S_FSTART;
            break;
        }
    }
#if SL_SCAN16
out:
#endif
    r->nf = (size_t)(u.s - r->spans) + 1;
    *pp = pos;
    return rc;
}

/* In a quoted field at pos: the first byte from there that is a quote, CR, LF or NUL (the
 * sentinel at len at the latest). */
static inline size_t skip_quoted(const struct csv_reader *r, const unsigned char *b, size_t pos,
                                 size_t len)
{
    const unsigned char *cls = r->cls;
#if SL_SCAN16
    const __m128i vq = _mm_set1_epi8(r->o.quote);

    while (len - pos >= 16) {
        unsigned m = scan16_stops(b + pos, vq, vq);

        while (m != 0) {
            size_t p = pos + (unsigned)__builtin_ctz(m);

            if (cls[b[p]] & C_QUO) {
                return p;
            }
            m &= m - 1; /* a control byte that is plain data */
        }
        pos += 16;
    }
#else
    (void)len;
#endif
    while (!(cls[b[pos]] & C_QUO)) {
        pos++;
    }
    return pos;
}

/* --- the scanner -------------------------------------------------------------------------
 * Runs until a record is complete (1), the input ends (0) or an error (< 0).  Inner loops
 * stop only at bytes whose class bit is set; the sentinel at buf[len] stops them at the end
 * of the data, where the state is saved and the buffer refilled. */
static int scan(struct csv_reader *r)
{
    const unsigned char delim = (unsigned char)r->o.delimiter;
    const unsigned char quote = (unsigned char)r->o.quote;
    const unsigned char *b = (const unsigned char *)r->buf;
    size_t pos = r->pos;
    size_t len = r->len;
    unsigned char c;
    int rc;

    for (;;) {
        if (pos == len) {
            r->pos = pos;
            rc = refill(r);
            if (rc <= 0) {
                return rc < 0 ? rc : at_eof(r);
            }
            b = (const unsigned char *)r->buf;
            pos = r->pos;
            len = r->len;
            continue;
        }
        switch (r->st) {
        case S_BOM: /* skip_bom ran before the first scan */
        case S_REC:
            c = b[pos];
            if (c == '\n' || c == '\r') {
                pos++;
                if (c == '\n' && r->skip_lf) {
                    r->skip_lf = 0;
                    continue;
                }
                r->skip_lf = c == '\r';
                r->line++;
                r->blank++;
                continue;
            }
            r->skip_lf = 0;
            r->rec = pos;
            r->rec_line = r->line;
            r->nf = 0;
            r->prob = CSV_ROW_OK;
            r->any_quoted = 0;
            rc = begin_field(r);
            if (rc != 0) {
                return rc;
            }
            r->st = S_FSTART;
            /* fall through */
        case S_FSTART:
            if (b[pos] == quote) {
                r->spans[r->nf - 1].quoted = 1;
                r->any_quoted = 1;
                r->quote_line = r->line;
                r->st = S_QUO;
                pos++;
                continue;
            }
            r->st = S_UNQ;
            /* fall through */
        case S_UNQ:
            rc = run_unq(r, b, len, &pos);
            if (rc != 0) {
                return rc;
            }
            if (pos == len || r->st == S_FSTART) {
                continue;
            }
            c = b[pos];
            if (c == '\n' || c == '\r') {
                return end_record(r, pos, c);
            }
            note_problem(r, c == quote ? CSV_ROW_STRAY_QUOTE : CSV_ROW_NUL, pos);
            pos++;
            continue;
        case S_QUO:
            pos = skip_quoted(r, b, pos, len);
            if (pos == len) {
                continue;
            }
            c = b[pos++];
            if (c == quote) {
                r->st = S_QQ;
            } else if (c == '\n') {
                if (b[pos - 2] != '\r') { /* CRLF is one line break; its CR counted it */
                    r->line++;
                }
            } else if (c == '\r') {
                r->line++;
            } else {
                note_problem(r, CSV_ROW_NUL, pos - 1);
            }
            continue;
        case S_QQ:
            c = b[pos];
            if (c == quote) {
                r->spans[r->nf - 1].escaped = 1;
                r->st = S_QUO;
                pos++;
            } else if (c == delim) {
                rc = next_field(r, pos);
                if (rc != 0) {
                    return rc;
                }
                r->st = S_FSTART;
                pos++;
            } else if (c == '\n' || c == '\r') {
                return end_record(r, pos, c);
            } else {
                note_problem(r, CSV_ROW_STRAY_QUOTE, pos);
                r->spans[r->nf - 1].escaped = 1;
                r->st = S_UNQ;
            }
            continue;
        }
    }
}

/* --- output ------------------------------------------------------------------------------ */

/* Unescapes the raw quoted field s[0..n) (s[0] is the opening quote) into dst: a doubled
 * quote becomes one, and whatever follows the closing quote is kept as it is. */
static size_t unescape(const char *s, size_t n, char quote, char *dst)
{
    size_t i = 1;
    size_t o = 0;

    while (i < n) {
        const char *q = memchr(s + i, quote, n - i);
        size_t k = q != NULL ? (size_t)(q - s) : n;

        memcpy(dst + o, s + i, k - i);
        o += k - i;
        if (k + 1 < n && s[k + 1] == quote) {
            dst[o++] = quote;
            i = k + 2;
            continue;
        }
        if (k + 1 < n) {
            memcpy(dst + o, s + k + 1, n - k - 1);
            o += n - k - 1;
        }
        break;
    }
    return o;
}

static void check_utf8(struct csv_reader *r, const char *raw)
{
    size_t bad;
    size_t start = 0;
    size_t i;

    if (utf8_valid(raw, r->raw_len, &bad)) {
        return;
    }
    /* Validate the raw bytes of each field after any opening quote.  Quotes are ASCII in any
     * UTF-8 file, so this equals validating the values, and offsets map to raw directly. */
    for (i = 0; i < r->nf; start = r->spans[i++].end + 1) {
        const struct fspan *s = &r->spans[i];
        size_t off = start + s->quoted;

        if (!utf8_valid(raw + off, s->end - off, &bad)) {
            if (r->prob == CSV_ROW_OK || off + bad < r->prob_off) {
                r->prob = CSV_ROW_BAD_UTF8;
                r->prob_field = i;
                r->prob_off = off + bad;
            }
            return;
        }
    }
}

/* The fields of a record without quoted fields: each value is its raw bytes.  The arrays and
 * nf are in locals because a store into a field could alias r->nf for the compiler. */
static void fields_plain(struct csv_reader *r, const char *raw)
{
    const struct fspan *s = r->spans;
    struct csv_field *f = r->fields;
    const size_t nf = r->nf;
    size_t start = 0;
    size_t i;

    for (i = 0; i < nf; i++) {
        f[i].p = raw + start;
        f[i].n = s[i].end - start;
        f[i].quoted = 0;
        start = s[i].end + 1;
    }
}

/* The fields of a record with quoted ones: quotes stripped, escaped values unescaped into
 * r->scratch. */
static int fields_quoted(struct csv_reader *r, const char *raw)
{
    size_t so = 0;
    size_t start = 0;
    size_t i;

    for (i = 0; i < r->nf; start = r->spans[i++].end + 1) {
        const struct fspan *s = &r->spans[i];
        struct csv_field *f = &r->fields[i];

        f->quoted = s->quoted;
        if (!s->quoted) {
            f->p = raw + start;
            f->n = s->end - start;
        } else if (!s->escaped) {
            f->p = raw + start + 1;
            f->n = s->end - start - 2;
        } else {
            if (r->scap < r->raw_len) { /* only before the first use in this record */
                size_t ncap = r->raw_len < 4096 ? 4096 : r->raw_len;
                char *np = realloc(r->scratch, ncap);

                if (np == NULL) {
                    return fail(r, SL_ENOMEM, "out of memory unescaping line %" PRIu64,
                                r->rec_line);
                }
                r->scratch = np;
                r->scap = ncap;
            }
            f->p = r->scratch + so;
            f->n = unescape(raw + start, s->end - start, r->o.quote, r->scratch + so);
            so += f->n;
        }
    }
    return 0;
}

static int emit(struct csv_reader *r, struct csv_record *rec)
{
    const char *raw = r->buf + r->rec;

    if (!r->any_quoted) {
        fields_plain(r, raw);
    } else if (fields_quoted(r, raw) != 0) {
        return r->err_code;
    }
    if (r->o.check_utf8) {
        check_utf8(r, raw);
    }
    rec->nfields = r->nf;
    rec->fields = r->fields;
    rec->line = r->rec_line;
    rec->end_line = r->end_line;
    rec->raw = raw;
    rec->raw_len = r->raw_len;
    rec->problem = r->prob;
    rec->problem_field = r->prob == CSV_ROW_OK ? 0 : r->prob_field;
    rec->problem_offset = r->prob == CSV_ROW_OK ? 0 : r->prob_off;
    return 1;
}

int csv_reader_next(struct csv_reader *r, struct csv_record *rec, struct sl_error *err)
{
    int rc;

    if (r->err_code == 0) {
        rc = r->st == S_BOM ? skip_bom(r) : 0;
        rc = rc < 0 ? rc : scan(r);
        if (rc > 0) {
            rc = emit(r, rec);
        } else if (rc == 0) {
            memset(rec, 0, sizeof(*rec));
        }
        if (rc >= 0) {
            return rc;
        }
    }
    return sl_error_set(err, r->err_code, "%s", r->err_msg);
}
