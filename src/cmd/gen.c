/* gen.c - `sluice gen N`: seed-like ventas sample files, optionally with bad rows of every
 * kind the default contract catches, delivered the safe way (written under a dot-name,
 * then renamed into the input folder). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "contract/types.h"
#include "core/fs.h"
#include "core/strbuf.h"

static const char gen_help[] =
    "usage: sluice [-c FILE] gen N [--rows R] [--bad-ratio X] [--seed S] [--out DIR]\n"
    "\n"
    "Writes N sample sales files (the seed's ventas shape: venta_id, cliente_id,\n"
    "producto_id, cantidad, precio_unitario, total, fecha_venta, metodo_pago, estado) into\n"
    "paths.incoming (or --out DIR), each written to a hidden temporary name and renamed in.\n"
    "\n"
    "  --rows R        data rows per file (default 100)\n"
    "  --bad-ratio X   fraction of rows made invalid, 0..1 (default 0); the bad rows cycle\n"
    "                  through every kind the default contract rejects: negative cantidad,\n"
    "                  non-integer cliente_id, impossible date, unknown metodo_pago, unknown\n"
    "                  estado, total != cantidad * precio, missing venta_id, venta_id repeated\n"
    "                  in the file, negative precio, a missing field, producto_id 0\n"
    "  --seed S        random seed (default: from the clock); same seed, same rows\n"
    "  --out DIR       write here instead of paths.incoming\n"
    "\n"
    "venta_id values are unique across runs (they start from the current time in\n"
    "microseconds).  Prints how many bad rows of each kind were written.\n";

enum bad_kind {
    BAD_CANTIDAD, BAD_CLIENTE, BAD_FECHA, BAD_METODO, BAD_ESTADO, BAD_TOTAL, BAD_MISSING_ID,
    BAD_DUP_ID, BAD_PRECIO, BAD_RAGGED, BAD_PRODUCTO, BAD_KINDS
};

static const char *const bad_names[BAD_KINDS] = {
    "cantidad<1", "cliente_id-not-int", "bad-date", "metodo_pago-enum", "estado-enum",
    "total-mismatch", "venta_id-missing", "venta_id-duplicate", "precio<0", "ragged-row",
    "producto_id<1",
};

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* splitmix64: small, fast, good enough for sample data */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double rndu(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}
static int64_t rndi(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return (*end != '\0' || end == s || errno != 0) ? -1 : 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || end == s || errno != 0 || s[0] == '-') {
        return -1;
    }
    *out = v;
    return 0;
}

static const char *const metodos[] = {"efectivo", "tarjeta", "transferencia", "paypal"};
static const char *const estados[] = {"completada", "pendiente", "cancelada", "devuelta"};

