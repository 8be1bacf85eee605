#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/step.h"
#include "runner/registry.h"
#include "store/conn.h"
#include "store/steps.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define IDLE_RECHECK_SECONDS 60.0
/* How often an idle daemon looks for events while it does not hold the wake key (it waits
 * for it, behind a transaction that inserted events without a NOTIFY and may take long; or
 * its wake connection is down; or taking the key failed): new events may then come without a
 * NOTIFY. */
#define KEYLESS_RECHECK_SECONDS 1.0
#define KEY_ERROR_DELAY_MS 1000
/* A worker's claims start at the floor of its last claim for at most this long; then one
 * starts at the head of the due-event index again (see store_claim_sql). */
#define FLOOR_SECONDS 1.0
#define CLAIM_ERROR_DELAY_MS 1000

struct runner;

struct worker {
	struct runner *r;
	struct store_conn *conn;
	int index;
	bool busy;   /* a batch is in flight */
	bool txn;    /* the claiming transaction is open on the connection */
	bool wake;   /* woken while busy: claim again before going idle */
	bool whole;  /* the next claim takes any case, not only the worker's share */
	int isolate; /* after a failed write: claims one event at a time, this many more */
	PGresult *claimed;
	int64_t directory_version;
	double started, claimed_at, stepped_at;
	char floor[64];            /* where the next claim may start ("": at the head) */
	double headed_at;          /* when a claim last started at the head */
	struct event *retry;       /* after a claim error */
	struct store_batch *batch; /* being stepped, slice by slice */
	int next;                  /* the claimed row to step next */
	struct event *slice;       /* runs the next slice */
};

struct runner {
	struct event_base *base;
	const struct cfg *cfg;
	const struct store_health *health;
	struct worker *workers;
	int nworkers;
	struct store_conn *control;
	/* Holds the wake key while every worker is idle (store_wake_lock_sql, migration 0020). */
	struct store_conn *waker;
	enum { KEY_FREE, KEY_ASKED, KEY_HELD, KEY_GIVING } key;
	struct event *key_retry;
	double key_not_before; /* after a failure: not at once again (see want_key) */
	struct event *wake_timer, *overdue_timer, *sweep_timer;
	bool next_due_asked;
	bool next_due_again; /* asked again while the answer was on its way */
	bool stopping;
	int swept; /* cases the current start sweep has started so far */
	struct core_directory *dir;
	int64_t dir_version;
	double dir_read_at; /* monotonic seconds: read again after [engine] directory_refresh */
	struct run_registry *registry;

	struct og_metric_family *m_steps, *m_batches, *m_batch_seconds, *m_started;
};

static void start_batch(struct worker *w);

static struct timeval ms_tv(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	return tv;
}

static struct timeval seconds_tv(double s)
{
	struct timeval tv = {(time_t)s, (suseconds_t)((s - (time_t)s) * 1e6)};
	return tv;
}

static void worker_idle(struct worker *w);

static void ask_next_due(struct runner *r);

static void want_key(struct runner *r);

/* Wakes every idle worker. A worker woken (by a NOTIFY, the timer, the wake key) claims from
 * every case, not only its share: the worker whose share an event is in may have stopped in
 * the last two seconds, and still be counted among the workers claiming (store_claim_sql),
 * while this daemon would go back to sleep without another wake. */
static void wake_all(struct runner *r)
{
	for (int i = 0; i < r->nworkers; i++) {
		struct worker *w = &r->workers[i];
		w->whole = true;
		if (w->busy)
			w->wake = true;
		else
			start_batch(w);
	}
}

/* ---- the wake key ----
 * While some worker is busy, new events need no NOTIFY: a worker claims again after every
 * batch it writes, and a claim that finds events wakes the idle workers. Once every worker
 * has found nothing, the daemon takes the wake key and claims once more; from then on, until
 * it lets the key go, every transaction that inserts events notifies (migration 0020). */

/* Wakes every idle worker, each to claim from the head of the due-event index: for events
 * the claims since may have passed over, and those of transactions that did not notify. */
static void wake_all_from_head(struct runner *r)
{
	for (int i = 0; i < r->nworkers; i++)
		r->workers[i].floor[0] = '\0';
	wake_all(r);
}

