/* test_csv.c - the streaming CSV reader and the UTF-8 validator.
 *
 * Most tests render everything the reader returns (records, fields, lines, problems, the
 * final status) as text, compare it with an expected text, then feed the same input in
 * every chunk size from 1 to 64 bytes and check the rendering (with raw bytes) never changes.
 */
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "input/csv.h"
#include "input/utf8.h"

#define MIB ((size_t)1 << 20)

/* --- rendering --------------------------------------------------------------------------- */

struct out {
    char *p;
    size_t len;
    size_t cap;
};

static void out_add(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t ncap = (o->len + n + 1) * 2;
        char *np = realloc(o->p, ncap);
        assert_non_null(np);
        o->p = np;
        o->cap = ncap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(tmp));
    out_add(o, tmp, (size_t)n);
}

/* Bytes with \n \r \t \0 \\ and \xHH for other non-printables, so lengths stay visible. */
static void out_bytes(struct out *o, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n') {
            out_add(o, "\\n", 2);
        } else if (c == '\r') {
            out_add(o, "\\r", 2);
        } else if (c == '\t') {
            out_add(o, "\\t", 2);
        } else if (c == '\0') {
            out_add(o, "\\0", 2);
        } else if (c == '\\') {
            out_add(o, "\\\\", 2);
        } else if (c < 0x20 || c >= 0x7F) {
            out_printf(o, "\\x%02X", c);
        } else {
            out_add(o, p + i, 1);
        }
    }
}

static void render_record(struct out *o, const struct csv_record *rec, int show_raw)
{
    assert_true(rec->end_line >= rec->line);
    assert_true(rec->nfields >= 1);
    out_printf(o, "%" PRIu64 "-%" PRIu64 " %s", rec->line, rec->end_line,
               csv_problem_name(rec->problem));
    if (rec->problem != CSV_ROW_OK) {
        assert_true(rec->problem_field < rec->nfields);
        assert_true(rec->problem_offset < rec->raw_len);
        out_printf(o, "@%zu:%zu", rec->problem_field, rec->problem_offset);
    }
    for (size_t i = 0; i < rec->nfields; i++) {
        const struct csv_field *f = &rec->fields[i];
        if (!f->quoted) { /* unquoted fields are never copied */
            assert_true(f->p >= rec->raw && f->p + f->n <= rec->raw + rec->raw_len);
        }
        out_add(o, f->quoted ? " q[" : " [", f->quoted ? 3 : 2);
        out_bytes(o, f->p, f->n);
        out_add(o, "]", 1);
    }
    if (show_raw) {
        out_add(o, " raw=", 5);
        out_bytes(o, rec->raw, rec->raw_len);
    }
    out_add(o, "\n", 1);
}

/* Reads everything with the given read callback and renders it. */
static char *render_all(struct csv_reader *r, int show_raw)
{
    struct out o = {NULL, 0, 0};
    struct csv_record rec;
    struct sl_error err = {0};
    int rc;

    out_add(&o, "", 0);
    while ((rc = csv_reader_next(r, &rec, &err)) == 1) {
        render_record(&o, &rec, show_raw);
    }
    if (rc < 0) {
        struct sl_error again = {0};
        assert_int_equal(err.code, rc);
        out_printf(&o, "ERR %s: %s\n", sl_errname(rc), err.msg);
        assert_int_equal(csv_reader_next(r, &rec, &again), rc); /* sticky */
        assert_string_equal(again.msg, err.msg);
    } else {
        assert_int_equal(rc, 0);
        assert_int_equal(err.code, 0);
        out_printf(&o, "END blank=%" PRIu64 " bom=%d\n", csv_reader_blank_lines(r),
                   csv_reader_had_bom(r));
        assert_int_equal(csv_reader_next(r, &rec, &err), 0);
    }
    return o.p;
}

static char *run(const char *in, size_t n, const struct csv_opts *opts, size_t chunk,
                 int show_raw)
{
    char *copy = malloc(n ? n : 1); /* exact-size copy so ASan sees any over-read */
    assert_non_null(copy);
    memcpy(copy, in, n);
    struct csv_mem_src src = {copy, n, 0, chunk};
    struct csv_reader *r = csv_reader_create(opts, csv_mem_read, &src);
    assert_non_null(r);
    char *s = render_all(r, show_raw);
    csv_reader_destroy(r);
    free(copy);
    return s;
}

/* The whole input must render as expect; every chunk size 1..64 must render identically. */
static void check_n(const char *in, size_t n, const struct csv_opts *opts, int show_raw,
                    const char *expect)
{
    char *whole = run(in, n, opts, 0, show_raw);
    if (strcmp(whole, expect) != 0) {
        fail_msg("whole input:\n--- got\n%s--- expected\n%s", whole, expect);
    }
    free(whole);
    whole = run(in, n, opts, 0, 1);
    for (size_t chunk = 1; chunk <= 64; chunk++) {
        char *got = run(in, n, opts, chunk, 1);
        if (strcmp(got, whole) != 0) {
            fail_msg("chunk %zu:\n--- got\n%s--- whole\n%s", chunk, got, whole);
        }
        free(got);
    }
    free(whole);
}

#define CHECK(lit, expect) check_n((lit), sizeof(lit) - 1, NULL, 0, (expect))
#define CHECK_RAW(lit, expect) check_n((lit), sizeof(lit) - 1, NULL, 1, (expect))
#define CHECK_O(lit, opts, expect) check_n((lit), sizeof(lit) - 1, (opts), 0, (expect))

/* --- RFC 4180 ---------------------------------------------------------------------------- */

static void test_rfc_simple(void **state)
{
    (void)state;
    CHECK("aaa,bbb,ccc\nzzz,yyy,xxx\n",
          "1-1 ok [aaa] [bbb] [ccc]\n"
          "2-2 ok [zzz] [yyy] [xxx]\n"
          "END blank=0 bom=0\n");
}

static void test_rfc_comma_in_quotes(void **state)
{
    (void)state;
    CHECK("aaa,\"b,bb\",ccc\n", "1-1 ok [aaa] q[b,bb] [ccc]\nEND blank=0 bom=0\n");
}

