/* http.c - the observability endpoint, served by libmicrohttpd on its own thread.
 *
 *   GET /metrics  Prometheus text format 0.0.4
 *   GET /healthz  200 "ok": the process is alive and answering
 *   GET /readyz   200 when watching, the database is writable and no backoff is in force,
 *                 else 503; a JSON body says which condition fails
 *   GET /status   JSON (status.c)
 *
 * GET and HEAD only (405 otherwise), 404 for anything else.  The listening socket is made
 * here (so a busy port is reported with its errno) and handed to libmicrohttpd, which closes
 * it on stop.  At most 32 connections, 10 s idle timeout: a scraper cannot exhaust it.
 * Nothing here writes: the endpoint exposes counts and names, never data rows.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "obs/mhd_dl.h"
#include "obs/obs_int.h"

struct http_server {
    struct MHD_Daemon *d;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             struct strbuf *body, const char *allow)
{
    struct MHD_Response *r;
    enum MHD_Result ok;
    if (body->failed) {
        sb_free(body);
        static const char oom[] = "out of memory\n";
        r = slm->create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
                                            MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        type = "text/plain; charset=utf-8";
    } else if (body->len == 0) {
        r = slm->create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        r = slm->create_response_from_buffer_with_free_callback(body->len, body->p, free);
        if (r != NULL) {
            body->p = NULL; /* owned by the response now */
        }
    }
    sb_free(body);
    if (r == NULL) {
        return MHD_NO;
    }
    if (slm->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        slm->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        slm->add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        (allow != NULL && slm->add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
        slm->destroy_response(r);
        return MHD_NO;
    }
    ok = slm->queue_response(c, status, r);
    slm->destroy_response(r);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    static const char *const text = "text/plain; charset=utf-8";
    static const char *const json = "application/json";
    struct strbuf body = STRBUF_INIT;
    (void)cls;
    (void)version;
    (void)upload;
    (void)req_cls;
    *upload_size = 0; /* a GET has no body; any other method is refused below */
    body.limit = (size_t)64 << 20;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        sb_adds(&body, "method not allowed: use GET\n");
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, &body, "GET, HEAD");
    }
    if (strcmp(url, "/metrics") == 0) {
        obs_http_metrics(&body);
        return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &body, NULL);
    }
    if (strcmp(url, "/healthz") == 0) {
        sb_adds(&body, "ok\n");
        return reply(c, MHD_HTTP_OK, text, &body, NULL);
    }
    if (strcmp(url, "/readyz") == 0) {
        int ready = obs_http_ready(&body);
        return reply(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, json, &body, NULL);
    }
    if (strcmp(url, "/status") == 0) {
        obs_http_status(&body);
        return reply(c, MHD_HTTP_OK, json, &body, NULL);
    }
    if (strcmp(url, "/") == 0) {
        sb_adds(&body, "sluice " SLUICE_VERSION ": /metrics /healthz /readyz /status\n");
        return reply(c, MHD_HTTP_OK, text, &body, NULL);
    }
    sb_adds(&body, "not found: try /metrics, /healthz, /readyz or /status\n");
    return reply(c, MHD_HTTP_NOT_FOUND, text, &body, NULL);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];
    struct log_line l;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_begin(&l, LOG_WARN, "http_error");
    log_str(&l, "error", msg);
    log_end(&l);
}

/* socket, bind and listen on host:port; the bound port in *port. */
static int listen_on(const char *where, int *fd_out, int *v6, unsigned *port,
                     struct sl_error *err)
{
    char host[256], service[8];
    struct addrinfo hints, *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    int p = 0, one = 1, fd, e;

    if (config_split_hostport(where, host, sizeof(host), &p) != 0) {
        return sl_error_set(err, SL_ECONFIG, "http.listen '%s' is not HOST:PORT", where);
    }
    snprintf(service, sizeof(service), "%d", p);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if ((e = getaddrinfo(host, service, &hints, &res)) != 0) {
        return sl_error_set(err, SL_EIO, "http.listen %s: %s", where, gai_strerror(e));
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        e = errno;
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(res);
        return sl_error_set(err, SL_EIO, "cannot listen on %s (http.listen): %s", where,
                            strerror(e));
    }
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    *port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
}

int http_start(const char *where, struct http_server **out, unsigned *port,
               struct sl_error *err)
{
    struct http_server *h;
    sigset_t all, old;
    int fd = -1, v6 = 0, rc;

    *out = NULL;
    if ((rc = sl_mhd_load(err)) != 0) {
        return rc;
    }
    if ((rc = listen_on(where, &fd, &v6, port, err)) != 0) {
        return rc;
    }
    if ((h = calloc(1, sizeof(*h))) == NULL) {
        close(fd);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    /* the server's thread starts with every signal blocked */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    h->d = slm->start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                                (v6 ? MHD_USE_IPv6 : 0),
                            0, NULL, NULL, handle, NULL,
                            /* the logger first: libmicrohttpd complains otherwise */
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, 32u,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (h->d == NULL) {
        close(fd);
        free(h);
        return sl_error_set(err, SL_EIO, "cannot start the HTTP server on %s", where);
    }
    *out = h;
    return 0;
}

void http_stop(struct http_server *h)
{
    if (h == NULL) {
        return;
    }
    slm->stop_daemon(h->d);
    free(h);
}
