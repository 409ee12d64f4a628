/* mhd_dl.c - see mhd_dl.h. */
#include "obs/mhd_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

const struct sl_mhd *slm;
static struct sl_mhd fns;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void *sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (p == NULL && load_error[0] == '\0') {
        snprintf(load_error, sizeof(load_error), "libmicrohttpd.so.12 lacks %s", name);
    }
    return p;
}

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define LOAD(field, name) *(void **)(&fns.field) = sym(h, name)

static void load(void)
{
    void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        snprintf(load_error, sizeof(load_error), "%s", e != NULL ? e : "dlopen failed");
        return;
    }
    LOAD(start_daemon, "MHD_start_daemon");
    LOAD(stop_daemon, "MHD_stop_daemon");
    LOAD(queue_response, "MHD_queue_response");
    LOAD(create_response_from_buffer, "MHD_create_response_from_buffer");
    LOAD(create_response_from_buffer_with_free_callback,
         "MHD_create_response_from_buffer_with_free_callback");
    LOAD(destroy_response, "MHD_destroy_response");
    LOAD(add_response_header, "MHD_add_response_header");
    LOAD(get_daemon_info, "MHD_get_daemon_info");
    if (load_error[0] == '\0') {
        slm = &fns;
    }
}

int sl_mhd_load(struct sl_error *err)
{
    pthread_once(&once, load);
    if (slm == NULL) {
        return sl_error_set(err, SL_ECONFIG,
                            "the HTTP endpoint (http.enabled) needs libmicrohttpd: %s (Debian "
                            "package libmicrohttpd12)",
                            load_error);
    }
    return 0;
}
