/*
 * overgang workflow diff NAME@A NAME@B: what changed in the definition (from the database's
 * copy, core/defdiff.h) and a unified diff of the source (by diff -u).
 *
 * overgang workflow migrate NAME@FROM --to VERSION: moves the active and stuck cases of one
 * version to another in one transaction. Each case's rows are locked first (FOR UPDATE), so no
 * daemon steps a case while it moves (their claim skips locked cases) and the plan is made
 * from what is committed. A case's phase keeps its name unless --map says otherwise; a phase
 * the new version does not have, with no --map, refuses the whole migration. Pending timers
 * whose event type the new version has no handler for are cancelled; the others are kept.
 * A stuck case is made active again, and the retries of pending events start over: they run
 * on the new version now. Each case gets a 'migrated' event in its history (source
 * 'migration', payload {from, to, phase_from, phase_to, by, cancelled_timers}); when the new
 * version has a handler for 'migrated', the event is pending and the daemon runs that handler
 * through the ordinary step, before the case's other pending events (after 'started' in a case
 * that has not taken its first step), so it may adjust state and re-plan timers with every
 * case method; otherwise the event is done at once.
 */
#include "cli/versions.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/tools.h"
#include "core/defdiff.h"
#include "core/definition.h"
#include "core/directory.h"
#include "core/step.h"
#include "store/steps.h"

const char cli_workflow_diff_usage[] =
	"overgang workflow diff NAME@A NAME@B (or a FILE for either)";
const char cli_workflow_migrate_usage[] =
	"overgang workflow migrate NAME@FROM --to VERSION [--map OLD=NEW]... [--case ID]... "
	"[--dry-run] [--by NAME]";

/* NAME@VERSION: the name and version, or false. */
static bool parse_ref(const char *arg, char *name, size_t namelen, int *version)
{
	const char *at = strrchr(arg, '@');
	if (at == NULL || at == arg || (size_t)(at - arg) >= namelen || at[1] == '\0')
		return false;
	for (const char *p = arg; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	long v = 0;
	for (const char *p = at + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v < 1)
		return false;
	memcpy(name, arg, (size_t)(at - arg));
	name[at - arg] = '\0';
	*version = (int)v;
	return true;
}

static bool is_number(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 18)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static const char *who(const char *by) { return by ? by : cli_operator(); }

/* ---- diff ---- */

struct side {
	const char *label; /* NAME@N or the file's path */
	char *source;
	json_t *definition;
};

static int load_side(const struct cfg *cfg, PGconn **conn, const char *arg, struct side *s)
{
	char name[128];
	int version;
	s->label = arg;
	if (parse_ref(arg, name, sizeof name, &version)) {
		if (*conn == NULL && (*conn = cli_connect(cfg)) == NULL)
			return -1;
		char v[16];
		snprintf(v, sizeof v, "%d", version);
		const char *params[] = {name, v};
		PGresult *res = cli_query(*conn, "workflow diff",
					  "SELECT source, definition::text FROM workflow"
					  " WHERE name = $1 AND version = $2::int",
					  2, params);
		if (res == NULL)
			return -1;
		if (PQntuples(res) != 1) {
			fprintf(stderr, "overgang workflow diff: %s version %d is not deployed\n",
				name, version);
			PQclear(res);
			return -1;
		}
		s->source = strdup(PQgetvalue(res, 0, 0));
		s->definition = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
		PQclear(res);
	} else {
		size_t len;
		char err[4096];
		if (access(arg, R_OK) != 0 && strchr(arg, '@')) {
			fprintf(stderr,
				"overgang workflow diff: '%s' is neither NAME@VERSION nor a file\n",
				arg);
			return -1;
		}
		s->source = cli_read_file(arg, &len);
		if (s->source == NULL)
			return -1;
		struct lwf_budget budget = cli_budget(cfg);
		struct lwf_workflow *wf = lwf_load(arg, s->source, len, &budget, err, sizeof err);
		if (wf == NULL) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
		s->definition = core_definition_json(lwf_def(wf));
		lwf_free(wf);
	}
	if (s->source == NULL || s->definition == NULL) {
		fprintf(stderr, "overgang: out of memory\n");
		return -1;
	}
	return 0;
}

static void print_names(const char *what, const json_t *names)
{
	if (json_array_size(names) == 0)
		return;
	printf("%s: ", what);
	size_t i;
	const json_t *n;
	json_array_foreach (names, i, n)
		printf("%s%s", i ? ", " : "", json_string_value(n));
	printf("\n");
}

static void print_transitions(const char *what, const json_t *pairs)
{
	if (json_array_size(pairs) == 0)
		return;
	printf("%s: ", what);
	size_t i;
	const json_t *p;
	json_array_foreach (pairs, i, p)
		printf("%s%s -> %s", i ? ", " : "", json_string_value(json_array_get(p, 0)),
		       json_string_value(json_array_get(p, 1)));
	printf("\n");
}

static void print_change(const char *what, const json_t *c, bool quote)
{
	if (!json_is_object(c))
		return;
	const char *q = quote ? "\"" : "";
	printf("%s: %s%s%s -> %s%s%s\n", what, q, json_string_value(json_object_get(c, "from")), q,
	       q, json_string_value(json_object_get(c, "to")), q);
}

/* TEXT with each line prefixed by PREFIX. */
static void print_indented(const char *prefix, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		printf("%s%.*s\n", prefix, (int)n, text);
		text += n;
		if (*text == '\n')
			text++;
	}
}

