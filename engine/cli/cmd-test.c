/*
 * overgang test [DIR|FILE...]: runs workflow tests written in Lua. A test file names its
 * workflow (workflow_file), declares tests (test(name, function)), and in each runs a
 * simulation (engine/sim: the daemon's own step code, no database) that it drives and checks
 * with the methods of the simulation object. The test file runs in a sandboxed Lua state of its
 * own, separate from the workflow's. workflows/README.md documents the API; this file
 * implements it.
 *
 * Output: the file's path, then "ok   NAME" or "FAIL NAME" per test, a failure's details
 * indented below it, and a summary line. Exit status 0 when every test passed, 1 when one
 * failed, 2 for bad arguments.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

#include "cli/cli.h"
#include "cli/wftools.h"
#include "util/civil.h"

#define TEST_MEMORY ((size_t)64 << 20)
#define DEFAULT_DIR "workflows/tests"
#define WORKFLOW_MT "overgang.workflow"
#define SIMULATION_MT "overgang.simulation"

/* The file being run. */
struct tfile {
	const struct cfg *cfg;
	const char *path; /* as given or found; the chunk is named after it */
	lua_State *L;
	int tests;    /* registry reference: a list of { name, fn, line } */
	bool started; /* the tests are running: test() is refused */
};

struct tworkflow {
	char *path; /* resolved against the test file */
};

struct tsim {
	struct lwf_workflow *wf;
	struct sim *s;
	json_t *attributes;
	int64_t birth, start;
};

static struct tfile *file_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* Failures. A failure is a table raised as the error: { kind = "expect", what, expected,
 * actual, today } for an expectation that does not hold, { kind = "workflow", what, message }
 * for a workflow that failed to load or failed a step. The message handler adds the line of
 * the test file. */

__attribute__((noreturn)) static void raise_table(lua_State *L)
{
	lua_error(L);
	__builtin_unreachable();
}

static void set_string(lua_State *L, const char *key, const char *value)
{
	if (value == NULL)
		return;
	lua_pushstring(L, value);
	lua_setfield(L, -2, key);
}

__attribute__((noreturn)) static void fail_expect(lua_State *L, const struct tsim *t,
						  const char *what, const char *expected,
						  const char *actual)
{
	lua_createtable(L, 0, 5);
	set_string(L, "kind", "expect");
	set_string(L, "what", what);
	set_string(L, "expected", expected);
	set_string(L, "actual", actual);
	if (t && t->s) {
		char today[32];
		wft_format_time(sim_now(t->s), today);
		set_string(L, "today", today);
	}
	raise_table(L);
}

/* The workflow failed: MESSAGE is its "FILE:LINE: ..." (and traceback). */
__attribute__((noreturn)) static void fail_workflow(lua_State *L, const char *what,
						    const char *message)
{
	lua_createtable(L, 0, 3);
	set_string(L, "kind", "workflow");
	set_string(L, "what", what);
	set_string(L, "message", message);
	raise_table(L);
}

/* A step of T failed (or the simulation could not go on): raises with the failed step. */
__attribute__((noreturn)) static void fail_step(lua_State *L, const struct tsim *t, const char *err)
{
	const json_t *bad = wft_failed_step(t->s);
	if (bad == NULL)
		fail_workflow(L, "the simulation stopped", err);
	char what[200];
	snprintf(what, sizeof what, "the workflow failed in the step for '%s' on %s",
		 json_string_value(json_object_get(bad, "event")),
		 json_string_value(json_object_get(bad, "date")));
	fail_workflow(L, what, json_string_value(json_object_get(bad, "error")));
}

/* The line of the test file the failure comes from: the innermost call in it. */
static int test_line(lua_State *L, const char *path)
{
	lua_Debug ar;
	for (int level = 0; lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.source[0] == '@' &&
		    strcmp(ar.source + 1, path) == 0 && ar.currentline > 0)
			return ar.currentline;
	}
	return 0;
}

/* The message handler of test calls: every failure becomes a table with its line. */
static int msgh(lua_State *L)
{
	struct tfile *tf = file_of(L);
	int line = test_line(L, tf->path);
	if (lua_type(L, 1) != LUA_TTABLE) {
		const char *msg = lua_tostring(L, 1);
		if (msg == NULL)
			msg = lua_pushfstring(L, "(error object is a %s value)",
					      luaL_typename(L, 1));
		lua_createtable(L, 0, 3);
		set_string(L, "kind", "error");
		set_string(L, "message", msg);
		lua_replace(L, 1);
	}
	lua_settop(L, 1);
	lua_pushinteger(L, line);
	lua_setfield(L, 1, "line");
	return 1;
}

/* Prints TEXT with every line indented by INDENT. */
static void print_indented(const char *indent, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		printf("%s%.*s\n", indent, (int)n, p);
		p += n;
		if (*p)
			p++;
	}
}

/* Prints the failure on top of the stack (as msgh made it, or a message); RC is what the call
 * returned. */
static void print_failure(lua_State *L, const char *path, int rc)
{
	if (rc == LUA_ERRMEM) {
		/* Lua calls no message handler for this one: there is no line to give. */
		printf("     memory budget exceeded (%zu MiB): the test uses too much memory\n",
		       TEST_MEMORY >> 20);
		return;
	}
	if (lua_type(L, -1) != LUA_TTABLE) {
		const char *msg = lua_tostring(L, -1);
		print_indented("     ", msg ? msg : "(an error without a message)");
		return;
	}
	int t = lua_gettop(L);
	lua_getfield(L, t, "kind");
	lua_getfield(L, t, "what");
	lua_getfield(L, t, "message");
	lua_getfield(L, t, "expected");
	lua_getfield(L, t, "actual");
	lua_getfield(L, t, "today");
	lua_getfield(L, t, "line");
	const char *kind = lua_tostring(L, t + 1), *what = lua_tostring(L, t + 2);
	const char *message = lua_tostring(L, t + 3);
	int line = (int)lua_tointeger(L, t + 7);
	char where[600] = "";
	if (line > 0)
		snprintf(where, sizeof where, "%s:%d: ", path, line);
	if (kind && strcmp(kind, "expect") == 0) {
		const char *today = lua_tostring(L, t + 6);
		printf("     %s%s", where, what ? what : "expectation");
		if (today)
			printf(" (on %s)", today);
		printf("\n");
		print_indented("       expected: ",
			       lua_tostring(L, t + 4) ? lua_tostring(L, t + 4) : "?");
		const char *actual = lua_tostring(L, t + 5) ? lua_tostring(L, t + 5) : "?";
		size_t first = strcspn(actual, "\n");
		printf("       actual:   %.*s\n", (int)first, actual);
		if (actual[first])
			print_indented("                 ", actual + first + 1);
	} else if (kind && strcmp(kind, "workflow") == 0) {
		/* The workflow's message names its file and line; its traceback is left out. */
		printf("     %s%s:\n", where, what ? what : "the workflow failed");
		if (message)
			printf("       %.*s\n", (int)strcspn(message, "\n"), message);
	} else {
		/* A Lua error names its place itself, unless it was raised without one. */
		message = message ? message : "(an error without a message)";
		bool placed = strncmp(message, path, strlen(path)) == 0 ||
			      (strlen(path) > LUA_IDSIZE - 4 && strncmp(message, "...", 3) == 0);
		char head[700];
		snprintf(head, sizeof head, "     %s", placed ? "" : where);
		size_t first = strcspn(message, "\n");
		printf("%s%.*s\n", head, (int)first, message);
		if (message[first])
			print_indented("       ", message + first + 1);
	}
	lua_settop(L, t);
}

