/* mhd_dl.h - libmicrohttpd, loaded at run time (dlopen) when the daemon starts its HTTP
 * endpoint.  Linked, it would map its TLS dependencies into every sluice process (`once`,
 * `check`): memory for code only `run` with http.enabled uses.  `slm` holds the functions.
 */
#ifndef SL_MHD_DL_H
#define SL_MHD_DL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "core/error.h"

struct sl_mhd {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *d);
    enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
                                      struct MHD_Response *r);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    struct MHD_Response *(*create_response_from_buffer_with_free_callback)(
        size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc);
    void (*destroy_response)(struct MHD_Response *r);
    enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
                                           const char *content);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d,
                                                   enum MHD_DaemonInfoType type, ...);
};

extern const struct sl_mhd *slm;

/* Loads libmicrohttpd once (thread-safe); SL_ECONFIG naming the library when missing. */
int sl_mhd_load(struct sl_error *err);

#endif