static bool definition_same(const json_t *d)
{
	static const char *const lists[] = {
		"phases_added",        "phases_removed", "texts_changed",   "transitions_added",
		"transitions_removed", "handlers_added", "handlers_removed"};
	if (!json_is_null(json_object_get(d, "title")) ||
	    !json_is_null(json_object_get(d, "start")) ||
	    !json_is_null(json_object_get(d, "first_phase")))
		return false;
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (json_array_size(json_object_get(d, lists[i])) > 0)
			return false;
	return true;
}

static int source_diff(const struct side *a, const struct side *b)
{
	if (strcmp(a->source, b->source) == 0) {
		printf("the sources are the same\n");
		return 0;
	}
	char pa[256], pb[256];
	int rc = -1;
	if (cli_temp_file(a->source, strlen(a->source), pa, sizeof pa) != 0)
		return -1;
	if (cli_temp_file(b->source, strlen(b->source), pb, sizeof pb) != 0) {
		unlink(pa);
		return -1;
	}
	const char *argv[] = {"diff", "-u", "--label", a->label, "--label", b->label, pa, pb, NULL};
	char *out = NULL, *err = NULL;
	bool missing;
	int status = cli_run_program(argv, NULL, 0, &out, &err, &missing);
	if (status < 0 && missing)
		fprintf(stderr, "overgang workflow diff: `diff` is not installed (Debian package "
				"diffutils): the source diff is left out\n");
	else if (status > 1)
		fprintf(stderr, "overgang workflow diff: diff failed: %s", err);
	else if (status >= 0) {
		fputs(out, stdout);
		rc = 0;
	}
	free(out);
	free(err);
	unlink(pa);
	unlink(pb);
	return rc;
}

int cli_workflow_diff(const struct cfg *cfg, int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s\n", cli_workflow_diff_usage);
		return 2;
	}
	PGconn *conn = NULL;
	struct side a = {0}, b = {0};
	json_t *d = NULL;
	int rc = 1;
	if (load_side(cfg, &conn, argv[1], &a) != 0 || load_side(cfg, &conn, argv[2], &b) != 0)
		goto out;
	d = core_definition_diff(a.definition, b.definition);
	if (d == NULL) {
		fprintf(stderr, "overgang: out of memory\n");
		goto out;
	}
	printf("%s -> %s\n", a.label, b.label);
	if (definition_same(d)) {
		printf("the definitions are the same (title, start, phases, citizen texts, "
		       "transitions, handlers)\n");
	} else {
		print_change("title", json_object_get(d, "title"), true);
		print_change("start", json_object_get(d, "start"), false);
		print_change("first phase", json_object_get(d, "first_phase"), false);
		print_names("phases added", json_object_get(d, "phases_added"));
		print_names("phases removed", json_object_get(d, "phases_removed"));
		print_transitions("transitions added", json_object_get(d, "transitions_added"));
		print_transitions("transitions removed", json_object_get(d, "transitions_removed"));
		print_names("handlers added", json_object_get(d, "handlers_added"));
		print_names("handlers removed", json_object_get(d, "handlers_removed"));
		size_t i;
		const json_t *t;
		json_array_foreach (json_object_get(d, "texts_changed"), i, t) {
			printf("citizen text of '%s' changed:\n",
			       json_string_value(json_object_get(t, "phase")));
			print_indented("  - ", json_string_value(json_object_get(t, "from")));
			print_indented("  + ", json_string_value(json_object_get(t, "to")));
		}
	}
	printf("\n");
	fflush(stdout);
	rc = source_diff(&a, &b) == 0 ? 0 : 1;