static void gen_row(struct strbuf *sb, int64_t id, int64_t prev_id, int64_t base_us,
                    int64_t step_us, uint64_t j, int bad)
{
    int64_t cliente = rndi(1, 5000), producto = rndi(1, 200), cantidad = rndi(1, 5);
    long cents = (long)rndi(1000, 50000);
    double precio = (double)cents / 100.0;
    long total_cents = cents * (long)cantidad;
    char fecha[40];
    int64_t jitter = step_us >= 2000000 ? rndi(0, step_us / 1000000 - 1) * 1000000LL : 0;
    types_format_datetime(base_us + (int64_t)j * step_us + jitter, fecha,
                          sizeof(fecha));
    const char *metodo = metodos[rnd() % 4];
    const char *estado = estados[rnd() % 4];
    char idbuf[32], clbuf[32], prbuf[32], cabuf[32], pubuf[32], tobuf[32];
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    snprintf(clbuf, sizeof(clbuf), "%lld", (long long)cliente);
    snprintf(prbuf, sizeof(prbuf), "%lld", (long long)producto);
    snprintf(cabuf, sizeof(cabuf), "%lld", (long long)cantidad);
    snprintf(pubuf, sizeof(pubuf), "%ld.%02ld", cents / 100, cents % 100);
    snprintf(tobuf, sizeof(tobuf), "%ld.%02ld", total_cents / 100, total_cents % 100);
    (void)precio;
    switch (bad) {
    case BAD_CANTIDAD:
        snprintf(cabuf, sizeof(cabuf), "-%lld", (long long)cantidad); /* the seed's own error */
        snprintf(tobuf, sizeof(tobuf), "-%ld.%02ld", total_cents / 100, total_cents % 100);
        break;
    case BAD_CLIENTE:
        snprintf(clbuf, sizeof(clbuf), "C-%lld", (long long)cliente);
        break;
    case BAD_FECHA:
        /* overwrites "MM-DD" inside the terminated date text */
        memcpy(fecha + 5, "02-30", 5); // NOLINT(bugprone-not-null-terminated-result)
        break;
    case BAD_METODO:
        metodo = "bitcoin";
        break;
    case BAD_ESTADO:
        estado = "perdida";
        break;
    case BAD_TOTAL:
        snprintf(tobuf, sizeof(tobuf), "%ld.%02ld", (total_cents + 500) / 100,
                 (total_cents + 500) % 100);
        break;
    case BAD_MISSING_ID:
        idbuf[0] = '\0';
        break;
    case BAD_DUP_ID:
        snprintf(idbuf, sizeof(idbuf), "%lld", (long long)prev_id);
        break;
    case BAD_PRECIO:
        snprintf(pubuf, sizeof(pubuf), "-%ld.%02ld", cents / 100, cents % 100);
        snprintf(tobuf, sizeof(tobuf), "-%ld.%02ld", total_cents / 100, total_cents % 100);
        break;
    case BAD_PRODUCTO:
        snprintf(prbuf, sizeof(prbuf), "0");
        break;
    default:
        break;
    }
    sb_printf(sb, "%s,%s,%s,%s,%s,%s,%s,%s", idbuf, clbuf, prbuf, cabuf, pubuf, tobuf, fecha,
              metodo);
    if (bad != BAD_RAGGED) {
        sb_printf(sb, ",%s", estado);
    }
    sb_addc(sb, '\n');
}

