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
    /* Integer keys that arrive in increasing order (the usual case for ids) form the run,
     * kept compressed in blocks of up to RUN_BLOCK keys: a block stores its first key and
     * line; the others are (key - previous key - 1, line - previous line - 1) as varints,
     * or nothing at all while every step is +1 and +1 (consecutive ids on consecutive
     * lines: a 10M-row file's keys then take 2.5 MB instead of 160 MB). */
    struct run_block *blocks;
    size_t nblocks, capblocks;
    uint8_t *bytes;
    size_t blen, bcap;
    int64_t last_key;
    uint64_t last_line;
    size_t run_n;
};

#define RUN_BLOCK 128

struct run_block {
    int64_t key0;
    uint64_t line0;
    uint64_t off;  /* first step in bytes (when not uniform) */
    uint32_t n;    /* keys in the block */
    uint32_t uniform; /* every step so far is +1 key, +1 line: no bytes */
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
    free(k->blocks);
    free(k->bytes);
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
    k->nblocks = 0;
    k->blen = 0;
}

size_t keyset_count(const struct keyset *k)
{
    return k->n + k->run_n;
}

size_t keyset_bytes(const struct keyset *k)
{
    return k->capblocks * sizeof(*k->blocks) + k->bcap + k->nslots * (sizeof(*k->slots) + sizeof(*k->hashes)) + k->cap * sizeof(*k->entries) + k->acap;
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

static int put_varint(struct keyset *k, uint64_t v)
{
    if (k->blen + 10 > k->bcap) {
        size_t ncap = k->bcap ? k->bcap * 2 : 4096;
        uint8_t *nb = realloc(k->bytes, ncap);
        if (nb == NULL) {
            return -1;
        }
        k->bytes = nb;
        k->bcap = ncap;
    }
    while (v >= 0x80) {
        k->bytes[k->blen++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    k->bytes[k->blen++] = (uint8_t)v;
    return 0;
}

static uint64_t get_varint(const uint8_t **p)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            return v;
        }
    }
}

/* Line steps are stored zigzagged: lines only grow in practice, but nothing depends on it. */
static uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static int64_t unzz(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int run_append(struct keyset *k, int64_t key, uint64_t line)
{
    struct run_block *b = k->nblocks ? &k->blocks[k->nblocks - 1] : NULL;
    if (b == NULL || b->n == RUN_BLOCK) {
        if (k->nblocks == k->capblocks || k->blocks == NULL) {
            size_t ncap = k->capblocks ? k->capblocks * 2 : 64;
            struct run_block *nb = realloc(k->blocks, ncap * sizeof(*nb));
            if (nb == NULL) {
                return -1;
            }
            k->blocks = nb;
            k->capblocks = ncap;
        }
        k->blocks[k->nblocks++] = (struct run_block){key, line, k->blen, 1, 1};
    } else {
        uint64_t dk = (uint64_t)key - (uint64_t)k->last_key - 1;
        int64_t dl = (int64_t)(line - k->last_line) - 1;
        if (b->uniform && (dk != 0 || dl != 0)) {
            /* the first irregular step: write out the +1/+1 steps so far */
            b->off = k->blen;
            for (uint32_t i = 1; i < b->n; i++) {
                if (put_varint(k, 0) != 0 || put_varint(k, 0) != 0) {
                    return -1;
                }
            }
            b->uniform = 0;
        }
        if (!b->uniform && (put_varint(k, dk) != 0 || put_varint(k, zz(dl)) != 0)) {
            return -1;
        }
        b->n++;
    }
    k->last_key = key;
    k->last_line = line;
    k->run_n++;
    return 0;
}

/* 1 and its line in *line when key is in the run, else 0. */
static int run_find(const struct keyset *k, int64_t key, uint64_t *line)
{
    size_t lo = 0, hi = k->nblocks; /* the last block whose first key <= key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->blocks[mid].key0 <= key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return 0;
    }
    const struct run_block *b = &k->blocks[lo - 1];
    uint64_t off = (uint64_t)key - (uint64_t)b->key0;
    if (b->uniform) {
        *line = b->line0 + off;
        return off < b->n;
    }
    const uint8_t *p = k->bytes + b->off;
    int64_t kk = b->key0;
    uint64_t ll = b->line0;
    for (uint32_t i = 0;; i++) {
        if (kk == key) {
            *line = ll;
            return 1;
        }
        if (kk > key || i + 1 >= b->n) {
            return 0;
        }
        kk = (int64_t)((uint64_t)kk + get_varint(&p) + 1);
        ll = (uint64_t)((int64_t)ll + unzz(get_varint(&p)) + 1);
    }
}

int keyset_insert_i64(struct keyset *k, int64_t key, uint64_t line, uint64_t *first_line)
{
    if (k->run_n == 0 || key > k->last_key) {
        /* Greater than every key in the run, and every out-of-order key is below the run's
         * last key at its time: so this key is new. */
        return run_append(k, key, line) == 0 ? 1 : -1;
    }
    if (run_find(k, key, first_line)) {
        return 0;
    }
    return keyset_insert(k, &key, sizeof(key), line, first_line);
}