out:
	json_decref(d);
	json_decref(a.definition);
	json_decref(b.definition);
	free(a.source);
	free(b.source);
	if (conn)
		PQfinish(conn);
	return rc;
}

/* ---- migrate ---- */

struct mapping {
	const char *from, *to;
};

struct mcase {
	const char *id, *phase, *status; /* in the locked result */
	const char *to_phase;            /* NULL: no mapping */
	bool by_map;
	json_t *cancel; /* ids of the timers to cancel */
};

static bool def_has_phase(const json_t *def, const char *name)
{
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(def, "phases"), i, p) {
		const char *n = json_string_value(json_object_get(p, "name"));
		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

static bool def_has_handler(const json_t *def, const char *event)
{
	size_t i;
	const json_t *h;
	json_array_foreach (json_object_get(def, "handlers"), i, h)
		if (json_string_value(h) && strcmp(json_string_value(h), event) == 0)
			return true;
	return false;
}

static void phase_names(const json_t *def, char *buf, size_t len)
{
	size_t i, used = 0;
	const json_t *p;
	buf[0] = '\0';
	json_array_foreach (json_object_get(def, "phases"), i, p) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 json_string_value(json_object_get(p, "name")));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

struct migration {
	const char *name;
	int from, to;
	char from_s[16], to_s[16];
	struct mapping *maps;
	int nmaps;
	const char **case_ids;
	int ncases_named;
	bool dry_run;
	const char *by;
	json_t *from_def, *to_def;
	PGconn *conn;
	const struct cfg *cfg;
	/* the dry run's preview of the 'migrated' handler: version TO, the staff directory */
	struct lwf_workflow *to_wf;
	struct core_directory *dir;
};

static int read_definitions(struct migration *m)
{
	const char *params[] = {m->name, m->from_s, m->to_s};
	PGresult *res = cli_query(m->conn, "workflow migrate",
				  "SELECT version, definition::text FROM workflow"
				  " WHERE name = $1 AND version IN ($2::int, $3::int)",
				  3, params);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *d = json_loads(PQgetvalue(res, i, 1), 0, NULL);
		if (atoi(PQgetvalue(res, i, 0)) == m->from)
			m->from_def = d;
		else
			m->to_def = d;
	}
	PQclear(res);
	int v = m->from_def == NULL ? m->from : m->to_def == NULL ? m->to : 0;
	if (v) {
		fprintf(stderr, "overgang workflow migrate: %s version %d is not deployed\n",
			m->name, v);
		return -1;
	}
	for (int i = 0; i < m->nmaps; i++) {
		const struct mapping *map = &m->maps[i];
		char names[1024];
		if (!def_has_phase(m->from_def, map->from)) {
			phase_names(m->from_def, names, sizeof names);
			fprintf(stderr,
				"overgang workflow migrate: --map %s=%s: %s version %d has no "
				"phase "
				"'%s' (its phases: %s)\n",
				map->from, map->to, m->name, m->from, map->from, names);
			return -1;
		}
		if (!def_has_phase(m->to_def, map->to)) {
			phase_names(m->to_def, names, sizeof names);
			fprintf(stderr,
				"overgang workflow migrate: --map %s=%s: %s version %d has no "
				"phase "
				"'%s' (its phases: %s)\n",
				map->from, map->to, m->name, m->to, map->to, names);
			return -1;
		}
	}
	return 0;
}

