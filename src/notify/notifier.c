/* notifier.c - the set of notifiers: start (copy the config, read the secrets, start one
 * thread each), offer (filter, rate limit, enqueue: a short lock, no I/O), stop (drain for a
 * bounded time, join), and the counters.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/redact.h"
#include "notify/curl_dl.h"
#include "notify/internal.h"

int64_t notify_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *dup_or_null(const char *s, int *bad)
{
    char *d = NULL;
    if (s != NULL && (d = strdup(s)) == NULL) {
        *bad = 1;
    }
    return d;
}

/* A deep copy, so a config reload can free the config while the threads drain. */
static int copy_def(struct notify_def *dst, const struct notify_def *src)
{
    int bad = 0;
    *dst = *src;
    dst->name = dup_or_null(src->name, &bad);
    dst->url = dup_or_null(src->url, &bad);
    dst->url_env = dup_or_null(src->url_env, &bad);
    dst->secret_env = dup_or_null(src->secret_env, &bad);
    dst->secret_file = dup_or_null(src->secret_file, &bad);
    dst->username = dup_or_null(src->username, &bad);
    dst->password_env = dup_or_null(src->password_env, &bad);
    dst->password_file = dup_or_null(src->password_file, &bad);
    dst->from = dup_or_null(src->from, &bad);
    dst->ca_file = dup_or_null(src->ca_file, &bad);
    dst->to = NULL;
    dst->nto = 0;
    if (src->nto > 0 && (dst->to = calloc(src->nto, sizeof(char *))) == NULL) {
        bad = 1;
    }
    for (size_t i = 0; dst->to != NULL && i < src->nto; i++) {
        dst->to[i] = dup_or_null(src->to[i], &bad);
        dst->nto = i + 1;
    }
    return bad ? -1 : 0;
}

static int url_ok(const char *url)
{
    return (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) &&
           strpbrk(url, " \r\n\t") == NULL;
}

/* Reads the endpoint and the secrets of notifier i. */
static int resolve(struct notifier *n, size_t i, struct sl_error *err)
{
    const struct notify_def *d = n->def;
    char what[128];
    int rc = 0;
    snprintf(what, sizeof(what), "notify[%zu] (%s)", i, d->name);
    switch (d->type) {
    case NOTIFY_LOG:
        break;
    case NOTIFY_SLACK:
    case NOTIFY_WEBHOOK:
        if (d->url != NULL) {
            n->url = strdup(d->url);
            rc = n->url != NULL ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
        } else {
            rc = secret_load(d->url_env, NULL, what, &n->url, err);
        }
        if (rc == 0 && !url_ok(n->url)) {
            rc = sl_error_set(err, SL_ECONFIG, "%s: the URL in %s must start with https:// or "
                              "http://", what, d->url_env != NULL ? d->url_env : "url");
        }
        if (rc == 0 && (d->secret_env != NULL || d->secret_file != NULL)) {
            rc = secret_load(d->secret_env, d->secret_file, what, &n->secret, err);
        }
        break;
    case NOTIFY_EMAIL:
        n->url = strdup(d->url);
        rc = n->url != NULL ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
        if (rc == 0 && d->username != NULL) {
            rc = secret_load(d->password_env, d->password_file, what, &n->password, err);
        }
        break;
    }
    return rc;
}

static void scrub_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

static void free_notifier(struct notifier *n, int initialised)
{
    for (size_t k = 0; n->q != NULL && k < n->len; k++) {
        free(n->q[(n->head + k) % (size_t)n->def->queue_size]);
    }
    free(n->q);
    rl_free(&n->rl);
    scrub_free(n->url);
    scrub_free(n->secret);
    scrub_free(n->password);
    if (initialised) {
        pthread_mutex_destroy(&n->mu);
        pthread_cond_destroy(&n->cv);
    }
}

static int init_sync(struct notifier *n)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        return -1;
    }
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0 && (rc = pthread_mutex_init(&n->mu, NULL)) == 0 &&
        (rc = pthread_cond_init(&n->cv, &ca)) != 0) {
        pthread_mutex_destroy(&n->mu);
    }
    pthread_condattr_destroy(&ca);
    return rc == 0 ? 0 : -1;
}

static int uses_curl(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->nnotify; i++) {
        if (cfg->notify[i].type != NOTIFY_LOG) {
            return 1;
        }
    }
    return 0;
}

