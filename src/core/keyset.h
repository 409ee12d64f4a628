/* keyset.h - an exact set of byte-string keys, each remembering the line where it was
 * first seen; used for within-file uniqueness (unique fields, the primary key). */
#ifndef SL_KEYSET_H
#define SL_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct keyset;

struct keyset *keyset_create(void); /* NULL on out-of-memory */
void keyset_destroy(struct keyset *k);
void keyset_clear(struct keyset *k);

/* Returns 1 when key was new (inserted with line), 0 when already present (*first_line set
 * to the line stored with it), -1 on out-of-memory. */
int keyset_insert(struct keyset *k, const void *key, size_t n, uint64_t line,
                  uint64_t *first_line);
/* The same for integer keys (one set takes either integer or byte keys, not both).  Keys
 * that arrive in increasing order - the usual case for ids - are appended to a sorted run
 * (sequential memory, 16 bytes a key); only out-of-order keys go through the hash table. */
int keyset_insert_i64(struct keyset *k, int64_t key, uint64_t line, uint64_t *first_line);
size_t keyset_count(const struct keyset *k);
size_t keyset_bytes(const struct keyset *k); /* memory held, for budgets */

#endif