/* The named cases that are not active or stuck cases of NAME@FROM: says why, returns -1. */
static int explain_missing(struct migration *m, const PGresult *locked)
{
	int rc = 0;
	for (int i = 0; i < m->ncases_named; i++) {
		bool found = false;
		for (int k = 0; k < PQntuples(locked) && !found; k++)
			found = strcmp(PQgetvalue(locked, k, 0), m->case_ids[i]) == 0;
		if (found)
			continue;
		const char *params[] = {m->case_ids[i]};
		PGresult *res = cli_query(m->conn, "workflow migrate",
					  "SELECT workflow_name, workflow_version, status FROM "
					  "cases WHERE id = $1::bigint",
					  1, params);
		if (res == NULL)
			return -1;
		if (PQntuples(res) == 0)
			fprintf(stderr, "overgang workflow migrate: there is no case %s\n",
				m->case_ids[i]);
		else if (strcmp(PQgetvalue(res, 0, 2), "closed") == 0)
			fprintf(stderr,
				"overgang workflow migrate: case %s is closed; a closed case stays "
				"on its version\n",
				m->case_ids[i]);
		else
			fprintf(stderr,
				"overgang workflow migrate: case %s is on %s version %s, not %s "
				"version %d\n",
				m->case_ids[i], PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
				m->name, m->from);
		PQclear(res);
		rc = -1;
	}
	return rc;
}

/* The new phase of each case; -1 after naming every phase that has none, with its cases. */
static int map_phases(struct migration *m, struct mcase *cases, int n)
{
	int rc = 0;
	for (int i = 0; i < n; i++) {
		struct mcase *c = &cases[i];
		for (int k = 0; k < m->nmaps && !c->to_phase; k++)
			if (strcmp(m->maps[k].from, c->phase) == 0) {
				c->to_phase = m->maps[k].to;
				c->by_map = true;
			}
		if (c->to_phase == NULL && def_has_phase(m->to_def, c->phase))
			c->to_phase = c->phase;
	}
	for (int i = 0; i < n; i++) {
		if (cases[i].to_phase)
			continue;
		bool first = true;
		for (int k = 0; k < i && first; k++)
			first = cases[k].to_phase || strcmp(cases[k].phase, cases[i].phase) != 0;
		if (!first)
			continue;
		char names[1024];
		phase_names(m->to_def, names, sizeof names);
		fprintf(stderr,
			"overgang workflow migrate: %s version %d has no phase '%s' (its phases: "
			"%s); cases in '%s':",
			m->name, m->to, cases[i].phase, names, cases[i].phase);
		int shown = 0;
		for (int k = i; k < n; k++) {
			if (cases[k].to_phase || strcmp(cases[k].phase, cases[i].phase) != 0)
				continue;
			if (shown++ < 50)
				fprintf(stderr, "%s %s", shown > 1 ? "," : "", cases[k].id);
			else if (shown == 51)
				fprintf(stderr, ", ...");
		}
		fprintf(stderr,
			"\n  say where they go with --map %s=PHASE, or leave them out with "
			"--case ID\n",
			cases[i].phase);
		rc = -1;
	}
	return rc;
}

/* Prints the plan of each case and decides which timers go. EVENTS: pending events of the
 * cases, ordered by case. */
/* For the dry run: version TO compiled and the staff directory, as the daemon has them. */
static int preview_setup(struct migration *m)
{
	const char *params[] = {m->name, m->to_s};
	PGresult *res = cli_query(
		m->conn, "workflow migrate",
		"SELECT source FROM workflow WHERE name = $1 AND version = $2::int", 2, params);
	if (res == NULL)
		return -1;
	char err[4096], chunk[160];
	snprintf(chunk, sizeof chunk, "%s@%d", m->name, m->to);
	struct lwf_budget budget = cli_budget(m->cfg);
	const char *source = PQgetvalue(res, 0, 0);
	m->to_wf = lwf_load(chunk, source, strlen(source), &budget, err, sizeof err);
	PQclear(res);
	if (m->to_wf == NULL) {
		fprintf(stderr, "overgang workflow migrate: %s\n", err);
		return -1;
	}
	res = cli_query(m->conn, "workflow migrate", store_directory_sql, 0, NULL);
	if (res == NULL)
		return -1;
	m->dir = store_directory_from(res);
	PQclear(res);
	return m->dir ? 0 : -1;
}

/* The dry run shows what version TO's 'migrated' handler would do in case C: the daemon's own
 * step, run on the case as it stands and written nowhere. */
