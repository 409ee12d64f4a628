/* init.c - `sluice init`: writes the embedded default config, commented, to start from. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/fs.h"

static const char init_help[] =
    "usage: sluice init [--force] [FILE]\n"
    "\n"
    "Writes the embedded default configuration (the seed's ventas pipeline: paths, SQLite,\n"
    "the contract, rules, derived columns and metrics), commented, to FILE (default\n"
    "./sluice.yaml).  Refuses to overwrite an existing file unless --force.\n";

int cmd_init(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int force = 0;
    int opt;
    (void)cli;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (opt == 'f') {
            force = 1;
        } else if (opt == 'h') {
            fputs(init_help, stdout);
            return EXIT_OK;
        } else {
            fputs(init_help, stderr);
            return EXIT_USAGE;
        }
    }
    const char *path = optind < argc ? argv[optind] : "sluice.yaml";
    if (!force && fs_exists(path)) {
        fprintf(stderr, "sluice init: %s already exists (use --force to overwrite)\n", path);
        return EXIT_FAILED;
    }
    /* 0640 like every file sluice writes (umask applies): a config can name secret files */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        fprintf(stderr, "sluice init: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_FAILED;
    }
    size_t n = strlen(config_default_yaml);
    int bad = fwrite(config_default_yaml, 1, n, f) != n;
    bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "sluice init: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_FAILED;
    }
    printf("wrote %s: edit it, then run 'sluice once' (it is picked up from the current "
           "folder)\n", path);
    return EXIT_OK;
}
