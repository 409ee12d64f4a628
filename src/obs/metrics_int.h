/* metrics_int.h - the registry's layout, shared by metrics.c (declaring and updating) and
 * metrics_text.c (the exposition format).  Nothing else includes it.
 */
#ifndef SL_OBS_METRICS_INT_H
#define SL_OBS_METRICS_INT_H

#include <pthread.h>

#include "obs/metrics.h"

struct series {
    char *values[METRIC_MAX_LABELS];
    double value;     /* counter, gauge */
    double sum;       /* histogram */
    uint64_t count;   /* histogram: observations */
    uint64_t *bucket; /* histogram: per-bucket (not cumulative) counts, nb + 1 */
};

struct metric {
    struct metrics *reg;
    char *name;
    char *help;
    enum metric_type type;
    size_t nlabels;
    char *labels[METRIC_MAX_LABELS];
    size_t nb;
    double *bounds;
    size_t nseries, cap;
    struct series *series; /* in creation order; at most METRIC_MAX_SERIES */
};

struct metrics {
    pthread_mutex_t mu;
    size_t nfam;
    size_t cap;
    struct metric **fam;
    uint64_t dropped;
};

#endif
