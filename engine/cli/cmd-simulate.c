/*
 * overgang simulate FILE --born DATE ...: runs a workflow for a made-up citizen on the
 * simulator (engine/sim: the daemon's own step code on an in-memory store with a fake clock)
 * and prints the timeline. No database. The outside world's answers come from a script
 * (--script) or from --auto; see workflows/README.md for both.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "cli/cli.h"
#include "cli/wftools.h"
#include "util/civil.h"

#define WIDTH 100
#define SCRIPT_MEMORY ((size_t)32 << 20)

static int usage(void)
{
	fprintf(stderr,
		"usage: overgang simulate FILE --born DATE [--attr NAME[=VALUE]]... [--start "
		"DATE]\n"
		"                         [--until DATE] [--script FILE] [--auto] [--json]\n"
		"  --born DATE    the made-up citizen's birth date (YYYY-MM-DD)\n"
		"  --attr NAME    a citizen attribute: NAME is true; NAME=VALUE gives a value\n"
		"  --start DATE   when the case starts (default: when the start rule starts it)\n"
		"  --until DATE   when the simulation stops (default: when the case closes or\n"
		"                 nothing more happens, at the latest at the citizen's 30th "
		"birthday)\n"
		"  --script FILE  the outside world's answers: a Lua file returning a list\n"
		"  --auto         complete every task, accept every handover, on its due date\n"
		"  --json         the timeline and the final state as JSON\n");
	return 2;
}

/* Output helpers. */

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void print_json(FILE *f, const json_t *v)
{
	char *s = dump(v);
	fputs(s ? s : "?", f);
	free(s);
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void print_time(FILE *f, json_int_t t)
{
	char buf[32];
	wft_format_time(t, buf);
	fputs(buf, f);
}

/* Characters (not bytes) of UTF-8 text S, first LEN bytes. */
static size_t columns(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Prints HEAD and then TEXT wrapped at WIDTH columns. Continuation lines are indented by
 * INDENT columns, or (INDENT < 0) so that they line up under the text's start. */
static void print_wrapped(FILE *f, const char *head, const char *text, int indent)
{
	size_t col = columns(head, strlen(head));
	size_t hang = indent < 0 ? col : (size_t)indent;
	fputs(head, f);
	const char *p = text;
	bool first = true;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t wlen = strcspn(p, " \n");
		if (wlen == 0) {
			if (*p == '\n')
				p++;
			continue;
		}
		size_t w = columns(p, wlen);
		if (!first && col + 1 + w > WIDTH) {
			fprintf(f, "\n%*s", (int)hang, "");
			col = hang;
			first = true;
		}
		if (!first) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, wlen, f);
		col += w;
		first = false;
		p += wlen;
	}
	fputc('\n', f);
}

/* One line of the timeline, wrapped, its continuation lines indented by INDENT. */
__attribute__((format(printf, 3, 4))) static void wline(FILE *f, int indent, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t lead = strspn(text, " ");
	char head[64];
	snprintf(head, sizeof head, "%.*s", (int)(lead < sizeof head ? lead : sizeof head - 1),
		 text);
	print_wrapped(f, head, text + lead, indent);
	free(text);
}

/* Compact JSON; the caller frees it. */
static char *compact(const json_t *v)
{
	char *s = dump(v);
	return s ? s : strdup("?");
}

/* What the payload of a step's event says, after its type. A new string. */
static char *event_detail(const json_t *e)
{
	const char *type = str_of(e, "event");
	const json_t *p = json_object_get(e, "payload");
	const char *dept = str_of(p, "department") ? str_of(p, "department") : "?";
	const char *kind = str_of(p, "kind") ? str_of(p, "kind") : "task";
	char *out = NULL, *extra = NULL;
	int n;
	if (strcmp(type, "task_done") == 0 || strcmp(type, "handover_accepted") == 0 ||
	    strcmp(type, "handover_rejected") == 0) {
		const json_t *outcome = json_object_get(p, "outcome");
		if (json_object_size(outcome) > 0)
			extra = compact(outcome);
		n = asprintf(&out, ": %s #%lld (%s)%s%s%s%s", kind, (long long)int_of(p, "task"),
			     dept, extra ? ", outcome " : "", extra ? extra : "",
			     str_of(p, "reason") ? ": " : "",
			     str_of(p, "reason") ? str_of(p, "reason") : "");
	} else if (strcmp(type, "task_overdue") == 0) {
		char due[32];
		wft_format_time(int_of(p, "due"), due);
		n = asprintf(&out, ": %s #%lld (%s) was due %s", kind, (long long)int_of(p, "task"),
			     dept, due);
	} else if (strcmp(type, "tovholder_unavailable") == 0 && str_of(p, "staff")) {
		n = asprintf(&out, ": %s is %s", str_of(p, "staff"),
			     str_of(p, "status") ? str_of(p, "status") : "unavailable");
	} else if (json_object_size(p) > 0) {
		extra = compact(p);
		n = asprintf(&out, " %s", extra ? extra : "?");
	} else {
		n = asprintf(&out, "%s", "");
	}
	free(extra);
	return n < 0 ? NULL : out;
}