static void test_rfc_escaped_quotes(void **state)
{
    (void)state;
    CHECK("\"aaa\",\"b\"\"bb\",\"ccc\"\n\"\"\"\",\"a\"\"\"\n",
          "1-1 ok q[aaa] q[b\"bb] q[ccc]\n"
          "2-2 ok q[\"] q[a\"]\n"
          "END blank=0 bom=0\n");
}

static void test_rfc_newline_in_quotes_lf(void **state)
{
    (void)state;
    CHECK("\"aaa\",\"b\nbb\",\"ccc\"\nzzz,yyy,xxx\n",
          "1-2 ok q[aaa] q[b\\nbb] q[ccc]\n"
          "3-3 ok [zzz] [yyy] [xxx]\n"
          "END blank=0 bom=0\n");
}

static void test_rfc_newline_in_quotes_crlf(void **state)
{
    (void)state;
    CHECK_RAW("a,\"x\r\ny\r\nz\"\r\nb,c\r\n",
              "1-3 ok [a] q[x\\r\\ny\\r\\nz] raw=a,\"x\\r\\ny\\r\\nz\"\n"
              "4-4 ok [b] [c] raw=b,c\n"
              "END blank=0 bom=0\n");
}

static void test_rfc_quotes_and_newlines(void **state)
{
    (void)state;
    CHECK("\"a\"\"\nb\"\"\",c\nd,e\n",
          "1-2 ok q[a\"\\nb\"] [c]\n"
          "3-3 ok [d] [e]\n"
          "END blank=0 bom=0\n");
}

static void test_rfc_empty_fields(void **state)
{
    (void)state;
    CHECK(",,\n\"\",,\"\"\na,\n",
          "1-1 ok [] [] []\n"
          "2-2 ok q[] [] q[]\n"
          "3-3 ok [a] []\n"
          "END blank=0 bom=0\n");
}

static void test_rfc_no_final_newline(void **state)
{
    (void)state;
    CHECK("a,b\nc,d", "1-1 ok [a] [b]\n2-2 ok [c] [d]\nEND blank=0 bom=0\n");
    CHECK("a,\"b\nc\"", "1-2 ok [a] q[b\\nc]\nEND blank=0 bom=0\n");
    CHECK("a,", "1-1 ok [a] []\nEND blank=0 bom=0\n");
}

static void test_rfc_crlf_everywhere(void **state)
{
    (void)state;
    CHECK_RAW("h1,h2\r\n\"x\r\n\",y\r\nz,\"\"\r\n",
              "1-1 ok [h1] [h2] raw=h1,h2\n"
              "2-3 ok q[x\\r\\n] [y] raw=\"x\\r\\n\",y\n"
              "4-4 ok [z] q[] raw=z,\"\"\n"
              "END blank=0 bom=0\n");
}

/* --- terminators, BOM, blank lines ------------------------------------------------------- */

static void test_bom_crlf_header(void **state)
{
    (void)state;
    CHECK("\xEF\xBB\xBFid,name\r\n1,x\r\n",
          "1-1 ok [id] [name]\n2-2 ok [1] [x]\nEND blank=0 bom=1\n");
}

static void test_bom_elsewhere_is_data(void **state)
{
    (void)state;
    CHECK("a\n\xEF\xBB\xBF" "b\n", "1-1 ok [a]\n2-2 ok [\\xEF\\xBB\\xBFb]\nEND blank=0 bom=0\n");
    CHECK("\xEF\xBB\xBF", "END blank=0 bom=1\n");
    CHECK("\xEF\xBB\xBF\xEF\xBB\xBF" "a", "1-1 ok [\\xEF\\xBB\\xBFa]\nEND blank=0 bom=1\n");
    CHECK("\xEF\xBB", "1-1 ok [\\xEF\\xBB]\nEND blank=0 bom=0\n");
    CHECK("\xEF\xBB\xBF\n\"a\"\n", "2-2 ok q[a]\nEND blank=1 bom=1\n");
}

static void test_lone_cr_file(void **state)
{
    (void)state;
    CHECK("a,b\rc,d\r\"e\rf\",g\rh", "1-1 ok [a] [b]\n2-2 ok [c] [d]\n3-4 ok q[e\\rf] [g]\n"
                                    "5-5 ok [h]\nEND blank=0 bom=0\n");
    CHECK("a\r\rb\r", "1-1 ok [a]\n3-3 ok [b]\nEND blank=1 bom=0\n");
}

static void test_mixed_terminators(void **state)
{
    (void)state;
    /* CR LF is one line break, LF CR is two, inside quotes and out. */
    CHECK("a\r\nb\n\rc\r\"x\n\ry\r\r\nz\"\nd",
          "1-1 ok [a]\n2-2 ok [b]\n4-4 ok [c]\n5-9 ok q[x\\n\\ry\\r\\r\\nz]\n10-10 ok [d]\n"
          "END blank=1 bom=0\n");
}

static void test_blank_lines(void **state)
{
    (void)state;
    CHECK("\n\na\n\n\nb\r\n\r\nc\n",
          "3-3 ok [a]\n6-6 ok [b]\n8-8 ok [c]\nEND blank=5 bom=0\n");
    CHECK("\n\n", "END blank=2 bom=0\n");
}

static void test_spaces_line_and_lone_empty_quotes(void **state)
{
    (void)state;
    CHECK("   \n\"\"\n \n", "1-1 ok [   ]\n2-2 ok q[]\n3-3 ok [ ]\nEND blank=0 bom=0\n");
}

static void test_empty_input(void **state)
{
    (void)state;
    CHECK("", "END blank=0 bom=0\n");
}

static void test_header_only(void **state)
{
    (void)state;
    CHECK("id,name,amount\n", "1-1 ok [id] [name] [amount]\nEND blank=0 bom=0\n");
    CHECK("id,name,amount", "1-1 ok [id] [name] [amount]\nEND blank=0 bom=0\n");
}

static void test_double_newline_at_eof(void **state)
{
    (void)state;
    CHECK("a,b\n1,2\n\n", "1-1 ok [a] [b]\n2-2 ok [1] [2]\nEND blank=1 bom=0\n");
    CHECK("a,b\r\n\r\n", "1-1 ok [a] [b]\nEND blank=1 bom=0\n");
}