static void on_key_given(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct runner *r = arg;
	r->key = KEY_FREE; /* given back, or gone with a lost connection */
	want_key(r);       /* every worker may have gone idle meanwhile */
}

/* A claim found events: the daemon is busy, so inserting transactions need not notify. */
static void give_key(struct runner *r)
{
	if (r->key != KEY_HELD)
		return;
	/* set first: a connection lost inside the call reports back before it returns */
	r->key = KEY_GIVING;
	if (store_conn_query(r->waker, store_wake_unlock_sql, 0, NULL, on_key_given, r) != 0)
		r->key = KEY_FREE; /* the connection is gone, and the key with it */
}

static void on_key(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct runner *r = arg;
	if (res == NULL) {
		r->key = KEY_FREE; /* the connection went; on_waker_up asks again */
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r->key = KEY_FREE;
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && strcmp(state, "55P03") == 0) {
			/* lock_timeout: another idle daemon holds the key (so new events notify),
			 * or a transaction that inserted events has not committed yet; ask again */
			want_key(r);
			return;
		}
		og_warn(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
			"cannot take the wake key; looking for new events every second");
		r->key_not_before = og_monotonic_seconds() + KEY_ERROR_DELAY_MS / 1000.0;
		want_key(r);     /* asks again after that */
		ask_next_due(r); /* sooner: see KEYLESS_RECHECK_SECONDS */
		return;
	}
	r->key = KEY_HELD;
	/* claim once more: the events of every transaction that did not notify are visible now */
	if (runner_idle(r))
		wake_all_from_head(r);
	else
		give_key(r);
}

/* Every worker has found nothing: take the wake key (see above). */
static void want_key(struct runner *r)
{
	if (r->key != KEY_FREE || r->stopping || !runner_idle(r) || !store_conn_is_up(r->waker))
		return;
	double wait = r->key_not_before - og_monotonic_seconds();
	if (wait > 0) {
		/* after a failure (a batch with events claimed, a claim, taking the key): taking
		 * the key now would do the same again at once */
		if (!evtimer_pending(r->key_retry, NULL)) {
			struct timeval tv = seconds_tv(wait);
			evtimer_add(r->key_retry, &tv);
		}
		return;
	}
	r->key = KEY_ASKED; /* first: see give_key */
	if (store_conn_query(r->waker, store_wake_lock_sql, 0, NULL, on_key, r) != 0)
		r->key = KEY_FREE;
}

static void on_key_retry(evutil_socket_t fd, short what, void *arg) { want_key(arg); }

static void on_waker_up(struct store_conn *conn, void *arg)
{
	struct runner *r = arg;
	r->key = KEY_FREE;
	/* a wait for the key ends within a second and is asked again only while every worker is
	 * idle: a daemon that got busy meanwhile stops being a waiter, for which inserts notify */
	store_conn_exec(conn, "SELECT set_config('lock_timeout', '1s', false),"
			      " set_config('statement_timeout', '0', false)");
	want_key(r);
}

static void on_waker_down(struct store_conn *conn, const char *why, void *arg)
{
	struct runner *r = arg;
	r->key = KEY_FREE; /* PostgreSQL let the key go with the session */
	ask_next_due(r);   /* sooner: see KEYLESS_RECHECK_SECONDS */
}