/* The created task a task or handover command made: the first not yet used with the same
 * kind, department and title. */
static const json_t *created_by(const json_t *cmd, const json_t *created, bool *used)
{
	const char *kind = strcmp(str_of(cmd, "cmd"), "handover") == 0 ? "handover" : "task";
	size_t i;
	const json_t *t;
	json_array_foreach (created, i, t) {
		if (!used[i] && strcmp(str_of(t, "kind"), kind) == 0 &&
		    strcmp(str_of(t, "department"), str_of(cmd, "department")) == 0 &&
		    strcmp(str_of(t, "title"), str_of(cmd, "title")) == 0) {
			used[i] = true;
			return t;
		}
	}
	return NULL;
}

static void print_task_command(FILE *f, const json_t *cmd, const json_t *t)
{
	bool handover = strcmp(str_of(cmd, "cmd"), "handover") == 0;
	char id[32] = "", due[48] = "", key[200] = "", assignee[200] = "";
	if (t)
		snprintf(id, sizeof id, " #%lld", (long long)int_of(t, "id"));
	if (json_is_integer(json_object_get(cmd, "due"))) {
		char day[32];
		wft_format_time(int_of(cmd, "due"), day);
		snprintf(due, sizeof due, ", due %s", day);
	}
	if (str_of(cmd, "key"))
		snprintf(key, sizeof key, ", key %s", str_of(cmd, "key"));
	if (str_of(cmd, "assignee"))
		snprintf(assignee, sizeof assignee, ", for %s", str_of(cmd, "assignee"));
	wline(f, 4, "  %s%s → %s: %s%s%s%s%s", handover ? "handover" : "task", id,
	      str_of(cmd, "department"), str_of(cmd, "title"), due, key, assignee,
	      t ? "" : " (cancelled in the same step)");
	if (handover) {
		print_wrapped(f, "      summary: ", str_of(cmd, "summary"), -1);
		size_t i;
		const json_t *g;
		json_array_foreach (json_object_get(cmd, "goals"), i, g)
			print_wrapped(f, "      goal: ", json_string_value(g), -1);
		json_array_foreach (json_object_get(cmd, "questions"), i, g)
			print_wrapped(f, "      question: ", json_string_value(g), -1);
	}
}

/* The tovholder change an assign_tovholder command made: the first not yet used from the same
 * workflow line. */
static const json_t *change_by(const json_t *cmd, const json_t *changes, bool *used)
{
	size_t i;
	const json_t *c;
	json_array_foreach (changes, i, c) {
		if (!used[i] && int_of(c, "line") == int_of(cmd, "line")) {
			used[i] = true;
			return c;
		}
	}
	return NULL;
}

/* What the step is working through: which of its created tasks and tovholder changes the
 * commands printed so far account for, and the phase and tovholder as the commands leave
 * them. */
struct replay {
	const json_t *step;
	bool *created_used, *changes_used;
	const char *phase, *tovholder;
};