static void test_ragged_rows(void **state)
{
    (void)state;
    CHECK("a,b,c\nd\ne,f,g,h\n,\n",
          "1-1 ok [a] [b] [c]\n2-2 ok [d]\n3-3 ok [e] [f] [g] [h]\n4-4 ok [] []\n"
          "END blank=0 bom=0\n");
}

/* --- file-level and row-level problems --------------------------------------------------- */

static void test_unterminated_quote(void **state)
{
    (void)state;
    CHECK("a,b\nc,\"d\ne\nf\n",
          "1-1 ok [a] [b]\n"
          "ERR csv_error: unclosed quote: the quoted field starting on line 2 is never closed\n");
    CHECK("x\n\n\"", "1-1 ok [x]\n"
                     "ERR csv_error: unclosed quote: the quoted field starting on line 3 is "
                     "never closed\n");
    CHECK("\"a\nb\",\"c\n\"\"",
          "ERR csv_error: unclosed quote: the quoted field starting on line 2 is never closed\n");
}

static void test_stray_quotes(void **state)
{
    (void)state;
    CHECK("a\"b,c\n", "1-1 stray_quote@0:1 [a\"b] [c]\nEND blank=0 bom=0\n");
    CHECK("\"ab\"c,d\n", "1-1 stray_quote@0:4 q[abc] [d]\nEND blank=0 bom=0\n");
    CHECK("x,\"a\"b\"c\n", "1-1 stray_quote@1:5 [x] q[ab\"c]\nEND blank=0 bom=0\n");
    CHECK("x,\"a\"x\"\"\n", "1-1 stray_quote@1:5 [x] q[ax\"\"]\nEND blank=0 bom=0\n");
    /* only the first problem is kept; the next record is clean again */
    CHECK("a\"b,\"c\"d\ne,f\n",
          "1-1 stray_quote@0:1 [a\"b] q[cd]\n2-2 ok [e] [f]\nEND blank=0 bom=0\n");
    CHECK("ab\"\n", "1-1 stray_quote@0:2 [ab\"]\nEND blank=0 bom=0\n");
}

static void test_whitespace_around_quotes(void **state)
{
    (void)state;
    CHECK("1, \"a\"\n", "1-1 stray_quote@1:3 [1] [ \"a\"]\nEND blank=0 bom=0\n");
    CHECK("\"a\" ,b\n", "1-1 stray_quote@0:3 q[a ] [b]\nEND blank=0 bom=0\n");
    CHECK("\"a\" \n", "1-1 stray_quote@0:3 q[a ]\nEND blank=0 bom=0\n");
    CHECK(" \"a\" ,b\n", "1-1 stray_quote@0:1 [ \"a\" ] [b]\nEND blank=0 bom=0\n");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    CHECK("a\0b,c\n", "1-1 nul_byte@0:1 [a\\0b] [c]\nEND blank=0 bom=0\n");
    CHECK("x,\"a\0\0b\"\n", "1-1 nul_byte@1:4 [x] q[a\\0\\0b]\nEND blank=0 bom=0\n");
    CHECK("\0\n", "1-1 nul_byte@0:0 [\\0]\nEND blank=0 bom=0\n");
    CHECK("a\"\0\n", "1-1 stray_quote@0:1 [a\"\\0]\nEND blank=0 bom=0\n");

    /* field lengths include the bytes after a NUL */
    struct csv_mem_src src = {"ab\0cd,e\n", 8, 0, 0};
    struct csv_reader *r = csv_reader_create(NULL, csv_mem_read, &src);
    struct csv_record rec;
    struct sl_error err = {0};
    assert_non_null(r);
    assert_int_equal(csv_reader_next(r, &rec, &err), 1);
    assert_int_equal(rec.nfields, 2);
    assert_int_equal(rec.fields[0].n, 5);
    assert_memory_equal(rec.fields[0].p, "ab\0cd", 5);
    assert_int_equal(rec.raw_len, 7);
    csv_reader_destroy(r);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    struct csv_opts o = {.check_utf8 = 1};
    CHECK_O("ok,\xC0\xAF\n", &o, "1-1 invalid_utf8@1:3 [ok] [\\xC0\\xAF]\nEND blank=0 bom=0\n");
    CHECK_O("a\x80z\n", &o, "1-1 invalid_utf8@0:1 [a\\x80z]\nEND blank=0 bom=0\n");
    CHECK_O("\"\xED\xA0\x80\"\n", &o, "1-1 invalid_utf8@0:1 q[\\xED\\xA0\\x80]\n"
                                      "END blank=0 bom=0\n");
    CHECK_O("x,\xF0\x9F\x98", &o, "1-1 invalid_utf8@1:2 [x] [\\xF0\\x9F\\x98]\n"
                                  "END blank=0 bom=0\n");
    CHECK_O("\xF4\x90\x80\x80\n", &o, "1-1 invalid_utf8@0:0 [\\xF4\\x90\\x80\\x80]\n"
                                      "END blank=0 bom=0\n");
    /* escaped field: offset still points into raw */
    CHECK_O("\"a\"\"\xFF\"\n", &o, "1-1 invalid_utf8@0:4 q[a\"\\xFF]\nEND blank=0 bom=0\n");
    /* the earliest problem in the record wins, whichever kind */
    CHECK_O("\xC0,a\"b\n", &o, "1-1 invalid_utf8@0:0 [\\xC0] [a\"b]\nEND blank=0 bom=0\n");
    CHECK_O("a\"b,\xC0\n", &o, "1-1 stray_quote@0:1 [a\"b] [\\xC0]\nEND blank=0 bom=0\n");
    /* without check_utf8 the same bytes are fine */
    CHECK("ok,\xC0\xAF\n", "1-1 ok [ok] [\\xC0\\xAF]\nEND blank=0 bom=0\n");
}

static void test_valid_utf8_accepted(void **state)
{
    (void)state;
    struct csv_opts o = {.check_utf8 = 1};
    CHECK_O("caf\xC3\xA9,\xE2\x82\xAC,\"\xF0\x9F\x98\x80\"\"\",\xF4\x8F\xBF\xBF\n", &o,
            "1-1 ok [caf\\xC3\\xA9] [\\xE2\\x82\\xAC] q[\\xF0\\x9F\\x98\\x80\"]"
            " [\\xF4\\x8F\\xBF\\xBF]\nEND blank=0 bom=0\n");
}

