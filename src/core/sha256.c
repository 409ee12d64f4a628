/* sha256.c - streams a file through OpenSSL's EVP SHA-256 (SHA-NI where the CPU has it),
 * with pread so that a job thread can hash a file while another thread parses it. */
#include "core/sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HASH_CHUNK (256 * 1024)

int sha256_fd(int fd, char hex[65], uint64_t *size, struct sl_error *err)
{
    int rc = SL_ENOMEM;
    unsigned char *buf = malloc(HASH_CHUNK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint64_t total = 0;
    if (buf == NULL || ctx == NULL) {
        sl_error_set(err, SL_ENOMEM, "out of memory hashing a file");
        goto out;
    }
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = sl_error_set(err, SL_EBUG, "EVP_DigestInit_ex failed");
        goto out;
    }
    for (;;) {
        ssize_t r = pread(fd, buf, HASH_CHUNK, (off_t)total);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = sl_error_set(err, SL_EIO, "read: %s", strerror(errno));
            goto out;
        }
        if (r == 0) {
            break;
        }
        EVP_DigestUpdate(ctx, buf, (size_t)r);
        total += (uint64_t)r;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    *size = total;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

static void *job_main(void *arg)
{
    struct sha256_job *j = arg;
    j->rc = sha256_fd(j->fd, j->hex, &j->size, &j->err);
    return NULL;
}

void sha256_job_start(struct sha256_job *j, int fd)
{
    memset(j, 0, sizeof(*j));
    j->fd = fd;
    j->threaded = pthread_create(&j->tid, NULL, job_main, j) == 0;
}

int sha256_job_join(struct sha256_job *j, char hex[65], uint64_t *size, struct sl_error *err)
{
    if (j->threaded) {
        pthread_join(j->tid, NULL);
        j->threaded = 0;
    } else {
        job_main(j);
    }
    if (j->rc != 0) {
        return sl_error_set(err, j->rc, "%s", j->err.msg);
    }
    memcpy(hex, j->hex, sizeof(j->hex));
    *size = j->size;
    return 0;
}
