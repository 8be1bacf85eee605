/*
 * What the authoring commands (check, graph, workflow deploy/diff/migrate) share: running an
 * outside program (luacheck, dot, diff) and checking a workflow file the way `overgang check`
 * does.
 */
#ifndef OG_CLI_TOOLS_H
#define OG_CLI_TOOLS_H

#include "cli/cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "lua/workflow.h"

/* Runs ARGV (ARGV[0] found on PATH; no shell) with INPUT (LEN bytes, NULL for none) on its
 * standard input. Its standard output goes to *OUT (NUL-terminated, the caller frees it) and
 * its standard error to *ERR (likewise; ERR may be NULL to drop it). Returns its exit status,
 * or -1 when it could not be run: then *MISSING is true when the program is not installed,
 * and a reason was printed on stderr otherwise. */
__attribute__((warn_unused_result)) int cli_run_program(const char *const argv[], const char *input,
							size_t len, char **out, char **err,
							bool *missing);

/* Writes LEN bytes of TEXT to a new private temporary file; its name into PATH (at least 64
 * bytes). -1 with the reason on stderr. The caller unlinks it. */
__attribute__((warn_unused_result)) int cli_temp_file(const char *text, size_t len, char *path,
						      size_t pathlen);

/* The ids of the departments in the database, NULL-terminated (free with cli_strings_free);
 * NULL with the reason on stderr. *NONE: the database has none yet (a directory not set up or
 * not synchronised yet): then say so on stderr, and the caller does not check departments. */
char **cli_departments(PGconn *conn, bool *none);
/* "a,b,c" as a NULL-terminated list (empty items dropped); NULL when out of memory. */
char **cli_split_list(const char *list);
void cli_strings_free(char **list);

struct cli_check_counts {
	int errors, warnings;
};

/* Checks the workflow in PATH (its text SOURCE, LEN bytes): loads it in the sandbox, checks
 * the definition and the source (core/check.h), and runs luacheck with the workflow globals
 * when it is installed. DEPARTMENTS (NULL-terminated) are the departments that exist, NULL
 * when not known. Prints each finding on OUT as "PATH:LINE:COL: what is wrong" (a warning as
 * "PATH:LINE:COL: warning: what"), in the order of the file. Returns 0 with the counts in
 * *COUNTS, -1 when out of memory. When WF is not NULL and the file has no errors, *WF is the
 * loaded workflow (the caller frees it), else NULL. */
__attribute__((warn_unused_result)) int cli_check_source(const struct cfg *cfg, const char *path,
							 const char *source, size_t len,
							 const char *const *departments, FILE *out,
							 struct cli_check_counts *counts,
							 struct lwf_workflow **wf);

#endif
