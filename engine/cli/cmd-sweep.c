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
	int rc = 0, started = 0, n;
	do { /* in batches, each its own transaction */
		PGresult *res = cli_query(conn, "sweep", store_sweep_sql, 0, NULL);
		if (res == NULL) {
			rc = 1;
			break;
		}
		n = PQntuples(res);
		started += n;
		PQclear(res);
	} while (n == STORE_SWEEP_BATCH);
	if (rc == 0)
		printf("started %d case%s\n", started, started == 1 ? "" : "s");
	PQfinish(conn);
	return rc;
}

const struct cli_cmd cmd_sweep = {"sweep", "", "start the cases that start rules call for now",
				  exec_sweep};
