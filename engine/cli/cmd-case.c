/* overgang case start|show|retry: starting a case by hand, reading one, retrying a stuck one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

/* Reading a case is logged in the access log in the same statement: no read without a trace. */
static const char show_sql[] =
	"WITH logged AS ("
	"  INSERT INTO access_log (actor, actor_kind, action, citizen_id, case_id, reason, via)"
	"  SELECT $2, 'operator', 'case.read', citizen_id, id, $3, 'overgang case show'"
	"    FROM cases WHERE id = $1::bigint RETURNING 1)"
	"SELECT jsonb_build_object("
	"  'id', c.id, 'citizen', c.citizen_id, 'workflow', c.workflow_name,"
	"  'version', c.workflow_version, 'phase', c.phase, 'status', c.status,"
	"  'tovholder', c.tovholder, 'tovholder_department', c.tovholder_department,"
	"  'state', c.state, 'outcome', c.outcome, 'stuck_reason', c.stuck_reason,"
	"  'revision', c.revision, 'started_at', c.started_at, 'closed_at', c.closed_at,"
	"  'citizen_text', (SELECT p->>'text' FROM jsonb_array_elements(w.definition->'phases') p"
	"                    WHERE p->>'name' = c.phase),"
	"  'tasks', coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'kind', t.kind,"
	"        'key', t.key, 'department', t.department_id, 'assignee', t.assignee,"
	"        'title', t.title, 'status', t.status, 'due', t.due_at, 'reason', t.reason,"
	"        'outcome', t.outcome, 'handover', t.handover) ORDER BY t.id)"
	"     FROM task t WHERE t.case_id = c.id), '[]'),"
	"  'events', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'type', e.type,"
	"        'status', e.status, 'source', e.source, 'due', e.due_at, 'done', e.done_at,"
	"        'attempts', e.attempts, 'error', e.last_error, 'payload', e.payload,"
	"        'timer_key', e.timer_key, 'commands', e.commands) ORDER BY e.due_at, e.id)"
	"     FROM event e WHERE e.case_id = c.id), '[]'),"
	"  'tovholder_history', coalesce((SELECT jsonb_agg(jsonb_build_object('from', h.from_staff,"
	"        'to', h.to_staff, 'department', h.department_id, 'reason', h.reason,"
	"        'by', h.by_whom, 'at', h.at) ORDER BY h.id)"
	"     FROM tovholder_history h WHERE h.case_id = c.id), '[]'),"
	"  'goals', coalesce((SELECT jsonb_agg(jsonb_build_object('key', g.key, 'text', g.text,"
	"        'theme', g.theme) ORDER BY g.id) FROM goal g WHERE g.case_id = c.id), '[]'),"
	"  'measures', coalesce((SELECT jsonb_agg(jsonb_build_object('instrument', m.instrument,"
	"        'kind', m.kind, 'value', coalesce(to_jsonb(m.value_num), to_jsonb(m.value_text)),"
	"        'at', m.measured_at, 'goal', m.goal_key) ORDER BY m.id)"
	"     FROM measure m WHERE m.case_id = c.id), '[]'),"
	"  'outbox', coalesce((SELECT jsonb_agg(jsonb_build_object('plugin', o.plugin,"
	"        'action', o.action, 'status', o.status, 'idem_key', o.idem_key) ORDER BY o.id)"
	"     FROM outbox o WHERE o.case_id = c.id), '[]'))::text"
	"  FROM cases c JOIN workflow w ON w.name = c.workflow_name AND w.version = "
	"c.workflow_version"
	" WHERE c.id = $1::bigint AND (SELECT count(*) FROM logged) = 1";

static const char *s(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "-";
}