static void preview_hook(struct migration *m, const struct mcase *mc)
{
	const char *params[] = {mc->id};
	PGresult *res = cli_query(
		m->conn, "workflow migrate",
		"SELECT c.citizen_id, c.tovholder, c.tovholder_department, ci.birth_date::text,"
		"       c.revision, c.state::text, ci.attributes::text,"
		"       extract(epoch FROM now())::bigint"
		"  FROM cases c JOIN citizen ci ON ci.id = c.citizen_id WHERE c.id = $1::bigint",
		1, params);
	if (res == NULL || PQntuples(res) != 1) {
		PQclear(res);
		return;
	}
	if (atoll(PQgetvalue(res, 0, 4)) == 0) {
		printf("  'migrated' runs after the case's first step, which has not run yet\n");
		PQclear(res);
		return;
	}
	int64_t now = atoll(PQgetvalue(res, 0, 7));
	struct core_case c = {0};
	struct core_effects fx;
	char err[4096] = "";
	json_t *payload =
		json_pack("{s:i,s:i,s:s,s:s,s:s}", "from", m->from, "to", m->to, "phase_from",
			  mc->phase, "phase_to", mc->to_phase, "by", who(m->by));
	struct core_event ev = {.id = 0, .type = "migrated", .payload = payload, .at = now};
	int rc = -1;
	if (core_effects_init(&fx) == 0) {
		if (core_case_init(&c, atoll(mc->id), atoll(PQgetvalue(res, 0, 0)), m->name, m->to,
				   mc->to_phase, "active",
				   PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1),
				   PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2),
				   PQgetvalue(res, 0, 3), atoll(PQgetvalue(res, 0, 4))) == 0) {
			json_decref(c.state);
			json_decref(c.attributes);
			c.state = json_loads(PQgetvalue(res, 0, 5), 0, NULL);
			c.attributes = json_loads(PQgetvalue(res, 0, 6), 0, NULL);
			if (c.state && c.attributes)
				rc = core_step(m->to_wf, &c, &ev, m->dir, now, &fx, err,
					       sizeof err);
		}
		if (rc == 0) {
			size_t i;
			json_t *cmd;
			json_array_foreach (fx.commands, i, cmd) {
				json_t *shown = json_deep_copy(cmd);
				json_object_del(shown, "cmd");
				json_object_del(shown, "line");
				char *text = json_dumps(shown, JSON_COMPACT | JSON_SORT_KEYS);
				printf("  'migrated' would: %s %s (line %lld)\n",
				       json_string_value(json_object_get(cmd, "cmd")),
				       text ? text : "",
				       (long long)json_integer_value(json_object_get(cmd, "line")));
				free(text);
				json_decref(shown);
			}
			if (json_array_size(fx.commands) == 0)
				printf("  'migrated' would change nothing\n");
		} else {
			const char *why = err[0] ? err : "out of memory";
			printf("  'migrated' would fail: %.*s\n", (int)strcspn(why, "\n"), why);
		}
		core_effects_clear(&fx);
	}
	core_case_clear(&c);
	json_decref(payload);
	PQclear(res);
}

static int plan(struct migration *m, struct mcase *cases, int n, const PGresult *events)
{
	bool hook = def_has_handler(m->to_def, "migrated");
	printf("%s: version %d -> version %d, %d case%s%s\n", m->name, m->from, m->to, n,
	       n == 1 ? "" : "s", m->dry_run ? " (dry run: nothing is changed)" : "");
	for (int i = 0; i < n; i++) {
		struct mcase *c = &cases[i];
		bool stuck = strcmp(c->status, "stuck") == 0;
		if (c->by_map)
			printf("case %s%s: phase %s -> %s (--map %s=%s)\n", c->id,
			       stuck ? " (stuck)" : "", c->phase, c->to_phase, c->phase,
			       c->to_phase);
		else
			printf("case %s%s: phase %s -> %s\n", c->id, stuck ? " (stuck)" : "",
			       c->phase, c->to_phase);
		for (int k = 0; k < PQntuples(events); k++) {
			if (strcmp(PQgetvalue(events, k, 1), c->id) != 0)
				continue;
			const char *id = PQgetvalue(events, k, 0), *type = PQgetvalue(events, k, 2);
			bool timer = strcmp(PQgetvalue(events, k, 3), "timer") == 0;
			const char *due = PQgetvalue(events, k, 4);
			bool handled = def_has_handler(m->to_def, type);
			if (timer && !handled) {
				printf("  cancel timer '%s' (event %s, due %s): version %d has no "
				       "handler for it\n",
				       type, id, due, m->to);
				if (json_array_append_new(c->cancel, json_integer(atoll(id))) != 0)
					return -1;
			} else if (timer) {
				printf("  keep timer '%s' (event %s, due %s)\n", type, id, due);
			} else if (!handled) {
				printf("  pending event '%s' (event %s): version %d has no handler "
				       "for it, so it will change nothing\n",
				       type, id, m->to);
			}
		}
		if (stuck)
			printf("  made active again: its pending events run on version %d\n",
			       m->to);
		if (hook && m->dry_run)
			preview_hook(m, c);
	}
	if (hook)
		printf("version %d's handler for 'migrated' runs first in each case after the "
		       "move\n",
		       m->to);
	return 0;
}

