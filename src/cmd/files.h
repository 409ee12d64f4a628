/* files.h - what `once` and `run` share about input files: which names are taken, and the
 * one readable stderr line per file (the JSON log keeps the exact details).
 */
#ifndef SL_CMD_FILES_H
#define SL_CMD_FILES_H

#include "core/config.h"
#include "core/error.h"
#include "pipeline/pipeline.h"

/* 1 for names sluice takes: matching watch.patterns (default *.csv; any case), not
 * starting with '.', not ending in .tmp, .part or .crdownload (files still being
 * delivered).  files_set_patterns points it at a config's patterns (kept, not copied). */
int files_accept(const char *name);
void files_set_patterns(const struct config *cfg);

/* -q: files_report_skip logs only (no stderr line). */
void files_set_quiet(int quiet);

/* An accepted name that is not a regular file: logs file_skipped, prints one line. */
void files_report_skip(const char *name, const char *why);

/* The verdict line of one processed file (ok/partial/duplicate/FAILED). */
void files_print_result(const char *name, const struct file_result *r);

/* The line for a committed file whose publishing or archiving must wait for the next start
 * (err says so; the file is not in incoming). */
void files_print_committed_error(const char *name, const struct sl_error *err);

/* The line for a file that hit an error that is not its fault (left in incoming). */
void files_print_error(const char *name, const struct sl_error *err, const char *incoming);

#endif
