#include "core/check.h"
#include "core/definition.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const core_engine_events[] = {
	"started",      "task_done", "handover_accepted",     "handover_rejected",
	"task_overdue", "migrated",  "tovholder_unavailable", NULL,
};

/* The ages a transition of young people is about; a birthday outside is likely a typo. */
#define AGE_MIN 0
#define AGE_MAX 30

int core_check_add(struct core_check *out, int line, int col, bool warning, const char *fmt, ...)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		struct core_finding *f = realloc(out->findings, cap * sizeof *f);
		if (f == NULL) {
			out->oom = true;
			return -1;
		}
		out->findings = f;
		out->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	int rc = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		out->oom = true;
		return -1;
	}
	out->findings[out->n++] =
		(struct core_finding){line > 0 ? line : 1, col > 0 ? col : 1, warning, text};
	if (warning)
		out->warnings++;
	else
		out->errors++;
	return 0;
}

bool core_check_has(const struct core_check *out, int line, int col)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->findings[i].line == line && out->findings[i].col == col)
			return true;
	return false;
}

void core_check_sort(struct core_check *out)
{
	/* insertion sort: stable, and the lists are short */
	for (size_t i = 1; i < out->n; i++) {
		struct core_finding f = out->findings[i];
		size_t j = i;
		while (j > 0 && (out->findings[j - 1].line > f.line ||
				 (out->findings[j - 1].line == f.line &&
				  out->findings[j - 1].col > f.col))) {
			out->findings[j] = out->findings[j - 1];
			j--;
		}
		out->findings[j] = f;
	}
}

void core_check_clear(struct core_check *out)
{
	for (size_t i = 0; i < out->n; i++)
		free(out->findings[i].text);
	free(out->findings);
	memset(out, 0, sizeof *out);
}

/* ---- helpers ---- */

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static bool has_handler(const struct lwf_def *def, const char *event)
{
	for (size_t i = 0; i < def->nhandlers; i++)
		if (strcmp(def->handlers[i], event) == 0)
			return true;
	return false;
}

static const struct core_scan_phase *scan_phase(const struct core_scan *s, const char *name)
{
	for (size_t i = 0; s && i < s->nphases; i++)
		if (strcmp(s->phases[i].name, name) == 0)
			return &s->phases[i];
	return NULL;
}

/* "a, b, c" of up to MAX names, then ", ...". */
static void join(char *buf, size_t len, const char *const *names, size_t n, size_t max)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		int w = i == max
				? snprintf(buf + used, len - used, ", ...")
				: snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
		if (w < 0)
			break;
		used += (size_t)w < len - used ? (size_t)w : len - used - 1;
		if (i == max)
			break;
	}
}

/* Edit distance (insertions, deletions, substitutions of bytes), capped: enough to tell a typo. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* " (did you mean 'x'?)" for the name of NAMES (N of them) nearest to S, when near enough;
 * else "". */
static void suggest(char *buf, size_t len, const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3; /* at most two edits */
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(s, names[i]);
		if (d > 0 && d < best_d && d * 2 < strlen(s)) {
			best = names[i];
			best_d = d;
		}
	}
	if (best)
		snprintf(buf, len, " (did you mean '%s'?)", best);
	else
		buf[0] = '\0';
}

void core_check_global_hint(const char *name, char *buf, size_t len)
{
	/* the sandbox's globals (engine/lua/sandbox.c) */
	static const char *const globals[] = {
		"workflow", "date",   "print",    "assert",   "error",        "ipairs",
		"next",     "pairs",  "pcall",    "rawequal", "rawget",       "rawlen",
		"rawset",   "select", "tonumber", "tostring", "type",         "xpcall",
		"string",   "table",  "math",     "utf8",     "getmetatable", "setmetatable",
	};
	suggest(buf, len, name, globals, sizeof globals / sizeof globals[0]);
}

/* The place of the definition, for what has no place of its own. */
static struct core_pos def_pos(const struct core_scan *s, const struct lwf_def *def)
{
	if (s && s->found_workflow)
		return s->workflow;
	return (struct core_pos){def && def->line > 0 ? def->line : 1, 1};
}