int notify_start(const struct config *cfg, struct notify_set **out, struct sl_error *err)
{
    struct notify_set *s = calloc(1, sizeof(*s));
    sigset_t all, old;
    size_t inited = 0;
    int rc = 0;

    *out = NULL;
    if (s == NULL) {
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (cfg->nnotify > 0 && ((s->defs = calloc(cfg->nnotify, sizeof(*s->defs))) == NULL ||
                             (s->v = calloc(cfg->nnotify, sizeof(*s->v))) == NULL)) {
        free(s->defs);
        free(s);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < cfg->nnotify; i++) {
        struct notifier *n = &s->v[i];
        s->n = i + 1;
        if (copy_def(&s->defs[i], &cfg->notify[i]) != 0) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            break;
        }
        n->def = &s->defs[i];
        n->rl.interval_ns = n->def->min_interval_ms * 1000000;
        if ((rc = resolve(n, i, err)) != 0) {
            break;
        }
        n->q = calloc((size_t)n->def->queue_size, sizeof(*n->q));
        if (n->q == NULL || init_sync(n) != 0) {
            rc = sl_error_set(err, SL_ENOMEM, "cannot set up notifier %s", n->def->name);
            break;
        }
        inited = i + 1;
    }
    if (rc == 0 && uses_curl(cfg) && (rc = sl_curl_load(err)) != 0) {
        /* err says which library is missing */
    } else if (rc == 0 && uses_curl(cfg) && slc->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rc = sl_error_set(err, SL_EIO, "cannot initialise libcurl");
    }
    if (rc != 0) {
        for (size_t i = 0; i < s->n; i++) {
            free_notifier(&s->v[i], i < inited);
            notify_def_free(&s->defs[i]);
        }
        free(s->v);
        free(s->defs);
        free(s);
        return rc;
    }
    /* the threads start with every signal blocked: signals belong to the caller's loop */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (size_t i = 0; i < s->n; i++) {
        int e = pthread_create(&s->v[i].thread, NULL, notify_worker, &s->v[i]);
        if (e != 0) {
            rc = sl_error_set(err, SL_EIO, "cannot start the thread of notifier %s: %s",
                              s->v[i].def->name, strerror(e));
            break;
        }
        s->v[i].running = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    *out = s;
    if (rc != 0) {
        notify_stop(s, 0);
        *out = NULL;
    }
    return rc;
}

void notify_stop(struct notify_set *s, int64_t drain_ms)
{
    int curl = 0;
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        struct notifier *n = &s->v[i];
        pthread_mutex_lock(&n->mu);
        n->stop = 1;
        n->drain_deadline_ns = notify_now_ns() + drain_ms * 1000000;
        pthread_cond_signal(&n->cv);
        pthread_mutex_unlock(&n->mu);
    }
    for (size_t i = 0; i < s->n; i++) {
        struct notifier *n = &s->v[i];
        if (n->running) {
            pthread_join(n->thread, NULL);
        }
        curl |= n->def->type != NOTIFY_LOG;
        free_notifier(n, 1);
        notify_def_free(&s->defs[i]);
    }
    if (curl) {
        slc->global_cleanup();
    }
    free(s->v);
    free(s->defs);
    free(s);
}

/* Under n->mu: appends a copy of m, or counts it dropped when the queue is full. */
static void push(struct notifier *n, const struct notify_msg *m)
{
    size_t cap = (size_t)n->def->queue_size;
    struct notify_msg *copy = n->len < cap ? malloc(sizeof(*copy)) : NULL;
    if (copy == NULL) {
        n->dropped++;
        n->dropped_unreported++;
        return;
    }
    memcpy(copy, m, sizeof(*copy));
    n->q[(n->head + n->len) % cap] = copy;
    n->len++;
}

void notify_offer(struct notify_set *s, const struct notify_msg *m)
{
    if (s == NULL) {
        return;
    }
    int64_t now = notify_now_ns();
    for (size_t i = 0; i < s->n; i++) {
        struct notifier *n = &s->v[i];
        if (m->kind == NK_EVENT && !(n->def->events & NEV_BIT(m->ev))) {
            continue;
        }
        pthread_mutex_lock(&n->mu);
        if (!n->stop) {
            enum rl_action a = rl_offer(&n->rl, now, m);
            if (a == RL_SEND) {
                push(n, m);
            } else if (a == RL_FOLDED) {
                n->rate_limited++;
            } else {
                n->dropped++;
                n->dropped_unreported++;
            }
            pthread_cond_signal(&n->cv);
        }
        pthread_mutex_unlock(&n->mu);
    }
}

size_t notify_count(const struct notify_set *s)
{
    return s != NULL ? s->n : 0;
}

void notify_get_stats(struct notify_set *s, size_t i, struct notify_stats *out)
{
    struct notifier *n = &s->v[i];
    memset(out, 0, sizeof(*out));
    out->name = n->def->name;
    out->type = notify_type_name(n->def->type);
    pthread_mutex_lock(&n->mu);
    out->sent = n->sent;
    out->failed = n->failed;
    out->retries = n->retries;
    out->dropped = n->dropped;
    out->rate_limited = n->rate_limited;
    out->queued = n->len;
    out->busy = n->busy;
    pthread_mutex_unlock(&n->mu);
}

int notify_deliver(struct notifier *n, const struct notify_msg *m, unsigned attempt,
                   int64_t timeout_ms, char *why, size_t cap)
{
    (void)attempt;
    why[0] = '\0';
    switch (n->def->type) {
    case NOTIFY_LOG:
        return logsink_deliver(n, m);
    case NOTIFY_SLACK:
        return slack_deliver(n, m, timeout_ms, why, cap);
    case NOTIFY_WEBHOOK:
        return webhook_deliver(n, m, timeout_ms, why, cap);
    case NOTIFY_EMAIL:
        return email_deliver(n, m, timeout_ms, why, cap);
    }
    snprintf(why, cap, "unknown notifier type");
    return -1;
}
