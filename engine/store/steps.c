#include "store/steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/instruments.h"
#include "util/log.h"

const char store_claim_sql[] =
	/* The workers claiming now: every worker of every daemon on this database that is
	 * running a statement or has done so within two seconds (an idle one has nothing in its
	 * share; a daemon that stopped, hangs or lost its host drops out within two seconds), and
	 * this worker's place among them. */
	"WITH workers AS ("
	"  SELECT count(*) AS n, count(*) FILTER (WHERE a.pid < pg_backend_pid()) AS k"
	"    FROM pg_stat_activity a"
	"   WHERE a.datname = current_database() AND a.application_name = '" STORE_WORKER_APP "'"
	"     AND (a.pid = pg_backend_pid() OR a.state = 'active'"
	"          OR a.state_change > now() - interval '2 seconds'))"
	"SELECT e.id, e.case_id, e.type, e.payload::text,"
	"       floor(extract(epoch FROM e.due_at))::bigint, e.attempts,"
	"       c.workflow_name, c.workflow_version, c.phase, c.state::text, c.status,"
	"       c.tovholder, c.tovholder_department, c.revision, c.citizen_id,"
	"       ci.birth_date::text, ci.attributes::text,"
	"       floor(extract(epoch FROM now()))::bigint,"
	"       (SELECT version FROM directory_version),"
	"       extract(epoch FROM e.created_at),"
	"       (e.due_at - interval '1 second')::text"
	"  FROM event e"
	"  JOIN cases c ON c.id = e.case_id AND c.status = 'active'"
	"  JOIN citizen ci ON ci.id = c.citizen_id"
	" WHERE e.status = 'pending' AND e.due_at <= now() AND e.due_at >= $2"
	"   AND (e.retry_at IS NULL OR e.retry_at <= now())"
	/* the case's first pending event: E is due, so the first is too. Found through the
	 * per-case index whatever the statistics say; see event_due in migration 0002. */
	"   AND e.id = (SELECT p.id FROM event p"
	"                WHERE p.case_id = e.case_id AND p.status = 'pending'"
	"                ORDER BY p.case_id, p.due_at, p.id LIMIT 1)"
	/* this worker's share of the cases: a row of another share is passed over in the index
	 * scan, before the first-event test, the joins and the row lock */
	"   AND ($3 OR e.case_id % (SELECT n FROM workers) = (SELECT k FROM workers))"
	" ORDER BY e.due_at, e.id"
	" LIMIT $1"
	" FOR NO KEY UPDATE OF e, c SKIP LOCKED";

const char store_claim_plan_sql[] =
	"SELECT set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true),"
	"       set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', "
	"true),"
	"       set_config('enable_material', 'off', true)";

const char store_claim_plan_reset_sql[] =
	"SELECT set_config('enable_seqscan', 'on', true), set_config('enable_sort', 'on', true),"
	"       set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', "
	"true),"
	"       set_config('enable_material', 'on', true)";

const char store_directory_sql[] =
	"SELECT 'd', id, NULL, NULL FROM department"
	" UNION ALL "
	"SELECT 's', s.id, s.status,"
	"       (SELECT count(*) FROM cases c WHERE c.tovholder = s.id AND c.status <> "
	"'closed')::text"
	"  FROM staff s"
	" UNION ALL "
	"SELECT 'm', staff_id, department_id, is_lead::text FROM staff_department"
	" UNION ALL "
	"SELECT 'i', name, NULL,"
	"       jsonb_build_object('name', name, 'kind', kind, 'values', \"values\","
	"                          'better', better)::text"
	"  FROM instrument";

const char store_workflow_sources_sql[] =
	"SELECT w.name, w.version, w.source FROM workflow w"
	"  JOIN jsonb_to_recordset($1::jsonb) AS x(name text, version int)"
	"    ON w.name = x.name AND w.version = x.version";

/* The key is also in migration 0020's notify_event(). */
#define WAKE_KEY "8031170740339419507"
const char store_wake_lock_sql[] = "SELECT pg_advisory_lock(" WAKE_KEY ")";
const char store_wake_unlock_sql[] = "SELECT pg_advisory_unlock(" WAKE_KEY ")";