static void print_command(FILE *f, const json_t *cmd, struct replay *r)
{
	const json_t *step = r->step;
	const char *name = str_of(cmd, "cmd");
	const char *key = str_of(cmd, "key");
	char *v = NULL;
	if (strcmp(name, "assign_tovholder") == 0) {
		const json_t *c =
			change_by(cmd, json_object_get(step, "tovholder_changes"), r->changes_used);
		if (c) {
			wline(f, 4, "  tovholder → %s (%s): %s", str_of(c, "to"),
			      str_of(c, "department") ? str_of(c, "department") : "-",
			      str_of(cmd, "reason"));
			r->tovholder = str_of(c, "to");
		} else {
			wline(f, 4, "  tovholder stays %s: %s", r->tovholder ? r->tovholder : "-",
			      str_of(cmd, "reason"));
		}
	} else if (strcmp(name, "task") == 0 || strcmp(name, "handover") == 0) {
		print_task_command(
			f, cmd,
			created_by(cmd, json_object_get(step, "tasks_created"), r->created_used));
	} else if (strcmp(name, "cancel_task") == 0) {
		wline(f, 4, "  cancel task %s%s%s", key, str_of(cmd, "reason") ? ": " : "",
		      str_of(cmd, "reason") ? str_of(cmd, "reason") : "");
	} else if (strcmp(name, "timer") == 0) {
		char at[32];
		wft_format_time(int_of(cmd, "at"), at);
		if (json_object_size(json_object_get(cmd, "payload")) > 0)
			v = compact(json_object_get(cmd, "payload"));
		wline(f, 4, "  timer %s on %s%s%s%s%s", str_of(cmd, "event"), at,
		      key ? ", key " : "", key ? key : "", v ? ", payload " : "", v ? v : "");
	} else if (strcmp(name, "cancel_timer") == 0) {
		wline(f, 4, "  cancel timer %s", key);
	} else if (strcmp(name, "phase") == 0) {
		const char *to = str_of(cmd, "phase");
		if (r->phase && strcmp(r->phase, to) == 0) {
			wline(f, 4, "  phase stays %s", to);
		} else {
			wline(f, 4, "  phase → %s", to);
			r->phase = to;
		}
	} else if (strcmp(name, "set") == 0) {
		const json_t *value = json_object_get(cmd, "value");
		if (value == NULL || json_is_null(value)) {
			wline(f, 4, "  unset %s", key);
		} else {
			v = compact(value);
			wline(f, 4, "  set %s = %s", key, v);
		}
	} else if (strcmp(name, "goal") == 0) {
		const char *theme = str_of(cmd, "theme");
		wline(f, 4, "  goal %s%s%s%s: %s", key, theme ? " (" : "", theme ? theme : "",
		      theme ? ")" : "", str_of(cmd, "text"));
	} else if (strcmp(name, "measure") == 0) {
		char at[48] = "";
		if (int_of(cmd, "at") != int_of(step, "at")) {
			char day[32];
			wft_format_time(int_of(cmd, "at"), day);
			snprintf(at, sizeof at, ", measured %s", day);
		}
		v = compact(json_object_get(cmd, "value"));
		wline(f, 4, "  measure %s %s = %s%s%s%s", str_of(cmd, "instrument"),
		      str_of(cmd, "kind"), v, str_of(cmd, "goal") ? ", goal " : "",
		      str_of(cmd, "goal") ? str_of(cmd, "goal") : "", at);
	} else if (strcmp(name, "outbox") == 0) {
		if (json_object_size(json_object_get(cmd, "payload")) > 0)
			v = compact(json_object_get(cmd, "payload"));
		wline(f, 4, "  outbox %s.%s%s%s%s%s", str_of(cmd, "plugin"), str_of(cmd, "action"),
		      v ? " " : "", v ? v : "", key ? ", key " : "", key ? key : "");
	} else if (strcmp(name, "close") == 0) {
		const char *reason = str_of(cmd, "reason");
		bool why = reason && *reason;
		wline(f, 4, "  close: %s%s%s%s", str_of(cmd, "outcome"), why ? " (" : "",
		      why ? reason : "", why ? ")" : "");
	} else {
		v = compact(cmd);
		wline(f, 4, "  %s %s", name, v);
	}
	free(v);
}

/* PHASE and TOVHOLDER: as the previous step left them (NULL before the first). */
static void print_step(FILE *f, const json_t *e, const char *phase, const char *tovholder,
		       const char **last_text)
{
	const json_t *commands = json_object_get(e, "commands");
	struct replay r = {e, NULL, NULL, phase, tovholder};
	r.created_used =
		calloc(json_array_size(json_object_get(e, "tasks_created")) + 1, sizeof(bool));
	r.changes_used =
		calloc(json_array_size(json_object_get(e, "tovholder_changes")) + 1, sizeof(bool));
	size_t i;
	const json_t *x;
	json_array_foreach (json_object_get(e, "trace"), i, x)
		print_wrapped(f, "  print: ", json_string_value(x), -1);
	if (r.created_used && r.changes_used) {
		json_array_foreach (commands, i, x) {
			if (int_of(x, "line") == 0 && i == 0)
				fputs("  (no handler in the workflow: the engine's default)\n", f);
			print_command(f, x, &r);
		}
	}
	free(r.created_used);
	free(r.changes_used);
	const char *err = str_of(e, "error");
	if (err) {
		size_t head = strcspn(err, "\n");
		fprintf(f, "  FAILED: %.*s\n", (int)head, err);
		for (const char *p = err + head; *p;) {
			p++;
			size_t n = strcspn(p, "\n");
			fprintf(f, "    %.*s\n", (int)n, p);
			p += n;
		}
		return;
	}
	fprintf(f, "  = phase %s · tovholder %s (%s)%s\n", str_of(e, "phase"),
		str_of(e, "tovholder") ? str_of(e, "tovholder") : "none",
		str_of(e, "tovholder_department") ? str_of(e, "tovholder_department") : "-",
		strcmp(str_of(e, "status"), "closed") == 0 ? " · closed" : "");
	const char *text = str_of(e, "citizen_text");
	if (text && (*last_text == NULL || strcmp(*last_text, text) != 0)) {
		print_wrapped(f, "  = the citizen reads: ", text, -1);
		*last_text = text;
	}
}

