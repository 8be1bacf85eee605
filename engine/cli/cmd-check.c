/* overgang check [--departments A,B,... | --db] FILE...: checks workflow files before they are
 * deployed. Each finding is "FILE:LINE:COL: what is wrong" (warnings "FILE:LINE:COL: warning:
 * what"); a file with no errors ends with "FILE: ok" (and its number of warnings). Exit status
 * 1 when any file has an error, 2 on a usage error, else 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/tools.h"
#include "core/check.h"
#include "lua/workflow.h"

static int usage(void)
{
	fprintf(stderr, "usage: overgang check [--departments A,B,... | --db] FILE...\n"
			"  --departments  the departments that exist (else departments are not "
			"checked)\n"
			"  --db           read the departments and the instrument registry from "
			"the configured database\n");
	return 2;
}

/* The instrument registry's names (with --db), NULL-terminated; NULL when it cannot be read. */
static char **read_instruments(PGconn *conn)
{
	PGresult *res = cli_query(conn, "reading the instrument registry",
				  "SELECT name FROM instrument ORDER BY name", 0, NULL);
	if (res == NULL)
		return NULL;
	char **list = calloc((size_t)PQntuples(res) + 1, sizeof *list);
	for (int i = 0; list && i < PQntuples(res); i++) {
		list[i] = strdup(PQgetvalue(res, i, 0));
		if (list[i] == NULL) {
			cli_strings_free(list);
			list = NULL;
		}
	}
	if (list == NULL)
		fprintf(stderr, "overgang: out of memory\n");
	PQclear(res);
	return list;
}

/* Warnings for the instruments the file records that the registry lacks: "FILE:LINE:COL:
 * warning: ...", counted in COUNTS. -1 when out of memory. */
static int check_instruments(const char *path, const char *source, size_t len,
			     const char *const *instruments, struct cli_check_counts *counts)
{
	struct core_check check = {0};
	int rc = core_check_instruments(source, len, instruments, &check);
	core_check_sort(&check);
	for (size_t i = 0; rc == 0 && i < check.n; i++)
		printf("%s:%d:%d: warning: %s\n", path, check.findings[i].line,
		       check.findings[i].col, check.findings[i].text);
	counts->warnings += check.warnings;
	core_check_clear(&check);
	return rc;
}

/* Errors for outcome fields (tasks = { KEY = { outcome = { { instrument = ... } } } }) whose
 * instrument the registry lacks: deploying such a workflow is refused. Counted in COUNTS. */
static void check_outcome_instruments(const struct cfg *cfg, const char *path, const char *source,
				      size_t len, const char *const *instruments,
				      struct cli_check_counts *counts)
{
	char err[512];
	struct lwf_budget budget = {.memory_bytes = (size_t)cfg->engine_lua_memory_mib << 20,
				    .instructions = (int64_t)cfg->engine_lua_instructions * 1000};
	struct lwf_workflow *wf = lwf_load(path, source, len, &budget, err, sizeof err);
	if (wf == NULL)
		return;
	const struct lwf_def *def = lwf_def(wf);
	const char *key;
	json_t *task;
	json_object_foreach (def->tasks, key, task) {
		size_t i;
		json_t *field;
		json_array_foreach (json_object_get(task, "outcome"), i, field) {
			const char *name = json_string_value(json_object_get(field, "instrument"));
			bool known = name == NULL;
			for (size_t k = 0; !known && instruments[k]; k++)
				known = strcmp(instruments[k], name) == 0;
			if (known)
				continue;
			printf("%s:%d:1: task '%s', field '%s': unknown instrument '%s': the "
			       "instrument registry has no such instrument, so deploying is "
			       "refused\n",
			       path, def->line, key,
			       json_string_value(json_object_get(field, "name")), name);
			counts->errors++;
		}
	}
	lwf_free(wf);
}

static int exec_check(const struct cfg *cfg, int argc, char **argv)
{
	const char *list = NULL;
	bool from_db = false, only_files = false;
	int nfiles = 0;
	char **files = calloc((size_t)argc, sizeof *files);
	if (files == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (only_files || argv[i][0] != '-' || argv[i][1] == '\0') {
			files[nfiles++] = argv[i];
		} else if (strcmp(argv[i], "--departments") == 0 && i + 1 < argc && !list) {
			list = argv[++i];
		} else if (strcmp(argv[i], "--db") == 0) {
			from_db = true;
		} else if (strcmp(argv[i], "--") == 0) {
			only_files = true;
		} else {
			fprintf(stderr, "overgang check: unknown option '%s'\n", argv[i]);
			nfiles = 0;
			break;
		}
	}
	if (nfiles == 0 || (list && from_db)) {
		free(files);
		return usage();
	}

	int rc = 0;
	char **departments = NULL, **instruments = NULL;
	if (list) {
		departments = cli_split_list(list);
	} else if (from_db) {
		PGconn *conn = cli_connect(cfg);
		bool none = false;
		departments = conn ? cli_departments(conn, &none) : NULL;
		instruments = departments ? read_instruments(conn) : NULL;
		if (conn)
			PQfinish(conn);
		if (instruments == NULL) {
			cli_strings_free(departments);
			departments = NULL;
		}
		if (departments && none) {
			cli_strings_free(departments);
			departments = NULL;
			from_db = false; /* nothing to check against */
		}
	}
	if ((list || from_db) && departments == NULL) {
		free(files);
		return 1;
	}
	for (int i = 0; i < nfiles; i++) {
		size_t len;
		char *source = cli_read_file(files[i], &len);
		if (source == NULL) {
			rc = 1;
			continue;
		}
		struct cli_check_counts counts;
		int checked =
			cli_check_source(cfg, files[i], source, len,
					 (const char *const *)departments, stdout, &counts, NULL);
		if (checked == 0 && instruments &&
		    check_instruments(files[i], source, len, (const char *const *)instruments,
				      &counts) != 0)
			checked = -1;
		if (checked == 0 && instruments)
			check_outcome_instruments(cfg, files[i], source, len,
						  (const char *const *)instruments, &counts);
		free(source);
		if (checked != 0) {
			rc = 1;
			break;
		}
		if (counts.errors > 0)
			rc = 1;
		else if (counts.warnings > 0)
			printf("%s: ok, %d warning%s\n", files[i], counts.warnings,
			       counts.warnings == 1 ? "" : "s");
		else
			printf("%s: ok\n", files[i]);
	}
	cli_strings_free(departments);
	cli_strings_free(instruments);
	free(files);
	return rc;
}

const struct cli_cmd cmd_check = {
	"check", "[OPTIONS] FILE...",
	"check workflow files: FILE:LINE:COL: what is wrong (luacheck too)", exec_check};
