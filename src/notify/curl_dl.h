/* curl_dl.h - libcurl, loaded at run time (dlopen) by the notifiers that need it.
 *
 * Linking libcurl would map it and its ~30 dependencies (TLS, HTTP/2, LDAP, SSH, Kerberos)
 * into every sluice process, `once` and `check` included: about 6 MiB of resident memory
 * for code only a daemon with Slack, webhook or e-mail notifiers runs.  So the daemon loads
 * it when such a notifier is configured, and `slc` holds the functions it uses.
 */
#ifndef SL_CURL_DL_H
#define SL_CURL_DL_H

#include <curl/curl.h>

#include "core/error.h"

struct sl_curl {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
};

/* The loaded functions; valid after sl_curl_load returned 0. */
extern const struct sl_curl *slc;

/* Loads libcurl once (thread-safe); SL_ECONFIG naming the library when it is missing. */
int sl_curl_load(struct sl_error *err);

#endif