const char store_next_due_sql[] =
	"SELECT extract(epoch FROM least("
	"  (SELECT min(due_at) FROM event"
	"    WHERE status = 'pending' AND due_at > clock_timestamp() - interval '1 second'),"
	"  (SELECT min(retry_at) FROM event"
	"    WHERE status = 'pending' AND retry_at > clock_timestamp() - interval '1 second'))"
	"  - clock_timestamp())";

const char store_overdue_sql[] =
	"WITH overdue AS ("
	"  UPDATE task SET overdue_notified = true"
	"   WHERE status IN ('open', 'claimed') AND due_at < now() AND NOT overdue_notified"
	"     AND case_id IN (SELECT id FROM cases WHERE status <> 'closed')"
	"  RETURNING id, case_id, key, kind, department_id, extract(epoch FROM due_at)::bigint AS "
	"due)"
	" INSERT INTO event (case_id, type, payload, source, idem_key)"
	" SELECT case_id, 'task_overdue',"
	"        jsonb_build_object('task', id, 'key', key, 'kind', kind, 'department', "
	"department_id,"
	"                           'due', due),"
	"        'engine', 'overdue:' || id"
	"   FROM overdue"
	" ON CONFLICT DO NOTHING";

const char store_sweep_sql[] =
	"WITH wf AS ("
	"  SELECT DISTINCT ON (name) name, version, definition FROM workflow"
	"   ORDER BY name, version DESC),"
	" started AS ("
	"  INSERT INTO cases (citizen_id, workflow_name, workflow_version, phase, start_key)"
	"  SELECT ci.id, wf.name, wf.version, wf.definition->'phases'->0->>'name',"
	"         'sweep:' || wf.name || ':' || ci.id"
	"    FROM wf JOIN citizen ci"
	"      ON ci.birth_date <= current_date - make_interval(years => "
	"(wf.definition->'start'->>'age')::int)"
	"     AND (wf.definition->'start'->'before' IS NULL OR ci.birth_date >"
	"          current_date - make_interval(years => (wf.definition->'start'->>'before')::int))"
	"     AND (wf.definition->'start'->'attribute' IS NULL OR"
	"          coalesce(ci.attributes->(wf.definition->'start'->>'attribute'), 'false')"
	"            NOT IN ('false'::jsonb, 'null'::jsonb))"
	"   WHERE wf.definition->'start'->>'kind' = 'age'"
	"     AND NOT EXISTS (SELECT 1 FROM cases x"
	"                      WHERE x.start_key = 'sweep:' || wf.name || ':' || ci.id)"
	"   LIMIT " OG_STR(
		STORE_SWEEP_BATCH) "  ON CONFLICT (start_key) DO NOTHING"
				   "  RETURNING id)"
				   " INSERT INTO event (case_id, type, source, idem_key)"
				   " SELECT id, 'started', 'sweep', 'started' FROM started"
				   " RETURNING case_id";

/* One row of the registry. The table's check keeps every row well-formed; a row that is not
 * (a newer schema's kind, say) is left out with a word in the log: its measures then fail
 * their steps as unknown, rather than every step failing. -1 only when out of memory. */
static int add_instrument(struct core_instruments *reg, const char *text)
{
	json_error_t jerr;
	json_t *one = json_loads(text, 0, &jerr);
	if (one == NULL)
		return -1;
	char err[256];
	int rc = core_instruments_add(reg, one, err, sizeof err);
	json_decref(one);
	if (rc != 0 && strcmp(err, "out of memory") == 0)
		return -1;
	if (rc != 0)
		og_warn(NULL, "the instrument registry: %s; left out", err);
	return 0;
}

