/* valuefmt.h - a value as human text (messages) or as JSON (metrics, reports). */
#ifndef SL_VALUEFMT_H
#define SL_VALUEFMT_H

#include "contract/value.h"
#include "core/strbuf.h"

/* Canonical text: 42, 59.97, 2025-03-01 10:00:00, true; strings quoted ('abc', cut after
 * 60 bytes with "...") when quote is 1, verbatim otherwise; null as "null". */
void value_text(struct strbuf *sb, const struct sl_value *v, int quote);
/* JSON: numbers, booleans, null, strings (dates as "YYYY-MM-DD" strings). */
void value_json(struct strbuf *sb, const struct sl_value *v);

#endif
