/* keyset.c - open-addressing hash set of byte strings (FNV-1a-style mixing, linear probing);
 * keys live in one growing arena so insertion does one allocation per doubling. */
#include "core/keyset.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    uint64_t line;
    uint64_t off; /* key bytes in arena */
    uint64_t len;
};

/* Probing touches only the slot arrays (hash, index); an entry and its key bytes are read
 * only when the full 64-bit hash matches, which for a new key almost never happens. */
struct keyset {
    uint64_t *hashes; /* per slot */
    uint32_t *slots;  /* entry index + 1; 0 = empty */
    size_t nslots;    /* power of two */
    struct entry *entries;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
    int64_t *run_key; /* integer keys: the increasing run */
    uint64_t *run_line;
    size_t run_n, run_cap;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ (n * 0x9E3779B97F4A7C15ULL);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) {
        h = (h ^ s[i]) * 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

struct keyset *keyset_create(void)
{
    struct keyset *k = calloc(1, sizeof(*k));
    return k;
}

void keyset_destroy(struct keyset *k)
{
    if (k == NULL) {
        return;
    }
    free(k->hashes);
    free(k->slots);
    free(k->entries);
    free(k->arena);
    free(k->run_key);
    free(k->run_line);
    free(k);
}

void keyset_clear(struct keyset *k)
{
    if (k->slots != NULL) {
        memset(k->slots, 0, k->nslots * sizeof(*k->slots));
    }
    k->n = 0;
    k->alen = 0;
    k->run_n = 0;
}

size_t keyset_count(const struct keyset *k)
{
    return k->n + k->run_n;
}

size_t keyset_bytes(const struct keyset *k)
{
    return k->run_cap * 16 + k->nslots * (sizeof(*k->slots) + sizeof(*k->hashes)) + k->cap * sizeof(*k->entries) + k->acap;
}

static int rehash(struct keyset *k, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof(*s));
    uint64_t *h = malloc(nslots * sizeof(*h));
    if (s == NULL || h == NULL) {
        free(s);
        free(h);
        return -1;
    }
    for (size_t i = 0; i < k->nslots; i++) {
        if (k->slots[i] == 0) {
            continue;
        }
        size_t pos = k->hashes[i] & (nslots - 1);
        while (s[pos] != 0) {
            pos = (pos + 1) & (nslots - 1);
        }
        s[pos] = k->slots[i];
        h[pos] = k->hashes[i];
    }
    free(k->slots);
    free(k->hashes);
    k->slots = s;
    k->hashes = h;
    k->nslots = nslots;
    return 0;
}

int keyset_insert(struct keyset *k, const void *key, size_t n, uint64_t line,
                  uint64_t *first_line)
{
    if (k->n >= UINT32_MAX - 1) {
        return -1;
    }
    if ((k->n + 1) * 2 > k->nslots && rehash(k, k->nslots ? k->nslots * 2 : 1024) != 0) {
        return -1;
    }
    uint64_t h = hash_bytes(key, n);
    size_t pos = h & (k->nslots - 1);
    while (k->slots[pos] != 0) {
        if (k->hashes[pos] == h) {
            const struct entry *e = &k->entries[k->slots[pos] - 1];
            if (e->len == n && memcmp(k->arena + e->off, key, n) == 0) {
                *first_line = e->line;
                return 0;
            }
        }
        pos = (pos + 1) & (k->nslots - 1);
    }
    if (k->n == k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 1024;
        struct entry *ne = realloc(k->entries, ncap * sizeof(*ne));
        if (ne == NULL) {
            return -1;
        }
        k->entries = ne;
        k->cap = ncap;
    }
    if (k->alen + n > k->acap) {
        size_t ncap = k->acap ? k->acap : 4096;
        while (ncap < k->alen + n) {
            ncap *= 2;
        }
        char *na = realloc(k->arena, ncap);
        if (na == NULL) {
            return -1;
        }
        k->arena = na;
        k->acap = ncap;
    }
    if (n > 0) {
        memcpy(k->arena + k->alen, key, n);
    }
    k->entries[k->n] = (struct entry){line, k->alen, n};
    k->alen += n;
    k->slots[pos] = (uint32_t)(k->n + 1);
    k->hashes[pos] = h;
    k->n++;
    return 1;
}

int keyset_insert_i64(struct keyset *k, int64_t key, uint64_t line, uint64_t *first_line)
{
    if (k->run_n == 0 || key > k->run_key[k->run_n - 1]) {
        /* Greater than every key in the run, and every out-of-order key is below the run's
         * last key at its time: so this key is new. */
        if (k->run_n == k->run_cap) {
            size_t ncap = k->run_cap ? k->run_cap * 2 : 4096;
            int64_t *nk = realloc(k->run_key, ncap * sizeof(*nk));
            if (nk == NULL) {
                return -1;
            }
            k->run_key = nk;
            uint64_t *nl = realloc(k->run_line, ncap * sizeof(*nl));
            if (nl == NULL) {
                return -1;
            }
            k->run_line = nl;
            k->run_cap = ncap;
        }
        k->run_key[k->run_n] = key;
        k->run_line[k->run_n] = line;
        k->run_n++;
        return 1;
    }
    size_t lo = 0;
    size_t hi = k->run_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->run_key[mid] < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < k->run_n && k->run_key[lo] == key) {
        *first_line = k->run_line[lo];
        return 0;
    }
    return keyset_insert(k, &key, sizeof(key), line, first_line);
}
