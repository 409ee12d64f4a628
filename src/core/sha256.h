/* sha256.h - content hash of an open file (streamed, OpenSSL EVP), here or on a thread. */
#ifndef SL_SHA256_H
#define SL_SHA256_H

#include <pthread.h>
#include <stdint.h>

#include "core/error.h"

/* Hashes fd from offset 0 to EOF into hex (64 chars + NUL); *size gets the bytes hashed.
 * Reads with pread: the file offset is not used or moved, so another thread may read the
 * same fd meanwhile. */
int sha256_fd(int fd, char hex[65], uint64_t *size, struct sl_error *err);

/* The same hash on a thread of its own, beside whatever reads fd meanwhile. */
struct sha256_job {
    int fd;
    int threaded; /* 0: the thread could not start; join hashes here instead */
    pthread_t tid;
    char hex[65];
    uint64_t size;
    int rc;
    struct sl_error err;
};

void sha256_job_start(struct sha256_job *j, int fd);
/* Waits for the job; its result as sha256_fd's.  Call exactly once per start. */
int sha256_job_join(struct sha256_job *j, char hex[65], uint64_t *size, struct sl_error *err);

#endif
