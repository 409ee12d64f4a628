/* curl_dl.c - see curl_dl.h. */
#include "notify/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

const struct sl_curl *slc;
static struct sl_curl fns;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void *sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (p == NULL && load_error[0] == '\0') {
        snprintf(load_error, sizeof(load_error), "libcurl.so.4 lacks %s", name);
    }
    return p;
}

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define LOAD(field, name) *(void **)(&fns.field) = sym(h, name)

static void load(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        snprintf(load_error, sizeof(load_error), "%s", e != NULL ? e : "dlopen failed");
        return;
    }
    LOAD(global_init, "curl_global_init");
    LOAD(global_cleanup, "curl_global_cleanup");
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(slist_append, "curl_slist_append");
    LOAD(slist_free_all, "curl_slist_free_all");
    if (load_error[0] == '\0') {
        slc = &fns; /* never unloaded: its threads and handles may outlive any one user */
    }
}

int sl_curl_load(struct sl_error *err)
{
    pthread_once(&once, load);
    if (slc == NULL) {
        return sl_error_set(err, SL_ECONFIG,
                            "the Slack, webhook and e-mail notifiers need libcurl: %s "
                            "(Debian package libcurl4)",
                            load_error);
    }
    return 0;
}
