/* report.c - rejects.csv and error.json for one input file, buffered, fsynced at seal. */
#include "pipeline/report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"

#define FLUSH_AT (256 * 1024)

void report_init(struct report *r, const char *dir, const char *name, char delim)
{
    memset(r, 0, sizeof(*r));
    r->dir = dir;
    r->name = name;
    r->delim = delim;
    r->fd = -1;
}

void report_header(struct report *r, const char *raw, size_t n)
{
    sb_reset(&r->hdr);
    sb_add(&r->hdr, raw, n);
}

/* In the claim folder the reports have fixed dot-names: an input can be called anything up to
 * NAME_MAX bytes, but never starts with a dot (those are never taken). */
static void path_of(const struct report *r, const char *suffix, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s", r->dir, suffix); /* dir: the claim's base, "W/C~" or "W/C/" */
}

static void flush(struct report *r)
{
    if (r->sticky || r->buf.len == 0) {
        return;
    }
    if (r->buf.failed) {
        r->sticky = SL_ENOMEM;
        snprintf(r->errmsg, sizeof(r->errmsg), "out of memory writing rejects.csv");
        return;
    }
    if (fs_write_all(r->fd, r->buf.p, r->buf.len) != 0) {
        r->sticky = SL_EIO;
        snprintf(r->errmsg, sizeof(r->errmsg), "cannot write %s.rejects.csv: %s", r->name,
                 strerror(errno));
    }
    sb_reset(&r->buf);
}

void report_reject(struct report *r, uint64_t line, const char *column, const char *rule,
                   const char *msg, const char *raw, size_t raw_len)
{
    r->nrejects++;
    if (r->nfirst_msg < 3) {
        snprintf(r->first_msg[r->nfirst_msg++], sizeof(r->first_msg[0]), "line %llu: %s",
                 (unsigned long long)line, msg);
    }
    if (r->nfirst < REPORT_FIRST_ERRORS) {
        sb_adds(&r->first, r->nfirst ? ",{" : "{");
        sb_printf(&r->first, "\"line\":%llu,\"column\":", (unsigned long long)line);
        if (column != NULL) {
            sb_json_str(&r->first, column, strlen(column));
        } else {
            sb_adds(&r->first, "null");
        }
        sb_adds(&r->first, ",\"rule\":");
        sb_json_str(&r->first, rule, strlen(rule));
        sb_adds(&r->first, ",\"message\":");
        sb_json_str(&r->first, msg, strlen(msg));
        sb_addc(&r->first, '}');
        r->nfirst++;
    }
    if (r->dir == NULL || r->sticky) {
        return;
    }
    if (r->fd < 0) {
        char path[PATH_MAX];
        path_of(r, REPORT_REJECTS, path, sizeof(path));
        r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (r->fd < 0) {
            r->sticky = SL_EIO;
            snprintf(r->errmsg, sizeof(r->errmsg), "cannot create %s: %s", path,
                     strerror(errno));
            return;
        }
        sb_add(&r->buf, r->hdr.p, r->hdr.len);
        sb_addc(&r->buf, r->delim);
        sb_adds(&r->buf, "_error\n");
    }
    /* The raw row as it came, then our reasons as one more (quoted) field. */
    sb_add(&r->buf, raw, raw_len);
    sb_addc(&r->buf, r->delim);
    struct strbuf why = STRBUF_INIT;
    sb_printf(&why, "line %llu: %s: %s", (unsigned long long)line, rule, msg);
    sb_csv_field(&r->buf, sb_cstr(&why), why.len, r->delim);
    sb_free(&why);
    sb_addc(&r->buf, '\n');
    if (r->buf.len >= FLUSH_AT) {
        flush(r);
    }
}

int report_seal(struct report *r, struct sl_error *err)
{
    if (r->fd >= 0) {
        flush(r);
        if (!r->sticky && fsync(r->fd) != 0) {
            r->sticky = SL_EIO;
            snprintf(r->errmsg, sizeof(r->errmsg), "fsync rejects.csv: %s", strerror(errno));
        }
        close(r->fd);
        r->fd = -1;
    }
    if (r->first.failed && !r->sticky) {
        r->sticky = SL_ENOMEM;
        snprintf(r->errmsg, sizeof(r->errmsg), "out of memory");
    }
    return r->sticky ? sl_error_set(err, r->sticky, "%s", r->errmsg) : 0;
}

int report_error_json(struct report *r, const char *sha256, const char *code, const char *cls,
                      const char *msg, const char *fields_json, struct sl_error *err)
{
    struct strbuf j = STRBUF_INIT;
    char ts[32];
    char path[PATH_MAX];
    log_now_rfc3339(ts);
    sb_adds(&j, "{\n  \"file\": ");
    sb_json_str(&j, r->name, strlen(r->name));
    sb_adds(&j, ",\n  \"sha256\": ");
    sb_json_str(&j, sha256, strlen(sha256));
    sb_printf(&j, ",\n  \"status\": \"failed\",\n  \"failed_at\": \"%s\",\n  \"error_code\": ",
              ts);
    sb_json_str(&j, code, strlen(code));
    sb_adds(&j, ",\n  \"error_class\": ");
    sb_json_str(&j, cls, strlen(cls));
    sb_adds(&j, ",\n  \"error\": ");
    sb_json_str(&j, msg, strlen(msg));
    if (fields_json != NULL && fields_json[0] != '\0') {
        sb_adds(&j, ",\n  ");
        sb_adds(&j, fields_json);
    }
    sb_adds(&j, ",\n  \"first_errors\": [");
    sb_add(&j, r->first.p, r->first.len);
    sb_adds(&j, "]\n}\n");
    path_of(r, REPORT_ERROR, path, sizeof(path));
    int rc;
    if (j.failed) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    } else {
        unlink(path); /* a leftover from an interrupted attempt */
        rc = fs_write_new_file(path, j.p, j.len, err);
    }
    sb_free(&j);
    return rc;
}

void report_free(struct report *r)
{
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    sb_free(&r->hdr);
    sb_free(&r->buf);
    sb_free(&r->first);
}

void report_discard(struct report *r)
{
    char path[PATH_MAX];
    report_free(r);
    if (r->dir != NULL) {
        path_of(r, REPORT_REJECTS, path, sizeof(path));
        unlink(path);
        path_of(r, REPORT_ERROR, path, sizeof(path));
        unlink(path);
    }
}
