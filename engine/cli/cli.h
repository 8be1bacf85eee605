/*
 * The overgang command-line tool: one file per subcommand (cmd-NAME.c), each exporting one
 * const struct cli_cmd listed in main.c's table. Commands run outside the event loop and may
 * block.
 */
#ifndef OG_CLI_H
#define OG_CLI_H

#include <libpq-fe.h>

#include "config/config.h"
#include "lua/workflow.h"

struct cli_cmd {
	const char *name;
	const char *args;    /* e.g. "[--dry-run]" */
	const char *summary; /* one line for the help */
	/* ARGV[0] is the command's name. Returns the exit status. */
	int (*exec)(const struct cfg *cfg, int argc, char **argv);
};

/* A blocking connection to the configured database, or NULL with the reason on stderr. */
PGconn *cli_connect(const struct cfg *cfg);

/* Runs SQL with text parameters on CONN. Returns the result (the caller clears it), or NULL
 * after printing "overgang WHAT: the server's message" on stderr. */
PGresult *cli_query(PGconn *conn, const char *what, const char *sql, int nparams,
		    const char *const *params);

/* Who runs the command, for logs and records: $SUDO_USER, else $USER, else "unknown". */
const char *cli_operator(void);

/* Reads a whole file; NULL with the reason on stderr. The caller frees it. */
char *cli_read_file(const char *path, size_t *len);

/* The Lua budgets the configuration gives a workflow (the daemon's own, so every command
 * loads a workflow as the daemon will). */
struct lwf_budget cli_budget(const struct cfg *cfg);
#endif
