/* fuzz_csv.c - libFuzzer harness for the streaming CSV reader (src/input/csv.c).
 *
 * Input: byte 0 picks the options (delimiter, UTF-8 checking, small limits), byte 1 a read
 * chunk size; the rest is the CSV text.  The text is read twice, in one piece and in chunks
 * of that size, and both runs must return exactly the same records, problems and final
 * status (the reader's output may not depend on how read() splits the input).  Every record
 * must also respect the limits and the line numbering rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "input/csv.h"

/* FNV-1a over everything a record exposes. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ s[i]) * 1099511628211ULL;
    }
    return h;
}

struct run {
    uint64_t hash;
    size_t records;
    int status;
    uint64_t blanks, bytes;
};

static void read_all(const struct csv_opts *o, const char *p, size_t n, size_t chunk,
                     struct run *out)
{
    struct csv_mem_src src = {p, n, 0, chunk};
    struct csv_reader *r = csv_reader_create(o, csv_mem_read, &src);
    struct csv_record rec;
    struct sl_error err = {0};
    uint64_t h = 1469598103934665603ULL, last_end = 0;
    size_t max_field = o->max_field_bytes, max_record = o->max_record_bytes;
    int rc;

    memset(out, 0, sizeof(*out));
    if (r == NULL) {
        abort();
    }
    while ((rc = csv_reader_next(r, &rec, &err)) == 1) {
        if (rec.nfields == 0 || rec.nfields > o->max_columns || rec.line > rec.end_line ||
            rec.line <= last_end || rec.raw_len > max_record + 2) {
            abort();
        }
        last_end = rec.end_line;
        if (rec.problem != CSV_ROW_OK &&
            (rec.problem_field >= rec.nfields || rec.problem_offset > rec.raw_len)) {
            abort();
        }
        h = mix(h, &rec.nfields, sizeof(rec.nfields));
        h = mix(h, &rec.line, sizeof(rec.line));
        h = mix(h, &rec.end_line, sizeof(rec.end_line));
        h = mix(h, rec.raw, rec.raw_len);
        h = mix(h, &rec.problem, sizeof(rec.problem));
        if (rec.problem != CSV_ROW_OK) {
            h = mix(h, &rec.problem_field, sizeof(rec.problem_field));
            h = mix(h, &rec.problem_offset, sizeof(rec.problem_offset));
        }
        for (size_t i = 0; i < rec.nfields; i++) {
            const struct csv_field *f = &rec.fields[i];
            if (f->n > max_field) {
                abort();
            }
            h = mix(h, &f->n, sizeof(f->n));
            h = mix(h, f->p, f->n);
            h = mix(h, &f->quoted, sizeof(f->quoted));
        }
        out->records++;
    }
    out->status = rc;
    if (rc < 0) {
        struct csv_record again;
        struct sl_error err2 = {0};
        if (csv_reader_next(r, &again, &err2) != rc || strcmp(err.msg, err2.msg) != 0) {
            abort(); /* errors are sticky */
        }
        h = mix(h, err.msg, strlen(err.msg));
    }
    out->hash = h;
    out->blanks = csv_reader_blank_lines(r);
    out->bytes = csv_reader_bytes(r);
    csv_reader_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = {',', ';', '\t', '|'};
    if (size < 2) {
        return 0;
    }
    struct csv_opts o = {0};
    o.delimiter = delims[data[0] & 3];
    o.quote = '"';
    o.check_utf8 = (data[0] >> 2) & 1;
    if (data[0] & 8) { /* small limits, so the fuzzer reaches them */
        o.max_field_bytes = 8 + (data[0] >> 4);
        o.max_record_bytes = 32 + (size_t)(data[0] >> 4) * 4;
        o.max_columns = 1 + (data[0] >> 4);
    } else {
        o.max_field_bytes = 1 << 20;
        o.max_record_bytes = 8 << 20;
        o.max_columns = 4096;
    }
    size_t chunk = 1 + data[1] % 64;
    const char *p = (const char *)data + 2;
    size_t n = size - 2;

    struct run whole, chunked;
    read_all(&o, p, n, 0, &whole);
    read_all(&o, p, n, chunk, &chunked);
    if (whole.hash != chunked.hash || whole.records != chunked.records ||
        whole.status != chunked.status || whole.blanks != chunked.blanks) {
        fprintf(stderr, "chunk %zu changes the result: %zu/%d vs %zu/%d records/status\n",
                chunk, whole.records, whole.status, chunked.records, chunked.status);
        abort();
    }
    if (whole.status == 0 && whole.bytes != n) {
        fprintf(stderr, "EOF after %llu of %zu bytes\n", (unsigned long long)whole.bytes, n);
        abort();
    }
    return 0;
}
