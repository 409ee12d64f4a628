/* sha256.h - content hash of an open file (streamed, OpenSSL EVP). */
#ifndef SL_SHA256_H
#define SL_SHA256_H

#include <stdint.h>

#include "core/error.h"

/* Hashes fd from offset 0 to EOF into hex (64 chars + NUL); *size gets the bytes hashed.
 * Leaves the file offset at 0. */
int sha256_fd(int fd, char hex[65], uint64_t *size, struct sl_error *err);

#endif