/* ---- when lwf_load refused the file ---- */

/* The text between the first pair of single quotes after AFTER in MSG, into BUF. */
static bool quoted(const char *msg, const char *after, char *buf, size_t len)
{
	const char *p = after ? strstr(msg, after) : msg;
	if (p == NULL)
		return false;
	p += after ? strlen(after) : 0;
	const char *a = strchr(p, '\'');
	const char *b = a ? strchr(a + 1, '\'') : NULL;
	if (b == NULL || (size_t)(b - a - 1) >= len)
		return false;
	memcpy(buf, a + 1, (size_t)(b - a - 1));
	buf[b - a - 1] = '\0';
	return true;
}

/* Splits "NAME:LINE: what" (or "NAME: what") into its line and its text. */
static const char *split_message(const char *msg, int *line)
{
	*line = 0;
	/* the first ":DIGITS: " is the line; the name before it may hold ':' itself */
	for (const char *p = strchr(msg, ':'); p; p = strchr(p + 1, ':')) {
		const char *q = p + 1;
		int n = 0;
		while (*q >= '0' && *q <= '9' && n < 100000000)
			n = n * 10 + (*q++ - '0');
		if (q > p + 1 && q[0] == ':' && q[1] == ' ') {
			*line = n;
			return q + 2;
		}
	}
	const char *p = strstr(msg, ": ");
	return p ? p + 2 : msg;
}

static int place_load_error(const struct core_check_input *in, const struct core_scan *s,
			    struct core_check *out)
{
	int line;
	const char *msg = in->load_error ? in->load_error : "the workflow could not be loaded";
	const char *text = split_message(msg, &line);
	size_t textlen = strcspn(text, "\n");
	struct core_pos pos = {line, 1};
	char a[256], b[256], hint[160] = "";
	const struct core_scan_phase *ph;
	struct core_pos found;
	bool placed = false;
	if (strncmp(text, "phase '", 7) == 0 && quoted(text, NULL, a, sizeof a) &&
	    (ph = scan_phase(s, a)) != NULL) {
		pos = ph->pos;
		placed = true;
		if (quoted(text, "next phase ", b, sizeof b)) {
			for (size_t i = 0; i < ph->nnext; i++)
				if (strcmp(ph->next[i], b) == 0)
					pos = ph->next_pos[i];
			const char *names[64];
			size_t n = 0;
			for (; n < s->nphases && n < 64; n++)
				names[n] = s->phases[n].name;
			suggest(hint, sizeof hint, b, names, n);
		} else if (strstr(text, "is defined twice")) {
			for (size_t i = 0; i < s->nphases; i++)
				if (&s->phases[i] != ph && strcmp(s->phases[i].name, a) == 0)
					pos = s->phases[i].pos;
		}
	}
	/* a key of the definition: "unknown key 'x'", "'version' must be ...", "start: 'age' ..."
	 */
	if (!placed &&
	    (quoted(text, "unknown key ", a, sizeof a) ||
	     ((text[0] == '\'' || strncmp(text, "start: '", 8) == 0) && strstr(text, "' must be") &&
	      quoted(text, NULL, a, sizeof a))) &&
	    core_scan_find_key(s, a, &found)) {
		pos = found;
		placed = true;
	}
	/* a name on the line: a global, or the token a syntax error is near */
	if (!placed && line > 0 &&
	    (quoted(text, "undeclared global ", a, sizeof a) ||
	     quoted(text, "near ", a, sizeof a) ||
	     (text[0] == '\'' && quoted(text, NULL, a, sizeof a))) &&
	    core_scan_find(s, line, a, &found))
		pos = found;
	if (s->found_workflow && pos.line == s->workflow.line && pos.col == 1)
		pos = s->workflow; /* about the definition as a whole */
	if (pos.line <= 0)
		pos = (struct core_pos){1, 1};
	if (quoted(text, "undeclared global ", a, sizeof a))
		core_check_global_hint(a, hint, sizeof hint);
	return core_check_add(out, pos.line, pos.col, false, "%.*s%s", (int)textlen, text, hint);
}