static int apply(struct migration *m, const struct mcase *cases, int n)
{
	json_t *doc = json_array();
	for (int i = 0; doc && i < n; i++) {
		json_t *row = json_pack("{s:I,s:s,s:s,s:O}", "id", (json_int_t)atoll(cases[i].id),
					"phase_from", cases[i].phase, "phase_to", cases[i].to_phase,
					"cancel", cases[i].cancel);
		if (row == NULL || json_array_append_new(doc, row) != 0) {
			json_decref(doc);
			doc = NULL;
		}
	}
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL) {
		fprintf(stderr, "overgang: out of memory\n");
		return -1;
	}
	const char *hook = def_has_handler(m->to_def, "migrated") ? "t" : "f";
	/* timers the new version cannot handle */
	const char *cancel[] = {text};
	static const char cancel_sql[] =
		"UPDATE event e SET status = 'cancelled', done_at = clock_timestamp()"
		"  FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, cancel jsonb)"
		" WHERE e.case_id = x.id AND e.status = 'pending'"
		"   AND e.id IN (SELECT value::bigint FROM jsonb_array_elements_text(x.cancel))";
	/* the other pending events run on the new version, now */
	static const char reset_sql[] = "UPDATE event e SET attempts = 0, retry_at = NULL"
					"  FROM jsonb_to_recordset($1::jsonb) AS x(id bigint)"
					" WHERE e.case_id = x.id AND e.status = 'pending'"
					"   AND (e.attempts <> 0 OR e.retry_at IS NOT NULL)";
	/* the case's history. With a 'migrated' handler it runs before any other pending event,
	 * except in a case that has not taken its first step: there 'started' comes first (it
	 * assigns the tovholder). */
	const char *history[] = {text, m->from_s, m->to_s, m->by, hook};
	static const char history_sql[] =
		"INSERT INTO event (case_id, type, payload, source, idem_key, status, done_at,"
		"                   due_at)"
		"SELECT x.id, 'migrated',"
		"       jsonb_build_object('from', $2::int, 'to', $3::int, 'phase_from', "
		"x.phase_from,"
		"                          'phase_to', x.phase_to, 'by', $4::text,"
		"                          'cancelled_timers', x.cancel),"
		"       'migration', 'migrated:' || $2::int || '->' || $3::int || ':' ||"
		"                    txid_current(),"
		"       CASE WHEN $5::bool THEN 'pending' ELSE 'done' END,"
		"       CASE WHEN $5::bool THEN NULL ELSE clock_timestamp() END,"
		"       CASE WHEN $5::bool AND c.revision > 0 THEN least(now(),"
		"            (SELECT min(p.due_at) - interval '1 microsecond' FROM event p"
		"              WHERE p.case_id = x.id AND p.status = 'pending'))"
		"            ELSE now() END"
		"  FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, phase_from text,"
		"       phase_to text, cancel jsonb)"
		"  JOIN cases c ON c.id = x.id";
	const char *move[] = {text, m->from_s, m->to_s, m->name};
	static const char move_sql[] =
		"UPDATE cases c SET workflow_version = $3::int, phase = x.phase_to, status = "
		"'active',"
		"       stuck_reason = NULL, updated_at = now(),"
		/* a new revision for readers, except before the first step (revision 0 means
		 * the case has not stepped yet, and has no tovholder yet) */
		"       revision = CASE WHEN c.revision > 0 THEN c.revision + 1 ELSE 0 END"
		"  FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, phase_to text)"
		" WHERE c.id = x.id AND c.workflow_name = $4 AND c.workflow_version = $2::int"
		"   AND c.status <> 'closed'";
	int rc = -1;
	PGresult *res = cli_query(m->conn, "workflow migrate", cancel_sql, 1, cancel);
	if (res == NULL)
		goto out;
	PQclear(res);
	if ((res = cli_query(m->conn, "workflow migrate", reset_sql, 1, cancel)) == NULL)
		goto out;
	PQclear(res);
	if ((res = cli_query(m->conn, "workflow migrate", history_sql, 5, history)) == NULL)
		goto out;
	PQclear(res);
	if ((res = cli_query(m->conn, "workflow migrate", move_sql, 4, move)) == NULL)
		goto out;
	if (atoi(PQcmdTuples(res)) == n)
		rc = 0;
	else
		fprintf(stderr,
			"overgang workflow migrate: %s cases moved where %d were expected\n",
			PQcmdTuples(res), n);
	PQclear(res);
