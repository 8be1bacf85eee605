/* overgang workflow deploy FILE [--by NAME] | list | diff | migrate: deploying workflow versions,
 * comparing them, and moving cases between them (the last two in versions.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/tools.h"
#include "cli/versions.h"
#include "core/deploy.h"
#include "lua/workflow.h"

static int deploy(const struct cfg *cfg, const char *path, const char *by)
{
	size_t len;
	char *source = cli_read_file(path, &len);
	if (source == NULL)
		return 1;
	int rc = 1;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	char *definition = NULL;
	char **departments = NULL;
	struct lwf_workflow *wf = NULL;
	struct cli_check_counts counts;

	/* The same check as `overgang check --db`: the departments are the database's. */
	conn = cli_connect(cfg);
	bool none;
	if (conn == NULL || (departments = cli_departments(conn, &none)) == NULL)
		goto out;
	if (cli_check_source(cfg, path, source, len, none ? NULL : (const char *const *)departments,
			     stderr, &counts, &wf) != 0)
		goto out;
	if (counts.errors > 0 || wf == NULL) {
		fprintf(stderr,
			"overgang workflow deploy: %s fails check (%d error%s); nothing was "
			"deployed\n",
			path, counts.errors, counts.errors == 1 ? "" : "s");
		goto out;
	}
	const struct lwf_def *def = lwf_def(wf);
	json_t *dj = NULL;
	char checksum[CORE_CHECKSUM_LEN + 1], version[16];
	if (core_deploy_record(def, source, len, &dj, checksum) == 0)
		definition = json_dumps(dj, JSON_COMPACT);
	json_decref(dj);
	if (definition == NULL) {
		fprintf(stderr, "overgang: out of memory\n");
		goto out;
	}
	snprintf(version, sizeof version, "%d", def->version);

	const char *params[] = {def->name, version, def->title, source, checksum, definition, by};
	res = cli_query(conn, "workflow deploy",
			"INSERT INTO workflow (name, version, title, source, checksum, definition,"
			"                      deployed_by)"
			"VALUES ($1, $2, $3, $4, $5, $6, $7)"
			"    ON CONFLICT (name, version) DO NOTHING RETURNING 1",
			7, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		printf("deployed %s version %d (%s)\n", def->name, def->version, def->title);
		rc = 0;
		goto out;
	}
	PQclear(res);
	res = cli_query(conn, "workflow deploy",
			"SELECT checksum FROM workflow WHERE name = $1 AND version = $2", 2,
			params);
	if (res == NULL || PQntuples(res) != 1)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 0), checksum) == 0) {
		printf("%s version %d is already deployed with this source\n", def->name,
		       def->version);
		rc = 0;
	} else {
		fprintf(stderr,
			"%s:%d: %s version %d is already deployed with other source; a deployed "
			"version never changes: raise version to deploy this\n",
			path, def->line, def->name, def->version);
	}
out:
	PQclear(res);
	if (conn)
		PQfinish(conn);
	free(definition);
	cli_strings_free(departments);
	lwf_free(wf);
	free(source);
	return rc;
}

static int list(const struct cfg *cfg)
{
	PGconn *conn = cli_connect(cfg);
	if (conn == NULL)
		return 1;
	PGresult *res = cli_query(
		conn, "workflow list",
		"SELECT w.name, w.version, w.title, to_char(w.deployed_at, 'YYYY-MM-DD HH24:MI'),"
		"       w.deployed_by,"
		"       (SELECT count(*) FROM cases c WHERE c.workflow_name = w.name"
		"           AND c.workflow_version = w.version AND c.status <> 'closed')"
		"  FROM workflow w ORDER BY w.name, w.version",
		0, NULL);
	if (res == NULL) {
		PQfinish(conn);
		return 1;
	}
	printf("%-24s %7s %12s  %-16s  %-12s %s\n", "NAME", "VERSION", "OPEN CASES", "DEPLOYED",
	       "BY", "TITLE");
	for (int i = 0; i < PQntuples(res); i++)
		printf("%-24s %7s %12s  %-16s  %-12s %s\n", PQgetvalue(res, i, 0),
		       PQgetvalue(res, i, 1), PQgetvalue(res, i, 5), PQgetvalue(res, i, 3),
		       PQgetvalue(res, i, 4), PQgetvalue(res, i, 2));
	PQclear(res);
	PQfinish(conn);
	return 0;
}

static int exec_workflow(const struct cfg *cfg, int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "deploy") == 0) {
		const char *by = cli_operator();
		const char *path = NULL;
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
				by = argv[++i];
			else if (path == NULL && argv[i][0] != '-')
				path = argv[i];
			else {
				fprintf(stderr, "overgang workflow deploy: unexpected '%s'\n",
					argv[i]);
				return 2;
			}
		}
		if (path == NULL) {
			fprintf(stderr, "usage: overgang workflow deploy FILE [--by NAME]\n");
			return 2;
		}
		return deploy(cfg, path, by ? by : "unknown");
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return list(cfg);
	if (argc >= 2 && strcmp(argv[1], "diff") == 0)
		return cli_workflow_diff(cfg, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "migrate") == 0)
		return cli_workflow_migrate(cfg, argc - 1, argv + 1);
	fprintf(stderr,
		"usage: overgang workflow deploy FILE [--by NAME]\n"
		"       overgang workflow list\n"
		"       %s\n       %s\n",
		cli_workflow_diff_usage, cli_workflow_migrate_usage);
	return 2;
}

const struct cli_cmd cmd_workflow = {
	"workflow", "deploy|list|diff|migrate",
	"deploy (if check passes), list and compare versions; migrate cases", exec_workflow};