static void test_utf8_valid_function(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_true(utf8_valid("", 0, &bad));
    assert_true(utf8_valid(STRLEN_ARGS("plain ascii, long enough for the fast path"), NULL));
    assert_true(utf8_valid(STRLEN_ARGS("\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF"), NULL));
    assert_true(utf8_valid(STRLEN_ARGS("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\xEE\x80\x80"), NULL));
    assert_true(utf8_valid("a\0b", 3, NULL));

#define BAD(lit, at) {(lit), sizeof(lit) - 1, (at)}
    static const struct {
        const char *s;
        size_t n;
        size_t bad;
    } cases[] = {
        BAD("\xC0\xAF", 0),                   /* overlong '/' */
        BAD("\xC1\xBF", 0),                   /* overlong */
        BAD("\xE0\x80\xAF", 0),               /* overlong 3-byte */
        BAD("\xF0\x80\x80\xAF", 0),           /* overlong 4-byte */
        BAD("\xED\xA0\x80", 0),               /* surrogate U+D800 */
        BAD("\xED\xBF\xBF", 0),               /* surrogate U+DFFF */
        BAD("\xF4\x90\x80\x80", 0),           /* U+110000 */
        BAD("\xF5\x80\x80\x80", 0),           /* lead byte past U+10FFFF */
        BAD("\xFF", 0),                       /* never valid */
        BAD("abc\x80", 3),                    /* lone continuation */
        BAD("abcdefghijklm\x80", 13),         /* after an 8-byte fast-path block */
        BAD("abcdefghij\x80klmnopqrstu", 10), /* inside a full 8-byte block */
        BAD("abcdefgh\xC3", 8),               /* truncated 2-byte at the end */
        BAD("ab\xE2\x82", 2),                 /* truncated 3-byte */
        BAD("ab\xF0\x9F\x98", 2),             /* truncated 4-byte */
        BAD("\xC3\xA9\xC3(", 2),              /* bad continuation */
        BAD("\xE2(\xAC", 0),
        {"ab\xE2\x82\xAC", 4, 2}, /* valid sequence cut short by n */
        {"\xF0\x9F\x98\x80", 3, 0},
        {"\xC3\xA9", 1, 0},
    };
#undef BAD
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *copy = malloc(cases[i].n); /* exact size: ASan flags any read past n */
        assert_non_null(copy);
        memcpy(copy, cases[i].s, cases[i].n);
        bad = 99;
        int ok = utf8_valid(copy, cases[i].n, &bad);
        free(copy);
        if (ok) {
            fail_msg("case %zu accepted", i);
        }
        assert_int_equal(bad, cases[i].bad);
    }
}

/* --- options ----------------------------------------------------------------------------- */

static void test_tab_delimiter_and_quote_char(void **state)
{
    (void)state;
    struct csv_opts tab = {.delimiter = '\t'};
    CHECK_O("a\tb,c\t\"d\te\"\n", &tab, "1-1 ok [a] [b,c] q[d\\te]\nEND blank=0 bom=0\n");
    struct csv_opts sq = {.delimiter = ';', .quote = '\''};
    CHECK_O("'a;b';'it''s';\"x\"\n", &sq, "1-1 ok q[a;b] q[it's] [\"x\"]\nEND blank=0 bom=0\n");
}

static void test_bad_options(void **state)
{
    (void)state;
    struct csv_mem_src src = {"", 0, 0, 0};
    struct csv_opts same = {.delimiter = '\'', .quote = '\''};
    struct csv_opts nl = {.delimiter = '\n'};
    struct csv_opts cr = {.quote = '\r'};
    assert_null(csv_reader_create(&same, csv_mem_read, &src));
    assert_null(csv_reader_create(&nl, csv_mem_read, &src));
    assert_null(csv_reader_create(&cr, csv_mem_read, &src));
    assert_null(csv_reader_create(NULL, NULL, &src));
    csv_reader_destroy(NULL);
    assert_string_equal(csv_problem_name(CSV_ROW_STRAY_QUOTE), "stray_quote");
    assert_string_equal(csv_problem_name(CSV_ROW_NUL), "nul_byte");
    assert_string_equal(csv_problem_name(CSV_ROW_BAD_UTF8), "invalid_utf8");
}

