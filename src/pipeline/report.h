/* report.h - what a person gets back for a file: <name>.rejects.csv (the original header
 * plus an _error column, then each rejected raw row with its reasons, ready to fix and
 * re-drop) and <name>.error.json (why a file failed, its counts and first errors).
 * Both are written into the claim folder and moved out only after the commit.
 */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include <stdint.h>

#include "core/error.h"
#include "core/strbuf.h"

#define REPORT_FIRST_ERRORS 20
#define REPORT_REJECTS ".rejects.csv" /* names inside the claim folder */
#define REPORT_ERROR ".error.json"

struct report {
    const char *dir;  /* claim folder (borrowed) */
    const char *name; /* input file name (borrowed) */
    char delim;
    int fd;           /* rejects.csv, -1 until the first reject */
    struct strbuf hdr; /* raw header record */
    struct strbuf buf; /* pending rejects.csv bytes */
    struct strbuf first; /* JSON array body of the first errors */
    unsigned nfirst;
    uint64_t nrejects;
    char first_msg[3][200]; /* the first rejects as "line N: message", for notifications */
    unsigned nfirst_msg;
    int sticky; /* first write error (SL_E*), reported at seal */
    char errmsg[256];
};

void report_init(struct report *r, const char *dir, const char *name, char delim);
void report_header(struct report *r, const char *raw, size_t n);
void report_reject(struct report *r, uint64_t line, const char *column, const char *rule,
                   const char *msg, const char *raw, size_t raw_len);
/* Flushes and fsyncs rejects.csv (if any rejects); returns the sticky error if any. */
int report_seal(struct report *r, struct sl_error *err);
/* Writes <name>.error.json into dir. fields_json: extra pre-encoded JSON members
 * ("\"rows_total\":3,...") placed before first_errors. */
int report_error_json(struct report *r, const char *sha256, const char *code, const char *cls,
                      const char *msg, const char *fields_json, struct sl_error *err);
/* Deletes the report files and frees memory. */
void report_discard(struct report *r);
void report_free(struct report *r); /* frees memory, keeps files */

#endif
