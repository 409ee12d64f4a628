/* logsink.c - the log notifier: each notification becomes one "notification" event in the
 * JSON log (warn for failures, info otherwise), with the same fields the other notifiers
 * send.  Useful alone (a log shipper alerts on it) and as a check of the event flow.
 */
#include <string.h>

#include "core/log.h"
#include "notify/internal.h"

int logsink_deliver(struct notifier *n, const struct notify_msg *m)
{
    struct log_line l;
    struct strbuf title = STRBUF_INIT;
    int bad = m->kind == NK_DROPPED ||
              (m->kind == NK_EVENT && (m->ev == NEV_FILE_FAILED || m->ev == NEV_RETRY_EXHAUSTED));
    log_begin(&l, bad ? LOG_WARN : LOG_INFO, "notification");
    log_str(&l, "notifier", n->def->name);
    log_str(&l, "kind", m->kind == NK_EVENT ? "event" : m->kind == NK_SUMMARY ? "summary"
                                                                              : "dropped");
    if (m->kind == NK_EVENT) {
        log_str(&l, "notify_event", notify_ev_name(m->ev));
    }
    notify_title(m, &title);
    log_str(&l, "text", sb_cstr(&title));
    sb_free(&title);
    if (m->file[0] != '\0') {
        log_str(&l, "file", m->file);
        log_str(&l, "status", m->status[0] ? m->status : NULL);
        log_str(&l, "sha256", m->sha256[0] ? m->sha256 : NULL);
        log_int(&l, "attempt", m->attempt);
        log_int(&l, "rows", (int64_t)m->rows_total);
        log_int(&l, "rows_loaded", (int64_t)m->rows_loaded);
        log_int(&l, "rows_rejected", (int64_t)m->rows_rejected);
        log_num(&l, "duration_ms", m->duration_ms);
        log_str(&l, "error_code", m->error_code[0] ? m->error_code : NULL);
        log_str(&l, "error_class", m->error_class[0] ? m->error_class : NULL);
        log_str(&l, "error", m->error[0] ? m->error : NULL);
    }
    if (m->kind == NK_SUMMARY) {
        log_int(&l, "folded", (int64_t)m->folded);
    } else if (m->kind == NK_DROPPED) {
        log_int(&l, "dropped", (int64_t)m->dropped);
    }
    log_end(&l);
    return 0;
}
