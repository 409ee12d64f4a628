/* durdirs.c - the process-wide set of folders whose names are known durable (durdirs.h).
 * Several threads ask and add (Parquet sealing, the group commit), so one mutex guards it.
 * It only ever saves fsyncs: forgetting an entry (reset, a full set, no memory) costs one
 * chain of folder fsyncs the next time, never durability. */
#include "core/durdirs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DURDIRS_MAX 4096 /* partition folders used by one process; past it, start over */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char **v;
static size_t n, cap;

static void clear_locked(void)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
    v = NULL;
    n = cap = 0;
}

int durdirs_known(const char *dir)
{
    int found = 0;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n && !found; i++) {
        found = strcmp(v[i], dir) == 0;
    }
    pthread_mutex_unlock(&mu);
    return found;
}

void durdirs_add(const char *dir)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i], dir) == 0) {
            pthread_mutex_unlock(&mu);
            return;
        }
    }
    if (n == DURDIRS_MAX) {
        clear_locked();
    }
    if (n == cap) {
        size_t ncap = cap ? cap * 2 : 16;
        char **nv = realloc(v, ncap * sizeof(*nv));
        if (nv == NULL) {
            pthread_mutex_unlock(&mu);
            return;
        }
        v = nv;
        cap = ncap;
    }
    if ((v[n] = strdup(dir)) != NULL) {
        n++;
    }
    pthread_mutex_unlock(&mu);
}

void durdirs_reset(void)
{
    pthread_mutex_lock(&mu);
    clear_locked();
    pthread_mutex_unlock(&mu);
}