static void batch_over(struct worker *w, bool claim_again)
{
	if (w->txn) {
		/* give the claimed cases back at once, whatever went wrong */
		store_conn_exec(w->conn, "ROLLBACK");
		w->txn = false;
	}
	if (!claim_again && w->claimed != NULL) /* failed with events claimed */
		w->r->key_not_before = og_monotonic_seconds() + KEY_ERROR_DELAY_MS / 1000.0;
	if (!claim_again)
		w->floor[0] = '\0';
	PQclear(w->claimed);
	w->claimed = NULL;
	w->busy = false;
	if (w->r->stopping)
		return;
	if (claim_again || w->wake) {
		w->wake = false;
		start_batch(w);
	} else {
		worker_idle(w);
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg) { start_batch(arg); }

static void worker_idle(struct worker *w)
{
	ask_next_due(w->r);
	want_key(w->r);
}

/* Where a step's error points ("counter.lua:12"), for the log: the message itself stays in
 * the database, as it may quote what a workflow put in it. */
static void error_location(const char *error, char *out, size_t len)
{
	const char *colon = strchr(error, ':');
	size_t n = 0;
	if (colon && colon > error && strncmp(colon - 4, ".lua", 4) == 0) {
		const char *end = colon + 1;
		while (*end >= '0' && *end <= '9')
			end++;
		n = (size_t)(end - error);
	}
	if (n >= len)
		n = len - 1;
	memcpy(out, error, n);
	out[n] = '\0';
}

static void on_written(int rc, const char *error, bool transient, void *arg)
{
	struct worker *w = arg;
	struct runner *r = w->r;
	w->txn = false; /* committed or rolled back */
	int n = PQntuples(w->claimed);
	double end = og_monotonic_seconds();
	og_debug(json_pack("{s:i,s:i,s:f,s:f,s:f}", "worker", w->index, "events", n, "claim_ms",
			   (w->claimed_at - w->started) * 1000, "step_ms",
			   (w->stepped_at - w->claimed_at) * 1000, "write_ms",
			   (end - w->stepped_at) * 1000),
		 "batch");
	if (rc == 0) {
		const char *ok[] = {"written"};
		og_metrics_add(r->m_batches, ok, 1);
		og_metrics_observe(r->m_batch_seconds, NULL, og_monotonic_seconds() - w->started);
		if (w->isolate > 0)
			w->isolate -= n;
		batch_over(w, true);
		return;
	}
	const char *failed[] = {"failed"};
	og_metrics_add(r->m_batches, failed, 1);
	if (transient) {
		og_warn(json_pack("{s:s,s:i,s:i}", "error", error, "events", n, "worker", w->index),
			"a batch was not written (the database was busy or went away); retrying "
			"it");
		batch_over(w, true);
		return;
	}
	og_warn(json_pack("{s:s,s:i,s:i}", "error", error, "events", n, "worker", w->index),
		"a batch could not be written; retrying its events one at a time");
	if (n == 1 && w->isolate > 0 && store_conn_is_up(w->conn)) {
		/* This event's step cannot be written: record the failure on its own. */
		struct store_batch *b = store_batch_new();
		int64_t case_id = atoll(PQgetvalue(w->claimed, 0, CLAIM_CASE_ID));
		int64_t event_id = atoll(PQgetvalue(w->claimed, 0, CLAIM_EVENT_ID));
		int attempts = atoi(PQgetvalue(w->claimed, 0, CLAIM_ATTEMPTS)) + 1;
		bool stuck = attempts >= r->cfg->engine_max_attempts;
		int64_t delay = (int64_t)r->cfg->engine_retry_base_ms
				<< (attempts < 12 ? attempts - 1 : 11);
		if (b && store_batch_failed(b, case_id, event_id, error, delay, stuck) == 0) {
			store_conn_exec(w->conn, "BEGIN");
			w->txn = true;
			w->isolate = 0; /* this event is dealt with */
			store_batch_write(w->conn, b, on_written, w);
			return;
		}
		store_batch_free(b);
	}
	if (w->isolate <= 0)
		w->isolate = n;
	batch_over(w, true);
}

/* Runs the step of claimed event I into batch B. Returns 0, or -1 when out of memory. */
static int step_one(struct worker *w, struct store_batch *b, int i)
{
	struct runner *r = w->r;
	const PGresult *res = w->claimed;
	const char *name = PQgetvalue(res, i, CLAIM_WORKFLOW);
	int version = atoi(PQgetvalue(res, i, CLAIM_VERSION));
	int64_t case_id = atoll(PQgetvalue(res, i, CLAIM_CASE_ID));
	int64_t now = atoll(PQgetvalue(res, i, CLAIM_NOW));
	struct core_case c = {0};
	json_error_t jerr;
	json_t *payload = json_loads(PQgetvalue(res, i, CLAIM_PAYLOAD), 0, &jerr);
	struct core_event ev = {
		.id = atoll(PQgetvalue(res, i, CLAIM_EVENT_ID)),
		.type = PQgetvalue(res, i, CLAIM_TYPE),
		.payload = payload,
		.at = atoll(PQgetvalue(res, i, CLAIM_AT)),
	};
	char err[4096] = "";
	struct core_effects fx;
	bool fx_ready = core_effects_init(&fx) == 0;
	int rc = -1;
	const char *compile_error = NULL;
	struct lwf_workflow *wf = run_registry_get(r->registry, name, version, &compile_error);
	if (!fx_ready) {
		snprintf(err, sizeof err, "out of memory");
	} else if (payload == NULL) {
		snprintf(err, sizeof err, "the event's payload cannot be read: %s", jerr.text);
	} else if (wf == NULL) {
		snprintf(err, sizeof err, "workflow %s v%d cannot run: %s", name, version,
			 compile_error ? compile_error : "it is not deployed");
	} else if (core_case_init(&c, case_id, atoll(PQgetvalue(res, i, CLAIM_CITIZEN)), name,
				  version, PQgetvalue(res, i, CLAIM_PHASE),
				  PQgetvalue(res, i, CLAIM_STATUS),
				  PQgetisnull(res, i, CLAIM_TOVHOLDER)
					  ? NULL
					  : PQgetvalue(res, i, CLAIM_TOVHOLDER),
				  PQgetisnull(res, i, CLAIM_TOVHOLDER_DEPARTMENT)
					  ? NULL
					  : PQgetvalue(res, i, CLAIM_TOVHOLDER_DEPARTMENT),
				  PQgetvalue(res, i, CLAIM_BIRTH_DATE),
				  atoll(PQgetvalue(res, i, CLAIM_REVISION))) != 0) {
		snprintf(err, sizeof err, "out of memory");
	} else {
		json_decref(c.state);
		json_decref(c.attributes);
		c.state = json_loads(PQgetvalue(res, i, CLAIM_STATE), 0, NULL);
		c.attributes = json_loads(PQgetvalue(res, i, CLAIM_ATTRIBUTES), 0, NULL);
		if (c.state == NULL || c.attributes == NULL)
			snprintf(err, sizeof err, "out of memory");
		else
			rc = core_step(wf, &c, &ev, r->dir, now, &fx, err, sizeof err);
	}
	const char *result;
	if (rc == 0) {
		rc = store_batch_done(b, &c, &ev, &fx);
		result = "done";
	} else {
		int attempts = atoi(PQgetvalue(res, i, CLAIM_ATTEMPTS)) + 1;
		bool stuck = attempts >= r->cfg->engine_max_attempts;
		int64_t delay = (int64_t)r->cfg->engine_retry_base_ms
				<< (attempts < 12 ? attempts - 1 : 11);
		char where[160];
		error_location(err, where, sizeof where);
		og_warn(json_pack("{s:s,s:i,s:s,s:I,s:I,s:s,s:i,s:b}", "workflow", name, "version",
				  version, "at", where, "case", (json_int_t)case_id, "event",
				  (json_int_t)ev.id, "type", ev.type, "attempt", attempts, "stuck",
				  stuck),
			stuck ? "a step failed again; the case is stuck (see overgang case "
				"show)"
			      : "a step failed (see overgang case show)");
		rc = store_batch_failed(b, case_id, ev.id, err, delay, stuck);
		result = "failed";
	}
	const char *labels[] = {result};
	og_metrics_add(r->m_steps, labels, 1);
	core_case_clear(&c);
	if (fx_ready)
		core_effects_clear(&fx);
	json_decref(payload);
	return rc;
}

/* Runs the step of every claimed event and writes the results. Lua runs on the event loop,
 * so a batch is stepped in slices of about SLICE_SECONDS: between them the loop answers HTTP
 * requests and database results, and a large batch of heavy handlers never holds them up. */
#define SLICE_SECONDS 0.002

static void run_steps(struct worker *w)
{
	int n = PQntuples(w->claimed);
	if (!w->txn) {
		/* the connection was lost between slices: PostgreSQL rolled the claim back and
		 * another worker may hold these cases now, so nothing stepped may be written */
		store_batch_free(w->batch);
		w->batch = NULL;
		og_info(json_pack("{s:i}", "worker", w->index),
			"a batch is dropped: its connection was lost while it was being stepped");
		batch_over(w, true);
		return;
	}
	if (w->batch == NULL) {
		w->batch = store_batch_new();
		w->next = 0;
		if (w->batch == NULL)
			goto oom;
	}
	double until = og_monotonic_seconds() + SLICE_SECONDS;
	while (w->next < n) {
		if (step_one(w, w->batch, w->next++) != 0)
			goto oom;
		if (w->next < n && og_monotonic_seconds() > until) {
			static const struct timeval now = {0, 0};
			evtimer_add(w->slice, &now); /* after the loop has looked at I/O */
			return;
		}
	}
	struct store_batch *b = w->batch;
	w->batch = NULL;
	w->stepped_at = og_monotonic_seconds();
	store_batch_write(w->conn, b, on_written, w);
	return;
oom:
	store_batch_free(w->batch);
	w->batch = NULL;
	og_error(NULL, "out of memory running a batch");
	batch_over(w, false);
}

static void on_slice(evutil_socket_t fd, short what, void *arg) { run_steps(arg); }

static void on_sources(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct worker *w = arg;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res)
			og_error(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
				 "cannot read workflow sources");
		batch_over(w, false);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		const char *name = PQgetvalue(res, i, 0);
		int version = atoi(PQgetvalue(res, i, 1));
		if (run_registry_compile(w->r->registry, name, version, PQgetvalue(res, i, 2)) !=
		    0) {
			og_error(NULL, "out of memory compiling a workflow");
			continue;
		}
		const char *error;
		if (run_registry_get(w->r->registry, name, version, &error) == NULL)
			og_error(json_pack("{s:s,s:i,s:s}", "workflow", name, "version", version,
					   "error", error ? error : "?"),
				 "a deployed workflow does not compile here");
		else
			og_info(json_pack("{s:s,s:i}", "workflow", name, "version", version),
				"workflow compiled");
	}
	run_steps(w);
}