int cmd_gen(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"rows", required_argument, NULL, 'r'},
                                         {"bad-ratio", required_argument, NULL, 'b'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    uint64_t rows = 100, seed = (uint64_t)now_us(), nfiles = 0;
    double bad_ratio = 0.0;
    const char *out_dir = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:qr:b:s:o:h", opts, NULL)) != -1) {
        if (cmd_common_opt(cli, opt, optarg)) {
            continue;
        }
        switch (opt) {
        case 'r':
            if (parse_u64(optarg, &rows) != 0 || rows > 100000000) {
                fprintf(stderr, "sluice gen: --rows wants 0..100000000, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'b':
            if (parse_double(optarg, &bad_ratio) != 0 || bad_ratio < 0 || bad_ratio > 1) {
                fprintf(stderr, "sluice gen: --bad-ratio wants 0..1, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            if (parse_u64(optarg, &seed) != 0) {
                fprintf(stderr, "sluice gen: --seed wants a number, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'h':
            fputs(gen_help, stdout);
            return EXIT_OK;
        default:
            fputs(gen_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc || parse_u64(argv[optind], &nfiles) != 0 || nfiles > 1000000) {
        fputs(gen_help, stderr);
        return EXIT_USAGE;
    }
    struct config *cfg = NULL;
    if (out_dir == NULL) {
        cfg = cmd_load_config(cli);
        if (cfg == NULL) {
            return EXIT_CONFIG;
        }
        out_dir = cfg->incoming;
    }
    int code = EXIT_OK;
    struct sl_error err = {0};
    struct strbuf sb = STRBUF_INIT;
    uint64_t bad_counts[BAD_KINDS] = {0};
    uint64_t nbad = 0, kind = 0;
    rng_state = seed;
    if (fs_mkdir_p(out_dir, &err) != 0) {
        fprintf(stderr, "sluice gen: %s\n", err.msg);
        code = EXIT_FAILED;
        goto out;
    }
    int64_t next_id = now_us();
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
    for (uint64_t f = 0; f < nfiles; f++) {
        char name[128], tmp[PATH_MAX], dst[PATH_MAX];
        snprintf(name, sizeof(name), "ventas_%s_%llu_%04llx.csv", stamp, (unsigned long long)f,
                 (unsigned long long)(rnd() & 0xffff));
        snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", out_dir, name);
        snprintf(dst, sizeof(dst), "%s/%s", out_dir, name);
        /* like the seed: a base date 1-30 days ago, one sale per hour from there */
        /* like the seed: one sale an hour from a base date 1-30 days back; a big file packs its
         * sales closer (at most 30 days in all, whole seconds) and all lie in the past */
        const int64_t hour = 3600000000LL, span = 30 * 24 * hour;
        int64_t step = rows > 0 && (int64_t)rows * hour > span ? span / (int64_t)rows : hour;
        step = step < 1000000 ? 1000000 : step / 1000000 * 1000000;
        int64_t base = (now_us() / hour - rndi(24, 720)) * hour - (int64_t)rows * step;
        sb_reset(&sb);
        sb_adds(&sb, "venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,"
                     "metodo_pago,estado\n");
        int64_t prev = -1; /* last id of a fully valid row: what a duplicate repeats */
        FILE *fp = fopen(tmp, "wx");
        if (fp == NULL) {
            fprintf(stderr, "sluice gen: cannot create %s: %s\n", tmp, strerror(errno));
            code = EXIT_FAILED;
            goto out;
        }
        int bad_io = 0;
        for (uint64_t j = 0; j < rows; j++) {
            int bad = -1;
            if (bad_ratio > 0 && rndu() < bad_ratio) {
                bad = (int)(kind++ % BAD_KINDS);
                if (bad == BAD_DUP_ID && prev < 0) {
                    bad = BAD_CANTIDAD; /* nothing to repeat yet on the first row */
                }
                bad_counts[bad]++;
                nbad++;
            }
            int64_t id = next_id++;
            gen_row(&sb, id, prev, base, step, j, bad);
            if (bad < 0) {
                prev = id;
            }
            if (sb.len > (1u << 20)) {
                bad_io |= fwrite(sb.p, 1, sb.len, fp) != sb.len;
                sb_reset(&sb);
            }
        }
        bad_io |= sb.failed || fwrite(sb.p, 1, sb.len, fp) != sb.len;
        bad_io |= fflush(fp) != 0 || fsync(fileno(fp)) != 0;
        bad_io |= fclose(fp) != 0;
        if (bad_io || rename(tmp, dst) != 0) {
            fprintf(stderr, "sluice gen: cannot write %s: %s\n", dst, strerror(errno));
            unlink(tmp);
            code = EXIT_FAILED;
            goto out;
        }
    }
    /* The next run must not reuse ids: wait until the clock passes the last one used. */
    while (now_us() <= next_id) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (!cli->quiet) {
        printf("wrote %llu file(s) of %llu rows into %s: %llu rows, %llu bad",
               (unsigned long long)nfiles, (unsigned long long)rows, out_dir,
               (unsigned long long)nfiles * rows, (unsigned long long)nbad);
        const char *sep = " (";
        for (int k = 0; k < BAD_KINDS; k++) {
            if (bad_counts[k]) {
                printf("%s%s=%llu", sep, bad_names[k], (unsigned long long)bad_counts[k]);
                sep = " ";
            }
        }
        printf("%s\n", nbad ? ")" : "");
    }
out:
    sb_free(&sb);
    config_destroy(cfg);
    return code;
}