struct core_directory *store_directory_from(const PGresult *res)
{
	struct core_directory *dir = core_dir_new();
	struct core_instruments *reg = core_instruments_new();
	if (dir == NULL || reg == NULL) {
		core_dir_free(dir);
		core_instruments_free(reg);
		return NULL;
	}
	core_dir_set_instruments(dir, reg); /* measures are checked, against what the table has */
	for (int i = 0; i < PQntuples(res); i++) {
		const char *kind = PQgetvalue(res, i, 0);
		const char *a = PQgetvalue(res, i, 1), *b = PQgetvalue(res, i, 2),
			   *c = PQgetvalue(res, i, 3);
		int rc = 0;
		if (kind[0] == 'i')
			rc = add_instrument(reg, c);
		else if (kind[0] == 'd')
			rc = core_dir_add_department(dir, a);
		else if (kind[0] == 's')
			rc = core_dir_add_staff(dir, a, b, atoi(c));
		else
			rc = core_dir_add_member(dir, a, b, c[0] == 't');
		if (rc != 0) {
			core_dir_free(dir);
			return NULL;
		}
	}
	core_dir_seal(dir);
	return dir;
}

/* The statements that write a batch, in order, each with the batch document it reads. */
enum doc {
	DOC_CANCEL_TIMERS,
	DOC_CANCEL_TASKS,
	DOC_CASES,
	DOC_TASKS,
	DOC_TIMERS,
	DOC_HISTORY,
	DOC_GOALS,
	DOC_MEASURES,
	DOC_OUTBOX,
	DOC_REFS,
	DOC_DONE,
	DOC_CLOSED,
	DOC_FAILED,
	NDOCS
};