/* Compiles the workflow versions the batch needs and this process has not seen yet. */
static void ensure_workflows(struct worker *w)
{
	const PGresult *res = w->claimed;
	json_t *missing = json_array();
	for (int i = 0; i < PQntuples(res) && missing; i++) {
		const char *name = PQgetvalue(res, i, CLAIM_WORKFLOW);
		int version = atoi(PQgetvalue(res, i, CLAIM_VERSION));
		if (run_registry_has(w->r->registry, name, version))
			continue;
		bool listed = false;
		size_t k;
		json_t *item;
		json_array_foreach (missing, k, item) {
			listed |= strcmp(json_string_value(json_object_get(item, "name")), name) ==
					  0 &&
				  json_integer_value(json_object_get(item, "version")) == version;
		}
		if (!listed)
			json_array_append_new(
				missing, json_pack("{s:s,s:i}", "name", name, "version", version));
	}
	if (json_array_size(missing) == 0) {
		json_decref(missing);
		run_steps(w);
		return;
	}
	char *text = json_dumps(missing, JSON_COMPACT);
	json_decref(missing);
	const char *params[] = {text};
	int rc = text ? store_conn_query(w->conn, store_workflow_sources_sql, 1, params, on_sources,
					 w)
		      : -1;
	free(text);
	if (rc != 0)
		batch_over(w, false);
}