out:
	free(text);
	return rc;
}

static int migrate(struct migration *m)
{
	PGresult *locked = NULL, *events = NULL;
	struct mcase *cases = NULL;
	int n = 0, rc = 1;
	bool began = false;
	PGresult *res = cli_query(m->conn, "workflow migrate", "BEGIN", 0, NULL);
	if (res == NULL)
		goto out;
	PQclear(res);
	began = true;
	/* a daemon holds a case only for one batch; wait that long, not forever */
	if ((res = cli_query(m->conn, "workflow migrate", "SET LOCAL lock_timeout = '30s'", 0,
			     NULL)) == NULL)
		goto out;
	PQclear(res);
	if (read_definitions(m) != 0)
		goto out;

	/* Lock the cases first, then plan from what is committed. */
	json_t *ids = json_array();
	for (int i = 0; ids && i < m->ncases_named; i++)
		json_array_append_new(ids, json_integer(atoll(m->case_ids[i])));
	char *ids_text = ids && m->ncases_named ? json_dumps(ids, JSON_COMPACT) : NULL;
	json_decref(ids);
	const char *params[] = {m->name, m->from_s, ids_text};
	locked = cli_query(m->conn, "workflow migrate",
			   "SELECT id, phase, status FROM cases"
			   " WHERE workflow_name = $1 AND workflow_version = $2::int"
			   "   AND status IN ('active', 'stuck')"
			   "   AND ($3::jsonb IS NULL OR id IN (SELECT value::bigint"
			   "        FROM jsonb_array_elements_text($3::jsonb)))"
			   " ORDER BY id FOR UPDATE",
			   3, params);
	free(ids_text);
	if (locked == NULL || explain_missing(m, locked) != 0)
		goto out;
	n = PQntuples(locked);
	if (n == 0) {
		printf("%s version %d has no active or stuck cases: nothing to migrate\n", m->name,
		       m->from);
		rc = 0;
		goto out;
	}
	cases = calloc((size_t)n, sizeof *cases);
	json_t *case_list = json_array();
	for (int i = 0; cases && case_list && i < n; i++) {
		cases[i] = (struct mcase){PQgetvalue(locked, i, 0),
					  PQgetvalue(locked, i, 1),
					  PQgetvalue(locked, i, 2),
					  NULL,
					  false,
					  json_array()};
		json_array_append_new(case_list, json_integer(atoll(cases[i].id)));
	}
	char *case_text = case_list ? json_dumps(case_list, JSON_COMPACT) : NULL;
	json_decref(case_list);
	if (cases == NULL || case_text == NULL) {
		free(case_text);
		fprintf(stderr, "overgang: out of memory\n");
		goto out;
	}
	if (map_phases(m, cases, n) != 0) {
		free(case_text);
		goto out;
	}
	const char *eparams[] = {case_text};
	events = cli_query(
		m->conn, "workflow migrate",
		"SELECT id, case_id, type, source, to_char(due_at, 'YYYY-MM-DD HH24:MI')"
		"  FROM event WHERE status = 'pending' AND case_id IN (SELECT value::bigint"
		"       FROM jsonb_array_elements_text($1::jsonb))"
		" ORDER BY case_id, due_at, id",
		1, eparams);
	free(case_text);
	if (events == NULL ||
	    (m->dry_run && def_has_handler(m->to_def, "migrated") && preview_setup(m) != 0) ||
	    plan(m, cases, n, events) != 0)
		goto out;
	if (m->dry_run) {
		printf("dry run: %d case%s would be migrated; nothing was changed\n", n,
		       n == 1 ? "" : "s");
		rc = 0;
		goto out;
	}
	if (apply(m, cases, n) != 0)
		goto out;
	res = cli_query(m->conn, "workflow migrate", "COMMIT", 0, NULL);
	if (res == NULL)
		goto out;
	began = false;
	bool committed = strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	if (!committed) {
		fprintf(stderr, "overgang workflow migrate: the transaction was rolled back\n");
		goto out;
	}
	printf("migrated %d case%s of %s from version %d to version %d\n", n, n == 1 ? "" : "s",
	       m->name, m->from, m->to);
	rc = 0;
out:
	if (began) {
		res = PQexec(m->conn, "ROLLBACK");
		PQclear(res);
		if (rc != 0 && !m->dry_run)
			fprintf(stderr, "overgang workflow migrate: nothing was migrated\n");
	}
	for (int i = 0; cases && i < n; i++)
		json_decref(cases[i].cancel);
	free(cases);
	PQclear(events);
	PQclear(locked);
	lwf_free(m->to_wf);
	core_dir_free(m->dir);
	return rc;
}

