#include "core/step.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int replace(char **field, const char *value)
{
	char *copy = dup_or_null(value);
	if (value && copy == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

int core_case_init(struct core_case *c, int64_t id, int64_t citizen_id, const char *workflow,
		   int version, const char *phase, const char *status, const char *tovholder,
		   const char *tovholder_department, const char *birth_date, int64_t revision)
{
	c->id = id;
	c->citizen_id = citizen_id;
	c->workflow_version = version;
	c->revision = revision;
	if (replace(&c->workflow_name, workflow) || replace(&c->phase, phase) ||
	    replace(&c->status, status) || replace(&c->tovholder, tovholder) ||
	    replace(&c->tovholder_department, tovholder_department) ||
	    replace(&c->birth_date, birth_date))
		return -1;
	if (c->state == NULL)
		c->state = json_object();
	if (c->attributes == NULL)
		c->attributes = json_object();
	return c->state && c->attributes ? 0 : -1;
}

void core_case_clear(struct core_case *c)
{
	free(c->workflow_name);
	free(c->phase);
	free(c->status);
	free(c->tovholder);
	free(c->tovholder_department);
	free(c->outcome);
	free(c->birth_date);
	json_decref(c->state);
	json_decref(c->attributes);
	memset(c, 0, sizeof *c);
}

int core_effects_init(struct core_effects *e)
{
	memset(e, 0, sizeof *e);
	json_t **arrays[] = {
		&e->commands,          &e->tasks, &e->cancel_tasks, &e->timers, &e->cancel_timers,
		&e->tovholder_changes, &e->goals, &e->measures,     &e->outbox, &e->refs};
	for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
		*arrays[i] = json_array();
		if (*arrays[i] == NULL) {
			core_effects_clear(e);
			return -1;
		}
	}
	return 0;
}

void core_effects_clear(struct core_effects *e)
{
	json_decref(e->commands);
	json_decref(e->tasks);
	json_decref(e->cancel_tasks);
	json_decref(e->timers);
	json_decref(e->cancel_timers);
	json_decref(e->tovholder_changes);
	json_decref(e->goals);
	json_decref(e->measures);
	json_decref(e->outbox);
	json_decref(e->refs);
	json_decref(e->trace);
	memset(e, 0, sizeof *e);
}

const char *core_citizen_text(const struct lwf_def *def, const char *phase)
{
	int i = phase ? lwf_phase_index(def, phase) : -1;
	return i < 0 ? NULL : def->phases[i].text;
}

/* The context for checking one command: where messages point. */
struct apply {
	const struct lwf_def *def;
	struct core_case *c;
	const struct core_event *ev;
	struct core_directory *dir;
	struct core_effects *fx;
	int64_t now;
	int line;
	size_t index; /* of the command, for outbox keys */
	char *err;
	size_t errlen;
};

/* Messages name the workflow file and line, as Lua's own errors do: "counter.lua:12: ...". */
__attribute__((format(printf, 2, 3))) static int refuse(struct apply *a, const char *fmt, ...)
{
	int n;
	if (a->line > 0)
		n = snprintf(a->err, a->errlen, "%s.lua:%d: ", a->def->name, a->line);
	else
		n = snprintf(a->err, a->errlen, "%s.lua: ", a->def->name);
	if (n >= 0 && (size_t)n < a->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(a->err + n, a->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *str(const json_t *cmd, const char *key)
{
	const char *s = json_string_value(json_object_get(cmd, key));
	return s && *s ? s : NULL;
}

static int need_str(struct apply *a, const json_t *cmd, const char *key, const char **out)
{
	*out = str(cmd, key);
	if (*out == NULL)
		return refuse(a, "%s: '%s' is required", str(cmd, "cmd"), key);
	return 0;
}

static int oom(struct apply *a) { return refuse(a, "out of memory"); }

static int append(struct apply *a, json_t *array, json_t *item)
{
	if (item == NULL || json_array_append_new(array, item) != 0)
		return oom(a);
	return 0;
}

static bool valid_event_type(const char *t)
{
	if (t == NULL || !(*t >= 'a' && *t <= 'z'))
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_'))
			return false;
	return true;
}

/* Times the database can store and a caseworker can mean: 1900-01-01 to 9999-12-31. */
static bool sane_time(json_int_t t) { return t >= -2208988800LL && t <= 253402300799LL; }

static bool has_handler(const struct lwf_def *def, const char *type)
{
	for (size_t i = 0; i < def->nhandlers; i++)
		if (strcmp(def->handlers[i], type) == 0)
			return true;
	return false;
}

static int department_must_exist(struct apply *a, const char *cmd, const char *department)
{
	if (!core_dir_department_exists(a->dir, department))
		return refuse(a, "%s: there is no department '%s'", cmd, department);
	return 0;
}

static int cmd_assign_tovholder(struct apply *a, const json_t *cmd)
{
	const char *reason, *staff = str(cmd, "staff"), *department = str(cmd, "department");
	if (need_str(a, cmd, "reason", &reason))
		return -1;
	if ((staff == NULL) == (department == NULL))
		return refuse(a, "assign_tovholder: give either 'staff' or 'department'");
	const char *to, *to_department;
	if (staff) {
		const char *status = core_dir_staff_status(a->dir, staff);
		if (status == NULL)
			return refuse(a, "assign_tovholder: there is no staff member '%s'", staff);
		if (strcmp(status, "active") != 0)
			return refuse(a,
				      "assign_tovholder: staff member '%s' is %s and cannot be "
				      "tovholder",
				      staff, status);
		to = staff;
		to_department = core_dir_staff_department(a->dir, staff);
	} else {
		if (department_must_exist(a, "assign_tovholder", department))
			return -1;
		to = core_dir_pick(a->dir, department);
		if (to == NULL)
			return refuse(
				a,
				"assign_tovholder: department '%s' has no active staff member "
				"to be tovholder",
				department);
		to_department = department;
	}
	if (a->c->tovholder && strcmp(a->c->tovholder, to) == 0 &&
	    (to_department == NULL || (a->c->tovholder_department &&
				       strcmp(a->c->tovholder_department, to_department) == 0)))
		return 0; /* already theirs */
	json_t *change = json_pack("{s:s*,s:s,s:s*,s:s,s:i}", "from", a->c->tovholder, "to", to,
				   "department", to_department, "reason", reason, "line", a->line);
	if (append(a, a->fx->tovholder_changes, change))
		return -1;
	core_dir_count_move(a->dir, a->c->tovholder, to);
	if (replace(&a->c->tovholder, to) || replace(&a->c->tovholder_department, to_department))
		return oom(a);
	return 0;
}

static json_t *string_list(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return json_array();
	return json_deep_copy(v);
}

static int cmd_task(struct apply *a, const json_t *cmd, bool handover)
{
	const char *name = handover ? "handover" : "task";
	const char *department, *title;
	if (need_str(a, cmd, "department", &department) || need_str(a, cmd, "title", &title))
		return -1;
	if (department_must_exist(a, name, department))
		return -1;
	json_t *due = json_object_get(cmd, "due");
	if (due && (!json_is_integer(due) || !sane_time(json_integer_value(due))))
		return refuse(a, "%s: 'due' must be a time between the years 1900 and 9999", name);
	const char *assignee = str(cmd, "assignee");
	if (assignee && core_dir_staff_status(a->dir, assignee) == NULL)
		return refuse(a, "%s: there is no staff member '%s'", name, assignee);
	json_t *detail = NULL;
	if (handover) {
		const char *summary;
		if (need_str(a, cmd, "summary", &summary))
			return -1;
		if (a->c->tovholder_department &&
		    strcmp(a->c->tovholder_department, department) == 0)
			return refuse(a,
				      "handover: the case is already with '%s'; a handover goes to "
				      "another department",
				      department);
		detail =
			json_pack("{s:s,s:o,s:o,s:s*,s:s*}", "summary", summary, "goals",
				  string_list(json_object_get(cmd, "goals")), "questions",
				  string_list(json_object_get(cmd, "questions")), "from_department",
				  a->c->tovholder_department, "from_tovholder", a->c->tovholder);
		if (detail == NULL)
			return oom(a);
	}
	json_t *task =
		json_pack("{s:s,s:s,s:s*,s:s*,s:s,s:s*,s:O*,s:s*,s:o*,s:i}", "kind", name,
			  "department", department, "from_department", a->c->tovholder_department,
			  "assignee", assignee, "title", title, "body", str(cmd, "body"), "due",
			  due, "key", str(cmd, "key"), "handover", detail, "line", a->line);
	return append(a, a->fx->tasks, task);
}

/* Removes the members of ARRAY whose KEY equals VALUE; returns how many. */
static size_t remove_keyed(json_t *array, const char *member, const char *value)
{
	size_t removed = 0;
	for (size_t i = json_array_size(array); i-- > 0;) {
		const char *k =
			json_string_value(json_object_get(json_array_get(array, i), member));
		if (k && strcmp(k, value) == 0) {
			json_array_remove(array, i);
			removed++;
		}
	}
	return removed;
}

static int cmd_cancel_task(struct apply *a, const json_t *cmd)
{
	const char *key;
	if (need_str(a, cmd, "key", &key))
		return -1;
	remove_keyed(a->fx->tasks, "key", key);
	return append(a, a->fx->cancel_tasks,
		      json_pack("{s:s,s:s*}", "key", key, "reason", str(cmd, "reason")));
}

static int cancel_timer_key(struct apply *a, const char *key)
{
	remove_keyed(a->fx->timers, "key", key);
	for (size_t i = 0; i < json_array_size(a->fx->cancel_timers); i++)
		if (strcmp(json_string_value(json_array_get(a->fx->cancel_timers, i)), key) == 0)
			return 0;
	return append(a, a->fx->cancel_timers, json_string(key));
}

static int cmd_timer(struct apply *a, const json_t *cmd)
{
	const char *event;
	if (need_str(a, cmd, "event", &event))
		return -1;
	if (!valid_event_type(event))
		return refuse(a, "timer: '%s' is not an event type (lower case letters, digits, _)",
			      event);
	if (!has_handler(a->def, event))
		return refuse(
			a, "timer: the workflow has no handler for '%s' (add it to on = { ... })",
			event);
	json_t *at = json_object_get(cmd, "at");
	if (!json_is_integer(at) || !sane_time(json_integer_value(at)))
		return refuse(a, "timer: 'at' must be a time between the years 1900 and 9999");
	const char *key = str(cmd, "key");
	if (key && cancel_timer_key(a, key))
		return -1; /* a timer with the same key replaces the earlier one */
	json_t *payload = json_object_get(cmd, "payload");
	if (payload && !json_is_object(payload))
		return refuse(a, "timer: 'payload' must be a table with named fields");
	return append(a, a->fx->timers,
		      json_pack("{s:s,s:I,s:s*,s:o}", "event", event, "at", json_integer_value(at),
				"key", key, "payload",
				payload ? json_incref(payload) : json_object()));
}

static int cmd_cancel_timer(struct apply *a, const json_t *cmd)
{
	const char *key;
	if (need_str(a, cmd, "key", &key))
		return -1;
	return cancel_timer_key(a, key);
}

static int cmd_phase(struct apply *a, const json_t *cmd)
{
	const char *to;
	if (need_str(a, cmd, "phase", &to))
		return -1;
	int target = lwf_phase_index(a->def, to);
	if (target < 0)
		return refuse(a, "phase: the workflow has no phase '%s'", to);
	if (strcmp(a->c->phase, to) == 0)
		return 0;
	int from = lwf_phase_index(a->def, a->c->phase);
	bool allowed = false;
	if (from >= 0) {
		const struct lwf_phase *p = &a->def->phases[from];
		for (size_t i = 0; i < p->nnext && !allowed; i++)
			allowed = strcmp(p->next[i], to) == 0;
	}
	if (!allowed)
		return refuse(a,
			      "phase: the workflow does not allow '%s' -> '%s' (see next = { ... } "
			      "of '%s')",
			      a->c->phase, to, a->c->phase);
	return replace(&a->c->phase, to) ? oom(a) : 0;
}

static int cmd_set(struct apply *a, const json_t *cmd)
{
	const char *key;
	if (need_str(a, cmd, "key", &key))
		return -1;
	json_t *value = json_object_get(cmd, "value");
	if (value == NULL || json_is_null(value)) {
		json_object_del(a->c->state, key);
		return 0;
	}
	return json_object_set(a->c->state, key, value) ? oom(a) : 0;
}

static int cmd_goal(struct apply *a, const json_t *cmd)
{
	const char *key, *text;
	if (need_str(a, cmd, "key", &key) || need_str(a, cmd, "text", &text))
		return -1;
	/* the expected level is a word of FFB's scale, as the registry has it */
	json_t *level = json_object_get(cmd, "forventet_niveau");
	const struct core_instruments *reg = core_dir_instruments(a->dir);
	char why[768];
	if (level && reg && core_instruments_check(reg, "ffb-stoettebehov", level, why, sizeof why))
		return refuse(a, "goal: 'forventet_niveau': %s", why);
	remove_keyed(a->fx->goals, "key", key); /* the last word of the step counts */
	return append(a, a->fx->goals,
		      json_pack("{s:s,s:s,s:s*,s:s*,s:s*,s:s*}", "key", key, "text", text, "theme",
				str(cmd, "theme"), "maaltype", str(cmd, "maaltype"),
				"forventet_niveau", str(cmd, "forventet_niveau"), "ffb_tema",
				str(cmd, "ffb_tema")));
}

static int cmd_measure(struct apply *a, const json_t *cmd)
{
	const char *instrument, *kind;
	if (need_str(a, cmd, "instrument", &instrument) || need_str(a, cmd, "kind", &kind))
		return -1;
	if (strcmp(kind, "baseline") != 0 && strcmp(kind, "followup") != 0)
		return refuse(a, "measure: 'kind' is 'baseline' or 'followup', not '%s'", kind);
	json_t *value = json_object_get(cmd, "value");
	if (!json_is_number(value) && !json_is_string(value))
		return refuse(a, "measure: 'value' must be a number or a text");
	const struct core_instruments *reg = core_dir_instruments(a->dir);
	char why[768];
	if (reg && core_instruments_check(reg, instrument, value, why, sizeof why) != 0)
		return refuse(a, "measure: %s", why);
	json_t *at = json_object_get(cmd, "at");
	json_int_t when = json_is_integer(at) ? json_integer_value(at) : a->now;
	if (!sane_time(when))
		return refuse(a, "measure: 'at' must be a time between the years 1900 and 9999");
	json_t *m = json_pack("{s:s,s:s,s:I,s:s*}", "instrument", instrument, "kind", kind, "at",
			      when, "goal", str(cmd, "goal"));
	if (m == NULL)
		return oom(a);
	if (json_is_number(value))
		json_object_set_new(m, "value_num", json_real(json_number_value(value)));
	else
		json_object_set(m, "value_text", value);
	return append(a, a->fx->measures, m);
}

static int cmd_outbox(struct apply *a, const json_t *cmd)
{
	const char *plugin, *action;
	if (need_str(a, cmd, "plugin", &plugin) || need_str(a, cmd, "action", &action))
		return -1;
	json_t *payload = json_object_get(cmd, "payload");
	if (payload && !json_is_object(payload))
		return refuse(a, "outbox: 'payload' must be a table with named fields");
	/* The key the receiving system sees: stable for the case when the workflow names one,
	 * else unique to this command of this event. */
	char idem[160];
	const char *key = str(cmd, "key");
	if (key && strlen(key) > 100)
		return refuse(a, "outbox: 'key' is longer than 100 characters");
	if (key)
		snprintf(idem, sizeof idem, "case:%lld:%s", (long long)a->c->id, key);
	else
		snprintf(idem, sizeof idem, "event:%lld:%zu", (long long)a->ev->id, a->index);
	return append(a, a->fx->outbox,
		      json_pack("{s:s,s:s,s:o,s:s,s:b}", "plugin", plugin, "action", action,
				"payload", payload ? json_incref(payload) : json_object(),
				"idem_key", idem, "notify",
				json_is_true(json_object_get(cmd, "notify"))));
}

/* What another system knows the case as: plugins put events into the case by it. */
static int cmd_ref(struct apply *a, const json_t *cmd)
{
	const char *system, *ref;
	if (need_str(a, cmd, "system", &system) || need_str(a, cmd, "ref", &ref))
		return -1;
	bool ok = system[0] >= 'a' && system[0] <= 'z' && strlen(system) <= 64;
	for (const char *p = system; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
	if (!ok)
		return refuse(a,
			      "ref: 'system' is a name of a-z, 0-9 and -, such as \"nexus\", not "
			      "'%s'",
			      system);
	if (strlen(ref) > 200)
		return refuse(a, "ref: 'ref' is longer than 200 characters");
	return append(a, a->fx->refs, json_pack("{s:s,s:s}", "system", system, "ref", ref));
}

static int cmd_close(struct apply *a, const json_t *cmd)
{
	const char *outcome;
	if (need_str(a, cmd, "outcome", &outcome))
		return -1;
	if (replace(&a->c->status, "closed") || replace(&a->c->outcome, outcome))
		return oom(a);
	a->fx->closed = true;
	/* a closed case has nothing pending: timers and tasks set earlier in this step are
	 * dropped, as everything pending from before is cancelled when the close is written */
	json_array_clear(a->fx->timers);
	json_array_clear(a->fx->tasks);
	core_dir_count_move(a->dir, a->c->tovholder, NULL);
	return 0;
}

int core_apply(const struct lwf_def *def, struct core_case *c, const struct core_event *ev,
	       struct core_directory *dir, int64_t now, const json_t *commands,
	       struct core_effects *fx, char *err, size_t errlen)
{
	struct apply a = {def, c, ev, dir, fx, now, 0, 0, err, errlen};
	if (!json_is_array(commands))
		return refuse(&a, "the handler's commands are not a list");
	bool had_tovholder = c->tovholder != NULL;
	for (a.index = 0; a.index < json_array_size(commands); a.index++) {
		const json_t *cmd = json_array_get(commands, a.index);
		a.line = (int)json_integer_value(json_object_get(cmd, "line"));
		const char *name = str(cmd, "cmd");
		if (name == NULL)
			return refuse(&a, "a command without a name");
		if (strcmp(c->status, "closed") == 0)
			return refuse(&a, "%s: the case is closed; nothing may follow case:close",
				      name);
		int rc;
		if (strcmp(name, "assign_tovholder") == 0)
			rc = cmd_assign_tovholder(&a, cmd);
		else if (strcmp(name, "task") == 0)
			rc = cmd_task(&a, cmd, false);
		else if (strcmp(name, "handover") == 0)
			rc = cmd_task(&a, cmd, true);
		else if (strcmp(name, "cancel_task") == 0)
			rc = cmd_cancel_task(&a, cmd);
		else if (strcmp(name, "timer") == 0)
			rc = cmd_timer(&a, cmd);
		else if (strcmp(name, "cancel_timer") == 0)
			rc = cmd_cancel_timer(&a, cmd);
		else if (strcmp(name, "phase") == 0)
			rc = cmd_phase(&a, cmd);
		else if (strcmp(name, "set") == 0)
			rc = cmd_set(&a, cmd);
		else if (strcmp(name, "goal") == 0)
			rc = cmd_goal(&a, cmd);
		else if (strcmp(name, "measure") == 0)
			rc = cmd_measure(&a, cmd);
		else if (strcmp(name, "outbox") == 0)
			rc = cmd_outbox(&a, cmd);
		else if (strcmp(name, "ref") == 0)
			rc = cmd_ref(&a, cmd);
		else if (strcmp(name, "close") == 0)
			rc = cmd_close(&a, cmd);
		else
			rc = refuse(&a, "unknown command '%s'", name);
		if (rc != 0)
			return -1;
	}
	/* The one-tovholder rule: a case is never without its tovholder after a step. */
	a.line = 0;
	if (c->tovholder == NULL)
		return refuse(&a, "after the '%s' handler the case has no tovholder; %s", ev->type,
			      had_tovholder ? "the tovholder cannot be removed"
					    : "the first step must assign one with "
					      "case:assign_tovholder { ... }");
	if (json_array_extend(fx->commands, (json_t *)commands) != 0)
		return oom(&a);
	return 0;
}

/* Adds N working days (Monday to Friday) to T. */
static int64_t add_working_days(int64_t t, int n)
{
	while (n > 0) {
		t += DAY;
		int64_t days = t >= 0 ? t / DAY : (t - DAY + 1) / DAY;
		int weekday =
			(int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday: 0 = Monday */
		if (weekday < 5)
			n--;
	}
	return t;
}

json_t *core_default_commands(const struct core_case *c, const struct core_event *ev, int64_t now)
{
	json_t *commands = json_array();
	if (commands == NULL || strcmp(ev->type, "tovholder_unavailable") != 0 ||
	    c->tovholder_department == NULL)
		return commands;
	int64_t today = now - (now % DAY + DAY) % DAY;
	json_t *task = json_pack(
		"{s:s,s:i,s:s,s:s,s:s,s:I,s:s}", "cmd", "task", "line", 0, "department",
		c->tovholder_department, "title", "Vælg en ny tovholder", "body",
		"Tovholderen er fraværende eller fratrådt. Vælg en ny tovholder for forløbet; "
		"indtil "
		"da er afdelingen borgerens kontakt.",
		"due", (json_int_t)add_working_days(today, 2), "key", "tovholder_unavailable");
	if (task == NULL || json_array_append_new(commands, task) != 0) {
		json_decref(commands);
		return NULL;
	}
	return commands;
}

int core_step(struct lwf_workflow *wf, struct core_case *c, const struct core_event *ev,
	      struct core_directory *dir, int64_t now, struct core_effects *fx, char *err,
	      size_t errlen)
{
	const struct lwf_def *def = lwf_def(wf);
	struct lwf_case_view view = {
		.id = c->id,
		.phase = c->phase,
		.state = c->state,
		.tovholder = c->tovholder,
		.tovholder_department = c->tovholder_department,
		.citizen_id = c->citizen_id,
		.birth_date = c->birth_date,
		.attributes = c->attributes,
		.now = now,
	};
	struct lwf_event_view evv = {ev->id, ev->type, ev->payload, ev->at};
	json_t *commands = NULL;
	if (lwf_run(wf, &view, &evv, &commands, &fx->trace, err, errlen) != 0)
		return -1;
	if (json_array_size(commands) == 0 && !has_handler(def, ev->type)) {
		json_decref(commands);
		commands = core_default_commands(c, ev, now);
		if (commands == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	int rc = core_apply(def, c, ev, dir, now, commands, fx, err, errlen);
	json_decref(commands);
	return rc;
}