static void on_directory(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct worker *w = arg;
	struct runner *r = w->r;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res)
			og_error(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
				 "cannot read the staff directory");
		batch_over(w, false);
		return;
	}
	struct core_directory *dir = store_directory_from(res);
	if (dir == NULL) {
		og_error(NULL, "out of memory reading the staff directory");
		batch_over(w, false);
		return;
	}
	core_dir_free(r->dir);
	r->dir = dir;
	r->dir_version = w->directory_version;
	r->dir_read_at = og_monotonic_seconds();
	ensure_workflows(w);
}

static void on_claimed(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct worker *w = arg;
	struct runner *r = w->r;
	if (res == NULL) {
		batch_over(w, false); /* the connection is gone; on_up starts again */
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		og_error(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
			 "claiming events failed");
		w->wake = false;
		/* nor straight back through the wake key (see want_key) */
		r->key_not_before = og_monotonic_seconds() + CLAIM_ERROR_DELAY_MS / 1000.0;
		batch_over(w, false);
		struct timeval tv = ms_tv(CLAIM_ERROR_DELAY_MS);
		evtimer_add(w->retry, &tv);
		return;
	}
	if (PQntuples(res) == 0) {
		store_conn_exec(w->conn, "COMMIT");
		w->txn = false;
		batch_over(w, false);
		return;
	}
	w->claimed_at = og_monotonic_seconds();
	snprintf(w->floor, sizeof w->floor, "%s", PQgetvalue(res, 0, CLAIM_FLOOR));
	/* busy: new events need no NOTIFY now, and idle workers may find more */
	give_key(r);
	for (int i = 0; i < r->nworkers; i++)
		if (!r->workers[i].busy)
			start_batch(&r->workers[i]);
	store_conn_exec(w->conn, store_claim_plan_reset_sql);
	w->claimed = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
	if (w->claimed == NULL) {
		batch_over(w, false);
		return;
	}
	w->directory_version = atoll(PQgetvalue(res, 0, CLAIM_DIRECTORY_VERSION));
	/* the caseloads this daemon's own steps change are kept up to date in memory; those
	 * others change are read again with the directory, at least every directory_refresh */
	if (r->dir == NULL || r->dir_version != w->directory_version ||
	    og_monotonic_seconds() - r->dir_read_at >
		    r->cfg->engine_directory_refresh_ms / 1000.0) {
		if (store_conn_query(w->conn, store_directory_sql, 0, NULL, on_directory, w) != 0)
			batch_over(w, false);
		return;
	}
	ensure_workflows(w);
}