/* FIRST_PHASE: where the case starts. */
static void print_timeline(FILE *f, const json_t *timeline, const char *first_phase)
{
	const char *last_text = NULL, *phase = first_phase, *tovholder = NULL;
	bool after_action = false;
	size_t i;
	const json_t *e;
	json_array_foreach (timeline, i, e) {
		bool action = strcmp(str_of(e, "kind"), "action") == 0;
		if (action || !after_action)
			fputc('\n', f);
		char head[64];
		snprintf(head, sizeof head, "%s  age %lld  ", str_of(e, "date"),
			 (long long)int_of(e, "age"));
		if (action) {
			char *what = NULL;
			if (asprintf(&what, "» %s", str_of(e, "action")) >= 0)
				print_wrapped(f, head, what, -1);
			free(what);
		} else {
			char *detail = event_detail(e), *what = NULL;
			if (asprintf(&what, "%s%s", str_of(e, "event"), detail ? detail : "") >= 0)
				print_wrapped(f, head, what, -1);
			free(what);
			free(detail);
			print_step(f, e, phase, tovholder, &last_text);
			phase = str_of(e, "phase");
			tovholder = str_of(e, "tovholder");
		}
		after_action = action;
	}
}

static void print_end(FILE *f, const struct sim *s)
{
	const struct core_case *c = sim_case(s);
	char now[32];
	wft_format_time(sim_now(s), now);
	fprintf(f, "\nat the end, %s (age %d): ", now, sim_age(s));
	if (strcmp(c->status, "closed") == 0)
		fprintf(f, "closed in phase %s, outcome %s\n", c->phase,
			c->outcome ? c->outcome : "-");
	else
		fprintf(f, "%s in phase %s, tovholder %s (%s)\n", c->status, c->phase,
			c->tovholder ? c->tovholder : "none",
			c->tovholder_department ? c->tovholder_department : "-");
	size_t i;
	const json_t *x;
	if (json_array_size(sim_tasks(s)) > 0)
		fprintf(f, "tasks:\n");
	json_array_foreach (sim_tasks(s), i, x) {
		char due[11] = "-";
		if (json_is_integer(json_object_get(x, "due")))
			og_format_ymd(int_of(x, "due"), due);
		fprintf(f, "  #%-3lld %-8s %-9s %-15s due %-10s  %s\n", (long long)int_of(x, "id"),
			str_of(x, "kind"), str_of(x, "status"), str_of(x, "department"), due,
			str_of(x, "title"));
	}
	if (json_array_size(sim_goals(s)) > 0)
		fprintf(f, "goals:\n");
	json_array_foreach (sim_goals(s), i, x) {
		char head[200];
		snprintf(head, sizeof head, "  %s%s%s%s: ", str_of(x, "key"),
			 str_of(x, "theme") ? " (" : "",
			 str_of(x, "theme") ? str_of(x, "theme") : "",
			 str_of(x, "theme") ? ")" : "");
		print_wrapped(f, head, str_of(x, "text"), 6);
	}
	if (json_array_size(sim_measures(s)) > 0)
		fprintf(f, "measures:\n");
	json_array_foreach (sim_measures(s), i, x) {
		fputs("  ", f);
		print_time(f, int_of(x, "at"));
		fprintf(f, "  %s %s = ", str_of(x, "instrument"), str_of(x, "kind"));
		const json_t *v = json_object_get(x, "value_num");
		print_json(f, v ? v : json_object_get(x, "value_text"));
		if (str_of(x, "goal"))
			fprintf(f, ", goal %s", str_of(x, "goal"));
		fputc('\n', f);
	}
	if (json_array_size(sim_outbox(s)) > 0)
		fprintf(f, "outbox:\n");
	json_array_foreach (sim_outbox(s), i, x) {
		fprintf(f, "  %s.%s ", str_of(x, "plugin"), str_of(x, "action"));
		print_json(f, json_object_get(x, "payload"));
		fprintf(f, ", idempotency key %s\n", str_of(x, "idem_key"));
	}
	if (json_array_size(sim_pending(s)) > 0)
		fprintf(f, "pending:\n");
	json_array_foreach (sim_pending(s), i, x) {
		fputs("  ", f);
		print_time(f, int_of(x, "due"));
		fprintf(f, "  %s%s%s\n", str_of(x, "type"), str_of(x, "key") ? ", key " : "",
			str_of(x, "key") ? str_of(x, "key") : "");
	}
}