static void test_mem_read_chunks(void **state)
{
    (void)state;
    char buf[8];
    struct csv_mem_src src = {"abcdefghij", 10, 0, 3};
    assert_int_equal(csv_mem_read(&src, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "abc", 3);
    src.chunk = 0;
    assert_int_equal(csv_mem_read(&src, buf, sizeof(buf)), 7);
    assert_memory_equal(buf, "defghij", 7);
    assert_int_equal(csv_mem_read(&src, buf, sizeof(buf)), 0);
}

/* --- raw bytes and line numbers ---------------------------------------------------------- */

static void test_raw_exact_multiline(void **state)
{
    (void)state;
    CHECK_RAW("id,note\r\n7,\"line one\r\nsaid \"\"hi\"\"\r\n\"\r\n8,\"x\"y\n",
              "1-1 ok [id] [note] raw=id,note\n"
              "2-4 ok [7] q[line one\\r\\nsaid \"hi\"\\r\\n] "
              "raw=7,\"line one\\r\\nsaid \"\"hi\"\"\\r\\n\"\n"
              "5-5 stray_quote@1:5 [8] q[xy] raw=8,\"x\"y\n"
              "END blank=0 bom=0\n");
}

static void test_line_numbers_after_multiline(void **state)
{
    (void)state;
    CHECK("a,\"1\n2\n3\"\n\nb,\"\r\n\"\nc\n",
          "1-3 ok [a] q[1\\n2\\n3]\n5-6 ok [b] q[\\r\\n]\n7-7 ok [c]\nEND blank=1 bom=0\n");
}

/* --- limits ------------------------------------------------------------------------------ */

static void test_limit_field(void **state)
{
    (void)state;
    struct csv_opts o = {.max_field_bytes = 5};
    CHECK_O("abcde,\"abc\"\nx,abcdef,y\n", &o,
            "1-1 ok [abcde] q[abc]\n"
            "ERR limit_exceeded: line 2: field 2 is longer than 5 bytes "
            "(limits.max_field_bytes)\n");
    /* measured on raw bytes: the quotes count */
    CHECK_O("\"abcd\"\n", &o, "ERR limit_exceeded: line 1: field 1 is longer than 5 bytes "
                              "(limits.max_field_bytes)\n");
}

static void test_limit_record(void **state)
{
    (void)state;
    struct csv_opts o = {.max_record_bytes = 10};
    CHECK_O("a,b\n012345678,\n\n0123456789a\n", &o,
            "1-1 ok [a] [b]\n2-2 ok [012345678] []\n"
            "ERR limit_exceeded: line 4: record is longer than 10 bytes "
            "(limits.max_record_bytes)\n");
    CHECK_O("\"0\n2\n4\n6\n8\n\"\n", &o,
            "ERR limit_exceeded: line 1: record is longer than 10 bytes "
            "(limits.max_record_bytes)\n");
}

static void test_limit_columns(void **state)
{
    (void)state;
    struct csv_opts o = {.max_columns = 3};
    CHECK_O("a,b,c\n\"a\",\"b\",\"c\",\"d\"\n", &o,
            "1-1 ok [a] [b] [c]\n"
            "ERR limit_exceeded: line 2: record has more than 3 fields (limits.max_columns)\n");
    CHECK_O("a,b,c,", &o, "ERR limit_exceeded: line 1: record has more than 3 fields "
                          "(limits.max_columns)\n");
}

static void test_limit_first_crossed_wins(void **state)
{
    (void)state;
    struct csv_opts o = {.max_field_bytes = 4, .max_record_bytes = 8};
    CHECK_O("aa,bbbbbbbbbbbbbbb\n", &o, /* field 2 crosses at byte 7, record at 8 */
            "ERR limit_exceeded: line 1: field 2 is longer than 4 bytes "
            "(limits.max_field_bytes)\n");
    CHECK_O("aaaa,aaaa,aaaaaaaa\n", &o, /* record crosses at 8, field 3 only at 14 */
            "ERR limit_exceeded: line 1: record is longer than 8 bytes "
            "(limits.max_record_bytes)\n");
    struct csv_opts c = {.max_record_bytes = 8, .max_columns = 3};
    CHECK_O("aaaaaaaaa,b,c,d\n", &c,
            "ERR limit_exceeded: line 1: record is longer than 8 bytes "
            "(limits.max_record_bytes)\n");
    CHECK_O("a,b,c,dddddddd\n", &c, "ERR limit_exceeded: line 1: record has more than 3 "
                                    "fields (limits.max_columns)\n");
}

/* A read callback producing a prefix and then `left` copies of one byte. */
struct gen {
    const char *prefix;
    size_t prefix_pos;
    size_t left;
    char byte;
    size_t chunk;
};

static ssize_t gen_read(void *ctx, char *buf, size_t cap)
{
    struct gen *g = ctx;
    size_t plen = g->prefix ? strlen(g->prefix) : 0;
    size_t n = 0;

    if (g->chunk != 0 && cap > g->chunk) {
        cap = g->chunk;
    }
    while (n < cap && g->prefix_pos < plen) {
        buf[n++] = g->prefix[g->prefix_pos++];
    }
    size_t k = cap - n < g->left ? cap - n : g->left;
    memset(buf + n, g->byte, k);
    g->left -= k;
    return (ssize_t)(n + k);
}

static int gen_expect_limit(struct gen *g, const struct csv_opts *o, const char *key,
                            uint64_t max_bytes)
{
    struct csv_reader *r = csv_reader_create(o, gen_read, g);
    struct csv_record rec;
    struct sl_error err = {0};
    assert_non_null(r);
    int rc = csv_reader_next(r, &rec, &err);
    assert_int_equal(rc, SL_ELIMIT);
    if (strstr(err.msg, key) == NULL) {
        fail_msg("message '%s' does not name %s", err.msg, key);
    }
    uint64_t got = csv_reader_bytes(r);
    if (got >= max_bytes) {
        fail_msg("read %" PRIu64 " bytes before failing", got);
    }
    csv_reader_destroy(r);
    return rc;
}

static void test_bounded_memory_no_newline(void **state)
{
    (void)state;
    struct gen g = {NULL, 0, 50 * MIB, 'a', 0};
    struct csv_opts o = {.max_record_bytes = MIB, .max_field_bytes = 4 * MIB};
    gen_expect_limit(&g, &o, "limits.max_record_bytes", 2 * MIB);
    assert_true(g.left > 40 * MIB);

    struct gen q = {"x,\"", 0, 50 * MIB, 'b', 4096}; /* an endless quoted field */
    gen_expect_limit(&q, &o, "limits.max_record_bytes", 2 * MIB);

    struct gen d = {NULL, 0, 200 * MIB, 'c', 0}; /* defaults: 1 MiB field, 8 MiB record */
    gen_expect_limit(&d, NULL, "limits.max_field_bytes", 3 * MIB);
}

static void test_bounded_memory_commas(void **state)
{
    (void)state;
    struct gen g = {NULL, 0, MIB, ',', 0};
    gen_expect_limit(&g, NULL, "limits.max_columns", 2 * MIB);
    assert_true(g.left > 0);
}

/* A record far larger than the initial buffer, fed in small chunks: must grow, not rescan. */
static void test_large_record_small_chunks(void **state)
{
    (void)state;
    struct gen g = {"a,\"", 0, 6 * MIB, 'q', 13};
    struct csv_opts o = {.max_record_bytes = 16 * MIB, .max_field_bytes = 16 * MIB};
    struct csv_reader *r = csv_reader_create(&o, gen_read, &g);
    struct csv_record rec;
    struct sl_error err = {0};
    assert_non_null(r);
    /* the generated field never closes: the reader reads it all, then reports EOF-in-quote */
    assert_int_equal(csv_reader_next(r, &rec, &err), SL_ECSV);
    assert_non_null(strstr(err.msg, "line 1"));
    assert_int_equal(csv_reader_bytes(r), 6 * MIB + 3);
    csv_reader_destroy(r);

    /* a big record between small ones keeps everything intact */
    size_t big = 700 * 1024;
    size_t n = big + 64;
    char *in = malloc(n);
    assert_non_null(in);
    size_t len = 0;
    memcpy(in, "h1,h2\n\"", 7);
    len = 7;
    memset(in + len, 'z', big);
    len += big;
    in[len - 100] = '"'; /* one doubled quote inside */
    in[len - 99] = '"';
    memcpy(in + len, "\",t\nlast,1\n", 11);
    len += 11;
    for (size_t chunk = 0; chunk <= 4096; chunk += 4093) {
        struct csv_mem_src src = {in, len, 0, chunk};
        r = csv_reader_create(&o, csv_mem_read, &src);
        assert_non_null(r);
        assert_int_equal(csv_reader_next(r, &rec, &err), 1);
        assert_int_equal(csv_reader_next(r, &rec, &err), 1);
        assert_int_equal(rec.nfields, 2);
        assert_int_equal(rec.fields[0].n, big - 1);
        assert_int_equal(rec.fields[0].p[big - 1 - 99], '"');
        assert_int_equal(rec.raw_len, big + 4);
        assert_memory_equal(rec.fields[1].p, "t", 1);
        assert_int_equal(csv_reader_next(r, &rec, &err), 1);
        assert_int_equal(rec.line, 3);
        assert_memory_equal(rec.raw, "last,1", 6);
        assert_int_equal(csv_reader_next(r, &rec, &err), 0);
        csv_reader_destroy(r);
    }
    free(in);
}

/* Many records, so that records straddle every refill and buffer compaction. */
static void test_many_records_across_refills(void **state)
{
    (void)state;
    struct out in = {NULL, 0, 0};
    struct out expect = {NULL, 0, 0};
    static const size_t chunks[] = {0, 7, 4093, 65537};

    for (int i = 0; i < 30000; i++) {
        out_printf(&in, "r%d,\"q\"\"%d\nx\",plain%s", i, i, i % 3 ? "\r\n" : "\n");
        out_printf(&expect, "%d-%d ok [r%d] q[q\"%d\\nx] [plain]\n", 2 * i + 1, 2 * i + 2, i,
                   i);
    }
    out_printf(&expect, "END blank=0 bom=0\n");
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        char *got = run(in.p, in.len, NULL, chunks[c], 0);
        if (strcmp(got, expect.p) != 0) {
            fail_msg("chunk %zu differs", chunks[c]);
        }
        free(got);
    }
    free(in.p);
    free(expect.p);
}