static const struct {
	const char *what;
	const char *sql;
	bool count_must_match; /* every row of the document must change exactly one row */
} statements[NDOCS] = {
	[DOC_CANCEL_TIMERS] =
		{"cancelling timers",
		 "UPDATE event e SET status = 'cancelled', done_at = clock_timestamp()"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, key text,"
		 "                                           event_id bigint)"
		 " WHERE e.case_id = x.case_id AND e.timer_key = x.key AND e.id <> x.event_id"
		 "   AND e.status = 'pending'",
		 false},
	[DOC_CANCEL_TASKS] = {"cancelling tasks",
			      "UPDATE task t SET status = 'cancelled', revision = t.revision + 1,"
			      "       reason = coalesce(x.reason, 'cancelled by the workflow')"
			      "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, key text,"
			      "                                          reason text)"
			      " WHERE t.case_id = x.case_id AND t.key = x.key"
			      "   AND t.status IN ('open', 'claimed')",
			      false},
	[DOC_CASES] =
		{"updating cases",
		 "UPDATE cases c SET phase = x.phase, state = x.state, status = x.status,"
		 "       tovholder = x.tovholder, tovholder_department = x.tovholder_department,"
		 "       outcome = x.outcome, revision = c.revision + 1, updated_at = now(),"
		 "       closed_at = CASE WHEN x.status = 'closed' THEN now() END"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, phase text, state jsonb,"
		 "       status text, tovholder text, tovholder_department text, outcome text,"
		 "       revision bigint)"
		 " WHERE c.id = x.id AND c.revision = x.revision",
		 true},
	[DOC_TASKS] =
		{"creating tasks",
		 "INSERT INTO task (case_id, kind, key, department_id, from_department, assignee,"
		 "                  title, body, handover, due_at, event_id, line)"
		 "SELECT case_id, kind, key, department, from_department, assignee, title, body,"
		 "       handover, to_timestamp(due), event_id, line"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, kind text, key text,"
		 "       department text, from_department text, assignee text, title text,"
		 "       body text, handover jsonb, due bigint, event_id bigint, line int)",
		 true},
	[DOC_TIMERS] =
		{"setting timers",
		 "INSERT INTO event (case_id, type, payload, source, idem_key, timer_key, due_at)"
		 "SELECT case_id, event, payload, 'timer', 'timer:' || event_id || ':' || ord,"
		 "       key, to_timestamp(at)"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, event text,"
		 "       payload jsonb, key text, at bigint, event_id bigint, ord int)",
		 true},
	[DOC_HISTORY] =
		{"recording tovholder changes",
		 "INSERT INTO tovholder_history (case_id, from_staff, to_staff, department_id,"
		 "                               reason, by_whom, event_id)"
		 "SELECT case_id, \"from\", \"to\", department, reason, by_whom, event_id"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, \"from\" text,"
		 "       \"to\" text, department text, reason text, by_whom text,"
		 "       event_id bigint)",
		 true},
	[DOC_GOALS] =
		{"recording goals",
		 "INSERT INTO goal (case_id, key, text, theme, maaltype, forventet_niveau, "
		 "ffb_tema,"
		 "                  event_id)"
		 "SELECT case_id, key, text, theme, maaltype, forventet_niveau, ffb_tema, event_id"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, key text, text text,"
		 "       theme text, maaltype text, forventet_niveau text, ffb_tema text,"
		 "       event_id bigint)"
		 "    ON CONFLICT (case_id, key) DO UPDATE"
		 "   SET text = EXCLUDED.text, theme = EXCLUDED.theme, maaltype = "
		 "EXCLUDED.maaltype,"
		 "       forventet_niveau = EXCLUDED.forventet_niveau, ffb_tema = "
		 "EXCLUDED.ffb_tema,"
		 "       updated_at = now()",
		 true},
	[DOC_MEASURES] = {"recording measures",
			  "INSERT INTO measure (case_id, goal_key, instrument, kind, value_num,"
			  "                     value_text, measured_at, event_id)"
			  "SELECT case_id, goal, instrument, kind, value_num, value_text,"
			  "       to_timestamp(at), event_id"
			  "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, goal text,"
			  "       instrument text, kind text, value_num float8, value_text text,"
			  "       at bigint, event_id bigint)",
			  true},
	[DOC_OUTBOX] =
		{"writing the outbox",
		 "INSERT INTO outbox (case_id, event_id, plugin, action, payload, idem_key,"
		 "                    notify)"
		 "SELECT case_id, event_id, plugin, action, payload, idem_key,"
		 "       coalesce(notify, false)"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(case_id bigint, event_id bigint,"
		 "       plugin text, action text, payload jsonb, idem_key text, notify boolean)"
		 "    ON CONFLICT (idem_key) DO NOTHING",
		 false},
	/* a reference names one case: the first to claim it keeps it */
	[DOC_REFS] =
		{"recording references",
		 "INSERT INTO case_ref (system, ref, case_id)"
		 "SELECT system, ref, case_id"
		 "  FROM jsonb_to_recordset($1::jsonb) AS x(system text, ref text, case_id bigint)"
		 "    ON CONFLICT (system, ref) DO NOTHING",
		 false},
	[DOC_DONE] = {"marking events done",
		      "UPDATE event e SET status = 'done', done_at = clock_timestamp(),"
		      "       commands = x.commands, attempts = e.attempts + 1, last_error = NULL,"
		      "       retry_at = NULL"
		      "  FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, commands jsonb)"
		      " WHERE e.id = x.id AND (e.status || '') = 'pending'",
		      true},
	[DOC_CLOSED] = {"closing cases",
			"WITH ev AS ("
			"  UPDATE event e SET status = 'cancelled', done_at = clock_timestamp()"
			"   WHERE e.case_id IN (SELECT value::bigint FROM "
			"jsonb_array_elements_text($1::jsonb))"
			"     AND e.status = 'pending' RETURNING 1)"
			" UPDATE task t SET status = 'cancelled', reason = 'the case was closed',"
			"        revision = t.revision + 1"
			"  WHERE t.case_id IN (SELECT value::bigint FROM "
			"jsonb_array_elements_text($1::jsonb))"
			"    AND t.status IN ('open', 'claimed')",
			false},
	[DOC_FAILED] =
		{"recording failed steps",
		 "WITH f AS ("
		 "  UPDATE event e SET attempts = e.attempts + 1, last_error = x.error,"
		 "         retry_at = now() + make_interval(secs => x.delay_ms / 1000.0)"
		 "    FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, case_id bigint,"
		 "         error text, delay_ms bigint, stuck boolean)"
		 "   WHERE e.id = x.id AND (e.status || '') = 'pending'"
		 "  RETURNING x.case_id, x.stuck, x.error)"
		 " UPDATE cases c SET status = 'stuck', stuck_reason = f.error, updated_at = now()"
		 "   FROM f WHERE f.stuck AND c.id = f.case_id",
		 false},
};

struct store_batch {
	json_t *docs[NDOCS];
	int count;
	/* while writing */
	store_batch_fn fn;
	void *arg;
	int pending;     /* statements not yet answered */
	char error[512]; /* the first failure */
	bool transient;  /* a failure worth retrying as it is (deadlock, lost connection) */
};

struct store_batch *store_batch_new(void)
{
	struct store_batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	for (int i = 0; i < NDOCS; i++) {
		b->docs[i] = json_array();
		if (b->docs[i] == NULL) {
			store_batch_free(b);
			return NULL;
		}
	}
	return b;
}

void store_batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < NDOCS; i++)
		json_decref(b->docs[i]);
	free(b);
}

