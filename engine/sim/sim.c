#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/instruments.h"
#include "store/migrate.h"
#include "util/civil.h"

const char *const sim_default_departments[] = {
	"born-familie", "voksenhandicap", "voksenservice", "socialpsykiatri",
	"jobcenter",    "ungeindsats",    "bostoette",     "ppr",
	"pension",      "borgerservice",  "sundhed",       NULL};

struct sim {
	struct lwf_workflow *wf;
	const struct lwf_def *def;
	struct core_directory *dir;
	struct core_case c;
	int64_t birth; /* days */
	int64_t now;
	bool autom;
	bool failed;
	json_t *events; /* pending: {id, type, payload, due, key} */
	json_t *tasks;
	json_t *timeline;
	json_t *goals, *measures, *outbox;
	int64_t last_event_id, last_task_id;
};

static int fail_with(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static json_int_t int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int sim_age(const struct sim *s) { return (int)og_age(s->birth, s->now); }

/* Queues an event due at DUE; PAYLOAD is stolen. */
static int queue_event(struct sim *s, const char *type, json_t *payload, int64_t due,
		       const char *key)
{
	json_t *e = json_pack("{s:I,s:s,s:o,s:I,s:s*}", "id", (json_int_t)++s->last_event_id,
			      "type", type, "payload", payload ? payload : json_object(), "due",
			      (json_int_t)due, "key", key);
	return e && json_array_append_new(s->events, e) == 0 ? 0 : -1;
}

static json_t *entry(struct sim *s, const char *kind)
{
	char date[11];
	og_format_ymd(s->now, date);
	const char *text = core_citizen_text(s->def, s->c.phase);
	return json_pack("{s:I,s:s,s:i,s:s,s:s*,s:s*,s:s,s:s*,s:s}", "at", (json_int_t)s->now,
			 "date", date, "age", sim_age(s), "kind", kind, "tovholder", s->c.tovholder,
			 "tovholder_department", s->c.tovholder_department, "phase", s->c.phase,
			 "citizen_text", text, "status", s->c.status);
}

/* The shipped instrument registry, as the database is seeded with it: from the migration
 * that seeds it, compiled into the binary. */
static int load_instruments(struct core_directory *dir, char *err, size_t errlen)
{
	const char *sql = NULL;
	for (int i = 0; i < store_migrations_count; i++)
		if (strcmp(store_migrations[i].name, "instruments") == 0)
			sql = store_migrations[i].sql;
	struct core_instruments *reg = core_instruments_new();
	if (reg == NULL)
		return fail_with(err, errlen, "out of memory");
	core_dir_set_instruments(dir, reg);
	return core_instruments_add_shipped(reg, sql, err, errlen);
}

struct sim *sim_new(struct lwf_workflow *wf, const char *birth, const json_t *attributes,
		    int64_t start, const char *const *departments, char *err, size_t errlen)
{
	int64_t birth_time;
	if (birth == NULL || og_ymd_to_time(birth, &birth_time) != 0) {
		snprintf(err, errlen, "the birth date '%s' is not a date (YYYY-MM-DD)",
			 birth ? birth : "");
		return NULL;
	}
	if (attributes && !json_is_object(attributes)) {
		snprintf(err, errlen, "the citizen's attributes must be an object");
		return NULL;
	}
	struct sim *s = calloc(1, sizeof *s);
	if (s == NULL)
		goto oom;
	s->wf = wf;
	s->def = lwf_def(wf);
	s->birth = og_floor_div(birth_time, OG_DAY);
	s->now = start;
	s->events = json_array();
	s->tasks = json_array();
	s->timeline = json_array();
	s->goals = json_array();
	s->measures = json_array();
	s->outbox = json_array();
	s->dir = core_dir_new();
	if (!s->events || !s->tasks || !s->timeline || !s->goals || !s->measures || !s->outbox ||
	    !s->dir)
		goto oom;
	for (const char *const *d = departments ? departments : sim_default_departments; *d; d++) {
		char lead[160], member[160];
		snprintf(lead, sizeof lead, "%s-1", *d);
		snprintf(member, sizeof member, "%s-2", *d);
		if (core_dir_add_department(s->dir, *d) ||
		    core_dir_add_staff(s->dir, lead, "active", 0) ||
		    core_dir_add_staff(s->dir, member, "active", 0) ||
		    core_dir_add_member(s->dir, lead, *d, true) ||
		    core_dir_add_member(s->dir, member, *d, false))
			goto oom;
	}
	core_dir_seal(s->dir);
	if (load_instruments(s->dir, err, errlen) != 0) {
		sim_free(s);
		return NULL;
	}
	if (core_case_init(&s->c, 1, 1, s->def->name, s->def->version, s->def->phases[0].name,
			   "active", NULL, NULL, birth, 0) != 0)
		goto oom;
	if (attributes) {
		json_decref(s->c.attributes);
		s->c.attributes = json_deep_copy(attributes);
		if (s->c.attributes == NULL)
			goto oom;
	}
	if (queue_event(s, "started", NULL, start, NULL) != 0)
		goto oom;
	return s;
oom:
	sim_free(s);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

void sim_free(struct sim *s)
{
	if (s == NULL)
		return;
	core_case_clear(&s->c);
	core_dir_free(s->dir);
	json_decref(s->events);
	json_decref(s->tasks);
	json_decref(s->timeline);
	json_decref(s->goals);
	json_decref(s->measures);
	json_decref(s->outbox);
	free(s);
}

void sim_set_auto(struct sim *s, bool on) { s->autom = on; }

int64_t sim_now(const struct sim *s) { return s->now; }

static bool task_open(const json_t *t)
{
	const char *st = str_of(t, "status");
	return strcmp(st, "open") == 0 || strcmp(st, "claimed") == 0;
}

/* The pending event that comes next: earliest due, then first queued. */
static json_t *next_event(const struct sim *s, size_t *index)
{
	json_t *best = NULL, *e;
	size_t i;
	json_array_foreach (s->events, i, e) {
		if (best == NULL || int_of(e, "due") < int_of(best, "due") ||
		    (int_of(e, "due") == int_of(best, "due") &&
		     int_of(e, "id") < int_of(best, "id"))) {
			best = e;
			*index = i;
		}
	}
	return best;
}

/* The open task whose due date comes next and that will do something then: be completed
 * (auto) or reported overdue (once). */
static json_t *next_task(const struct sim *s)
{
	json_t *best = NULL, *t;
	size_t i;
	json_array_foreach (s->tasks, i, t) {
		if (!task_open(t) || !json_is_integer(json_object_get(t, "due")))
			continue;
		if (!s->autom && json_is_true(json_object_get(t, "overdue_notified")))
			continue;
		if (best == NULL || int_of(t, "due") < int_of(best, "due"))
			best = t;
	}
	return best;
}

int64_t sim_next(const struct sim *s)
{
	if (s->failed || strcmp(s->c.status, "closed") == 0)
		return INT64_MAX;
	size_t i;
	json_t *e = next_event(s, &i), *t = next_task(s);
	int64_t te = e ? int_of(e, "due") : INT64_MAX;
	/* An overdue report comes the moment after the due time, as the daemon's sweep would. */
	int64_t tt = t ? int_of(t, "due") + (s->autom ? 0 : 1) : INT64_MAX;
	return te < tt ? te : tt;
}

static json_t *find_task(struct sim *s, int64_t id)
{
	json_t *t;
	size_t i;
	json_array_foreach (s->tasks, i, t)
		if (int_of(t, "id") == id)
			return t;
	return NULL;
}

/* The event that tells the case what happened to a task, as the database functions do. */
static int task_event(struct sim *s, json_t *t, const char *type, json_t *extra)
{
	json_t *payload =
		json_pack("{s:I,s:O,s:O,s:O,s:s}", "task", int_of(t, "id"), "key",
			  json_object_get(t, "key") ? json_object_get(t, "key") : json_null(),
			  "department", json_object_get(t, "department"), "kind",
			  json_object_get(t, "kind"), "by", "simulation");
	if (payload == NULL) {
		json_decref(extra);
		return -1;
	}
	if (extra)
		json_object_update(payload, extra);
	json_decref(extra);
	return queue_event(s, type, payload, s->now, NULL);
}

static int log_action(struct sim *s, const char *what)
{
	json_t *e = entry(s, "action");
	if (e == NULL)
		return -1;
	json_object_set_new(e, "action", json_string(what));
	return json_array_append_new(s->timeline, e);
}

static int close_task(struct sim *s, int64_t id, const char *kind, const char *status,
		      const char *reason, const json_t *outcome, char *err, size_t errlen)
{
	json_t *t = find_task(s, id);
	if (t == NULL) {
		snprintf(err, errlen, "there is no task %lld", (long long)id);
		return -1;
	}
	if (strcmp(str_of(t, "kind"), kind) != 0 || !task_open(t)) {
		snprintf(err, errlen, "task %lld is not an open %s (it is a %s, %s)", (long long)id,
			 kind, str_of(t, "kind"), str_of(t, "status"));
		return -1;
	}
	json_object_set_new(t, "status", json_string(status));
	json_object_set_new(t, "closed", json_integer(s->now));
	char what[400];
	json_t *extra;
	if (strcmp(status, "done") == 0) {
		json_t *o = outcome ? json_deep_copy(outcome) : json_object();
		json_object_set(t, "outcome", o);
		extra = json_pack("{s:o}", "outcome", o);
		snprintf(what, sizeof what, "%s completes task %lld: %s", str_of(t, "department"),
			 (long long)id, str_of(t, "title"));
	} else if (strcmp(status, "accepted") == 0) {
		extra = NULL;
		snprintf(what, sizeof what, "%s accepts handover %lld: %s", str_of(t, "department"),
			 (long long)id, str_of(t, "title"));
	} else {
		json_object_set_new(t, "reason", json_string(reason));
		extra = json_pack("{s:s}", "reason", reason);
		snprintf(what, sizeof what, "%s rejects handover %lld: %s", str_of(t, "department"),
			 (long long)id, reason);
	}
	const char *type = strcmp(status, "done") == 0       ? "task_done"
			   : strcmp(status, "accepted") == 0 ? "handover_accepted"
							     : "handover_rejected";
	if (log_action(s, what) != 0 || task_event(s, t, type, extra) != 0)
		return fail_with(err, errlen, "out of memory");
	return 0;
}

int sim_complete_task(struct sim *s, int64_t task, const json_t *outcome, char *err, size_t errlen)
{
	if (outcome && !json_is_object(outcome))
		return fail_with(err, errlen, "a task's outcome must be a table with named fields");
	return close_task(s, task, "task", "done", NULL, outcome, err, errlen);
}

int sim_accept_handover(struct sim *s, int64_t task, char *err, size_t errlen)
{
	return close_task(s, task, "handover", "accepted", NULL, NULL, err, errlen);
}

int sim_reject_handover(struct sim *s, int64_t task, const char *reason, char *err, size_t errlen)
{
	if (reason == NULL || reason[0] == '\0')
		return fail_with(err, errlen, "a rejected handover needs a reason");
	return close_task(s, task, "handover", "rejected", reason, NULL, err, errlen);
}

int sim_tovholder_unavailable(struct sim *s, char *err, size_t errlen)
{
	if (s->c.tovholder == NULL)
		return fail_with(err, errlen, "the case has no tovholder yet");
	char what[200];
	snprintf(what, sizeof what, "tovholder %s becomes absent", s->c.tovholder);
	if (core_dir_set_staff_status(s->dir, s->c.tovholder, "absent") != 0 ||
	    log_action(s, what) != 0 ||
	    queue_event(s, "tovholder_unavailable",
			json_pack("{s:s,s:s}", "staff", s->c.tovholder, "status", "absent"), s->now,
			NULL) != 0)
		return fail_with(err, errlen, "out of memory");
	return 0;
}

int sim_send(struct sim *s, const char *type, const json_t *payload, char *err, size_t errlen)
{
	if (payload && !json_is_object(payload))
		return fail_with(err, errlen,
				 "an event's payload must be a table with named fields");
	if (queue_event(s, type, payload ? json_deep_copy(payload) : NULL, s->now, NULL) != 0)
		return fail_with(err, errlen, "out of memory");
	return 0;
}

/* Writes a step's effects into the in-memory store, as engine/store does into PostgreSQL. */
static int apply_effects(struct sim *s, const struct core_effects *fx, json_t *created)
{
	size_t i;
	json_t *x, *t;
	json_array_foreach (fx->cancel_timers, i, x) {
		for (size_t k = json_array_size(s->events); k-- > 0;) {
			const char *key = str_of(json_array_get(s->events, k), "key");
			if (key && strcmp(key, json_string_value(x)) == 0)
				json_array_remove(s->events, k);
		}
	}
	json_array_foreach (fx->cancel_tasks, i, x) {
		size_t k;
		json_array_foreach (s->tasks, k, t) {
			const char *key = str_of(t, "key");
			if (key && strcmp(key, str_of(x, "key")) == 0 && task_open(t)) {
				json_object_set_new(t, "status", json_string("cancelled"));
				json_object_set_new(
					t, "reason",
					json_string(str_of(x, "reason")
							    ? str_of(x, "reason")
							    : "cancelled by the workflow"));
			}
		}
	}
	json_array_foreach (fx->tasks, i, x) {
		t = json_deep_copy(x);
		if (t == NULL)
			return -1;
		json_object_set_new(t, "id", json_integer(++s->last_task_id));
		json_object_set_new(t, "status", json_string("open"));
		json_object_set_new(t, "created", json_integer(s->now));
		json_object_del(t, "line");
		/* The timeline keeps the task as it was made; the store keeps it current. */
		if (json_array_append_new(s->tasks, t) ||
		    json_array_append_new(created, json_deep_copy(t)))
			return -1;
	}
	json_array_foreach (fx->timers, i, x) {
		if (queue_event(s, str_of(x, "event"),
				json_deep_copy(json_object_get(x, "payload")), int_of(x, "at"),
				str_of(x, "key")) != 0)
			return -1;
	}
	json_array_foreach (fx->goals, i, x) {
		size_t k;
		json_array_foreach (s->goals, k, t)
			if (strcmp(str_of(t, "key"), str_of(x, "key")) == 0) {
				json_array_remove(s->goals, k);
				break;
			}
		if (json_array_append(s->goals, x))
			return -1;
	}
	if (json_array_extend(s->measures, fx->measures) ||
	    json_array_extend(s->outbox, fx->outbox))
		return -1;
	if (fx->closed) {
		json_array_clear(s->events);
		json_array_foreach (s->tasks, i, t)
			if (task_open(t)) {
				json_object_set_new(t, "status", json_string("cancelled"));
				json_object_set_new(t, "reason",
						    json_string("the case was closed"));
			}
	}
	s->c.revision++;
	return 0;
}

static int step(struct sim *s, json_t *ev, char *err, size_t errlen)
{
	struct core_event e = {int_of(ev, "id"), str_of(ev, "type"), json_object_get(ev, "payload"),
			       int_of(ev, "due")};
	struct core_effects fx;
	if (core_effects_init(&fx) != 0)
		return fail_with(err, errlen, "out of memory");
	json_t *created = json_array();
	int rc = core_step(s->wf, &s->c, &e, s->dir, s->now, &fx, err, errlen);
	if (rc == 0 && (created == NULL || apply_effects(s, &fx, created) != 0))
		rc = fail_with(err, errlen, "out of memory");
	json_t *line = entry(s, "step");
	if (line) {
		json_object_set_new(line, "event", json_string(e.type));
		json_object_set(line, "payload", json_object_get(ev, "payload"));
		/* A failed step changed nothing: its lists are empty. */
		json_object_set_new(line, "commands",
				    rc == 0 ? json_incref(fx.commands) : json_array());
		json_object_set_new(line, "tasks_created",
				    created ? json_incref(created) : json_array());
		json_object_set_new(line, "tovholder_changes",
				    rc == 0 ? json_incref(fx.tovholder_changes) : json_array());
		if (fx.trace)
			json_object_set(line, "trace", fx.trace);
		if (rc != 0)
			json_object_set_new(line, "error", json_string(err));
		json_array_append_new(s->timeline, line);
	}
	json_decref(created);
	core_effects_clear(&fx);
	if (rc != 0)
		s->failed = true;
	return rc;
}

int sim_run_until(struct sim *s, int64_t until, char *err, size_t errlen)
{
	if (s->failed)
		return fail_with(err, errlen, "the simulation stopped at a failed step");
	for (;;) {
		int64_t next = sim_next(s);
		if (next > until)
			break;
		if (next > s->now)
			s->now = next;
		size_t index;
		json_t *e = next_event(s, &index);
		if (e && int_of(e, "due") <= s->now) {
			json_incref(e);
			json_array_remove(s->events, index);
			int rc = step(s, e, err, errlen);
			json_decref(e);
			if (rc != 0)
				return -1;
			continue;
		}
		json_t *t = next_task(s);
		if (s->autom) {
			json_t *outcome = json_pack("{s:b}", "auto", 1);
			int rc = strcmp(str_of(t, "kind"), "handover") == 0
					 ? sim_accept_handover(s, int_of(t, "id"), err, errlen)
					 : sim_complete_task(s, int_of(t, "id"), outcome, err,
							     errlen);
			json_decref(outcome);
			if (rc != 0)
				return -1;
		} else {
			json_object_set_new(t, "overdue_notified", json_true());
			if (queue_event(s, "task_overdue",
					json_pack("{s:I,s:O,s:O,s:O,s:I}", "task", int_of(t, "id"),
						  "key",
						  json_object_get(t, "key")
							  ? json_object_get(t, "key")
							  : json_null(),
						  "kind", json_object_get(t, "kind"), "department",
						  json_object_get(t, "department"), "due",
						  int_of(t, "due")),
					s->now, NULL) != 0)
				return fail_with(err, errlen, "out of memory");
		}
	}
	if (until > s->now)
		s->now = until;
	return 0;
}

const struct core_case *sim_case(const struct sim *s) { return &s->c; }
const struct lwf_def *sim_def(const struct sim *s) { return s->def; }
const json_t *sim_tasks(const struct sim *s) { return s->tasks; }
const json_t *sim_timeline(const struct sim *s) { return s->timeline; }
const json_t *sim_goals(const struct sim *s) { return s->goals; }
const json_t *sim_measures(const struct sim *s) { return s->measures; }
const json_t *sim_outbox(const struct sim *s) { return s->outbox; }
const json_t *sim_pending(const struct sim *s) { return s->events; }