/* --- the 16-byte block scan -------------------------------------------------------------
 * The scanner classifies 16 bytes at a time while at least 17 remain before the end of the
 * data, then finishes byte by byte.  These inputs put each kind of byte at every offset of a
 * block and at every distance from the end of the data (check_n also feeds every chunk size
 * from 1 to 64, which moves the end of the data around). */

static void out_rep(struct out *o, char c, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        out_add(o, &c, 1);
    }
}

/* A quote right after a delimiter opens a quoted field, wherever the delimiter falls: inside
 * a block, as a block's last byte, just before the byte-by-byte tail, or as the data's last
 * byte before a refill. */
static void test_wide_quote_after_delimiter(void **state)
{
    (void)state;
    for (size_t k = 0; k <= 40; k++) {
        for (size_t m = 0; m <= 20; m++) {
            struct out in = {NULL, 0, 0};
            struct out ex = {NULL, 0, 0};
            out_rep(&in, 'a', k);
            out_add(&in, ",\"q,\",", 6);
            out_rep(&in, 'b', m);
            out_add(&in, "\n", 1);
            out_add(&ex, "1-1 ok [", 8);
            out_rep(&ex, 'a', k);
            out_add(&ex, "] q[q,] [", 9);
            out_rep(&ex, 'b', m);
            out_add(&ex, "]\nEND blank=0 bom=0\n", 20);
            check_n(in.p, in.len, NULL, 0, ex.p);
            free(in.p);
            free(ex.p);
        }
    }
}

/* Every byte that stops the scan (and control bytes that only look like one to it) at every
 * offset k of the first field, with m bytes after it. */
static void test_wide_stop_bytes_every_position(void **state)
{
    (void)state;
    static const struct {
        const char *x;   /* the byte(s) at offset k */
        size_t xn;
        int utf8;        /* check_utf8 */
        const char *mid; /* expected between [a..a and b..b], with %zu for k if any */
    } kinds[] = {
        {"\n", 1, 0, "]\n2-2 ok ["},
        {"\r\n", 2, 0, "]\n2-2 ok ["},
        {"\r", 1, 0, "]\n2-2 ok ["},
        {"\"", 1, 0, "\"" /* stray_quote@0:k */},
        {"\0", 1, 0, "\\0" /* nul_byte@0:k */},
        {"\t", 1, 0, "\\t"},
        {"\x01", 1, 0, "\\x01"},
        {"\x0B", 1, 0, "\\x0B"},
        {"\x0C", 1, 0, "\\x0C"},
        {"\x0E", 1, 0, "\\x0E"},
        {"\xC3\xA9", 2, 1, "\\xC3\\xA9"},
        {"\x80", 1, 1, "\\x80" /* invalid_utf8@0:k */},
        {"\xE2\x82", 2, 1, "\\xE2\\x82" /* invalid_utf8@0:k (truncated) */},
    };
    for (size_t t = 0; t < sizeof(kinds) / sizeof(kinds[0]); t++) {
        struct csv_opts o = {.check_utf8 = kinds[t].utf8};
        for (size_t k = 1; k <= 40; k++) {
            for (size_t m = 1; m <= 18; m += 1) {
                struct out in = {NULL, 0, 0};
                struct out ex = {NULL, 0, 0};
                const char *prob = "ok";
                out_rep(&in, 'a', k);
                out_add(&in, kinds[t].x, kinds[t].xn);
                out_rep(&in, 'b', m);
                out_add(&in, ",c\n", 3);
                if (kinds[t].x[0] == '"') {
                    prob = "stray_quote";
                } else if (kinds[t].x[0] == '\0') {
                    prob = "nul_byte";
                } else if (kinds[t].utf8 && kinds[t].x[1] != '\xA9') {
                    prob = "invalid_utf8";
                }
                if (strcmp(prob, "ok") == 0) {
                    out_printf(&ex, "1-1 ok [");
                } else {
                    out_printf(&ex, "1-1 %s@0:%zu [", prob, k);
                }
                out_rep(&ex, 'a', k);
                out_printf(&ex, "%s", kinds[t].mid);
                out_rep(&ex, 'b', m);
                out_printf(&ex, "] [c]\nEND blank=0 bom=0\n");
                check_n(in.p, in.len, &o, 0, ex.p);
                free(in.p);
                free(ex.p);
            }
        }
    }
}