static void start_batch(struct worker *w)
{
	if (w->busy || w->r->stopping || !store_conn_is_up(w->conn))
		return;
	if (!store_health_ready(w->r->health, NULL)) {
		/* not before the database answers and has the schema this build needs */
		struct timeval tv = {0, 500000};
		if (!evtimer_pending(w->retry, NULL))
			evtimer_add(w->retry, &tv);
		return;
	}
	w->busy = true;
	w->wake = false;
	w->started = og_monotonic_seconds();
	const char *from = w->floor;
	if (!from[0] || og_monotonic_seconds() - w->headed_at > FLOOR_SECONDS) {
		from = "-infinity";
		w->headed_at = og_monotonic_seconds();
	}
	char limit[16];
	snprintf(limit, sizeof limit, "%d", w->isolate > 0 ? 1 : w->r->cfg->engine_batch_size);
	const char *params[] = {limit, from, w->whole ? "true" : "false"};
	w->whole = false;
	store_conn_exec(w->conn, "BEGIN");
	w->txn = true;
	store_conn_exec(w->conn, store_claim_plan_sql);
	if (store_conn_query_named(w->conn, "claim", store_claim_sql, 3, params, on_claimed, w) !=
	    0)
		w->busy = w->txn = false; /* the connection went; on_up starts again */
}

static void on_worker_up(struct store_conn *conn, void *arg)
{
	struct worker *w = arg;
	/* Worker statements are short; JIT compiling them costs far more than running them. And
	 * nothing a worker does may hang on a lock or a statement for long while it holds its
	 * claimed cases: such a batch fails (transiently) and is tried again. */
	store_conn_exec(conn, "SELECT set_config('TimeZone', 'UTC', false),"
			      " set_config('jit', 'off', false),"
			      " set_config('statement_timeout', '60s', false),"
			      " set_config('lock_timeout', '10s', false),"
			      " set_config('idle_in_transaction_session_timeout', '60s', false)");
	start_batch(w);
}

static void on_worker_down(struct store_conn *conn, const char *why, void *arg)
{
	struct worker *w = arg;
	w->txn = false; /* PostgreSQL rolled it back */
	og_debug(json_pack("{s:i,s:s}", "worker", w->index, "reason", why),
		 "worker connection lost");
}

/* The control connection: LISTEN, next due time, sweeps. */

static void on_wake_timer(evutil_socket_t fd, short what, void *arg) { wake_all_from_head(arg); }