int store_batch_count(const struct store_batch *b) { return b->count; }

/* Appends copies of the objects of ITEMS to DOC, each with the case and event ids added. */
static int add_all(json_t *doc, const json_t *items, int64_t case_id, int64_t event_id)
{
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		json_t *row = json_copy((json_t *)item);
		if (row == NULL || json_object_set_new(row, "case_id", json_integer(case_id)) ||
		    json_object_set_new(row, "event_id", json_integer(event_id)) ||
		    json_object_set_new(row, "ord", json_integer((json_int_t)i)) ||
		    json_array_append_new(doc, row))
			return -1;
	}
	return 0;
}

int store_batch_done(struct store_batch *b, const struct core_case *c, const struct core_event *ev,
		     const struct core_effects *fx)
{
	size_t i;
	json_t *key;
	json_array_foreach (fx->cancel_timers, i, key) {
		if (json_array_append_new(b->docs[DOC_CANCEL_TIMERS],
					  json_pack("{s:I,s:O,s:I}", "case_id", (json_int_t)c->id,
						    "key", key, "event_id", (json_int_t)ev->id)))
			return -1;
	}
	char by[200];
	snprintf(by, sizeof by, "workflow %s v%d", c->workflow_name, c->workflow_version);
	json_t *history = json_deep_copy(fx->tovholder_changes);
	if (history == NULL)
		return -1; /* never a tovholder change without its history row */
	json_t *change;
	json_array_foreach (history, i, change)
		json_object_set_new(change, "by_whom", json_string(by));
	int rc = add_all(b->docs[DOC_CANCEL_TASKS], fx->cancel_tasks, c->id, ev->id) ||
		 add_all(b->docs[DOC_TASKS], fx->tasks, c->id, ev->id) ||
		 add_all(b->docs[DOC_TIMERS], fx->timers, c->id, ev->id) ||
		 add_all(b->docs[DOC_HISTORY], history, c->id, ev->id) ||
		 add_all(b->docs[DOC_GOALS], fx->goals, c->id, ev->id) ||
		 add_all(b->docs[DOC_MEASURES], fx->measures, c->id, ev->id) ||
		 add_all(b->docs[DOC_OUTBOX], fx->outbox, c->id, ev->id) ||
		 add_all(b->docs[DOC_REFS], fx->refs, c->id, ev->id);
	json_decref(history);
	if (rc != 0)
		return -1;
	json_t *row =
		json_pack("{s:I,s:s,s:O,s:s,s:s?,s:s?,s:s?,s:I}", "id", (json_int_t)c->id, "phase",
			  c->phase, "state", c->state, "status", c->status, "tovholder",
			  c->tovholder, "tovholder_department", c->tovholder_department, "outcome",
			  c->outcome, "revision", (json_int_t)c->revision);
	if (row == NULL || json_array_append_new(b->docs[DOC_CASES], row))
		return -1;
	row = json_pack("{s:I,s:O}", "id", (json_int_t)ev->id, "commands", fx->commands);
	if (row == NULL || json_array_append_new(b->docs[DOC_DONE], row))
		return -1;
	if (fx->closed && json_array_append_new(b->docs[DOC_CLOSED], json_integer(c->id)))
		return -1;
	b->count++;
	return 0;
}

int store_batch_failed(struct store_batch *b, int64_t case_id, int64_t event_id, const char *error,
		       int64_t delay_ms, bool stuck)
{
	json_t *row = json_pack("{s:I,s:I,s:s,s:I,s:b}", "id", (json_int_t)event_id, "case_id",
				(json_int_t)case_id, "error", error, "delay_ms",
				(json_int_t)delay_ms, "stuck", stuck);
	if (row == NULL || json_array_append_new(b->docs[DOC_FAILED], row))
		return -1;
	b->count++;
	return 0;
}