/* The same inside a quoted field: the bytes that stop the quoted scan (quote, CR, LF, NUL)
 * and control bytes that only look like them, at every offset. */
static void test_wide_quoted_stop_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *x; /* the bytes at offset k of the value */
        size_t xn;
        const char *lines_prob; /* expected line range and problem */
        const char *mid;        /* expected rendering of x */
    } kinds[] = {
        {"\n", 1, "1-2 ok", "\\n"},
        {"\r\n", 2, "1-2 ok", "\\r\\n"},
        {"\r", 1, "1-2 ok", "\\r"},
        {"\n\r", 2, "1-3 ok", "\\n\\r"},
        {"\"\"", 2, "1-1 ok", "\""},
        {"\0", 1, "1-1 nul_byte@0:%zu", "\\0"},
        {"\t", 1, "1-1 ok", "\\t"},
        {"\x01", 1, "1-1 ok", "\\x01"},
        {"\x0C", 1, "1-1 ok", "\\x0C"},
    };
    for (size_t t = 0; t < sizeof(kinds) / sizeof(kinds[0]); t++) {
        for (size_t k = 0; k <= 40; k++) {
            for (size_t m = 0; m <= 18; m++) {
                struct out in = {NULL, 0, 0};
                struct out ex = {NULL, 0, 0};
                out_add(&in, "\"", 1);
                out_rep(&in, 'a', k);
                out_add(&in, kinds[t].x, kinds[t].xn);
                out_rep(&in, 'b', m);
                out_add(&in, "\",c\n", 4);
                out_printf(&ex, kinds[t].lines_prob, k + 1);
                out_add(&ex, " q[", 3);
                out_rep(&ex, 'a', k);
                out_printf(&ex, "%s", kinds[t].mid);
                out_rep(&ex, 'b', m);
                out_printf(&ex, "] [c]\nEND blank=0 bom=0\n");
                check_n(in.p, in.len, NULL, 0, ex.p);
                free(in.p);
                free(ex.p);
            }
        }
    }
}

/* Limits hit while the wide loop runs: the same error as byte by byte, for a field crossing
 * max_field_bytes at each offset, a record crossing max_record_bytes, too many fields, and a
 * record with more fields than the reader's first arrays hold (they grow mid-block). */
static void test_wide_limits(void **state)
{
    (void)state;
    struct csv_opts f = {.max_field_bytes = 20};
    struct csv_opts rl = {.max_record_bytes = 40};
    struct csv_opts c = {.max_columns = 5};
    for (size_t k = 0; k <= 20; k++) {
        struct out in = {NULL, 0, 0};
        struct out ex = {NULL, 0, 0};
        out_rep(&in, 'a', k);
        out_add(&in, ",", 1);
        out_rep(&in, 'b', 20);
        out_add(&in, ",x\n", 3);
        out_rep(&in, 'a', k);
        out_add(&in, ",", 1);
        out_rep(&in, 'b', 21);
        out_add(&in, ",x,y,z,w\n", 9);
        out_add(&ex, "1-1 ok [", 8);
        out_rep(&ex, 'a', k);
        out_add(&ex, "] [", 3);
        out_rep(&ex, 'b', 20);
        out_printf(&ex, "] [x]\nERR limit_exceeded: line 2: field 2 is longer than 20 bytes "
                        "(limits.max_field_bytes)\n");
        check_n(in.p, in.len, &f, 0, ex.p);
        free(ex.p);
        ex = (struct out){NULL, 0, 0};
        out_add(&ex, "1-1 ok [", 8);
        out_rep(&ex, 'a', k);
        out_add(&ex, "] [", 3);
        out_rep(&ex, 'b', 20);
        out_printf(&ex, "] [x]\nERR limit_exceeded: line 2: record has more than 5 fields "
                        "(limits.max_columns)\n");
        check_n(in.p, in.len, &c, 0, ex.p);
        free(in.p);
        free(ex.p);

        in = (struct out){NULL, 0, 0};
        ex = (struct out){NULL, 0, 0};
        for (size_t i = 0; i < 8; i++) { /* fields of 5, the record crosses 40 in field 7 */
            out_printf(&in, "%s%05zu", i ? "," : "", i + k);
        }
        out_add(&in, "\n", 1);
        out_printf(&ex, "ERR limit_exceeded: line 1: record is longer than 40 bytes "
                        "(limits.max_record_bytes)\n");
        check_n(in.p, in.len, &rl, 0, ex.p);
        free(in.p);
        free(ex.p);
    }

    struct out in = {NULL, 0, 0};
    struct out ex = {NULL, 0, 0};
    out_add(&ex, "1-1 ok", 6);
    for (size_t i = 0; i < 300; i++) {
        out_printf(&in, "%s%zu", i ? "," : "", i);
        out_printf(&ex, " [%zu]", i);
    }
    out_add(&in, "\n", 1);
    out_add(&ex, "\nEND blank=0 bom=0\n", 19);
    check_n(in.p, in.len, NULL, 0, ex.p);
    free(in.p);
    free(ex.p);
}

/* Many plain records like real data (fields of 0..41 bytes, some empty, a long one now and
 * then), through chunk sizes around the block size and the buffer size, and in place over an
 * exact-size buffer (ASan sees any load past its sentinel). */