/* Arguments. */

/* A date argument: "YYYY-MM-DD" or whole Unix seconds. */
static int64_t check_date(lua_State *L, int idx, const char *fname)
{
	int64_t t;
	if (lua_type(L, idx) == LUA_TNUMBER && lua_isinteger(L, idx))
		return lua_tointeger(L, idx);
	if (lua_type(L, idx) == LUA_TSTRING && og_ymd_to_time(lua_tostring(L, idx), &t) == 0)
		return t;
	luaL_error(L, "%s: expects a date \"YYYY-MM-DD\", not %s", fname,
		   lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : luaL_typename(L, idx));
	return 0;
}

/* The Lua value at IDX as JSON; raises (holding nothing) when it cannot be. */
static json_t *check_json(lua_State *L, int idx, const char *fname)
{
	char err[400];
	json_t *v = wft_to_json(L, idx, fname, err, sizeof err);
	if (v == NULL)
		luaL_error(L, "%s", err);
	return v;
}

/* A place for JSON that a Lua error must not leak: a userdata on the stack whose __gc frees
 * what it holds. */
#define JSON_BOX_MT "overgang.json"
static json_t **new_box(lua_State *L)
{
	json_t **box = lua_newuserdatauv(L, sizeof *box, 0);
	*box = NULL;
	luaL_setmetatable(L, JSON_BOX_MT);
	return box;
}

static int box_gc(lua_State *L)
{
	json_t **box = luaL_checkudata(L, 1, JSON_BOX_MT);
	json_decref(*box);
	*box = NULL;
	return 0;
}

/* Refuses keys of the table at IDX that are not in NAMES (NULL-terminated). */
static void check_keys(lua_State *L, int idx, const char *fname, const char *const *names)
{
	const char *unknown = NULL;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			luaL_error(L, "%s: expects a table of named fields", fname);
		}
		const char *k = lua_tostring(L, -1);
		bool known = false;
		for (const char *const *n = names; *n && !known; n++)
			known = strcmp(*n, k) == 0;
		if (!known && (unknown == NULL || strcmp(k, unknown) < 0))
			unknown = k;
	}
	if (unknown)
		luaL_error(L, "%s: unknown field '%s'", fname, unknown);
}

static struct tsim *check_sim(lua_State *L, const char *fname)
{
	struct tsim *t = luaL_testudata(L, 1, SIMULATION_MT);
	if (t == NULL)
		luaL_error(L, "%s: call it with a colon on a simulation: s:%s(...)", fname, fname);
	if (t->s == NULL)
		luaL_error(L, "%s: this simulation did not start", fname);
	return t;
}

/* A task spec from the table at IDX without the fields in DROP (NULL-terminated); raises
 * when it is not a good spec. */
static json_t *check_spec(lua_State *L, int idx, const char *fname, const char *const *drop)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "%s: expects a table such as { department = \"ppr\" }, not %s", fname,
			   luaL_typename(L, idx));
	json_t *spec = check_json(L, idx, fname);
	if (json_is_array(spec) && json_array_size(spec) == 0) {
		json_decref(spec);
		spec = json_object();
	}
	for (const char *const *d = drop; d && *d; d++)
		json_object_del(spec, *d);
	char err[400];
	if (wft_check_spec(spec, err, sizeof err) != 0) {
		json_decref(spec);
		luaL_error(L, "%s: %s", fname, err);
	}
	return spec;
}

/* The simulation runs what the outside world's action caused; a failed step is raised. */
static void run_now(lua_State *L, struct tsim *t)
{
	char err[8192];
	if (sim_run_until(t->s, sim_now(t->s), err, sizeof err) != 0)
		fail_step(L, t, err);
}

/* The tasks of T as lines, those matching KIND only when KIND is not NULL. */
static void list_tasks(const struct tsim *t, const char *kind, char *out, size_t len)
{
	size_t used = 0, i;
	const json_t *x;
	out[0] = '\0';
	json_array_foreach (sim_tasks(t->s), i, x) {
		if (kind && strcmp(json_string_value(json_object_get(x, "kind")), kind) != 0)
			continue;
		char line[600];
		wft_describe_task(x, line, sizeof line);
		int n = snprintf(out + used, len - used, "%s%s", used ? "\n" : "", line);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(out, len, "no %ss", kind ? kind : "task");
}

/* Global functions of a test file. */

static int g_test(lua_State *L)
{
	struct tfile *tf = file_of(L);
	const char *name = luaL_checkstring(L, 1);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (tf->started)
		return luaL_error(L, "test: tests are declared at the top level of the file, not "
				     "inside another test");
	if (*name == '\0')
		return luaL_error(L, "test: give the test a name that says what it shows");
	lua_Debug ar;
	int line = lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) ? ar.currentline : 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, tf->tests);
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		lua_getfield(L, -1, "name");
		if (strcmp(lua_tostring(L, -1), name) == 0) {
			lua_getfield(L, -2, "line");
			return luaL_error(L,
					  "test: a test named '%s' is already declared on line %d",
					  name, (int)lua_tointeger(L, -1));
		}
		lua_pop(L, 2);
	}
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, "name");
	lua_pushvalue(L, 2);
	lua_setfield(L, -2, "fn");
	lua_pushinteger(L, line);
	lua_setfield(L, -2, "line");
	lua_rawseti(L, -2, n + 1);
	return 0;
}