int cli_workflow_migrate(const struct cfg *cfg, int argc, char **argv)
{
	char name[128];
	struct migration m = {.name = name, .cfg = cfg};
	const char *to = NULL, *by = NULL;
	bool have_ref = false;
	int rc = 2;
	m.maps = calloc((size_t)argc, sizeof *m.maps);
	m.case_ids = calloc((size_t)argc, sizeof *m.case_ids);
	if (m.maps == NULL || m.case_ids == NULL) {
		rc = 1;
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--to") == 0 && i + 1 < argc && !to) {
			to = argv[++i];
		} else if (strcmp(a, "--map") == 0 && i + 1 < argc) {
			char *eq = strchr(argv[++i], '=');
			if (eq == NULL || eq == argv[i] || eq[1] == '\0') {
				fprintf(stderr,
					"overgang workflow migrate: --map takes OLD=NEW, not "
					"'%s'\n",
					argv[i]);
				goto usage;
			}
			*eq = '\0';
			for (int k = 0; k < m.nmaps; k++)
				if (strcmp(m.maps[k].from, argv[i]) == 0) {
					fprintf(stderr,
						"overgang workflow migrate: phase '%s' is mapped "
						"twice\n",
						argv[i]);
					goto usage;
				}
			m.maps[m.nmaps++] = (struct mapping){argv[i], eq + 1};
		} else if (strcmp(a, "--case") == 0 && i + 1 < argc && is_number(argv[i + 1])) {
			m.case_ids[m.ncases_named++] = argv[++i];
		} else if (strcmp(a, "--dry-run") == 0) {
			m.dry_run = true;
		} else if (strcmp(a, "--by") == 0 && i + 1 < argc && !by) {
			by = argv[++i];
		} else if (!have_ref && parse_ref(a, name, sizeof name, &m.from)) {
			have_ref = true;
		} else {
			fprintf(stderr, "overgang workflow migrate: unexpected '%s'\n", a);
			goto usage;
		}
	}
	if (!have_ref || to == NULL || !is_number(to) || atoi(to) < 1)
		goto usage;
	m.to = atoi(to);
	if (m.to == m.from) {
		fprintf(stderr, "overgang workflow migrate: the cases are on version %d already\n",
			m.from);
		goto usage;
	}
	snprintf(m.from_s, sizeof m.from_s, "%d", m.from);
	snprintf(m.to_s, sizeof m.to_s, "%d", m.to);
	m.by = who(by);
	rc = 1;
	m.conn = cli_connect(cfg);
	if (m.conn == NULL)
		goto out;
	rc = migrate(&m);
	goto out;
usage:
	fprintf(stderr, "usage: %s\n", cli_workflow_migrate_usage);
out:
	if (m.conn)
		PQfinish(m.conn);
	json_decref(m.from_def);
	json_decref(m.to_def);
	free(m.maps);
	free(m.case_ids);
	return rc;
}
