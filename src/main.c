/* main.c - the sluice command line: global options, then one subcommand. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/failpoint.h"

static const char usage[] =
    "sluice " SLUICE_VERSION " - validated, exactly-once CSV ingestion into SQLite\n"
    "\n"
    "usage: sluice [-c FILE] [-q] COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  run             watch the input folder and process each file as it lands (daemon)\n"
    "  once            process every file in the input folder, then exit\n"
    "  check FILE...   validate files against the contract; print a report, write nothing\n"
    "  status          files by status, rows loaded/rejected, last failures\n"
    "  gen N           write N seed-like sample files into the input folder\n"
    "  init            write a commented sluice.yaml (the embedded default) to start from\n"
    "  retry NAME...|--all  put failed inputs back into the input folder\n"
    "  help [COMMAND]  this text, or a command's own help\n"
    "  version         print the version\n"
    "\n"
    "global options (also accepted after the command):\n"
    "  -c, --config FILE  the config file (default: ./sluice.yaml if present, else the\n"
    "                     embedded default: the seed's ventas pipeline under ./ingest,\n"
    "                     ./outputs/near_rt_analytics.db and ./logs)\n"
    "  -q, --quiet        no per-file lines on stderr (the JSON log still has everything)\n"
    "  -h, --help         help\n"
    "\n"
    "exit codes: 0 every file ok/partial/duplicate, 1 a file failed or an error,\n"
    "            2 usage error, 78 config error\n"
    "\n"
    "Run 'sluice COMMAND --help' for a command's options. Docs: README.md, docs/.\n";

int main(int argc, char **argv)
{
    struct cli cli = {NULL, 0};
    int i = 1;
    fp_init();
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
            cli.config_path = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            cli.config_path = a + 9;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            cli.quiet = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            puts("sluice " SLUICE_VERSION);
            return EXIT_OK;
        } else {
            fprintf(stderr, "sluice: unknown option '%s'\n\n%s", a, usage);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[i];
    int cargc = argc - i;
    char **cargv = argv + i;
    if (strcmp(cmd, "help") == 0) {
        if (cargc < 2) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        static char help_flag[] = "--help";
        char *hargv[] = {cargv[1], help_flag, NULL};
        cmd = cargv[1];
        cargc = 2;
        cargv = hargv;
        if (strcmp(cmd, "help") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        return strcmp(cmd, "once") == 0     ? cmd_once(&cli, cargc, cargv)
               : strcmp(cmd, "run") == 0    ? cmd_run(&cli, cargc, cargv)
               : strcmp(cmd, "check") == 0  ? cmd_check(&cli, cargc, cargv)
               : strcmp(cmd, "status") == 0 ? cmd_status(&cli, cargc, cargv)
               : strcmp(cmd, "gen") == 0    ? cmd_gen(&cli, cargc, cargv)
               : strcmp(cmd, "init") == 0   ? cmd_init(&cli, cargc, cargv)
               : strcmp(cmd, "retry") == 0  ? cmd_retry(&cli, cargc, cargv)
                                            : (fprintf(stderr, "sluice: no command '%s'\n", cmd),
                                               EXIT_USAGE);
    }
    if (strcmp(cmd, "once") == 0) {
        return cmd_once(&cli, cargc, cargv);
    } else if (strcmp(cmd, "run") == 0) {
        return cmd_run(&cli, cargc, cargv);
    } else if (strcmp(cmd, "check") == 0) {
        return cmd_check(&cli, cargc, cargv);
    } else if (strcmp(cmd, "status") == 0) {
        return cmd_status(&cli, cargc, cargv);
    } else if (strcmp(cmd, "gen") == 0) {
        return cmd_gen(&cli, cargc, cargv);
    } else if (strcmp(cmd, "init") == 0) {
        return cmd_init(&cli, cargc, cargv);
    } else if (strcmp(cmd, "retry") == 0) {
        return cmd_retry(&cli, cargc, cargv);
    } else if (strcmp(cmd, "version") == 0) {
        puts("sluice " SLUICE_VERSION);
        return EXIT_OK;
    }
    fprintf(stderr, "sluice: unknown command '%s' (see 'sluice --help')\n", cmd);
    return EXIT_USAGE;
}