static int workflow_gc(lua_State *L)
{
	struct tworkflow *w = luaL_checkudata(L, 1, WORKFLOW_MT);
	free(w->path);
	w->path = NULL;
	return 0;
}

static int g_workflow_file(lua_State *L)
{
	struct tfile *tf = file_of(L);
	const char *path = luaL_checkstring(L, 1);
	struct tworkflow *w = lua_newuserdatauv(L, sizeof *w, 0);
	w->path = NULL;
	luaL_setmetatable(L, WORKFLOW_MT);
	w->path = wft_resolve(tf->path, path);
	if (w->path == NULL)
		return luaL_error(L, "workflow_file: out of memory");
	char err[4096];
	struct lwf_workflow *wf = wft_load(tf->cfg, w->path, w->path, err, sizeof err);
	if (wf == NULL)
		fail_workflow(L, "workflow_file: the workflow does not load", err);
	lwf_free(wf);
	return 1;
}

static int sim_gc(lua_State *L)
{
	struct tsim *t = luaL_checkudata(L, 1, SIMULATION_MT);
	sim_free(t->s);
	lwf_free(t->wf);
	json_decref(t->attributes);
	memset(t, 0, sizeof *t);
	return 0;
}

static int g_simulate(lua_State *L)
{
	static const char *const keys[] = {"born", "attributes",  "start",
					   "auto", "departments", NULL};
	struct tfile *tf = file_of(L);
	struct tworkflow *w = luaL_testudata(L, 1, WORKFLOW_MT);
	if (w == NULL)
		return luaL_error(L, "simulate: the first argument is a workflow: "
				     "simulate(workflow_file \"...\", { born = ... })");
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	check_keys(L, 2, "simulate", keys);
	lua_getfield(L, 2, "born");        /* 3 */
	lua_getfield(L, 2, "attributes");  /* 4 */
	lua_getfield(L, 2, "start");       /* 5 */
	lua_getfield(L, 2, "auto");        /* 6 */
	lua_getfield(L, 2, "departments"); /* 7 */
	int64_t birth;
	if (lua_type(L, 3) != LUA_TSTRING || og_ymd_to_time(lua_tostring(L, 3), &birth) != 0)
		return luaL_error(L, "simulate: born = \"YYYY-MM-DD\" is required: the citizen's "
				     "birth date");
	if (!lua_isnil(L, 4) && lua_type(L, 4) != LUA_TTABLE)
		return luaL_error(L, "simulate: attributes is a table such as { "
				     "funktionsnedsaettelse = true }");
	int64_t start = lua_isnil(L, 5) ? 0 : check_date(L, 5, "simulate: start");
	if (!lua_isnil(L, 6) && !lua_isboolean(L, 6))
		return luaL_error(L, "simulate: auto is true or false");
	/* Departments, as a NULL-terminated array in a userdata the collector frees. */
	const char **departments = NULL;
	if (!lua_isnil(L, 7)) {
		if (lua_type(L, 7) != LUA_TTABLE)
			return luaL_error(L, "simulate: departments is a list of department ids");
		size_t n = lua_rawlen(L, 7);
		departments = lua_newuserdatauv(L, (n + 1) * sizeof *departments, 1); /* 8 */
		lua_pushvalue(L, 7);
		lua_setiuservalue(L, -2, 1); /* keeps the strings alive */
		for (size_t i = 0; i < n; i++) {
			lua_rawgeti(L, 7, (lua_Integer)i + 1);
			if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
				return luaL_error(L, "simulate: departments is a list of "
						     "department ids");
			departments[i] = lua_tostring(L, -1);
			lua_pop(L, 1);
		}
		departments[n] = NULL;
	}

	struct tsim *t = lua_newuserdatauv(L, sizeof *t, 0);
	memset(t, 0, sizeof *t);
	luaL_setmetatable(L, SIMULATION_MT);
	int self = lua_gettop(L);
	t->birth = birth;
	t->attributes = lua_isnil(L, 4) ? json_object() : check_json(L, 4, "simulate: attributes");
	if (json_is_array(t->attributes) && json_array_size(t->attributes) == 0) {
		json_decref(t->attributes);
		t->attributes = json_object();
	}
	if (!json_is_object(t->attributes))
		return luaL_error(L, "simulate: attributes is a table of named fields");
	char err[8192];
	t->wf = wft_load(tf->cfg, w->path, w->path, err, sizeof err);
	if (t->wf == NULL)
		fail_workflow(L, "simulate: the workflow does not load", err);
	const struct lwf_def *def = lwf_def(t->wf);
	if (lua_isnil(L, 5)) {
		switch (wft_default_start(def, birth, t->attributes, &start)) {
		case WFT_START_OK: break;
		case WFT_START_NEEDS_DATE:
			return luaL_error(
				L,
				"simulate: the workflow starts %s%s: give start = "
				"\"YYYY-MM-DD\"",
				def->start_kind == LWF_START_EVENT ? "with the event " : "by hand",
				def->start_kind == LWF_START_EVENT ? def->start_event : "");
		case WFT_START_NEEDS_ATTRIBUTE:
			return luaL_error(L,
					  "simulate: the workflow starts at age %d only for "
					  "citizens with '%s': give attributes = { %s = true }, or "
					  "start = \"YYYY-MM-DD\" to start the case by hand",
					  def->start_age, def->start_attribute,
					  def->start_attribute);
		}
	}
	if (start < birth)
		return luaL_error(L, "simulate: the start is before the citizen's birth");
	t->start = start;
	t->s = sim_new(t->wf, lua_tostring(L, 3), t->attributes, start, departments, err,
		       sizeof err);
	if (t->s == NULL)
		return luaL_error(L, "simulate: %s", err);
	sim_set_auto(t->s, lua_toboolean(L, 6));
	if (sim_run_until(t->s, start, err, sizeof err) != 0)
		fail_step(L, t, err);
	lua_settop(L, self);
	return 1;
}

/* Methods: the clock. */