/* ---- when it loaded ---- */

static int check_reachable(const struct core_check_input *in, const struct core_scan *s,
			   struct core_check *out)
{
	const struct lwf_def *def = in->def;
	bool *seen = calloc(def->nphases ? def->nphases : 1, sizeof *seen);
	int rc = -1;
	if (seen == NULL || core_reachable_phases(def, seen) != 0) {
		out->oom = true;
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < def->nphases && rc == 0; i++) {
		if (seen[i])
			continue;
		const struct core_scan_phase *ph = scan_phase(s, def->phases[i].name);
		struct core_pos pos = ph ? ph->pos : def_pos(s, def);
		rc = core_check_add(out, pos.line, pos.col, true,
				    "phase '%s' cannot be reached: no next = { ... } leads to it "
				    "from the first phase '%s'",
				    def->phases[i].name, def->phases[0].name);
	}
out:
	free(seen);
	return rc;
}

/* A phase without a title: people see its bare name in the task list and the case. */
static int check_titles(const struct core_check_input *in, const struct core_scan *s,
			struct core_check *out)
{
	const struct lwf_def *def = in->def;
	for (size_t i = 0; i < def->nphases; i++) {
		if (def->phases[i].title)
			continue;
		const struct core_scan_phase *ph = scan_phase(s, def->phases[i].name);
		struct core_pos pos = ph ? ph->pos : def_pos(s, def);
		if (core_check_add(out, pos.line, pos.col, true,
				   "phase '%s' has no title: add title = \"...\", its name as "
				   "people read it in the task list and the case",
				   def->phases[i].name) != 0)
			return -1;
	}
	return 0;
}

static bool timer_raises(const struct core_scan *s, const char *event)
{
	for (size_t i = 0; s && i < s->ncalls; i++) {
		const struct core_scan_field *f;
		if (strcmp(s->calls[i].method, "timer") == 0 &&
		    (f = core_scan_call_field(&s->calls[i], "event")) && f->value &&
		    strcmp(f->value, event) == 0)
			return true;
	}
	return false;
}

static const struct core_scan_call *first_call(const struct core_scan *s, const char *method)
{
	for (size_t i = 0; s && i < s->ncalls; i++)
		if (strcmp(s->calls[i].method, method) == 0)
			return &s->calls[i];
	return NULL;
}

static int check_handlers(const struct core_check_input *in, const struct core_scan *s,
			  struct core_check *out)
{
	const struct lwf_def *def = in->def;
	struct core_pos dp = def_pos(s, def);
	if (!has_handler(def, "started") &&
	    core_check_add(out, dp.line, dp.col, false,
			   "there is no handler for 'started': every case begins with that "
			   "event, and its handler must assign the tovholder") != 0)
		return -1;
	if (s && first_call(s, "assign_tovholder") == NULL &&
	    core_check_add(out, dp.line, dp.col, true,
			   "no case:assign_tovholder { ... } in the file: every case needs its "
			   "tovholder from its first step") != 0)
		return -1;
	for (size_t i = 0; i < def->nhandlers; i++) {
		const char *ev = def->handlers[i];
		if (in_list(core_engine_events, ev) ||
		    (def->start_event && strcmp(def->start_event, ev) == 0) || timer_raises(s, ev))
			continue;
		const struct core_scan_handler *h = core_scan_handler(s, ev);
		struct core_pos pos = h ? h->pos : dp;
		char hint[160];
		size_t nengine = 0;
		while (core_engine_events[nengine])
			nengine++;
		suggest(hint, sizeof hint, ev, core_engine_events, nengine);
		if (hint[0]) {
			if (core_check_add(out, pos.line, pos.col, true,
					   "nothing sends event '%s'%s", ev, hint) != 0)
				return -1;
			continue;
		}
		if (core_check_add(out, pos.line, pos.col, true,
				   "nothing sends event '%s': no case:timer in this file raises it "
				   "and the engine does not (a typo? fine if a plugin or the API "
				   "sends it)",
				   ev) != 0)
			return -1;
	}
	static const struct {
		const char *method, *event, *what;
	} answers[] = {
		{"task", "task_done", "completing a task changes nothing in the case"},
		{"handover", "handover_accepted",
		 "accepting a handover changes nothing in the case"},
		{"handover", "handover_rejected",
		 "rejecting a handover changes nothing in the case"},
	};
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		const struct core_scan_call *c = first_call(s, answers[i].method);
		if (c && !has_handler(def, answers[i].event) &&
		    core_check_add(out, c->pos.line, c->pos.col, true,
				   "case:%s is used but there is no handler for '%s': %s",
				   answers[i].method, answers[i].event, answers[i].what) != 0)
			return -1;
	}
	return 0;
}

