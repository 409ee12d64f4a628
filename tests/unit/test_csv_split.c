/* test_csv_split.c - csv_split cuts where the reader ends records: an input parsed piece by
 * piece (each piece by its own reader, numbering lines from where the cut left them) gives
 * exactly the records, lines, problems, blank lines and errors of the whole input parsed at
 * once.  Random inputs over alphabets that stress quoting and terminators. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#include "input/csv.h"

struct rec_log {
    char *text; /* one line per record: line, end line, problem, raw, fields */
    size_t len, cap;
    uint64_t blank;
    int err;
    char msg[SL_ERRMSG_MAX];
};

static void logf_(struct rec_log *l, const char *p, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        l->cap = (l->len + n + 1) * 2;
        l->text = realloc(l->text, l->cap);
        assert_non_null(l->text);
    }
    memcpy(l->text + l->len, p, n);
    l->len += n;
    l->text[l->len] = '\0';
}

static void log_record(struct rec_log *l, const struct csv_record *r)
{
    char head[128];
    int k = snprintf(head, sizeof head, "%llu-%llu p%d/%zu@%zu [",
                     (unsigned long long)r->line, (unsigned long long)r->end_line,
                     (int)r->problem, r->problem_field, r->problem_offset);
    logf_(l, head, (size_t)k);
    logf_(l, r->raw, r->raw_len);
    logf_(l, "]", 1);
    for (size_t i = 0; i < r->nfields; i++) {
        logf_(l, "|", 1);
        logf_(l, r->fields[i].p, r->fields[i].n);
    }
    logf_(l, "\n", 1);
}

/* Parses p[0..n) with one reader (chunk 0: in place, csv_reader_create_span; else through
 * csv_mem_read in chunks); returns the records it gave before any error. */
static size_t parse(struct rec_log *l, const char *p, size_t n, uint64_t first_line,
                    int no_bom, size_t chunk)
{
    struct csv_opts o = {.check_utf8 = 1, .first_line = first_line, .no_bom = no_bom,
                         .max_record_bytes = 1 << 16};
    struct csv_mem_src m = {.p = p, .n = n, .chunk = chunk};
    char *copy = NULL;
    struct csv_reader *r;
    if (chunk == 0) { /* pieces: read in place, as load_par does (a NUL after the bytes) */
        copy = malloc(n + 1);
        assert_non_null(copy);
        memcpy(copy, p, n);
        copy[n] = '\0';
        r = csv_reader_create_span(&o, copy, n);
    } else {
        r = csv_reader_create(&o, csv_mem_read, &m);
    }
    assert_non_null(r);
    struct csv_record rec;
    struct sl_error err = {0};
    size_t nrec = 0;
    int rc;
    while ((rc = csv_reader_next(r, &rec, &err)) > 0) {
        log_record(l, &rec);
        nrec++;
    }
    if (rc < 0) {
        l->err = rc;
        snprintf(l->msg, sizeof l->msg, "%s", err.msg);
    }
    l->blank += csv_reader_blank_lines(r);
    csv_reader_destroy(r);
    free(copy);
    return nrec;
}

static void check_input(const char *p, size_t n, size_t max_lines, size_t max_records,
                        size_t window)
{
    struct rec_log whole = {0}, pieces = {0};
    parse(&whole, p, n, 0, 0, 7);
    size_t bom = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    size_t pos = bom;
    uint64_t line = 1;
    size_t w = window;
    while (pos < n && pieces.err == 0) {
        uint64_t lines = 0;
        /* the pipeline sees a window of the input; no cut in it means: read more */
        size_t span = w < n - pos ? w : n - pos;
        size_t k = csv_split(NULL, p + pos, span, max_lines, max_records, span == n - pos,
                             &lines);
        if (k == 0 && span < n - pos) {
            w *= 2;
            continue;
        }
        w = window;
        if (k == 0) { /* no cut: the rest in one reader, as the pipeline does */
            parse(&pieces, p + (pos == bom ? 0 : pos), n - (pos == bom ? 0 : pos), line,
                  pos != bom, 0);
            break;
        }
        assert_true(k <= n - pos);
        size_t got = parse(&pieces, p + (pos == bom ? 0 : pos), k + (pos == bom ? bom : 0),
                           line, pos != bom, 0);
        assert_true(got <= max_records);
        pos += k;
        line += lines;
    }
    if (whole.err == 0) {
        assert_int_equal(pieces.err, 0);
        assert_int_equal(pieces.blank, whole.blank);
    } else {
        assert_int_equal(pieces.err, whole.err);
        assert_string_equal(pieces.msg, whole.msg);
    }
    assert_int_equal(pieces.len, whole.len);
    if (whole.len > 0) {
        assert_memory_equal(pieces.text, whole.text, whole.len);
    }
    free(whole.text);
    free(pieces.text);
}