static void print_case(const json_t *c)
{
	printf("case %lld: %s v%lld, citizen %lld\n",
	       (long long)json_integer_value(json_object_get(c, "id")), s(c, "workflow"),
	       (long long)json_integer_value(json_object_get(c, "version")),
	       (long long)json_integer_value(json_object_get(c, "citizen")));
	printf("  status     %s%s%s\n", s(c, "status"),
	       json_is_string(json_object_get(c, "stuck_reason")) ? ": " : "",
	       json_is_string(json_object_get(c, "stuck_reason")) ? s(c, "stuck_reason") : "");
	printf("  phase      %s\n", s(c, "phase"));
	printf("  tovholder  %s (%s)\n", s(c, "tovholder"), s(c, "tovholder_department"));
	printf("  citizen    %s\n", s(c, "citizen_text"));
	size_t i;
	json_t *x;
	printf("tasks:\n");
	json_array_foreach (json_object_get(c, "tasks"), i, x) {
		printf("  %-6lld %-8s %-10s %-16s due %-10.10s %s\n",
		       (long long)json_integer_value(json_object_get(x, "id")), s(x, "kind"),
		       s(x, "status"), s(x, "department"), s(x, "due"), s(x, "title"));
	}
	printf("events:\n");
	json_array_foreach (json_object_get(c, "events"), i, x) {
		printf("  %-6lld %-24s %-9s due %-19.19s attempts %lld%s%s\n",
		       (long long)json_integer_value(json_object_get(x, "id")), s(x, "type"),
		       s(x, "status"), s(x, "due"),
		       (long long)json_integer_value(json_object_get(x, "attempts")),
		       json_is_string(json_object_get(x, "error")) ? "\n         error: " : "",
		       json_is_string(json_object_get(x, "error")) ? s(x, "error") : "");
	}
	printf("tovholder history:\n");
	json_array_foreach (json_object_get(c, "tovholder_history"), i, x) {
		printf("  %-19.19s %s -> %s (%s): %s [%s]\n", s(x, "at"), s(x, "from"), s(x, "to"),
		       s(x, "department"), s(x, "reason"), s(x, "by"));
	}
}

static int show(PGconn *conn, const char *id, bool as_json, const char *reason)
{
	const char *params[] = {id, cli_operator(), reason};
	PGresult *res = cli_query(conn, "case show", show_sql, 3, params);
	if (res == NULL)
		return 1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "overgang case show: there is no case %s\n", id);
		PQclear(res);
		return 1;
	}
	if (as_json) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		json_t *c = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		if (c)
			print_case(c);
		json_decref(c);
	}
	PQclear(res);
	return 0;
}