static bool phase_is_target(const struct lwf_def *def, const char *name)
{
	for (size_t i = 0; i < def->nphases; i++)
		for (size_t k = 0; k < def->phases[i].nnext; k++)
			if (strcmp(def->phases[i].next[k], name) == 0)
				return true;
	return false;
}

static int check_calls(const struct core_check_input *in, const struct core_scan *s,
		       struct core_check *out)
{
	const struct lwf_def *def = in->def;
	for (size_t i = 0; s && i < s->ncalls; i++) {
		const struct core_scan_call *c = &s->calls[i];
		const struct core_scan_field *f;
		int rc = 0;
		if (strcmp(c->method, "timer") == 0) {
			f = core_scan_call_field(c, "event");
			if (f && f->value && !has_handler(def, f->value))
				rc = core_check_add(out, f->pos.line, f->pos.col, false,
						    "timer event '%s' has no handler: add on = { "
						    "%s = function(case, ev) ... end }",
						    f->value, f->value);
		} else if (strcmp(c->method, "phase") == 0) {
			f = core_scan_call_field(c, "");
			if (f && f->value && lwf_phase_index(def, f->value) < 0) {
				char names[512];
				const char *list[64];
				size_t n = 0;
				for (; n < def->nphases && n < 64; n++)
					list[n] = def->phases[n].name;
				join(names, sizeof names, list, n, 12);
				char hint[160];
				suggest(hint, sizeof hint, f->value, list, n);
				rc = hint[0] ? core_check_add(
						       out, f->pos.line, f->pos.col, false,
						       "case:phase \"%s\": the workflow has no "
						       "phase '%s'%s",
						       f->value, f->value, hint)
					     : core_check_add(
						       out, f->pos.line, f->pos.col, false,
						       "case:phase \"%s\": the workflow has no "
						       "phase '%s' (its phases: %s)",
						       f->value, f->value, names);
			} else if (f && f->value && !phase_is_target(def, f->value)) {
				rc = core_check_add(
					out, f->pos.line, f->pos.col, true,
					"case:phase \"%s\": no phase has '%s' in its next "
					"= { ... }, so the move is always refused",
					f->value, f->value);
			}
		} else if (strcmp(c->method, "cancel_timer") == 0) {
			f = core_scan_call_field(c, "");
			bool set = false, unknown_key = false;
			for (size_t k = 0; f && f->value && k < s->ncalls; k++) {
				const struct core_scan_field *key;
				if (strcmp(s->calls[k].method, "timer") != 0)
					continue;
				key = core_scan_call_field(&s->calls[k], "key");
				if (key && key->value && strcmp(key->value, f->value) == 0)
					set = true;
				else if (key && key->value == NULL)
					unknown_key = true;
			}
			if (f && f->value && !set && !unknown_key)
				rc = core_check_add(
					out, f->pos.line, f->pos.col, true,
					"case:cancel_timer \"%s\": no case:timer in this "
					"file sets key '%s'",
					f->value, f->value);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

const struct core_scan_field *core_check_department(const struct core_scan_call *c)
{
	const char *key =
		strcmp(c->method, "handover") == 0 ? "to"
		: strcmp(c->method, "task") == 0 || strcmp(c->method, "assign_tovholder") == 0
			? "department"
			: NULL;
	return key ? core_scan_call_field(c, key) : NULL;
}

/* Checks that need only the source: departments and deadlines. */
static int check_literals(const struct core_check_input *in, const struct core_scan *s,
			  struct core_check *out)
{
	for (size_t i = 0; s && i < s->ncalls; i++) {
		const struct core_scan_call *c = &s->calls[i];
		const struct core_scan_field *f = core_check_department(c);
		if (in->departments && f && f->value && !in_list(in->departments, f->value)) {
			char names[512];
			size_t n = 0;
			while (in->departments[n])
				n++;
			join(names, sizeof names, in->departments, n, 12);
			char hint[160];
			suggest(hint, sizeof hint, f->value, in->departments, n);
			if (hint[0] ? core_check_add(out, f->pos.line, f->pos.col, false,
						     "unknown department '%s'%s", f->value, hint)
				    : core_check_add(out, f->pos.line, f->pos.col, false,
						     "unknown department '%s' (departments: %s)",
						     f->value, n ? names : "none"))
				return -1;
		}
		for (size_t k = 0; k < c->nfields; k++) {
			f = &c->fields[k];
			if (!f->in_past || strcmp(c->method, "measure") == 0)
				continue; /* a measure is often taken before it is recorded */
			int rc = strcmp(f->key, "due") == 0
					 ? core_check_add(
						   out, f->pos.line, f->pos.col, true,
						   "case:%s: 'due' is %s: it is overdue as soon "
						   "as it is made",
						   c->method, f->deadline)
					 : core_check_add(out, f->pos.line, f->pos.col, true,
							  "case:%s: '%s' is %s: it is due at once",
							  c->method, f->key, f->deadline);
			if (rc != 0)
				return -1;
		}
	}
	for (size_t i = 0; s && i < s->nbirthdays; i++) {
		const struct core_scan_birthday *b = &s->birthdays[i];
		if (b->years >= AGE_MIN && b->years <= AGE_MAX)
			continue;
		if (core_check_add(
			    out, b->pos.line, b->pos.col, true,
			    "case.citizen.birthday(%lld): an age of %lld is outside %d to %d; "
			    "is this the deadline you meant?",
			    b->years, b->years, AGE_MIN, AGE_MAX) != 0)
			return -1;
	}
	return 0;
}

int core_check_instruments(const char *source, size_t len, const char *const *instruments,
			   struct core_check *out)
{
	struct core_scan *s = core_scan_new(source, len);
	if (s == NULL) {
		out->oom = true;
		return -1;
	}
	size_t n = 0;
	while (instruments[n])
		n++;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < s->ncalls; i++) {
		const struct core_scan_call *c = &s->calls[i];
		const struct core_scan_field *f = strcmp(c->method, "measure") == 0
							  ? core_scan_call_field(c, "instrument")
							  : NULL;
		if (f == NULL || f->value == NULL || in_list(instruments, f->value))
			continue;
		char names[512], hint[160];
		join(names, sizeof names, instruments, n, 12);
		suggest(hint, sizeof hint, f->value, instruments, n);
		rc = hint[0] ? core_check_add(
				       out, f->pos.line, f->pos.col, true,
				       "case:measure: the instrument registry has no '%s'%s; "
				       "the step would fail",
				       f->value, hint)
			     : core_check_add(out, f->pos.line, f->pos.col, true,
					      "case:measure: the instrument registry has no '%s' "
					      "(instruments: %s); the step would fail",
					      f->value, n ? names : "none");
	}
	core_scan_free(s);
	return rc == 0 && !out->oom ? 0 : -1;
}

int core_check_workflow(const struct core_check_input *in, struct core_check *out)
{
	struct core_scan *s = core_scan_new(in->source, in->len);
	if (s == NULL) {
		out->oom = true;
		return -1;
	}
	int rc;
	if (in->def == NULL)
		rc = place_load_error(in, s, out);
	else
		rc = check_reachable(in, s, out) || check_titles(in, s, out) ||
		     check_handlers(in, s, out) || check_calls(in, s, out);
	if (rc == 0)
		rc = check_literals(in, s, out);
	core_scan_free(s);
	return rc == 0 && !out->oom ? 0 : -1;
}