static void on_next_due(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct runner *r = arg;
	r->next_due_asked = false;
	if (r->next_due_again) {
		r->next_due_again = false;
		ask_next_due(r); /* a worker went idle since this question was asked */
		return;
	}
	double seconds = IDLE_RECHECK_SECONDS;
	if (r->key != KEY_HELD)
		seconds = KEYLESS_RECHECK_SECONDS; /* new events may come without a NOTIFY */
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && !PQgetisnull(res, 0, 0)) {
		/* a little after the due time, never sooner than 10 ms: a timer fired at the due
		 * time itself could otherwise find the database's clock a moment short of it */
		double s = atof(PQgetvalue(res, 0, 0)) + 0.002;
		if (s < seconds)
			seconds = s < 0.01 ? 0.01 : s;
	}
	struct timeval tv = seconds_tv(seconds);
	evtimer_del(r->wake_timer);
	evtimer_add(r->wake_timer, &tv);
}

static void ask_next_due(struct runner *r)
{
	if (r->next_due_asked) {
		r->next_due_again = true;
		return;
	}
	if (r->stopping || !store_conn_is_up(r->control))
		return;
	if (store_conn_query(r->control, store_next_due_sql, 0, NULL, on_next_due, r) == 0)
		r->next_due_asked = true;
}

static void on_overdue(struct store_conn *conn, const PGresult *res, void *arg)
{
	if (res && PQresultStatus(res) != PGRES_COMMAND_OK)
		og_error(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
			 "looking for overdue tasks failed");
	else if (res && atoi(PQcmdTuples((PGresult *)res)) > 0)
		og_info(json_pack("{s:i}", "tasks", atoi(PQcmdTuples((PGresult *)res))),
			"overdue tasks reported to their cases");
}

static void on_sweep(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct runner *r = arg;
	if (res && PQresultStatus(res) != PGRES_TUPLES_OK) {
		og_error(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
			 "the start sweep failed");
		return;
	}
	if (res == NULL)
		return;
	og_metrics_add(r->m_started, NULL, PQntuples(res));
	r->swept += PQntuples(res);
	if (PQntuples(res) == STORE_SWEEP_BATCH && !r->stopping &&
	    store_conn_query(r->control, store_sweep_sql, 0, NULL, on_sweep, r) == 0)
		return; /* a full batch: there may be more */
	og_info(json_pack("{s:i}", "cases_started", r->swept), "start sweep done");
	r->swept = 0;
}

static void on_overdue_timer(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = arg;
	if (!r->stopping && store_conn_is_up(r->control))
		if (store_conn_query(r->control, store_overdue_sql, 0, NULL, on_overdue, r) != 0)
			og_debug(NULL, "overdue sweep skipped: the database is not connected");
}

static void on_sweep_timer(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = arg;
	if (!r->stopping && store_conn_is_up(r->control))
		if (store_conn_query(r->control, store_sweep_sql, 0, NULL, on_sweep, r) != 0)
			og_debug(NULL, "start sweep skipped: the database is not connected");
}

/* Listening: only now can no new event go unnoticed, so only now do the workers look. */
static void on_listening(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct runner *r = arg;
	if (res == NULL)
		return; /* lost again; on_control_up comes back here */
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		og_error(json_pack("{s:s}", "error",
				   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)),
			 "cannot LISTEN for new events; relying on the next-due timer");
	on_sweep_timer(-1, 0, r);
	on_overdue_timer(-1, 0, r);
	wake_all_from_head(r);
}

static void on_control_up(struct store_conn *conn, void *arg)
{
	struct runner *r = arg;
	r->next_due_asked = r->next_due_again = false;
	if (store_conn_query(conn, "LISTEN overgang_events", 0, NULL, on_listening, r) != 0)
		og_debug(NULL, "the control connection went before it could LISTEN");
}

static void on_control_down(struct store_conn *conn, const char *why, void *arg)
{
	struct runner *r = arg;
	r->next_due_asked = false;
}

static void on_notify(struct store_conn *conn, const char *channel, void *arg) { wake_all(arg); }