static void advance(lua_State *L, struct tsim *t, int64_t to, const char *fname)
{
	if (to < sim_now(t->s)) {
		char now[32], want[32];
		wft_format_time(sim_now(t->s), now);
		wft_format_time(to, want);
		luaL_error(L, "%s: %s is before the simulation's today, %s", fname, want, now);
	}
	char err[8192];
	if (sim_run_until(t->s, to, err, sizeof err) != 0)
		fail_step(L, t, err);
}

static int m_advance_to(lua_State *L)
{
	struct tsim *t = check_sim(L, "advance_to");
	advance(L, t, check_date(L, 2, "advance_to"), "advance_to");
	return 0;
}

static int m_advance(lua_State *L)
{
	static const char *const keys[] = {"years", "months", "weeks", "days", NULL};
	struct tsim *t = check_sim(L, "advance");
	luaL_checktype(L, 2, LUA_TTABLE);
	check_keys(L, 2, "advance", keys);
	lua_Integer v[4];
	for (int i = 0; i < 4; i++) {
		lua_getfield(L, 2, keys[i]);
		int ok = 1;
		v[i] = lua_isnil(L, -1) ? 0 : lua_tointegerx(L, -1, &ok);
		if (!ok || v[i] < 0 || v[i] > 1200)
			return luaL_error(L, "advance: %s must be a whole number from 0 up",
					  keys[i]);
		lua_pop(L, 1);
	}
	int64_t today = og_floor_div(sim_now(t->s), OG_DAY), day;
	if (og_add_months(today, v[0] * 12 + v[1], &day) != 0)
		return luaL_error(L, "advance: too far");
	int64_t to = (day + v[2] * 7 + v[3]) * OG_DAY + (sim_now(t->s) - today * OG_DAY);
	advance(L, t, to, "advance");
	return 0;
}

static int m_run(lua_State *L)
{
	struct tsim *t = check_sim(L, "run");
	char err[8192];
	if (wft_run(t->s, wft_default_until(t->birth, t->start), err, sizeof err) != 0)
		fail_step(L, t, err);
	return 0;
}

/* Methods: the outside world. */

static int act(lua_State *L, enum wft_act what, const char *fname)
{
	static const char *const drop[] = {"outcome", "reason", NULL};
	struct tsim *t = check_sim(L, fname);
	if (lua_isnoneornil(L, 2)) {
		lua_newtable(L);
		lua_replace(L, 2);
	}
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	lua_getfield(L, 2, "outcome"); /* 3 */
	lua_getfield(L, 2, "reason");  /* 4 */
	if (what != WFT_COMPLETE && !lua_isnil(L, 3))
		return luaL_error(L, "%s: 'outcome' goes with complete_task", fname);
	if (what != WFT_REJECT && !lua_isnil(L, 4))
		return luaL_error(L, "%s: 'reason' goes with reject_handover", fname);
	if (what == WFT_REJECT && (lua_type(L, 4) != LUA_TSTRING || lua_rawlen(L, 4) == 0))
		return luaL_error(
			L, "%s: reason = \"...\" is required: why the handover is rejected", fname);
	if (!lua_isnil(L, 3) && lua_type(L, 3) != LUA_TTABLE)
		return luaL_error(L, "%s: outcome is a table of named fields", fname);
	json_t **outcome = new_box(L);
	if (!lua_isnil(L, 3)) {
		*outcome = check_json(L, 3, fname);
		if (json_is_array(*outcome) && json_array_size(*outcome) == 0) {
			json_decref(*outcome);
			*outcome = json_object();
		}
		if (!json_is_object(*outcome))
			return luaL_error(L, "%s: outcome is a table of named fields", fname);
	}
	json_t **spec = new_box(L);
	*spec = check_spec(L, 2, fname, drop);
	char err[8192], expected[600], actual[8192];
	int rc = wft_act(t->s, what, *spec, *outcome, lua_tostring(L, 4), err, sizeof err);
	if (rc == 1) {
		wft_describe_spec(*spec, what == WFT_COMPLETE ? "task" : "handover", expected,
				  sizeof expected);
		list_tasks(t, what == WFT_COMPLETE ? "task" : "handover", actual, sizeof actual);
		fail_expect(L, t, fname, expected, actual);
	}
	if (rc != 0) {
		if (wft_failed_step(t->s))
			fail_step(L, t, err);
		return luaL_error(L, "%s: %s", fname, err);
	}
	return 0;
}

static int m_complete_task(lua_State *L) { return act(L, WFT_COMPLETE, "complete_task"); }
static int m_accept_handover(lua_State *L) { return act(L, WFT_ACCEPT, "accept_handover"); }
static int m_reject_handover(lua_State *L) { return act(L, WFT_REJECT, "reject_handover"); }

static int m_tovholder_unavailable(lua_State *L)
{
	struct tsim *t = check_sim(L, "tovholder_unavailable");
	char err[400];
	if (sim_tovholder_unavailable(t->s, err, sizeof err) != 0)
		return luaL_error(L, "tovholder_unavailable: %s", err);
	run_now(L, t);
	return 0;
}

static int m_send(lua_State *L)
{
	struct tsim *t = check_sim(L, "send");
	const char *type = luaL_checkstring(L, 2);
	if (!lua_isnoneornil(L, 3) && lua_type(L, 3) != LUA_TTABLE)
		return luaL_error(L, "send: the payload is a table of named fields");
	json_t **payload = new_box(L);
	if (!lua_isnoneornil(L, 3))
		*payload = check_json(L, 3, "send");
	if (json_is_array(*payload) && json_array_size(*payload) == 0) {
		json_decref(*payload);
		*payload = json_object();
	}
	char err[400];
	int rc = sim_send(t->s, type, *payload, err, sizeof err);
	if (rc != 0)
		return luaL_error(L, "send: %s", err);
	run_now(L, t);
	return 0;
}

/* Methods: expectations. */

static int m_expect_phase(lua_State *L)
{
	struct tsim *t = check_sim(L, "expect_phase");
	const char *want = luaL_checkstring(L, 2);
	if (lwf_phase_index(sim_def(t->s), want) < 0)
		return luaL_error(L, "expect_phase: the workflow has no phase '%s'", want);
	const char *have = sim_case(t->s)->phase;
	if (strcmp(have, want) != 0)
		fail_expect(L, t, "expect_phase", want, have);
	return 0;
}

