/* files.c - the input-file conventions `once` and `run` share: the accept filter (what a
 * delivered file looks like) and the per-file stderr lines.  File names are shown with
 * control bytes replaced, so one file is always one terminal line.
 */
#include "cmd/files.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

static int quiet_skips;
static char *const *patterns; /* the config's watch.patterns; NULL: *.csv */
static size_t npatterns;

void files_set_patterns(const struct config *cfg)
{
    patterns = cfg->watch_patterns;
    npatterns = cfg->watch_npatterns;
}

int files_accept(const char *name)
{
    static const char *const skip[] = {".tmp", ".part", ".crdownload"};
    size_t n = strlen(name);
    if (name[0] == '.' || n == 0) {
        return 0;
    }
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
        size_t m = strlen(skip[i]);
        if (n >= m && strcasecmp(name + n - m, skip[i]) == 0) {
            return 0;
        }
    }
    if (patterns == NULL) {
        return n >= 5 && strcasecmp(name + n - 4, ".csv") == 0;
    }
    for (size_t i = 0; i < npatterns; i++) {
        if (fnmatch(patterns[i], name, FNM_CASEFOLD) == 0) {
            return 1;
        }
    }
    return 0;
}

void files_set_quiet(int quiet)
{
    quiet_skips = quiet;
}

/* A file name for a terminal line: control bytes (a newline in a name, an escape sequence)
 * become '?'.  The JSON log keeps the exact name. */
static const char *shown(const char *name, char *buf, size_t cap)
{
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)name[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[i] = '\0';
    return buf;
}

void files_report_skip(const char *name, const char *why)
{
    char buf[NAME_MAX + 1];
    struct log_line l;
    log_begin(&l, LOG_WARN, "file_skipped");
    log_str(&l, "file", name);
    log_str(&l, "reason", why);
    log_end(&l);
    if (!quiet_skips) {
        fprintf(stderr, "%-9s %s: not a regular file (%s); left where it is, never opened\n",
                "skipped", shown(name, buf, sizeof(buf)), why);
    }
}

void files_print_result(const char *raw_name, const struct file_result *r)
{
    char buf[NAME_MAX + 1];
    const char *name = shown(raw_name, buf, sizeof(buf));
    if (r->status == FILE_FAILED) {
        fprintf(stderr, "%-9s %s: %s\n", "FAILED", name, r->error);
        return;
    }
    if (r->status == FILE_DUPLICATE) {
        fprintf(stderr, "%-9s %s: same content as an already loaded file; nothing loaded\n",
                "duplicate", name);
        return;
    }
    fprintf(stderr,
            "%-9s %s: %llu rows, %llu loaded, %llu rejected, %llu duplicate key (%.1f ms)\n",
            file_status_name(r->status), name, (unsigned long long)r->rows_total,
            (unsigned long long)r->rows_loaded, (unsigned long long)r->rows_rejected,
            (unsigned long long)r->rows_duplicate_key, r->duration_ms);
}

void files_print_committed_error(const char *name, const struct sl_error *err)
{
    char buf[NAME_MAX + 1];
    fprintf(stderr, "%-9s %s: %s\n", "ERROR", shown(name, buf, sizeof(buf)), err->msg);
}

void files_print_error(const char *name, const struct sl_error *err, const char *incoming)
{
    char buf[NAME_MAX + 1];
    fprintf(stderr, "%-9s %s: %s (%s; the file was left in %s)\n", "ERROR",
            shown(name, buf, sizeof(buf)), err->msg, sl_errclass_name(err->code), incoming);
}
