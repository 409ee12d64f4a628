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

/* A value as one Hive partition folder segment: bytes that could change the path (/, =, %,
 * control bytes, a leading dot, ...) are %-encoded; null, "" and the literal marker
 * __HIVE_DEFAULT_PARTITION__ are told apart (null and "" both map to the marker, the literal
 * is escaped).  Never truncates: callers check the length against what a folder name allows
 * (VALUE_PATH_MAX). */
void value_path_segment(struct strbuf *sb, const struct sl_value *v);
#define VALUE_PATH_MAX 200 /* bytes of one escaped partition value sluice accepts */

#endif