static int m_expect_tovholder(lua_State *L)
{
	static const char *const keys[] = {"department", "staff", NULL};
	struct tsim *t = check_sim(L, "expect_tovholder");
	const char *dept = NULL, *staff = NULL;
	if (lua_type(L, 2) == LUA_TSTRING) {
		dept = lua_tostring(L, 2);
	} else if (lua_type(L, 2) == LUA_TTABLE) {
		check_keys(L, 2, "expect_tovholder", keys);
		lua_getfield(L, 2, "department");
		lua_getfield(L, 2, "staff");
		dept = lua_tostring(L, -2);
		staff = lua_tostring(L, -1);
	}
	if (dept == NULL && staff == NULL)
		return luaL_error(L, "expect_tovholder: expects a department, or { department = "
				     "..., staff = ... }");
	const struct core_case *c = sim_case(t->s);
	bool ok =
		c->tovholder && (!staff || strcmp(c->tovholder, staff) == 0) &&
		(!dept || (c->tovholder_department && strcmp(c->tovholder_department, dept) == 0));
	if (!ok) {
		char expected[400], actual[400];
		if (staff && dept)
			snprintf(expected, sizeof expected, "%s (%s)", staff, dept);
		else if (staff)
			snprintf(expected, sizeof expected, "%s", staff);
		else
			snprintf(expected, sizeof expected, "someone in %s", dept);
		snprintf(actual, sizeof actual, "%s (%s)", c->tovholder ? c->tovholder : "none",
			 c->tovholder_department ? c->tovholder_department : "-");
		fail_expect(L, t, "expect_tovholder", expected, actual);
	}
	return 0;
}

static int expect_task(lua_State *L, const char *fname, const char *kind, bool present)
{
	struct tsim *t = check_sim(L, fname);
	json_t *spec = check_spec(L, 2, fname, NULL);
	if (kind && json_object_get(spec, "kind") == NULL)
		json_object_set_new(spec, "kind", json_string(kind));
	const json_t *found = wft_find_task(t->s, spec);
	char expected[700], actual[8192];
	if ((found != NULL) == present) {
		json_decref(spec);
		return 0;
	}
	char desc[600];
	wft_describe_spec(spec, kind ? kind : "task", desc, sizeof desc);
	char kind_of_spec[16] = "";
	const char *k = json_string_value(json_object_get(spec, "kind"));
	if (k)
		snprintf(kind_of_spec, sizeof kind_of_spec, "%s", k);
	json_decref(spec);
	if (present) {
		snprintf(expected, sizeof expected, "%s", desc);
		list_tasks(t, kind_of_spec[0] ? kind_of_spec : NULL, actual, sizeof actual);
	} else {
		/* "no open task ...", not "no an open task ...". */
		const char *d = desc;
		if (strncmp(d, "an ", 3) == 0)
			d += 3;
		else if (strncmp(d, "a ", 2) == 0)
			d += 2;
		snprintf(expected, sizeof expected, "no %s", d);
		wft_describe_task(found, actual, sizeof actual);
	}
	fail_expect(L, t, fname, expected, actual);
}

static int m_expect_task(lua_State *L) { return expect_task(L, "expect_task", "task", true); }
static int m_expect_handover(lua_State *L)
{
	return expect_task(L, "expect_handover", "handover", true);
}
static int m_expect_no_task(lua_State *L) { return expect_task(L, "expect_no_task", NULL, false); }

static int m_expect_text(lua_State *L)
{
	struct tsim *t = check_sim(L, "expect_text");
	const char *want = luaL_checkstring(L, 2);
	const char *text = core_citizen_text(sim_def(t->s), sim_case(t->s)->phase);
	if (text == NULL || strstr(text, want) == NULL) {
		char expected[600];
		snprintf(expected, sizeof expected, "the citizen text mentions '%s'", want);
		fail_expect(L, t, "expect_text", expected, text ? text : "(no text)");
	}
	return 0;
}

static const char *text_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int m_expect_goal(lua_State *L)
{
	static const char *const keys[] = {
		"key", "text", "theme", "maaltype", "forventet_niveau", "ffb_tema", NULL};
	/* the fields compared whole when given (the FFB words of a goal) */
	static const char *const exact[] = {"maaltype", "forventet_niveau", "ffb_tema"};
	struct tsim *t = check_sim(L, "expect_goal");
	luaL_checktype(L, 2, LUA_TTABLE);
	check_keys(L, 2, "expect_goal", keys);
	lua_getfield(L, 2, "key");
	lua_getfield(L, 2, "text");
	lua_getfield(L, 2, "theme");
	const char *key = lua_tostring(L, -3), *text = lua_tostring(L, -2),
		   *theme = lua_tostring(L, -1);
	const char *want[3];
	for (int k = 0; k < 3; k++) {
		lua_getfield(L, 2, exact[k]);
		want[k] = lua_tostring(L, -1);
	}
	size_t i;
	const json_t *g;
	json_array_foreach (sim_goals(t->s), i, g) {
		bool same = true;
		for (int k = 0; k < 3 && same; k++)
			same = !want[k] ||
			       (text_of(g, exact[k]) && strcmp(text_of(g, exact[k]), want[k]) == 0);
		if (same && (!key || strcmp(text_of(g, "key"), key) == 0) &&
		    (!text || strstr(text_of(g, "text"), text)) &&
		    (!theme || (text_of(g, "theme") && strcmp(text_of(g, "theme"), theme) == 0)))
			return 0;
	}
	char expected[800], actual[4096] = "";
	snprintf(expected, sizeof expected, "a goal%s%s%s%s%s%s%s%s%s", key ? " '" : "",
		 key ? key : "", key ? "'" : "", theme ? " on " : "", theme ? theme : "",
		 text ? " saying '" : "", text ? text : "", text ? "'" : "", "");
	size_t used = 0;
	json_array_foreach (sim_goals(t->s), i, g) {
		const char *mt = text_of(g, "maaltype"), *fn = text_of(g, "forventet_niveau"),
			   *ft = text_of(g, "ffb_tema");
		int n = snprintf(actual + used, sizeof actual - used, "%s%s: %s%s%s%s%s%s%s",
				 used ? "\n" : "", text_of(g, "key"), text_of(g, "text"),
				 mt ? "; maaltype " : "", mt ? mt : "",
				 fn ? "; forventet_niveau " : "", fn ? fn : "",
				 ft ? "; ffb_tema " : "", ft ? ft : "");
		if (n < 0 || (size_t)n >= sizeof actual - used)
			break;
		used += (size_t)n;
	}
	fail_expect(L, t, "expect_goal", expected, used ? actual : "no goals");
}

