/* csv_split.c - finds record boundaries without parsing fields, so that a big input can be
 * cut into pieces that separate readers parse at the same time (pipeline/load_par.c).
 *
 * The cut must fall exactly where the reader (csv.c) would end a record, or the pieces would
 * parse differently from the whole.  So this follows the reader's rules: a quote opens a
 * quoted field only as a field's first byte; inside quotes a doubled quote is data and any
 * other quote closes; LF, CR and CRLF end records outside quotes and count one line each,
 * inside quotes too; a record with no byte before its terminator is a blank line.  A cut
 * never falls between a CR and an LF.  The common case (no quote, no CR in the span) is
 * memchr over line feeds; anything else takes a byte-by-byte state machine.
 * tests/unit/test_csv_split.c checks both against the reader on random inputs.
 */
#include <string.h>

#include "input/csv.h"

enum { SP_FSTART, SP_UNQ, SP_QUO, SP_QQ };

static size_t split_fast(const char *p, size_t n, size_t max_lines, size_t max_records,
                         int at_eof, uint64_t *lines, int *plain)
{
    size_t best = 0;
    uint64_t nl = 0;
    size_t nrec = 0;
    size_t start = 0;
    while (start < n && nl < max_lines) {
        const char *e = memchr(p + start, '\n', n - start);
        if (e == NULL) {
            break;
        }
        size_t at = (size_t)(e - p);
        int blank = at == start;
        if (!blank && nrec == max_records) {
            break;
        }
        nl++;
        nrec += !blank;
        start = at + 1;
        best = start;
    }
    size_t end = best;
    if (at_eof && best < n && nl < max_lines && nrec < max_records && start == best &&
        memchr(p + best, '\n', n - best) == NULL) {
        end = n; /* the last record, unterminated */
    }
    size_t span = end > 0 ? end : n;
    *plain = memchr(p, '"', span) == NULL && memchr(p, '\r', span) == NULL;
    *lines = nl;
    return end;
}

size_t csv_split(const struct csv_opts *o, const char *p, size_t n, size_t max_lines,
                 size_t max_records, int at_eof, uint64_t *lines)
{
    const char delim = o != NULL && o->delimiter ? o->delimiter : ',';
    const char quote = o != NULL && o->quote ? o->quote : '"';
    int plain = 0;
    *lines = 0;
    if (n == 0 || max_lines == 0 || max_records == 0) {
        return 0;
    }
    if (quote == '"') {
        size_t end = split_fast(p, n, max_lines, max_records, at_eof, lines, &plain);
        if (plain) {
            return end;
        }
    }
    int st = SP_FSTART;
    int in_rec = 0;  /* the current record has a byte (not a blank line) */
    int skip_lf = 0; /* the last terminator was a CR */
    size_t best = 0;
    uint64_t nl = 0, best_lines = 0;
    size_t nrec = 0;
    int stopped = 0; /* a cap ended the scan before n */
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (skip_lf) {
            skip_lf = 0;
            if (c == '\n') { /* the LF of a CRLF: cut after it */
                best = i + 1;
                best_lines = nl;
                continue;
            }
        }
        switch (st) {
        case SP_QUO:
            if (c == quote) {
                st = SP_QQ;
            } else if (c == '\r' || (c == '\n' && (i == 0 || p[i - 1] != '\r'))) {
                nl++;
            }
            continue;
        case SP_QQ:
            if (c == quote) {
                st = SP_QUO;
                continue;
            }
            if (c == delim) {
                st = SP_FSTART;
                continue;
            }
            if (c != '\n' && c != '\r') {
                st = SP_UNQ;
                continue;
            }
            break;
        case SP_FSTART:
            if (c == quote) {
                st = SP_QUO;
                in_rec = 1;
                continue;
            }
            /* fall through */
        default: /* SP_UNQ */
            if (c == delim) {
                st = SP_FSTART;
                in_rec = 1;
                continue;
            }
            if (c != '\n' && c != '\r') {
                st = SP_UNQ;
                in_rec = 1;
                continue;
            }
            break;
        }
        /* c ends a record (or a blank line) at i */
        if ((in_rec && nrec == max_records) || nl == max_lines) {
            stopped = 1;
            break;
        }
        nl++;
        nrec += (size_t)in_rec;
        in_rec = 0;
        st = SP_FSTART;
        if (c == '\r') {
            skip_lf = 1;
            if (i + 1 == n ? at_eof : p[i + 1] != '\n') {
                best = i + 1;
                best_lines = nl;
            }
        } else {
            best = i + 1;
            best_lines = nl;
        }
    }
    if (at_eof && !stopped && best < n && st != SP_QUO && nl == best_lines &&
        nl < max_lines && (nrec < max_records || !in_rec)) {
        /* everything after the last cut is one unterminated record (or the tail of a CRLF) */
        best = n;
    }
    *lines = best_lines;
    return best;
}