static void test_plain_records_chunks_and_span(void **state)
{
    (void)state;
    struct out in = {NULL, 0, 0};
    struct out ex = {NULL, 0, 0};
    static const size_t chunks[] = {0, 1, 15, 16, 17, 33, 4093, 65537};
    unsigned x = 12345;

    for (size_t i = 0; i < 20000; i++) {
        size_t nf = 1 + i % 13;
        out_printf(&ex, "%zu-%zu ok", i + 1, i + 1);
        for (size_t j = 0; j < nf; j++) {
            x = x * 1103515245u + 12345u;
            size_t len = (x >> 16) % 41 + (j == 0); /* an empty line would be blank */
            if (j == 3 && i % 97 == 0) {
                len = 1000;
            }
            if (j > 0) {
                out_add(&in, ",", 1);
            }
            out_add(&ex, " [", 2);
            for (size_t b = 0; b < len; b++) {
                char c = (char)('a' + (b + i + j) % 26);
                out_add(&in, &c, 1);
                out_add(&ex, &c, 1);
            }
            out_add(&ex, "]", 1);
        }
        out_add(&in, "\n", 1);
        out_add(&ex, "\n", 1);
    }
    out_add(&ex, "END blank=0 bom=0\n", 18);
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        char *got = run(in.p, in.len, NULL, chunks[c], 0);
        if (strcmp(got, ex.p) != 0) {
            fail_msg("chunk %zu differs", chunks[c]);
        }
        free(got);
    }
    char *copy = malloc(in.len + 1);
    assert_non_null(copy);
    memcpy(copy, in.p, in.len + 1); /* out_add keeps a NUL after the data */
    struct csv_reader *r = csv_reader_create_span(NULL, copy, in.len);
    assert_non_null(r);
    char *got = render_all(r, 0);
    csv_reader_destroy(r);
    if (strcmp(got, ex.p) != 0) {
        fail_msg("in place differs");
    }
    free(got);
    free(copy);
    free(in.p);
    free(ex.p);
}

/* utf8_valid's all-ASCII blocks: a bad byte, or a good sequence, at every offset of inputs of
 * every length up to 80, in exact-size buffers. */
static void test_utf8_every_position(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 80; n++) {
        char *s = malloc(n);
        size_t bad = 99;
        assert_non_null(s);
        memset(s, 'a', n);
        assert_true(utf8_valid(s, n, NULL));
        for (size_t i = 0; i < n; i++) {
            s[i] = (char)0x80;
            bad = 99;
            if (utf8_valid(s, n, &bad) || bad != i) {
                fail_msg("n=%zu: 0x80 at %zu not found (bad=%zu)", n, i, bad);
            }
            s[i] = (char)0xFF;
            if (utf8_valid(s, n, &bad) || bad != i) {
                fail_msg("n=%zu: 0xFF at %zu not found (bad=%zu)", n, i, bad);
            }
            s[i] = 'a';
            if (i + 1 < n) {
                memcpy(s + i, "\xC3\xA9", 2);
                if (!utf8_valid(s, n, NULL)) {
                    fail_msg("n=%zu: valid sequence at %zu refused", n, i);
                }
                memcpy(s + i, "aa", 2);
            }
        }
        free(s);
    }
}

/* --- read errors ------------------------------------------------------------------------- */

struct failing {
    int calls;
};

static ssize_t failing_read(void *ctx, char *buf, size_t cap)
{
    struct failing *f = ctx;
    if (f->calls++ == 0) {
        assert_true(cap >= 5);
        memcpy(buf, "a,b\nc", 5);
        return 5;
    }
    errno = EACCES;
    return -1;
}

static void test_read_error(void **state)
{
    (void)state;
    struct failing f = {0};
    struct csv_reader *r = csv_reader_create(NULL, failing_read, &f);
    struct csv_record rec;
    struct sl_error err = {0};
    assert_non_null(r);
    assert_int_equal(csv_reader_next(r, &rec, &err), 1);
    assert_int_equal(csv_reader_next(r, &rec, &err), SL_EIO);
    assert_int_equal(err.code, SL_EIO);
    if (strstr(err.msg, strerror(EACCES)) == NULL || strstr(err.msg, "line 2") == NULL) {
        fail_msg("message: %s", err.msg);
    }
    int calls = f.calls;
    sl_error_clear(&err);
    assert_int_equal(csv_reader_next(r, &rec, &err), SL_EIO); /* sticky, no new reads */
    assert_int_equal(f.calls, calls);
    csv_reader_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_simple),
        cmocka_unit_test(test_rfc_comma_in_quotes),
        cmocka_unit_test(test_rfc_escaped_quotes),
        cmocka_unit_test(test_rfc_newline_in_quotes_lf),
        cmocka_unit_test(test_rfc_newline_in_quotes_crlf),
        cmocka_unit_test(test_rfc_quotes_and_newlines),
        cmocka_unit_test(test_rfc_empty_fields),
        cmocka_unit_test(test_rfc_no_final_newline),
        cmocka_unit_test(test_rfc_crlf_everywhere),
        cmocka_unit_test(test_bom_crlf_header),
        cmocka_unit_test(test_bom_elsewhere_is_data),
        cmocka_unit_test(test_lone_cr_file),
        cmocka_unit_test(test_mixed_terminators),
        cmocka_unit_test(test_blank_lines),
        cmocka_unit_test(test_spaces_line_and_lone_empty_quotes),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_double_newline_at_eof),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_stray_quotes),
        cmocka_unit_test(test_whitespace_around_quotes),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_valid_utf8_accepted),
        cmocka_unit_test(test_utf8_valid_function),
        cmocka_unit_test(test_tab_delimiter_and_quote_char),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_mem_read_chunks),
        cmocka_unit_test(test_raw_exact_multiline),
        cmocka_unit_test(test_line_numbers_after_multiline),
        cmocka_unit_test(test_limit_field),
        cmocka_unit_test(test_limit_record),
        cmocka_unit_test(test_limit_columns),
        cmocka_unit_test(test_limit_first_crossed_wins),
        cmocka_unit_test(test_bounded_memory_no_newline),
        cmocka_unit_test(test_bounded_memory_commas),
        cmocka_unit_test(test_large_record_small_chunks),
        cmocka_unit_test(test_many_records_across_refills),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_wide_quote_after_delimiter),
        cmocka_unit_test(test_wide_stop_bytes_every_position),
        cmocka_unit_test(test_wide_quoted_stop_bytes),
        cmocka_unit_test(test_wide_limits),
        cmocka_unit_test(test_plain_records_chunks_and_span),
        cmocka_unit_test(test_utf8_every_position),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