static bool measure_value_is(const json_t *m, const json_t *want)
{
	const json_t *num = json_object_get(m, "value_num");
	if (num && json_is_number(want))
		return json_number_value(num) == json_number_value(want);
	const json_t *text = json_object_get(m, "value_text");
	return text && json_is_string(want) && json_equal(text, want);
}

static int m_expect_measure(lua_State *L)
{
	static const char *const keys[] = {"instrument", "kind", "value", "goal", NULL};
	struct tsim *t = check_sim(L, "expect_measure");
	luaL_checktype(L, 2, LUA_TTABLE);
	check_keys(L, 2, "expect_measure", keys);
	json_t *want = check_json(L, 2, "expect_measure");
	const json_t *value = json_object_get(want, "value");
	size_t i;
	const json_t *m;
	bool found = false;
	json_array_foreach (sim_measures(t->s), i, m) {
		bool ok = true;
		for (const char *const *k = keys; *k && ok; k++) {
			if (strcmp(*k, "value") == 0 || !text_of(want, *k))
				continue;
			ok = text_of(m, *k) && strcmp(text_of(m, *k), text_of(want, *k)) == 0;
		}
		if (ok && (value == NULL || measure_value_is(m, value))) {
			found = true;
			break;
		}
	}
	char expected[600], actual[4096] = "";
	char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(expected, sizeof expected, "a measure %s", w ? w : "?");
	free(w);
	json_decref(want);
	if (found)
		return 0;
	size_t used = 0;
	json_array_foreach (sim_measures(t->s), i, m) {
		const json_t *v = json_object_get(m, "value_num");
		char *vs = json_dumps(v ? v : json_object_get(m, "value_text"), JSON_ENCODE_ANY);
		int n = snprintf(actual + used, sizeof actual - used, "%s%s %s = %s",
				 used ? "\n" : "", text_of(m, "instrument"), text_of(m, "kind"),
				 vs ? vs : "?");
		free(vs);
		if (n < 0 || (size_t)n >= sizeof actual - used)
			break;
		used += (size_t)n;
	}
	fail_expect(L, t, "expect_measure", expected, used ? actual : "no measures");
}

static int m_expect_outbox(lua_State *L)
{
	static const char *const keys[] = {"plugin", "action", "payload", NULL};
	struct tsim *t = check_sim(L, "expect_outbox");
	luaL_checktype(L, 2, LUA_TTABLE);
	check_keys(L, 2, "expect_outbox", keys);
	json_t *want = check_json(L, 2, "expect_outbox");
	const json_t *payload = json_object_get(want, "payload");
	size_t i;
	const json_t *o;
	bool found = false;
	json_array_foreach (sim_outbox(t->s), i, o) {
		bool ok = (!text_of(want, "plugin") ||
			   strcmp(text_of(want, "plugin"), text_of(o, "plugin")) == 0) &&
			  (!text_of(want, "action") ||
			   strcmp(text_of(want, "action"), text_of(o, "action")) == 0);
		const char *k;
		const json_t *v;
		if (json_is_object(payload))
			json_object_foreach ((json_t *)payload, k, v)
				ok = ok && json_equal(v, json_object_get(
								 json_object_get(o, "payload"), k));
		if (ok) {
			found = true;
			break;
		}
	}
	char expected[600], actual[4096] = "";
	char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(expected, sizeof expected, "an outbox entry %s", w ? w : "?");
	free(w);
	json_decref(want);
	if (found)
		return 0;
	size_t used = 0;
	json_array_foreach (sim_outbox(t->s), i, o) {
		char *p = json_dumps(json_object_get(o, "payload"), JSON_COMPACT | JSON_SORT_KEYS);
		int n = snprintf(actual + used, sizeof actual - used, "%s%s.%s %s",
				 used ? "\n" : "", text_of(o, "plugin"), text_of(o, "action"),
				 p ? p : "?");
		free(p);
		if (n < 0 || (size_t)n >= sizeof actual - used)
			break;
		used += (size_t)n;
	}
	fail_expect(L, t, "expect_outbox", expected, used ? actual : "nothing in the outbox");
}

static int m_expect_timer(lua_State *L)
{
	static const char *const keys[] = {"event", "at", "key", NULL};
	struct tsim *t = check_sim(L, "expect_timer");
	luaL_checktype(L, 2, LUA_TTABLE);
	check_keys(L, 2, "expect_timer", keys);
	lua_getfield(L, 2, "event");
	lua_getfield(L, 2, "key");
	lua_getfield(L, 2, "at");
	const char *event = lua_tostring(L, -3), *key = lua_tostring(L, -2);
	bool has_at = !lua_isnil(L, -1);
	int64_t at = has_at ? check_date(L, lua_gettop(L), "expect_timer: at") : 0;
	int64_t day = og_floor_div(at, OG_DAY) * OG_DAY;
	size_t i;
	const json_t *e;
	json_array_foreach (sim_pending(t->s), i, e) {
		json_int_t due = json_integer_value(json_object_get(e, "due"));
		if ((!event || strcmp(text_of(e, "type"), event) == 0) &&
		    (!key || (text_of(e, "key") && strcmp(text_of(e, "key"), key) == 0)) &&
		    (!has_at || (due >= day && due < day + OG_DAY)))
			return 0;
	}
	char expected[600], actual[4096] = "", when[32] = "";
	if (has_at)
		wft_format_time(at, when);
	snprintf(expected, sizeof expected, "a timer%s%s%s%s%s%s", event ? " " : "",
		 event ? event : "", key ? ", key " : "", key ? key : "", has_at ? " on " : "",
		 when);
	size_t used = 0;
	json_array_foreach (sim_pending(t->s), i, e) {
		char due[32];
		wft_format_time(json_integer_value(json_object_get(e, "due")), due);
		int n = snprintf(actual + used, sizeof actual - used, "%s%s on %s%s%s",
				 used ? "\n" : "", text_of(e, "type"), due,
				 text_of(e, "key") ? ", key " : "",
				 text_of(e, "key") ? text_of(e, "key") : "");
		if (n < 0 || (size_t)n >= sizeof actual - used)
			break;
		used += (size_t)n;
	}
	fail_expect(L, t, "expect_timer", expected, used ? actual : "no timers");
}

