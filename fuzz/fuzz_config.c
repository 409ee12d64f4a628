/* fuzz_config.c - libFuzzer harness for the config and contract loader (src/core/config*.c,
 * yamlutil.c, src/contract/schema*.c) and what is built from it (plan.c: every expression
 * compiled; validate.c: header binding and rows).
 *
 * Input: YAML (or JSON) text, optionally followed by a NUL byte and CSV text.  The config is
 * loaded as "fuzz.yaml" with relative paths resolved against a folder that does not exist
 * (so a fuzzed `contract: x.yaml` reads nothing).  A config that loads is compiled into a
 * plan; then the CSV after the NUL is read, its first record bound as the header and the
 * other records validated into a batch, and the loaded rows fed to the metrics.  Any
 * accepted config must also give a plan or a clear SL_ECONFIG, never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/validate.h"
#include "core/batch.h"
#include "core/config.h"
#include "core/strbuf.h"
#include "input/csv.h"

#define CHECK(c)                                                                          \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);         \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static void run_rows(struct plan *p, const char *csv, size_t n)
{
    struct validator *v = validator_create(p);
    enum sl_type *types = plan_types(p);
    struct batch *b = types != NULL ? batch_create(types, p->ncols, 16) : NULL;
    struct csv_opts o = {0};
    o.delimiter = p->cfg->csv_delimiter;
    o.check_utf8 = 1;
    o.max_field_bytes = 4096;
    o.max_record_bytes = 16384;
    o.max_columns = 256;
    struct csv_mem_src src = {csv, n, 0, 0};
    struct csv_reader *r = csv_reader_create(&o, csv_mem_read, &src);
    struct csv_record rec;
    struct sl_error err = {0};
    struct reject rej;
    memset(&rej, 0, sizeof(rej));
    free(types);
    if (v == NULL || b == NULL || r == NULL) {
        goto out;
    }
    if (csv_reader_next(r, &rec, &err) != 1 || validator_header(v, &rec, &err) != 0) {
        goto out;
    }
    (void)validator_extra_columns(v);
    for (;;) {
        struct sl_error e2 = {0};
        int rc = csv_reader_next(r, &rec, &e2);
        if (rc != 1) {
            break;
        }
        rc = validator_row(v, &rec, b, &rej, &e2);
        CHECK(rc >= 0);
        if (rc == 0) {
            CHECK(rej.rule != NULL && rej.nproblems > 0);
        }
        if (batch_full(b)) {
            for (size_t i = 0; i < b->nrows; i++) {
                b->outcome[i] = BATCH_LOADED;
            }
            (void)plan_metrics_step(p, b, &e2);
            batch_clear(b);
        }
    }
    for (size_t i = 0; i < b->nrows; i++) {
        b->outcome[i] = BATCH_LOADED;
    }
    struct sl_error e3 = {0};
    (void)plan_metrics_step(p, b, &e3);
    struct strbuf js = {0};
    (void)plan_metrics_json(p, &js);
    sb_free(&js);
out:
    sb_free(&rej.msg);
    csv_reader_destroy(r);
    batch_destroy(b);
    validator_destroy(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384) {
        return 0;
    }
    const char *text = (const char *)data;
    const char *nul = memchr(text, 0, size);
    size_t ylen = nul != NULL ? (size_t)(nul - text) : size;
    struct config *cfg = NULL;
    struct sl_error err = {0};
    int rc = config_load_string(text, ylen, "fuzz.yaml", "/nonexistent-sluice-fuzz", &cfg, &err);
    if (rc != 0) {
        CHECK(cfg == NULL && err.code != 0 && err.msg[0] != '\0');
        return 0;
    }
    CHECK(cfg != NULL && cfg->contract != NULL && cfg->contract->nfields > 0);
    struct plan *p = NULL;
    struct sl_error perr = {0};
    if (plan_create(cfg, &p, &perr) == 0) {
        if (nul != NULL) {
            run_rows(p, nul + 1, size - ylen - 1);
        }
        plan_destroy(p);
    } else {
        CHECK(perr.code != 0 && perr.msg[0] != '\0');
    }
    config_destroy(cfg);
    return 0;
}