struct statement_ctx {
	struct store_batch *b;
	int doc;
	size_t expected;
};

static bool transient_state(const char *state)
{
	/* serialization failure, deadlock, lock not available: try again, not the step's fault */
	return state && (strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0);
}

/* Only the server's primary message goes into an error: its DETAIL may quote row values. */
static void set_error(struct store_batch *b, const char *what, const PGresult *res)
{
	if (b->error[0])
		return;
	if (res == NULL) {
		snprintf(b->error, sizeof b->error, "%s: the database connection was lost", what);
		b->transient = true;
		return;
	}
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	snprintf(b->error, sizeof b->error, "%s: %s (SQLSTATE %s)", what,
		 msg ? msg : "the database refused it", state ? state : "?");
	b->transient = transient_state(state);
}

static void done(struct store_batch *b)
{
	store_batch_fn fn = b->fn;
	void *arg = b->arg;
	bool transient = b->transient;
	char error[sizeof b->error];
	memcpy(error, b->error, sizeof error);
	store_batch_free(b);
	fn(error[0] ? -1 : 0, error[0] ? error : NULL, transient, arg);
}

static void on_commit(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct store_batch *b = arg;
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		set_error(b, "committing", res);
	else if (strcmp(PQcmdStatus((PGresult *)res), "COMMIT") != 0)
		snprintf(b->error, sizeof b->error, "committing: the transaction was rolled back");
	done(b);
}

/* Every statement has answered: commit only when each did what it had to. The checks are
 * made here, before COMMIT is sent, so a batch reported as failed was never committed. */
static void all_answered(struct store_conn *conn, struct store_batch *b)
{
	if (b->error[0] == '\0' && store_conn_query(conn, "COMMIT", 0, NULL, on_commit, b) == 0)
		return;
	if (b->error[0] == '\0') {
		snprintf(b->error, sizeof b->error, "committing: the database connection was lost");
		b->transient = true;
	}
	store_conn_exec(conn, "ROLLBACK");
	done(b);
}

static void on_statement(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct statement_ctx *s = arg;
	struct store_batch *b = s->b;
	const char *what = statements[s->doc].what;
	if (res == NULL ||
	    (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)) {
		set_error(b, what, res);
	} else if (statements[s->doc].count_must_match && b->error[0] == '\0' &&
		   (size_t)atol(PQcmdTuples((PGresult *)res)) != s->expected) {
		snprintf(b->error, sizeof b->error,
			 "%s: %s rows changed where %zu were expected (a case or event changed "
			 "under "
			 "the step)",
			 what, PQcmdTuples((PGresult *)res), s->expected);
	}
	free(s);
	if (--b->pending == 0)
		all_answered(conn, b);
}

void store_batch_write(struct store_conn *conn, struct store_batch *b, store_batch_fn fn, void *arg)
{
	b->fn = fn;
	b->arg = arg;
	b->pending = 1; /* held until every statement is queued */
	for (int i = 0; i < NDOCS; i++) {
		if (json_array_size(b->docs[i]) == 0)
			continue;
		struct statement_ctx *s = calloc(1, sizeof *s);
		char *text = json_dumps(b->docs[i], JSON_COMPACT);
		if (s == NULL || text == NULL) {
			free(s);
			free(text);
			if (b->error[0] == '\0')
				snprintf(b->error, sizeof b->error,
					 "out of memory writing a batch");
			break;
		}
		s->b = b;
		s->doc = i;
		s->expected = json_array_size(b->docs[i]);
		const char *params[] = {text};
		b->pending++;
		int rc = store_conn_query_named(conn, statements[i].what, statements[i].sql, 1,
						params, on_statement, s);
		free(text);
		if (rc != 0) {
			b->pending--;
			free(s);
			if (b->error[0] == '\0') {
				snprintf(b->error, sizeof b->error,
					 "the database connection was lost");
				b->transient = true;
			}
			break;
		}
	}
	if (--b->pending == 0)
		all_answered(conn, b);
}