static void random_inputs(const char *alphabet, int rounds)
{
    char buf[600];
    size_t na = strlen(alphabet);
    srand(12345);
    for (int it = 0; it < rounds; it++) {
        size_t n = (size_t)(rand() % (int)sizeof buf);
        size_t i = 0;
        if (rand() % 8 == 0 && n >= 3) {
            memcpy(buf, "\xEF\xBB\xBF", 3);
            i = 3;
        }
        for (; i < n; i++) {
            buf[i] = alphabet[rand() % (int)na];
        }
        size_t caps[][2] = {{1, 1}, {2, 100}, {3, 2}, {5, 5}, {1000, 1000}, {100, 1}};
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            check_input(buf, n, caps[c][0], caps[c][1], (size_t)(1 + rand() % 40));
            check_input(buf, n, caps[c][0], caps[c][1], SIZE_MAX / 4);
        }
    }
}

static void test_plain(void **state)
{
    (void)state;
    random_inputs("aab,,\n\n", 400);
}

static void test_quotes_and_cr(void **state)
{
    (void)state;
    random_inputs("ab,\"\"\n\r", 1500);
}

static void test_quote_heavy(void **state)
{
    (void)state;
    random_inputs("a\"\"\",\n", 1500);
}

static void test_unclosed_at_eof(void **state)
{
    (void)state;
    const char *in = "h\n1\n2,\"x\ny\n";
    check_input(in, strlen(in), 1, 1, 3);
    uint64_t lines = 0;
    /* one cut per line while closed; the open quote stops cutting */
    assert_int_equal(csv_split(NULL, in, strlen(in), 10, 10, 1, &lines), 4);
    assert_int_equal(lines, 2);
}

static void test_caps_and_counts(void **state)
{
    (void)state;
    const char *in = "a\n\nb\r\nc\rd";
    uint64_t lines = 0;
    /* "a\n" "\n" "b\r\n" "c\r" "d": 4 line breaks, 4 records */
    assert_int_equal(csv_split(NULL, in, strlen(in), 100, 100, 1, &lines), strlen(in));
    assert_int_equal(lines, 4);
    assert_int_equal(csv_split(NULL, in, strlen(in), 100, 2, 1, &lines), 6);
    assert_int_equal(lines, 3);
    assert_int_equal(csv_split(NULL, in, strlen(in), 2, 100, 1, &lines), 3);
    assert_int_equal(lines, 2);
    /* a CR at the end of the span waits for the next byte unless the input ends there */
    assert_int_equal(csv_split(NULL, "a\rb\r", 4, 100, 100, 0, &lines), 2);
    assert_int_equal(csv_split(NULL, "a\rb\r", 4, 100, 100, 1, &lines), 4);
    /* no cut at all without a terminator, unless at the end */
    assert_int_equal(csv_split(NULL, "abc", 3, 100, 100, 0, &lines), 0);
    assert_int_equal(csv_split(NULL, "abc", 3, 100, 100, 1, &lines), 3);
    /* a quoted newline is not a cut; it counts as a line */
    assert_int_equal(csv_split(NULL, "\"a\nb\"\nc\n", 9, 100, 1, 0, &lines), 6);
    assert_int_equal(lines, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_quotes_and_cr),
        cmocka_unit_test(test_quote_heavy),
        cmocka_unit_test(test_unclosed_at_eof),
        cmocka_unit_test(test_caps_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
