/* overgang migrate: applies the pending schema migrations. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/migrate.h"

static int exec_migrate(const struct cfg *cfg, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "overgang migrate: takes no arguments\n");
		return 2;
	}
	PGconn *conn = cli_connect(cfg);
	if (conn == NULL)
		return 1;
	char err[1024];
	int applied;
	int rc = store_migrate(conn, &applied, err, sizeof err);
	PQfinish(conn);
	if (rc != 0) {
		fprintf(stderr, "overgang migrate: %s\n", err);
		return 1;
	}
	if (applied == 0)
		printf("schema is current (version %d)\n", store_schema_version_known());
	else
		printf("applied %d migration%s; schema is at version %d\n", applied,
		       applied == 1 ? "" : "s", store_schema_version_known());
	return 0;
}

const struct cli_cmd cmd_migrate = {
	"migrate", "", "apply the pending schema migrations (safe to run from several places)",
	exec_migrate};
