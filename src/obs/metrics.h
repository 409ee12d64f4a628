/* metrics.h - a thread-safe registry of Prometheus metrics: counters, gauges and histograms,
 * each a family with up to METRIC_MAX_LABELS label names and one series per combination of
 * label values, rendered in the Prometheus text exposition format (version 0.0.4).
 *
 * One mutex guards the registry: updates are a lookup among a family's few series and an
 * addition.  A family holds at most METRIC_MAX_SERIES series; updates for new combinations
 * beyond that are dropped (and counted in metrics_dropped), so a bad label value can never
 * grow memory without bound.  Callers keep label values to small, known sets.
 */
#ifndef SL_OBS_METRICS_H
#define SL_OBS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

#define METRIC_MAX_LABELS 4
#define METRIC_MAX_SERIES 256
#define METRIC_MAX_BUCKETS 32

enum metric_type { METRIC_COUNTER = 0, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metrics;
struct metric;

struct metrics *metrics_new(void); /* NULL when out of memory */
void metrics_free(struct metrics *m);

/* Declares a family.  name: [a-zA-Z_:][a-zA-Z0-9_:]*; labels: NULL or a NULL-terminated list
 * of [a-zA-Z_][a-zA-Z0-9_]* names, not starting with "__" and not "le" for a histogram;
 * bounds: strictly increasing finite upper bounds (the +Inf bucket is implicit).  A family
 * without labels starts with its one series at 0.  Returns NULL when a name is invalid or
 * taken, or out of memory. */
struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
                               const char *const *labels);
struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
                             const char *const *labels);
struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                 const char *const *labels, const double *bounds, size_t nb);

/* values: one per label name (NULL for a family without labels); any UTF-8 text.
 * metric_add: counters take v >= 0 (others are refused), gauges any v.
 * metric_set: gauges; counters too, for values copied from a monotonic source.
 * metric_observe: histograms.  Return 0, or -1 (wrong type, bad value, series limit, no
 * memory). */
int metric_add(struct metric *f, const char *const *values, double v);
int metric_set(struct metric *f, const char *const *values, double v);
int metric_observe(struct metric *f, const char *const *values, double v);

/* The value of a counter or gauge series, or a histogram's count (0 when absent). */
double metric_get(struct metric *f, const char *const *values);
/* Updates refused since metrics_new because a family was full. */
uint64_t metrics_dropped(struct metrics *m);

/* Appends the whole registry in the text exposition format. */
void metrics_expose(struct metrics *m, struct strbuf *out);

/* A sample value as the exposition format writes it: integers exactly, other finite numbers
 * in the shortest form that reads back equal, NaN, +Inf, -Inf.  Returns buf. */
const char *metrics_fmt_value(double v, char buf[32]);

#endif