static json_t *result_json(const struct sim *s, const char *born, const json_t *attributes,
			   int64_t start, const char *error)
{
	const struct lwf_def *def = sim_def(s);
	const struct core_case *c = sim_case(s);
	char start_date[11], now[11];
	og_format_ymd(start, start_date);
	og_format_ymd(sim_now(s), now);
	const char *text = core_citizen_text(def, c->phase);
	return json_pack("{s:{s:s,s:i,s:s},s:{s:s,s:O},s:s,s:s,s:{s:s,s:s,s:s*,s:s*,s:s*,s:O,s:s*},"
			 "s:O,s:O,s:O,s:O,s:O,s:O,s:s*}",
			 "workflow", "name", def->name, "version", def->version, "title",
			 def->title, "citizen", "born", born, "attributes", attributes, "start",
			 start_date, "end", now, "case", "status", c->status, "phase", c->phase,
			 "tovholder", c->tovholder, "tovholder_department", c->tovholder_department,
			 "outcome", c->outcome, "state", c->state, "citizen_text", text, "timeline",
			 sim_timeline(s), "tasks", sim_tasks(s), "goals", sim_goals(s), "measures",
			 sim_measures(s), "outbox", sim_outbox(s), "pending", sim_pending(s),
			 "error", error);
}

/* The script. */

/* The entry's action, or NULL (with ERR) when it does not name exactly one. */
static const char *entry_action(const json_t *e, char *err, size_t errlen)
{
	static const char *const actions[] = {"complete", "accept", "reject",
					      "tovholder_unavailable", "send"};
	const char *found = NULL;
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		if (json_object_get(e, actions[i]) == NULL)
			continue;
		if (found) {
			snprintf(err, errlen, "give one action per entry, not both '%s' and '%s'",
				 found, actions[i]);
			return NULL;
		}
		found = actions[i];
	}
	if (found == NULL)
		snprintf(err, errlen,
			 "no action: give complete, accept, reject, tovholder_unavailable or send");
	return found;
}

static int check_entry(const json_t *e, char *err, size_t errlen)
{
	static const char *const keys[] = {"at",     "complete", "accept",
					   "reject", "reason",   "outcome",
					   "send",   "payload",  "tovholder_unavailable"};
	if (!json_is_object(e)) {
		snprintf(err, errlen,
			 "an entry is a table such as { complete = { department = "
			 "\"ppr\" } }");
		return -1;
	}
	const char *unknown = NULL, *k;
	json_t *v;
	json_object_foreach ((json_t *)e, k, v) {
		bool known = false;
		for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !known; i++)
			known = strcmp(k, keys[i]) == 0;
		if (!known && (unknown == NULL || strcmp(k, unknown) < 0))
			unknown = k;
	}
	if (unknown) {
		snprintf(err, errlen, "unknown field '%s'", unknown);
		return -1;
	}
	const char *action = entry_action(e, err, errlen);
	if (action == NULL)
		return -1;
	int64_t t;
	if (json_object_get(e, "at") && wft_json_time(json_object_get(e, "at"), &t) != 0) {
		snprintf(err, errlen, "'at' must be a date \"YYYY-MM-DD\"");
		return -1;
	}
	bool task = strcmp(action, "complete") == 0 || strcmp(action, "accept") == 0 ||
		    strcmp(action, "reject") == 0;
	if (task) {
		char why[300];
		if (wft_check_spec(json_object_get(e, action), why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: %s", action, why);
			return -1;
		}
	}
	const json_t *reason = json_object_get(e, "reason");
	if (strcmp(action, "reject") == 0 &&
	    (!json_is_string(reason) || json_string_length(reason) == 0)) {
		snprintf(err, errlen, "reject needs a reason = \"...\"");
		return -1;
	}
	if (reason && strcmp(action, "reject") != 0) {
		snprintf(err, errlen, "'reason' goes with reject");
		return -1;
	}
	const json_t *outcome = json_object_get(e, "outcome");
	if (outcome && (strcmp(action, "complete") != 0 || !json_is_object(outcome))) {
		snprintf(err, errlen, "'outcome' goes with complete, as a table of named fields");
		return -1;
	}
	const json_t *payload = json_object_get(e, "payload");
	if (payload && (strcmp(action, "send") != 0 || !json_is_object(payload))) {
		snprintf(err, errlen, "'payload' goes with send, as a table of named fields");
		return -1;
	}
	const char *send = str_of(e, "send");
	if (strcmp(action, "send") == 0 && (send == NULL || *send == '\0')) {
		snprintf(err, errlen, "send = \"event_type\": the type of the event to send");
		return -1;
	}
	if (strcmp(action, "tovholder_unavailable") == 0 &&
	    !json_is_true(json_object_get(e, "tovholder_unavailable"))) {
		snprintf(err, errlen, "write tovholder_unavailable = true");
		return -1;
	}
	return 0;
}

