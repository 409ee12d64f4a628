/* metrics.c - declaring metric families and updating their series (see metrics.h). */
#include "obs/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "obs/metrics_int.h"

struct metrics *metrics_new(void)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return NULL;
    }
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

static void free_series(struct metric *f, struct series *s)
{
    for (size_t i = 0; i < f->nlabels; i++) {
        free(s->values[i]);
    }
    free(s->bucket);
}

static void free_family(struct metric *f)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->nseries; i++) {
        free_series(f, &f->series[i]);
    }
    for (size_t i = 0; i < f->nlabels; i++) {
        free(f->labels[i]);
    }
    free(f->series);
    free(f->bounds);
    free(f->name);
    free(f->help);
    free(f);
}

void metrics_free(struct metrics *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->nfam; i++) {
        free_family(m->fam[i]);
    }
    free(m->fam);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static int valid_name(const char *s, int colon)
{
    size_t i;
    if (s == NULL) {
        return 0;
    }
    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok) {
            return 0;
        }
    }
    return i > 0 && i <= 200;
}

/* Finds the series for values, creating it when create is set.  Under the lock. */
static struct series *find(struct metric *f, const char *const *values, int create)
{
    for (size_t i = 0; i < f->nseries; i++) {
        size_t k = 0;
        while (k < f->nlabels && strcmp(f->series[i].values[k], values[k]) == 0) {
            k++;
        }
        if (k == f->nlabels) {
            return &f->series[i];
        }
    }
    if (!create || f->nseries >= METRIC_MAX_SERIES) {
        return NULL;
    }
    if (f->nseries == f->cap) {
        size_t cap = f->cap == 0 ? 4 : f->cap * 2;
        struct series *grown = realloc(f->series, cap * sizeof(*grown));
        if (grown == NULL) {
            return NULL;
        }
        f->series = grown;
        f->cap = cap;
    }
    struct series *s = &f->series[f->nseries];
    memset(s, 0, sizeof(*s));
    for (size_t k = 0; k < f->nlabels; k++) {
        if (values[k] == NULL || (s->values[k] = strdup(values[k])) == NULL) {
            free_series(f, s);
            return NULL;
        }
    }
    if (f->type == METRIC_HISTOGRAM && (s->bucket = calloc(f->nb + 1, sizeof(uint64_t))) == NULL) {
        free_series(f, s);
        return NULL;
    }
    f->nseries++;
    return s;
}

static struct metric *declare(struct metrics *m, enum metric_type type, const char *name,
                              const char *help, const char *const *labels, const double *bounds,
                              size_t nb)
{
    struct metric *f;
    size_t nl = 0;
    if (m == NULL || !valid_name(name, 1) || nb > METRIC_MAX_BUCKETS) {
        return NULL;
    }
    while (labels != NULL && labels[nl] != NULL) {
        if (nl == METRIC_MAX_LABELS || !valid_name(labels[nl], 0) ||
            strncmp(labels[nl], "__", 2) == 0 ||
            (type == METRIC_HISTOGRAM && strcmp(labels[nl], "le") == 0)) {
            return NULL;
        }
        nl++;
    }
    for (size_t i = 0; i < nb; i++) {
        if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
            return NULL;
        }
    }
    if ((f = calloc(1, sizeof(*f))) == NULL) {
        return NULL;
    }
    f->reg = m;
    f->type = type;
    f->nlabels = nl;
    f->nb = nb;
    f->name = strdup(name);
    f->help = strdup(help != NULL ? help : "");
    int bad = f->name == NULL || f->help == NULL;
    for (size_t i = 0; i < nl && !bad; i++) {
        bad = (f->labels[i] = strdup(labels[i])) == NULL;
    }
    if (!bad && nb > 0) {
        bad = (f->bounds = malloc(nb * sizeof(double))) == NULL;
        if (!bad) {
            memcpy(f->bounds, bounds, nb * sizeof(double));
        }
    }
    if (!bad && nl == 0) {
        static const char *const no_values[1] = {NULL};
        bad = find(f, no_values, 1) == NULL;
    }
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nfam && !bad; i++) {
        bad = strcmp(m->fam[i]->name, name) == 0;
    }
    if (!bad && m->nfam == m->cap) {
        size_t cap = m->cap == 0 ? 16 : m->cap * 2;
        struct metric **grown = realloc(m->fam, cap * sizeof(*grown));
        bad = grown == NULL;
        if (!bad) {
            m->fam = grown;
            m->cap = cap;
        }
    }
    if (!bad) {
        m->fam[m->nfam++] = f;
    }
    pthread_mutex_unlock(&m->mu);
    if (bad) {
        free_family(f);
        return NULL;
    }
    return f;
}

struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
                               const char *const *labels)
{
    return declare(m, METRIC_COUNTER, name, help, labels, NULL, 0);
}

struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
                             const char *const *labels)
{
    return declare(m, METRIC_GAUGE, name, help, labels, NULL, 0);
}

struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                 const char *const *labels, const double *bounds, size_t nb)
{
    return declare(m, METRIC_HISTOGRAM, name, help, labels, bounds, nb);
}

enum op { OP_ADD, OP_SET, OP_OBSERVE };

static int update(struct metric *f, const char *const *values, double v, enum op op)
{
    struct series *s;
    int rc = 0;
    if (f == NULL || isnan(v) || (f->nlabels > 0 && values == NULL)) {
        return -1;
    }
    if ((op == OP_OBSERVE) != (f->type == METRIC_HISTOGRAM) ||
        (op == OP_ADD && f->type == METRIC_COUNTER && !(v >= 0))) {
        return -1;
    }
    pthread_mutex_lock(&f->reg->mu);
    s = find(f, values, 1);
    if (s == NULL) {
        f->reg->dropped++;
        rc = -1;
    } else if (op == OP_ADD) {
        s->value += v;
    } else if (op == OP_SET) {
        s->value = v;
    } else {
        size_t b = 0;
        while (b < f->nb && v > f->bounds[b]) {
            b++;
        }
        s->bucket[b]++;
        s->count++;
        s->sum += v;
    }
    pthread_mutex_unlock(&f->reg->mu);
    return rc;
}

int metric_add(struct metric *f, const char *const *values, double v)
{
    return update(f, values, v, OP_ADD);
}

int metric_set(struct metric *f, const char *const *values, double v)
{
    return update(f, values, v, OP_SET);
}

int metric_observe(struct metric *f, const char *const *values, double v)
{
    return update(f, values, v, OP_OBSERVE);
}

double metric_get(struct metric *f, const char *const *values)
{
    double v = 0;
    if (f == NULL || (f->nlabels > 0 && values == NULL)) {
        return 0;
    }
    pthread_mutex_lock(&f->reg->mu);
    struct series *s = find(f, values, 0);
    if (s != NULL) {
        v = f->type == METRIC_HISTOGRAM ? (double)s->count : s->value;
    }
    pthread_mutex_unlock(&f->reg->mu);
    return v;
}

uint64_t metrics_dropped(struct metrics *m)
{
    pthread_mutex_lock(&m->mu);
    uint64_t n = m->dropped;
    pthread_mutex_unlock(&m->mu);
    return n;
}
