/* sha256.c - streams a file through OpenSSL's EVP SHA-256 (SHA-NI where the CPU has it). */
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
    if (lseek(fd, 0, SEEK_SET) < 0) {
        rc = sl_error_set(err, SL_EIO, "seek: %s", strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf, HASH_CHUNK);
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
    if (lseek(fd, 0, SEEK_SET) < 0) {
        rc = sl_error_set(err, SL_EIO, "seek: %s", strerror(errno));
        goto out;
    }
    *size = total;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}
