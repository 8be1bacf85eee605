/* Helpers the overgang subcommands share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/file.h"

PGconn *cli_connect(const struct cfg *cfg)
{
	/* The operator's conninfo comes last and wins; `options` stays theirs (PGOPTIONS). */
	const char *keys[] = {"application_name", "dbname", NULL};
	const char *values[] = {"overgang", cfg_conninfo(cfg), NULL};
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL) {
		fprintf(stderr, "overgang: out of memory\n");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "overgang: cannot connect to the database: %s",
			PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQclear(PQexec(conn, "SELECT set_config('search_path', 'overgang, public', false),"
			     " set_config('TimeZone', 'UTC', false)"));
	return conn;
}

PGresult *cli_query(PGconn *conn, const char *what, const char *sql, int nparams,
		    const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	fprintf(stderr, "overgang %s: %s\n", what, msg ? msg : PQerrorMessage(conn));
	PQclear(res);
	return NULL;
}

char *cli_read_file(const char *path, size_t *len)
{
	char *text = og_read_file(path, len);
	if (text == NULL)
		fprintf(stderr, "overgang: cannot read %s: %s\n", path, strerror(errno));
	return text;
}

struct lwf_budget cli_budget(const struct cfg *cfg)
{
	struct lwf_budget budget;
	cfg_lua_budget(cfg, &budget.memory_bytes, &budget.instructions);
	return budget;
}

const char *cli_operator(void)
{
	const char *by = getenv("SUDO_USER");
	if (by == NULL)
		by = getenv("USER");
	return by ? by : "unknown";
}
