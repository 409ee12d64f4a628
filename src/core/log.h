/* log.h - the JSON-lines event log (one object per line, appended with one write()).
 *
 * Process-wide: log_open once at start, log_close at exit.  Each line carries ts (RFC 3339
 * UTC with milliseconds), level and event, then the fields the caller adds.  Without an open
 * file the functions are no-ops, so library code can always log.
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdint.h>

#include "core/error.h"
#include "core/strbuf.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* path "" or NULL: no file log.  Creates the parent folder.  level: debug|info|warn|error. */
int log_open(const char *path, const char *level, struct sl_error *err);
void log_close(void);
/* Reopens the log file at the same path (after logrotate moved it away): call on SIGHUP or
 * SIGUSR1.  Safe while other threads log.  A no-op without a file log. */
int log_reopen(struct sl_error *err);
int log_enabled(enum log_level lvl);

struct log_line {
    struct strbuf sb;
    int active; /* 0 when the level is filtered out: adds are no-ops */
};

void log_begin(struct log_line *l, enum log_level lvl, const char *event);
void log_str(struct log_line *l, const char *key, const char *val); /* NULL val: skipped */
void log_strn(struct log_line *l, const char *key, const char *val, size_t n);
void log_int(struct log_line *l, const char *key, int64_t v);
void log_num(struct log_line *l, const char *key, double v);
void log_json(struct log_line *l, const char *key, const char *json); /* pre-encoded value */
void log_end(struct log_line *l); /* writes the line and frees it */

/* Current wall time as RFC 3339 UTC with milliseconds ("2026-11-27T21:03:04.123Z"). */
void log_now_rfc3339(char buf[32]);

#endif