static int start(PGconn *conn, const char *workflow, const char *citizen, const char *version)
{
	const char *params[] = {workflow, citizen, version};
	PGresult *res = cli_query(conn, "case start", "SELECT 1 FROM citizen WHERE id = $1::bigint",
				  1, params + 1);
	if (res == NULL)
		return 1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "overgang case start: there is no citizen %s\n", citizen);
		PQclear(res);
		return 1;
	}
	PQclear(res);
	res = cli_query(
		conn, "case start",
		"WITH wf AS (SELECT name, version, definition FROM workflow"
		"             WHERE name = $1 AND ($3::int IS NULL OR version = $3::int)"
		"             ORDER BY version DESC LIMIT 1),"
		" c AS (INSERT INTO cases (citizen_id, workflow_name, workflow_version, phase)"
		"       SELECT $2::bigint, name, version, definition->'phases'->0->>'name' FROM wf"
		"       RETURNING id, workflow_version),"
		" e AS (INSERT INTO event (case_id, type, source, idem_key)"
		"       SELECT id, 'started', 'cli', 'started' FROM c)"
		"SELECT id, workflow_version FROM c",
		3, params);
	if (res == NULL)
		return 1;
	int rc = 0;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "overgang case start: workflow %s%s%s is not deployed\n", workflow,
			version ? " version " : "", version ? version : "");
		rc = 1;
	} else {
		printf("started case %s on %s version %s\n", PQgetvalue(res, 0, 0), workflow,
		       PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return rc;
}

static int retry(PGconn *conn, const char *id)
{
	const char *params[] = {id};
	/* the same function as the API's POST /v1/admin/stuck-cases/{id}/retry */
	PGresult *res =
		cli_query(conn, "case retry", "SELECT retry_stuck_case($1::bigint)", 1, params);
	if (res == NULL)
		return 1;
	int rc = 0;
	if (PQgetisnull(res, 0, 0)) {
		fprintf(stderr, "overgang case retry: case %s is not stuck\n", id);
		rc = 1;
	} else {
		printf("case %s is active again; %s pending event%s will be retried now\n", id,
		       PQgetvalue(res, 0, 0), atoi(PQgetvalue(res, 0, 0)) == 1 ? "" : "s");
	}
	PQclear(res);
	return rc;
}

static int list(PGconn *conn, const char *status, const char *workflow)
{
	const char *params[] = {status, workflow};
	PGresult *res = cli_query(
		conn, "case list",
		"SELECT id, workflow_name, workflow_version, phase, status, coalesce(tovholder, "
		"'-'),"
		"       coalesce(split_part(stuck_reason, E'\\n', 1), '')"
		"  FROM cases WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR"
		"        workflow_name = $2)"
		" ORDER BY id LIMIT 1000",
		2, params);
	if (res == NULL)
		return 1;
	printf("%-8s %-24s %-3s %-16s %-7s %-12s %s\n", "CASE", "WORKFLOW", "V", "PHASE", "STATUS",
	       "TOVHOLDER", "WHY STUCK");
	for (int i = 0; i < PQntuples(res); i++)
		printf("%-8s %-24s %-3s %-16s %-7s %-12s %s\n", PQgetvalue(res, i, 0),
		       PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		       PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6));
	PQclear(res);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: overgang case start --workflow NAME --citizen ID [--version N]\n"
		"       overgang case list [--status active|stuck|closed] [--workflow NAME]\n"
		"       overgang case show ID [--json] [--why REASON]\n"
		"       overgang case retry ID\n");
	return 2;
}

static bool is_number(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int exec_case(const struct cfg *cfg, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *workflow = NULL, *citizen = NULL, *version = NULL, *id = NULL, *status = NULL;
	const char *why = "administration: overgang case show";
	bool as_json = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--workflow") == 0 && i + 1 < argc)
			workflow = argv[++i];
		else if (strcmp(argv[i], "--citizen") == 0 && i + 1 < argc)
			citizen = argv[++i];
		else if (strcmp(argv[i], "--version") == 0 && i + 1 < argc)
			version = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			as_json = true;
		else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc)
			status = argv[++i];
		else if (strcmp(argv[i], "--why") == 0 && i + 1 < argc && argv[i + 1][0])
			why = argv[++i];
		else if (id == NULL && is_number(argv[i]))
			id = argv[i];
		else
			return usage();
	}
	const char *sub = argv[1];
	bool ok;
	if (strcmp(sub, "start") == 0)
		ok = workflow && is_number(citizen) && (!version || is_number(version)) && !id;
	else if (strcmp(sub, "list") == 0)
		ok = !id && !citizen && !version;
	else
		ok = (strcmp(sub, "show") == 0 || strcmp(sub, "retry") == 0) && id;
	if (!ok)
		return usage();
	PGconn *conn = cli_connect(cfg);
	if (conn == NULL)
		return 1;
	int rc;
	if (strcmp(sub, "start") == 0)
		rc = start(conn, workflow, citizen, version);
	else if (strcmp(sub, "list") == 0)
		rc = list(conn, status, workflow);
	else if (strcmp(sub, "show") == 0)
		rc = show(conn, id, as_json, why);
	else
		rc = retry(conn, id);
	PQfinish(conn);
	return rc;
}

const struct cli_cmd cmd_case = {"case", "start|list|show|retry ...",
				 "start a case, list cases (stuck ones), show one, retry",
				 exec_case};
