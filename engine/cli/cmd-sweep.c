/* overgang sweep: starts the cases whose start rule a citizen now matches (as the daemon does
 * at start-up and daily); running it twice starts nothing twice. */
#include <stdio.h>

#include "cli/cli.h"
#include "store/steps.h"

static int exec_sweep(const struct cfg *cfg, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "overgang sweep: takes no arguments\n");
		return 2;
	}
	PGconn *conn = cli_connect(cfg);
	if (conn == NULL)
		return 1;
	PGresult *res = cli_query(conn, "sweep", store_sweep_sql, 0, NULL);
	int rc = 1;
	if (res) {
		printf("started %d case%s\n", PQntuples(res), PQntuples(res) == 1 ? "" : "s");
		rc = 0;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

const struct cli_cmd cmd_sweep = {"sweep", "", "start the cases that start rules call for now",
				  exec_sweep};