static int m_expect_state(lua_State *L)
{
	struct tsim *t = check_sim(L, "expect_state");
	const char *key = luaL_checkstring(L, 2);
	luaL_checkany(L, 3);
	json_t *want = check_json(L, 3, "expect_state");
	const json_t *have = json_object_get(sim_case(t->s)->state, key);
	bool ok = have ? json_equal(have, want) : json_is_null(want);
	if (!ok && have && json_is_number(have) && json_is_number(want))
		ok = json_number_value(have) == json_number_value(want);
	char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *h = have ? json_dumps(have, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	char expected[600], actual[600];
	snprintf(expected, sizeof expected, "state.%s = %s", key, w ? w : "?");
	snprintf(actual, sizeof actual, "state.%s = %s", key, h ? h : "nil");
	free(w);
	free(h);
	json_decref(want);
	if (!ok)
		fail_expect(L, t, "expect_state", expected, actual);
	return 0;
}

static int m_expect_closed(lua_State *L)
{
	struct tsim *t = check_sim(L, "expect_closed");
	const char *outcome = luaL_optstring(L, 2, NULL);
	const struct core_case *c = sim_case(t->s);
	bool closed = strcmp(c->status, "closed") == 0;
	if (!closed || (outcome && (!c->outcome || strcmp(c->outcome, outcome) != 0))) {
		char expected[400], actual[400];
		snprintf(expected, sizeof expected, "closed%s%s", outcome ? ", outcome " : "",
			 outcome ? outcome : "");
		if (closed)
			snprintf(actual, sizeof actual, "closed, outcome %s",
				 c->outcome ? c->outcome : "-");
		else
			snprintf(actual, sizeof actual, "%s in phase %s", c->status, c->phase);
		fail_expect(L, t, "expect_closed", expected, actual);
	}
	return 0;
}

static int m_expect_active(lua_State *L)
{
	struct tsim *t = check_sim(L, "expect_active");
	const struct core_case *c = sim_case(t->s);
	if (strcmp(c->status, "active") != 0) {
		char actual[400];
		snprintf(actual, sizeof actual, "%s%s%s", c->status, c->outcome ? ", outcome " : "",
			 c->outcome ? c->outcome : "");
		fail_expect(L, t, "expect_active", "active", actual);
	}
	return 0;
}

/* Methods: reading. */

static int m_today(lua_State *L)
{
	struct tsim *t = check_sim(L, "today");
	char day[11];
	og_format_ymd(sim_now(t->s), day);
	lua_pushstring(L, day);
	return 1;
}

static int m_age(lua_State *L)
{
	lua_pushinteger(L, sim_age(check_sim(L, "age")->s));
	return 1;
}

static int m_phase(lua_State *L)
{
	lua_pushstring(L, sim_case(check_sim(L, "phase")->s)->phase);
	return 1;
}

static int m_status(lua_State *L)
{
	lua_pushstring(L, sim_case(check_sim(L, "status")->s)->status);
	return 1;
}

static int m_tovholder(lua_State *L)
{
	const struct core_case *c = sim_case(check_sim(L, "tovholder")->s);
	if (c->tovholder == NULL)
		return 0;
	lua_createtable(L, 0, 2);
	set_string(L, "id", c->tovholder);
	set_string(L, "department", c->tovholder_department);
	return 1;
}

static int m_citizen_text(lua_State *L)
{
	struct tsim *t = check_sim(L, "citizen_text");
	lua_pushstring(L, core_citizen_text(sim_def(t->s), sim_case(t->s)->phase));
	return 1;
}

static int m_state(lua_State *L)
{
	wft_push_json(L, sim_case(check_sim(L, "state")->s)->state);
	return 1;
}

/* Tasks as tables, with dates as "YYYY-MM-DD"; those matching the spec when one is given
 * (every status then, unless it says). */
static int m_tasks(lua_State *L)
{
	struct tsim *t = check_sim(L, "tasks");
	lua_settop(L, 2);
	json_t **spec = new_box(L);
	if (!lua_isnil(L, 2)) {
		*spec = check_spec(L, 2, "tasks", NULL);
		if (json_object_get(*spec, "status") == NULL)
			json_object_set_new(*spec, "status", json_string("any"));
	}
	json_t **list = new_box(L);
	*list = json_array();
	size_t i;
	const json_t *x;
	json_array_foreach (sim_tasks(t->s), i, x) {
		if (*spec && !wft_task_matches(x, *spec))
			continue;
		json_t *c = json_deep_copy(x);
		if (c == NULL || json_array_append_new(*list, c) != 0)
			return luaL_error(L, "tasks: out of memory");
		json_object_del(c, "overdue_notified");
		if (json_is_integer(json_object_get(c, "due"))) {
			char day[32];
			wft_format_time(json_integer_value(json_object_get(c, "due")), day);
			json_object_set_new(c, "due", json_string(day));
		}
	}
	wft_push_json(L, *list);
	return 1;
}

static int sim_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	return luaL_error(L, "a simulation has no method '%s' (see workflows/README.md)",
			  lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

static void open_api(lua_State *L, struct tfile *tf)
{
	static const luaL_Reg methods[] = {
		{"advance_to", m_advance_to},
		{"advance", m_advance},
		{"run", m_run},
		{"complete_task", m_complete_task},
		{"accept_handover", m_accept_handover},
		{"reject_handover", m_reject_handover},
		{"tovholder_unavailable", m_tovholder_unavailable},
		{"send", m_send},
		{"expect_phase", m_expect_phase},
		{"expect_tovholder", m_expect_tovholder},
		{"expect_task", m_expect_task},
		{"expect_handover", m_expect_handover},
		{"expect_no_task", m_expect_no_task},
		{"expect_text", m_expect_text},
		{"expect_goal", m_expect_goal},
		{"expect_measure", m_expect_measure},
		{"expect_outbox", m_expect_outbox},
		{"expect_timer", m_expect_timer},
		{"expect_state", m_expect_state},
		{"expect_closed", m_expect_closed},
		{"expect_active", m_expect_active},
		{"today", m_today},
		{"age", m_age},
		{"phase", m_phase},
		{"status", m_status},
		{"tovholder", m_tovholder},
		{"citizen_text", m_citizen_text},
		{"state", m_state},
		{"tasks", m_tasks},
		{NULL, NULL},
	};
	luaL_newmetatable(L, SIMULATION_MT);
	luaL_newlib(L, methods);
	lua_pushcclosure(L, sim_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, sim_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
	luaL_newmetatable(L, JSON_BOX_MT);
	lua_pushcfunction(L, box_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	luaL_newmetatable(L, WORKFLOW_MT);
	lua_pushcfunction(L, workflow_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);

	static const struct {
		const char *name;
		lua_CFunction fn;
	} globals[] = {
		{"test", g_test},
		{"workflow_file", g_workflow_file},
		{"simulate", g_simulate},
	};
	lua_pushglobaltable(L);
	for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
		lua_pushstring(L, globals[i].name);
		lua_pushlightuserdata(L, tf);
		lua_pushcclosure(L, globals[i].fn, 1);
		lua_rawset(L, -3);
	}
	lua_pop(L, 1);
	lua_newtable(L);
	tf->tests = luaL_ref(L, LUA_REGISTRYINDEX);
}

static int open_protected(lua_State *L)
{
	open_api(L, lua_touserdata(L, 1));
	return 0;
}

/* Runs one file; adds to PASSED and FAILED. */
static void run_file(const struct cfg *cfg, const char *path, int *passed, int *failed)
{
	struct tfile tf = {cfg, path, NULL, LUA_NOREF, false};
	printf("%s\n", path);
	int64_t instructions = cli_budget(cfg).instructions;
	lua_State *L = wft_lua_new(TEST_MEMORY, instructions > 0 ? instructions : 10000000,
				   "the test file");
	if (L == NULL) {
		printf("FAIL %s: out of memory\n", path);
		(*failed)++;
		return;
	}
	tf.L = L;
	lua_pushcfunction(L, open_protected);
	lua_pushlightuserdata(L, &tf);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		printf("FAIL %s: out of memory\n", path);
		(*failed)++;
		goto out;
	}
	lua_pushlightuserdata(L, &tf);
	lua_pushcclosure(L, msgh, 1);
	int h = lua_gettop(L);
	if (wft_lua_loadfile(L, path, path) != LUA_OK) {
		printf("FAIL %s\n", lua_tostring(L, -1) ? lua_tostring(L, -1) : path);
		(*failed)++;
		goto out;
	}
	int rc = wft_lua_pcall(L, 0, 0, h);
	if (rc != LUA_OK) {
		printf("FAIL %s (the file's top level)\n", path);
		print_failure(L, path, rc);
		(*failed)++;
		goto out;
	}
	tf.started = true;
	lua_rawgeti(L, LUA_REGISTRYINDEX, tf.tests);
	int tests = lua_gettop(L);
	lua_Integer n = (lua_Integer)lua_rawlen(L, tests);
	if (n == 0) {
		printf("FAIL %s: the file declares no tests: test(\"what it shows\", function() "
		       "... end)\n",
		       path);
		(*failed)++;
		goto out;
	}
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, tests, i);
		lua_getfield(L, -1, "name");
		lua_getfield(L, -2, "fn");
		rc = wft_lua_pcall(L, 0, 0, h);
		const char *name = lua_tostring(L, tests + 2);
		if (rc == LUA_OK) {
			printf("ok   %s\n", name);
			(*passed)++;
		} else {
			printf("FAIL %s\n", name);
			print_failure(L, path, rc);
			(*failed)++;
		}
		fflush(stdout);
		lua_settop(L, tests);
		lua_gc(L, LUA_GCCOLLECT); /* frees the test's simulations */
	}
out:
	wft_lua_close(L);
	fflush(stdout);
}