/* Loads the script in PATH: a Lua file returning a list of entries. NULL with ERR. */
static json_t *load_script(const struct cfg *cfg, const char *path, char *err, size_t errlen)
{
	int64_t instructions = cli_budget(cfg).instructions;
	lua_State *L = wft_lua_new(SCRIPT_MEMORY, instructions > 0 ? instructions : 10000000,
				   "a simulation script");
	if (L == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	json_t *script = NULL;
	if (wft_lua_loadfile(L, path, path) != LUA_OK || wft_lua_pcall(L, 0, 1, 0) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		snprintf(err, errlen, "%s", msg ? msg : "the script failed");
		goto out;
	}
	if (lua_type(L, -1) != LUA_TTABLE) {
		snprintf(err, errlen,
			 "%s: the script must return a list of entries: return { { at = ..., "
			 "complete = { ... } }, ... }",
			 path);
		goto out;
	}
	char why[400];
	script = wft_to_json(L, -1, "the script", why, sizeof why);
	if (script == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	if (json_is_object(script) && json_object_size(script) == 0) {
		json_decref(script);
		script = json_array();
	}
	if (!json_is_array(script)) {
		snprintf(err, errlen, "%s: the script must return a list of entries", path);
		json_decref(script);
		script = NULL;
		goto out;
	}
	size_t i;
	json_t *e;
	json_array_foreach (script, i, e) {
		if (check_entry(e, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: entry %zu: %s", path, i + 1, why);
			json_decref(script);
			script = NULL;
			goto out;
		}
	}
out:
	wft_lua_close(L);
	return script;
}

enum outcome { APPLIED, NOT_YET, FAILED };

/* Tries entry E now. FAILED with ERR: a refused action, or a failed step (STEP_FAILED). */
static enum outcome try_entry(struct sim *s, const json_t *e, bool *step_failed, char *err,
			      size_t errlen)
{
	char why[400];
	const char *action = entry_action(e, why, sizeof why);
	int rc;
	if (strcmp(action, "tovholder_unavailable") == 0) {
		if (sim_case(s)->tovholder == NULL)
			return NOT_YET;
		rc = sim_tovholder_unavailable(s, err, errlen);
		if (rc == 0 && sim_run_until(s, sim_now(s), err, errlen) != 0) {
			*step_failed = true;
			return FAILED;
		}
		return rc == 0 ? APPLIED : FAILED;
	}
	if (strcmp(action, "send") == 0) {
		rc = sim_send(s, str_of(e, "send"), json_object_get(e, "payload"), err, errlen);
		if (rc == 0 && sim_run_until(s, sim_now(s), err, errlen) != 0) {
			*step_failed = true;
			return FAILED;
		}
		return rc == 0 ? APPLIED : FAILED;
	}
	enum wft_act act = strcmp(action, "complete") == 0 ? WFT_COMPLETE
			   : strcmp(action, "accept") == 0 ? WFT_ACCEPT
							   : WFT_REJECT;
	rc = wft_act(s, act, json_object_get(e, action), json_object_get(e, "outcome"),
		     str_of(e, "reason"), err, errlen);
	if (rc == 1)
		return NOT_YET;
	if (rc != 0) {
		*step_failed = wft_failed_step(s) != NULL;
		return FAILED;
	}
	return APPLIED;
}

/* Plays the script: each entry in order, at its date (when it has one) and as soon as what it
 * acts on is there. Returns 0; -1 with ERR. */
static int play(struct sim *s, const char *path, const json_t *script, int64_t until, bool cut,
		size_t *applied, bool *step_failed, char *err, size_t errlen)
{
	size_t i;
	const json_t *e;
	json_array_foreach (script, i, e) {
		*applied = i;
		int64_t at;
		if (json_object_get(e, "at") && wft_json_time(json_object_get(e, "at"), &at) == 0 &&
		    at > sim_now(s)) {
			if (at > until && cut)
				return 0;
			if (at > until) {
				char end[32];
				wft_format_time(until, end);
				snprintf(err, errlen,
					 "%s: entry %zu is dated after the end of the simulation "
					 "(%s)",
					 path, i + 1, end);
				return -1;
			}
			if (sim_run_until(s, at, err, errlen) != 0) {
				*step_failed = true;
				return -1;
			}
		}
		for (;;) {
			char why[1024];
			enum outcome o = try_entry(s, e, step_failed, why, sizeof why);
			if (o == APPLIED)
				break;
			if (o == FAILED) {
				if (*step_failed)
					snprintf(err, errlen, "%s", why);
				else
					snprintf(err, errlen, "%s: entry %zu: %s", path, i + 1,
						 why);
				return -1;
			}
			int64_t next = sim_next(s);
			if (next > until && cut)
				return 0;
			if (next > until) {
				char day[11];
				og_format_ymd(next == INT64_MAX ? sim_now(s) : until, day);
				snprintf(err, errlen, "%s: entry %zu was never applied: %s (%s %s)",
					 path, i + 1, why,
					 next == INT64_MAX ? "nothing more happens after"
							   : "the simulation ends on",
					 day);
				return -1;
			}
			if (sim_run_until(s, next, err, errlen) != 0) {
				*step_failed = true;
				return -1;
			}
		}
	}
	*applied = json_array_size(script);
	return 0;
}

/* Arguments. */

static json_t *attribute_value(const char *v)
{
	if (strcmp(v, "true") == 0)
		return json_true();
	if (strcmp(v, "false") == 0)
		return json_false();
	char *end;
	long long n = strtoll(v, &end, 10);
	if (*v && *end == '\0' && (v[0] != '0' || v[1] == '\0'))
		return json_integer(n);
	return json_string(v);
}

static int add_attribute(json_t *attributes, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (n == 0)
		return -1;
	char *name = strndup(arg, n);
	json_t *v = eq ? attribute_value(eq + 1) : json_true();
	int rc = name && v ? json_object_set_new(attributes, name, v) : -1;
	if (rc != 0 && !(name && v))
		json_decref(v);
	free(name);
	return rc;
}

/* NAME for a true attribute, NAME = VALUE for others; sorted, for the same output every
 * time. */
static void print_attributes(FILE *f, const json_t *attributes)
{
	size_t n = json_object_size(attributes), i = 0;
	const char **names = calloc(n + 1, sizeof *names);
	if (names == NULL)
		return;
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)attributes, k, v)
		names[i++] = k;
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
			const char *t = names[b];
			names[b] = names[b - 1];
			names[b - 1] = t;
		}
	for (i = 0; i < n; i++) {
		v = json_object_get(attributes, names[i]);
		fprintf(f, "%s%s", i ? ", " : "", names[i]);
		if (!json_is_true(v)) {
			fputs(" = ", f);
			print_json(f, v);
		}
	}
	free(names);
}