struct runner *runner_new(struct event_base *base, const struct cfg *cfg,
			  const struct store_health *health)
{
	struct runner *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->base = base;
	r->cfg = cfg;
	r->health = health;
	if (cfg->engine_workers == 0)
		return r;

	struct lwf_budget budget;
	cfg_lua_budget(cfg, &budget.memory_bytes, &budget.instructions);
	r->registry = run_registry_new(&budget);
	static const char *const result_label[] = {"result", NULL};
	r->m_steps = og_metrics_register(OG_COUNTER, "overgang_steps_total",
					 "Events handled, by result (done, failed).", result_label,
					 NULL, 0);
	r->m_batches = og_metrics_register(OG_COUNTER, "overgang_step_batches_total",
					   "Batches of steps, by result (written, failed).",
					   result_label, NULL, 0);
	static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
	r->m_batch_seconds =
		og_metrics_register(OG_HISTOGRAM, "overgang_step_batch_seconds",
				    "Time from claiming a batch of events to its commit.", NULL,
				    buckets, sizeof buckets / sizeof buckets[0]);
	r->m_started = og_metrics_register(OG_COUNTER, "overgang_cases_started_by_sweep_total",
					   "Cases started by the start sweep.", NULL, NULL, 0);
	r->wake_timer = evtimer_new(base, on_wake_timer, r);
	r->key_retry = evtimer_new(base, on_key_retry, r);
	r->overdue_timer = event_new(base, -1, EV_PERSIST, on_overdue_timer, r);
	r->sweep_timer = event_new(base, -1, EV_PERSIST, on_sweep_timer, r);
	r->workers = calloc((size_t)cfg->engine_workers, sizeof *r->workers);
	if (!r->registry || !r->m_steps || !r->m_batches || !r->m_batch_seconds || !r->m_started ||
	    !r->wake_timer || !r->key_retry || !r->overdue_timer || !r->sweep_timer || !r->workers)
		goto fail;
	struct timeval tv = ms_tv(cfg->engine_overdue_interval_ms);
	event_add(r->overdue_timer, &tv);
	tv = ms_tv(cfg->engine_sweep_interval_ms);
	event_add(r->sweep_timer, &tv);

	r->nworkers = cfg->engine_workers;
	for (int i = 0; i < r->nworkers; i++) {
		struct worker *w = &r->workers[i];
		w->r = r;
		w->index = i;
		w->retry = evtimer_new(base, on_retry, w);
		w->slice = evtimer_new(base, on_slice, w);
		struct store_conn_callbacks cb = {on_worker_up, on_worker_down, NULL, w};
		w->conn = store_conn_new(base, cfg_conninfo(cfg), STORE_WORKER_APP,
					 cfg->db_reconnect_min_ms, cfg->db_reconnect_max_ms, &cb);
		if (w->retry == NULL || w->slice == NULL || w->conn == NULL)
			goto fail;
	}
	struct store_conn_callbacks cb = {on_control_up, on_control_down, on_notify, r};
	r->control = store_conn_new(base, cfg_conninfo(cfg), "overgangd control",
				    cfg->db_reconnect_min_ms, cfg->db_reconnect_max_ms, &cb);
	if (r->control == NULL)
		goto fail;
	struct store_conn_callbacks wcb = {on_waker_up, on_waker_down, NULL, r};
	r->waker = store_conn_new(base, cfg_conninfo(cfg), "overgangd wake",
				  cfg->db_reconnect_min_ms, cfg->db_reconnect_max_ms, &wcb);
	if (r->waker == NULL)
		goto fail;
	return r;
fail:
	runner_free(r);
	return NULL;
}

void runner_stop(struct runner *r) { r->stopping = true; }

bool runner_idle(const struct runner *r)
{
	for (int i = 0; i < r->nworkers; i++)
		if (r->workers[i].busy)
			return false;
	return true;
}

void runner_free(struct runner *r)
{
	if (r == NULL)
		return;
	r->stopping = true;
	store_conn_free(r->control);
	store_conn_free(r->waker);
	for (int i = 0; i < r->nworkers; i++) {
		struct worker *w = &r->workers[i];
		store_conn_free(w->conn);
		if (w->retry)
			event_free(w->retry);
		if (w->slice)
			event_free(w->slice);
		store_batch_free(w->batch);
		PQclear(w->claimed);
	}
	free(r->workers);
	if (r->wake_timer)
		event_free(r->wake_timer);
	if (r->key_retry)
		event_free(r->key_retry);
	if (r->overdue_timer)
		event_free(r->overdue_timer);
	if (r->sweep_timer)
		event_free(r->sweep_timer);
	core_dir_free(r->dir);
	run_registry_free(r->registry);
	free(r);
}