static bool is_test_file(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && strcmp(name + n - 9, "_test.lua") == 0 && name[0] != '.';
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the *_test.lua files in DIR to FILES, sorted. -1 when DIR cannot be read. */
static int add_dir(const char *dir, char ***files, size_t *n)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	size_t first = *n;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_test_file(e->d_name))
			continue;
		char **more = realloc(*files, (*n + 1) * sizeof **files);
		if (more == NULL)
			break;
		*files = more;
		size_t len = strlen(dir);
		bool slash = len > 0 && dir[len - 1] == '/';
		if (asprintf(&(*files)[*n], "%s%s%s", dir, slash ? "" : "/", e->d_name) < 0)
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > first) /* with none, *files may still be NULL: no arithmetic on it */
		qsort(*files + first, *n - first, sizeof **files, compare);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: overgang test [DIR|FILE]...\n"
			"  runs the workflow tests in each FILE, and in each DIR the files named\n"
			"  *_test.lua; with no arguments, those in " DEFAULT_DIR "\n");
	return 2;
}

static int exec_test(const struct cfg *cfg, int argc, char **argv)
{
	char **files = NULL;
	size_t n = 0;
	int rc = 2;
	const char *def[] = {DEFAULT_DIR};
	const char *const *args = argc > 1 ? (const char *const *)argv + 1 : def;
	int nargs = argc > 1 ? argc - 1 : 1;
	for (int i = 0; i < nargs; i++) {
		const char *a = args[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage();
			rc = 0;
			goto out;
		}
		if (a[0] == '-') {
			fprintf(stderr, "overgang test: unknown option '%s'\n", a);
			usage();
			goto out;
		}
		struct stat st;
		if (stat(a, &st) != 0) {
			fprintf(stderr, "overgang test: %s: %s%s\n", a, strerror(errno),
				argc > 1 ? "" : " (give a folder or test files)");
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (add_dir(a, &files, &n) != 0) {
				fprintf(stderr, "overgang test: cannot read the folder %s\n", a);
				goto out;
			}
			continue;
		}
		char **more = realloc(files, (n + 1) * sizeof *files);
		if (more == NULL || (more[n] = strdup(a)) == NULL) {
			files = more ? more : files;
			fprintf(stderr, "overgang test: out of memory\n");
			goto out;
		}
		files = more;
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "overgang test: no test files (*_test.lua) found\n");
		goto out;
	}
	int passed = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			printf("\n");
		run_file(cfg, files[i], &passed, &failed);
	}
	printf("\n%d test%s in %zu file%s: %d passed, %d failed\n", passed + failed,
	       passed + failed == 1 ? "" : "s", n, n == 1 ? "" : "s", passed, failed);
	fflush(stdout);
	rc = failed ? 1 : 0;
out:
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rc;
}

const struct cli_cmd cmd_test = {"test", "[DIR|FILE]...",
				 "run workflow tests written in Lua (no database)", exec_test};