static int exec_simulate(const struct cfg *cfg, int argc, char **argv)
{
	const char *path = NULL, *born = NULL, *start_arg = NULL, *until_arg = NULL,
		   *script_path = NULL;
	bool autom = false, as_json = false;
	int rc = 2;
	struct lwf_workflow *wf = NULL;
	struct sim *s = NULL;
	json_t *script = NULL;
	json_t *attributes = json_object();
	if (attributes == NULL) {
		fprintf(stderr, "overgang simulate: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool value = i + 1 < argc;
		if (strcmp(a, "--born") == 0 && value)
			born = argv[++i];
		else if (strcmp(a, "--attr") == 0 && value) {
			if (add_attribute(attributes, argv[++i]) != 0) {
				fprintf(stderr,
					"overgang simulate: --attr NAME or NAME=VALUE, not "
					"'%s'\n",
					argv[i]);
				goto out;
			}
		} else if (strcmp(a, "--start") == 0 && value)
			start_arg = argv[++i];
		else if (strcmp(a, "--until") == 0 && value)
			until_arg = argv[++i];
		else if (strcmp(a, "--script") == 0 && value)
			script_path = argv[++i];
		else if (strcmp(a, "--auto") == 0)
			autom = true;
		else if (strcmp(a, "--json") == 0)
			as_json = true;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage();
			rc = 0;
			goto out;
		} else if (path == NULL && a[0] != '-')
			path = a;
		else {
			fprintf(stderr, "overgang simulate: unexpected '%s'\n", a);
			usage();
			goto out;
		}
	}
	if (path == NULL || born == NULL) {
		fprintf(stderr, "overgang simulate: %s\n",
			path ? "--born DATE is required" : "which workflow file?");
		usage();
		goto out;
	}
	int64_t birth, start, until = INT64_MAX;
	if (og_ymd_to_time(born, &birth) != 0) {
		fprintf(stderr, "overgang simulate: --born '%s' is not a date (YYYY-MM-DD)\n",
			born);
		goto out;
	}
	if (start_arg && og_ymd_to_time(start_arg, &start) != 0) {
		fprintf(stderr, "overgang simulate: --start '%s' is not a date (YYYY-MM-DD)\n",
			start_arg);
		goto out;
	}
	if (until_arg && og_ymd_to_time(until_arg, &until) != 0) {
		fprintf(stderr, "overgang simulate: --until '%s' is not a date (YYYY-MM-DD)\n",
			until_arg);
		goto out;
	}

	rc = 1;
	char err[8192];
	wf = wft_load(cfg, path, NULL, err, sizeof err);
	if (wf == NULL) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	const struct lwf_def *def = lwf_def(wf);
	if (start_arg == NULL) {
		switch (wft_default_start(def, birth, attributes, &start)) {
		case WFT_START_OK: break;
		case WFT_START_NEEDS_DATE:
			fprintf(stderr, "overgang simulate: %s starts %s%s%s: give --start DATE\n",
				path,
				def->start_kind == LWF_START_EVENT ? "with the event " : "by hand",
				def->start_kind == LWF_START_EVENT ? def->start_event : "",
				def->start_kind == LWF_START_EVENT ? "" : "");
			rc = 2;
			goto out;
		case WFT_START_NEEDS_ATTRIBUTE:
			fprintf(stderr,
				"overgang simulate: %s starts at age %d only for citizens with "
				"'%s': give --attr %s (or --start DATE to start the case by "
				"hand)\n",
				path, def->start_age, def->start_attribute, def->start_attribute);
			rc = 2;
			goto out;
		}
	}
	if (start < birth) {
		fprintf(stderr, "overgang simulate: the start %s is before the birth %s\n",
			start_arg ? start_arg : "", born);
		rc = 2;
		goto out;
	}
	if (until_arg && until < start) {
		fprintf(stderr, "overgang simulate: --until %s is before the start\n", until_arg);
		rc = 2;
		goto out;
	}
	if (script_path) {
		script = load_script(cfg, script_path, err, sizeof err);
		if (script == NULL) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
	}
	s = sim_new(wf, born, attributes, start, NULL, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "overgang simulate: %s\n", err);
		goto out;
	}
	sim_set_auto(s, autom);
	int64_t end = until_arg ? until : wft_default_until(birth, start);

	bool step_failed = false, failed = false;
	err[0] = '\0';
	if (sim_run_until(s, start, err, sizeof err) != 0)
		step_failed = failed = true;
	size_t applied = 0;
	if (!failed && script &&
	    play(s, script_path, script, end, until_arg != NULL, &applied, &step_failed, err,
		 sizeof err))
		failed = true;
	if (!failed && wft_run(s, end, err, sizeof err) != 0)
		step_failed = failed = true;
	if (!failed && until_arg && sim_run_until(s, until, err, sizeof err) != 0)
		step_failed = failed = true;

	if (as_json) {
		json_t *doc = result_json(s, born, attributes, start, failed ? err : NULL);
		char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
		json_decref(doc);
		if (text == NULL) {
			fprintf(stderr, "overgang simulate: out of memory\n");
			goto out;
		}
		puts(text);
		free(text);
	} else {
		char day[32];
		printf("%s version %d: %s\n", def->name, def->version, def->title);
		printf("citizen born %s", born);
		if (json_object_size(attributes) > 0) {
			printf(" (");
			print_attributes(stdout, attributes);
			printf(")");
		}
		wft_format_time(start, day);
		printf("\nstarts %s at age %lld", day,
		       (long long)og_age(og_floor_div(birth, OG_DAY), start));
		if (start_arg)
			printf(" (--start)\n");
		else if (def->start_attribute)
			printf(" (the start rule: age %d, with %s)\n", def->start_age,
			       def->start_attribute);
		else
			printf(" (the start rule: age %d)\n", def->start_age);
		print_timeline(stdout, sim_timeline(s), def->phases[0].name);
		print_end(stdout, s);
		if (!failed && script && applied < json_array_size(script))
			printf("script: entries %zu to %zu were not reached by --until %s\n",
			       applied + 1, json_array_size(script), until_arg);
	}
	fflush(stdout);
	if (failed) {
		const json_t *bad = wft_failed_step(s);
		if (step_failed && bad) {
			const char *msg = str_of(bad, "error");
			fprintf(stderr, "%.*s\n", (int)strcspn(msg, "\n"), msg);
			fprintf(stderr, "overgang simulate: the step for '%s' on %s failed\n",
				str_of(bad, "event"), str_of(bad, "date"));
		} else {
			fprintf(stderr, "%s\n", err);
		}
		rc = 1;
		goto out;
	}
	rc = 0;
out:
	sim_free(s);
	lwf_free(wf);
	json_decref(script);
	json_decref(attributes);
	return rc;
}

const struct cli_cmd cmd_simulate = {
	"simulate", "FILE --born DATE [...]",
	"run a workflow for a made-up citizen, years in seconds (no database)", exec_simulate};
