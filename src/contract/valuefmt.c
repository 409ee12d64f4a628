/* valuefmt.c - values as message text or JSON, one formatting rule for every report. */
#include "contract/valuefmt.h"

#include <string.h>

#include "contract/types.h"

#define QUOTE_MAX 60

void value_text(struct strbuf *sb, const struct sl_value *v, int quote)
{
    char buf[64];
    switch (v->type) {
    case SL_T_NULL:
        sb_adds(sb, "null");
        return;
    case SL_T_INT:
        sb_printf(sb, "%lld", (long long)v->u.i);
        return;
    case SL_T_NUM:
        sb_add(sb, buf, types_format_num(v->u.d, buf, sizeof(buf)));
        return;
    case SL_T_BOOL:
        sb_adds(sb, v->u.b ? "true" : "false");
        return;
    case SL_T_DATE:
        sb_add(sb, buf, types_format_date(v->u.days, buf, sizeof(buf)));
        return;
    case SL_T_DATETIME:
        sb_add(sb, buf, types_format_datetime(v->u.us, buf, sizeof(buf)));
        return;
    case SL_T_STR:
        if (!quote) {
            sb_add(sb, v->u.s.p, v->u.s.n);
            return;
        }
        sb_addc(sb, '\'');
        sb_add(sb, v->u.s.p, v->u.s.n > QUOTE_MAX ? QUOTE_MAX : v->u.s.n);
        sb_adds(sb, v->u.s.n > QUOTE_MAX ? "...'" : "'");
        return;
    }
}

void value_json(struct strbuf *sb, const struct sl_value *v)
{
    char buf[64];
    switch (v->type) {
    case SL_T_NULL:
        sb_adds(sb, "null");
        break;
    case SL_T_NUM:
        sb_json_num(sb, v->u.d);
        break;
    case SL_T_STR:
        sb_json_str(sb, v->u.s.p, v->u.s.n);
        break;
    case SL_T_DATE:
        sb_json_str(sb, buf, types_format_date(v->u.days, buf, sizeof(buf)));
        break;
    case SL_T_DATETIME:
        sb_json_str(sb, buf, types_format_datetime(v->u.us, buf, sizeof(buf)));
        break;
    default:
        value_text(sb, v, 0);
        break;
    }
}

void value_path_segment(struct strbuf *sb, const struct sl_value *v)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char marker[] = "__HIVE_DEFAULT_PARTITION__";
    if (v->type == SL_T_NULL) {
        sb_adds(sb, marker);
        return;
    }
    struct strbuf raw = STRBUF_INIT;
    value_text(&raw, v, 0);
    if (raw.len == 0) {
        sb_adds(sb, marker);
    }
    int is_marker = raw.len == sizeof(marker) - 1 && memcmp(raw.p, marker, raw.len) == 0;
    for (size_t i = 0; i < raw.len; i++) {
        unsigned char c = (unsigned char)raw.p[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == ' ' || (c == '_' && !(is_marker && i == 0)) ||
                 (c == '.' && i > 0) || c >= 0x80;
        if (ok) {
            sb_addc(sb, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_add(sb, e, 3);
        }
    }
    sb_free(&raw);
}
