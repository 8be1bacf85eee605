/* Shared by overgang simulate and overgang test; see wftools.h. */
#include "cli/wftools.h"
#include "cli/cli.h"
#include "util/file.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/civil.h"

struct lwf_workflow *wft_load(const struct cfg *cfg, const char *path, const char *chunkname,
			      char *err, size_t errlen)
{
	size_t len;
	char *source = og_read_file(path, &len);
	if (source == NULL) {
		snprintf(err, errlen, "%s: cannot read the workflow file", path);
		return NULL;
	}
	struct lwf_budget budget = cli_budget(cfg);
	struct lwf_workflow *wf =
		lwf_load(chunkname ? chunkname : path, source, len, &budget, err, errlen);
	free(source);
	return wf;
}

static bool has_attribute(const json_t *attributes, const char *name)
{
	const json_t *v = attributes ? json_object_get(attributes, name) : NULL;
	return v != NULL && !json_is_null(v) && !json_is_false(v);
}

enum wft_start wft_default_start(const struct lwf_def *def, int64_t birth, const json_t *attributes,
				 int64_t *start)
{
	if (def->start_kind != LWF_START_AGE)
		return WFT_START_NEEDS_DATE;
	if (def->start_attribute && !has_attribute(attributes, def->start_attribute))
		return WFT_START_NEEDS_ATTRIBUTE;
	int64_t day;
	if (og_add_months(og_floor_div(birth, OG_DAY), (int64_t)def->start_age * 12, &day) != 0)
		return WFT_START_NEEDS_DATE;
	*start = day * OG_DAY;
	return WFT_START_OK;
}

int64_t wft_default_until(int64_t birth, int64_t start)
{
	int64_t thirty, later;
	if (og_add_months(og_floor_div(birth, OG_DAY), 30 * 12, &thirty) != 0)
		thirty = OG_LAST_DAY;
	if (og_add_months(og_floor_div(start, OG_DAY), 10 * 12, &later) != 0)
		later = OG_LAST_DAY;
	return (thirty > later ? thirty : later) * OG_DAY;
}

int wft_run(struct sim *s, int64_t until, char *err, size_t errlen)
{
	for (;;) {
		int64_t next = sim_next(s);
		if (next > until)
			return 0;
		if (sim_run_until(s, next, err, errlen) != 0)
			return -1;
	}
}

void wft_format_time(int64_t t, char out[32])
{
	char day[11];
	og_format_ymd(t, day);
	int64_t sec = t - og_floor_div(t, OG_DAY) * OG_DAY;
	if (sec == 0)
		snprintf(out, 32, "%s", day);
	else if (sec % 60 == 0)
		snprintf(out, 32, "%s %02d:%02d", day, (int)(sec / 3600), (int)(sec / 60 % 60));
	else
		snprintf(out, 32, "%s %02d:%02d:%02d", day, (int)(sec / 3600), (int)(sec / 60 % 60),
			 (int)(sec % 60));
}

int wft_json_time(const json_t *v, int64_t *t)
{
	if (json_is_integer(v)) {
		*t = json_integer_value(v);
		return 0;
	}
	return json_is_string(v) ? og_ymd_to_time(json_string_value(v), t) : -1;
}

/* Finding tasks. */

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int wft_check_spec(const json_t *spec, char *err, size_t errlen)
{
	static const char *const texts[] = {"kind",  "department", "key",
					    "title", "assignee",   "status"};
	static const char *const times[] = {"due", "due_by"};
	if (!json_is_object(spec)) {
		snprintf(err, errlen, "expects a table such as { department = \"ppr\" }");
		return -1;
	}
	/* In a fixed order, so the message does not depend on the order of the table. */
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_t *v = json_object_get(spec, texts[i]);
		if (v && !json_is_string(v)) {
			snprintf(err, errlen, "'%s' must be a string", texts[i]);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		json_t *v = json_object_get(spec, times[i]);
		int64_t t;
		if (v && wft_json_time(v, &t) != 0) {
			snprintf(err, errlen, "'%s' must be a date \"YYYY-MM-DD\"", times[i]);
			return -1;
		}
	}
	json_t *id = json_object_get(spec, "id");
	if (id && !json_is_integer(id)) {
		snprintf(err, errlen, "'id' must be a task number");
		return -1;
	}
	const char *unknown = NULL, *k;
	json_t *v;
	json_object_foreach ((json_t *)spec, k, v) {
		bool known = strcmp(k, "id") == 0;
		for (size_t i = 0; i < sizeof texts / sizeof texts[0] && !known; i++)
			known = strcmp(k, texts[i]) == 0;
		for (size_t i = 0; i < sizeof times / sizeof times[0] && !known; i++)
			known = strcmp(k, times[i]) == 0;
		if (!known && (unknown == NULL || strcmp(k, unknown) < 0))
			unknown = k;
	}
	if (unknown) {
		snprintf(err, errlen,
			 "unknown field '%s' (a task is found by id, kind, department, key, title, "
			 "assignee, status, due or due_by)",
			 unknown);
		return -1;
	}
	const char *kind = str_of(spec, "kind");
	if (kind && strcmp(kind, "task") != 0 && strcmp(kind, "handover") != 0) {
		snprintf(err, errlen, "'kind' is \"task\" or \"handover\", not '%s'", kind);
		return -1;
	}
	return 0;
}

static bool is_open(const char *status)
{
	return status && (strcmp(status, "open") == 0 || strcmp(status, "claimed") == 0);
}

static bool same(const json_t *task, const json_t *spec, const char *key)
{
	const char *want = str_of(spec, key);
	if (want == NULL)
		return true;
	const char *have = str_of(task, key);
	return have && strcmp(have, want) == 0;
}

bool wft_task_matches(const json_t *task, const json_t *spec)
{
	const char *status = str_of(spec, "status");
	const char *have = str_of(task, "status");
	if (status == NULL || strcmp(status, "open") == 0) {
		if (!is_open(have))
			return false;
	} else if (strcmp(status, "any") != 0 && (have == NULL || strcmp(have, status) != 0)) {
		return false;
	}
	if (!same(task, spec, "kind") || !same(task, spec, "department") ||
	    !same(task, spec, "key") || !same(task, spec, "assignee"))
		return false;
	const char *title = str_of(spec, "title");
	if (title && (str_of(task, "title") == NULL || !strstr(str_of(task, "title"), title)))
		return false;
	json_t *id = json_object_get(spec, "id");
	if (id && json_integer_value(id) != json_integer_value(json_object_get(task, "id")))
		return false;
	json_t *due = json_object_get(task, "due");
	int64_t t;
	if (wft_json_time(json_object_get(spec, "due"), &t) == 0) {
		int64_t day = og_floor_div(t, OG_DAY) * OG_DAY;
		if (!json_is_integer(due) || json_integer_value(due) < day ||
		    json_integer_value(due) >= day + OG_DAY)
			return false;
	}
	if (wft_json_time(json_object_get(spec, "due_by"), &t) == 0) {
		int64_t day = og_floor_div(t, OG_DAY) * OG_DAY;
		if (!json_is_integer(due) || json_integer_value(due) >= day + OG_DAY)
			return false;
	}
	return true;
}

const json_t *wft_find_task(const struct sim *s, const json_t *spec)
{
	size_t i;
	const json_t *t;
	json_array_foreach (sim_tasks(s), i, t)
		if (wft_task_matches(t, spec))
			return t;
	return NULL;
}

/* A bounded appender for messages. */
struct out {
	char *p;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	if (o->used + 1 >= o->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < o->len - o->used ? (size_t)n : o->len - o->used - 1;
}

void wft_describe_spec(const json_t *spec, const char *kind, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	buf[0] = '\0';
	if (str_of(spec, "kind"))
		kind = str_of(spec, "kind");
	bool handover = strcmp(kind, "handover") == 0;
	const char *status = str_of(spec, "status");
	if (status == NULL || strcmp(status, "open") == 0)
		put(&o, "an open %s", kind);
	else if (strcmp(status, "any") == 0)
		put(&o, "a %s", kind);
	else
		put(&o, "a %s %s", status, kind);
	if (json_is_integer(json_object_get(spec, "id")))
		put(&o, " #%lld", (long long)json_integer_value(json_object_get(spec, "id")));
	if (str_of(spec, "department"))
		put(&o, " %s %s", handover ? "to" : "for", str_of(spec, "department"));
	if (str_of(spec, "key"))
		put(&o, ", key '%s'", str_of(spec, "key"));
	if (str_of(spec, "title"))
		put(&o, ", title containing '%s'", str_of(spec, "title"));
	if (str_of(spec, "assignee"))
		put(&o, ", assigned to %s", str_of(spec, "assignee"));
	int64_t t;
	char day[32];
	if (wft_json_time(json_object_get(spec, "due"), &t) == 0) {
		og_format_ymd(t, day);
		put(&o, ", due on %s", day);
	}
	if (wft_json_time(json_object_get(spec, "due_by"), &t) == 0) {
		og_format_ymd(t, day);
		put(&o, ", due by %s", day);
	}
}

void wft_describe_task(const json_t *task, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	buf[0] = '\0';
	put(&o, "#%lld %s %s %s", (long long)json_integer_value(json_object_get(task, "id")),
	    str_of(task, "kind"), strcmp(str_of(task, "kind"), "handover") == 0 ? "to" : "for",
	    str_of(task, "department"));
	put(&o, " (%s", str_of(task, "status"));
	if (json_is_integer(json_object_get(task, "due"))) {
		char due[32];
		wft_format_time(json_integer_value(json_object_get(task, "due")), due);
		put(&o, ", due %s", due);
	}
	if (str_of(task, "key"))
		put(&o, ", key '%s'", str_of(task, "key"));
	put(&o, "): %s", str_of(task, "title"));
}

int wft_act(struct sim *s, enum wft_act act, const json_t *spec, const json_t *outcome,
	    const char *reason, char *err, size_t errlen)
{
	const char *kind = act == WFT_COMPLETE ? "task" : "handover";
	json_t *want = json_deep_copy(spec);
	if (want == NULL || json_object_set_new(want, "kind", json_string(kind)) != 0 ||
	    json_object_set_new(want, "status", json_string("open")) != 0) {
		json_decref(want);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const json_t *t = wft_find_task(s, want);
	if (t == NULL) {
		wft_describe_spec(want, kind, err, errlen);
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, ": there is none");
		json_decref(want);
		return 1;
	}
	json_decref(want);
	int64_t id = json_integer_value(json_object_get(t, "id"));
	int rc = act == WFT_COMPLETE ? sim_complete_task(s, id, outcome, err, errlen)
		 : act == WFT_ACCEPT ? sim_accept_handover(s, id, err, errlen)
				     : sim_reject_handover(s, id, reason, err, errlen);
	if (rc != 0)
		return -1;
	return sim_run_until(s, sim_now(s), err, errlen) == 0 ? 0 : -1;
}

const json_t *wft_failed_step(const struct sim *s)
{
	const json_t *timeline = sim_timeline(s);
	for (size_t i = json_array_size(timeline); i-- > 0;) {
		const json_t *e = json_array_get(timeline, i);
		if (json_object_get(e, "error"))
			return e;
	}
	return NULL;
}

/* The sandbox for test files and scripts. */

#define HOOK_PERIOD 1000

struct wlua {
	size_t limit, used;
	int64_t instructions, executed;
	bool over;
	const char *what;
	char overrun[512];
};

static struct wlua *wlua_of(lua_State *L) { return *(struct wlua **)lua_getextraspace(L); }

static void *wlua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct wlua *w = ud;
	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		w->used -= osize;
		return NULL;
	}
	if (nsize > osize && nsize - osize > w->limit - (w->used < w->limit ? w->used : w->limit))
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p != NULL)
		w->used = w->used - osize + nsize;
	return p;
}

/* Counts instructions; once the budget is spent, raises an error on every instruction, so a
 * pcall in the file cannot catch it and carry on. */
static void wlua_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct wlua *w = wlua_of(L);
	if (!w->over) {
		w->executed += HOOK_PERIOD;
		if (w->executed < w->instructions)
			return;
		w->over = true;
		lua_Debug d;
		char where[LUA_IDSIZE + 32] = "";
		if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d) && d.currentline > 0)
			snprintf(where, sizeof where, "%s:%d: ", d.short_src, d.currentline);
		snprintf(w->overrun, sizeof w->overrun,
			 "%sinstruction budget exceeded (%lld instructions): %s loops or does too "
			 "much work",
			 where, (long long)w->instructions, w->what);
		lua_sethook(L, wlua_hook, LUA_MASKCOUNT, 1);
	}
	lua_pushstring(L, w->overrun);
	lua_error(L);
}

int wft_lua_pcall(lua_State *L, int nargs, int nresults, int msgh)
{
	struct wlua *w = wlua_of(L);
	w->executed = 0;
	w->over = false;
	lua_sethook(L, wlua_hook, LUA_MASKCOUNT, HOOK_PERIOD);
	int rc = lua_pcall(L, nargs, nresults, msgh);
	lua_sethook(L, NULL, 0, 0);
	return rc;
}

static const char *const unavailable[] = {
	"os",       "io",    "require", "load",           "dofile",
	"loadfile", "debug", "package", "collectgarbage", "coroutine",
};

static int undeclared_global(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	if (name == NULL)
		return luaL_error(L, "undeclared global (a %s key)", luaL_typename(L, 2));
	for (size_t i = 0; i < sizeof unavailable / sizeof unavailable[0]; i++)
		if (strcmp(name, unavailable[i]) == 0)
			return luaL_error(L, "'%s' is not available in %s (no I/O)", name,
					  wlua_of(L)->what);
	return luaL_error(L, "undeclared global '%s'", name);
}

static int assign_global(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	return luaL_error(L, "assignment to undeclared global '%s' (use local)", name ? name : "?");
}

static int guarded_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: a metatable with __gc is not allowed "
					     "here");
		lua_pop(L, 1);
	}
	lua_CFunction original = lua_tocfunction(L, lua_upvalueindex(1));
	return original(L);
}

static int open_sandbox(lua_State *L)
{
	static const char *const drop[] = {"load", "dofile", "loadfile", "collectgarbage"};
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	lua_settop(L, 0);
	lua_pushglobaltable(L);
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
		lua_pushnil(L);
		lua_setfield(L, 1, drop[i]);
	}
	lua_getfield(L, 1, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_getfield(L, 1, "math");
	lua_pushnil(L);
	lua_setfield(L, -2, "random");
	lua_pushnil(L);
	lua_setfield(L, -2, "randomseed");
	lua_settop(L, 1);
	lua_getfield(L, 1, "setmetatable");
	lua_pushcclosure(L, guarded_setmetatable, 1);
	lua_setfield(L, 1, "setmetatable");
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, undeclared_global);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, assign_global);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, 1);
	return 0;
}

lua_State *wft_lua_new(size_t memory_bytes, int64_t instructions, const char *what)
{
	struct wlua *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->limit = memory_bytes;
	w->instructions = instructions;
	w->what = what;
	lua_State *L = lua_newstate(wlua_alloc, w);
	if (L == NULL) {
		free(w);
		return NULL;
	}
	*(struct wlua **)lua_getextraspace(L) = w;
	lua_pushcfunction(L, open_sandbox);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		wft_lua_close(L);
		return NULL;
	}
	return L;
}

void wft_lua_close(lua_State *L)
{
	if (L == NULL)
		return;
	struct wlua *w = wlua_of(L);
	lua_close(L);
	free(w);
}

int wft_lua_loadfile(lua_State *L, const char *path, const char *chunkname)
{
	size_t len;
	char *source = og_read_file(path, &len);
	if (source == NULL) {
		lua_pushfstring(L, "%s: cannot read the file", path);
		return LUA_ERRFILE;
	}
	size_t nlen = strlen(chunkname) + 2;
	char *name = malloc(nlen);
	if (name == NULL) {
		free(source);
		lua_pushfstring(L, "%s: out of memory", path);
		return LUA_ERRMEM;
	}
	snprintf(name, nlen, "@%s", chunkname);
	/* Text only: a precompiled chunk could break the VM's invariants. */
	int rc = luaL_loadbufferx(L, source, len, name, "t");
	free(name);
	free(source);
	return rc;
}

/* Lua <-> JSON. */

static json_t *to_json(lua_State *L, int idx, int depth, const char *what, char *err,
		       size_t errlen);

static json_t *table_to_json(lua_State *L, int idx, int depth, const char *what, char *err,
			     size_t errlen)
{
	if (depth > 32 || !lua_checkstack(L, 4)) {
		snprintf(err, errlen, "%s: tables nested too deeply (a table inside itself?)",
			 what);
		return NULL;
	}
	lua_Integer count = 0, max = 0;
	bool strings = false, numbers = false;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			strings = true;
		} else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
			numbers = true;
			if (lua_tointeger(L, -1) > max)
				max = lua_tointeger(L, -1);
		} else {
			lua_pop(L, 1);
			snprintf(err, errlen,
				 "%s: a table's keys must be names or list positions 1, 2, ...",
				 what);
			return NULL;
		}
		count++;
	}
	if (strings && numbers) {
		snprintf(err, errlen, "%s: a table is either a list or has named fields, not both",
			 what);
		return NULL;
	}
	if (numbers) {
		if (count != max) {
			snprintf(err, errlen, "%s: a list has a hole (nil) in it", what);
			return NULL;
		}
		json_t *a = json_array();
		for (lua_Integer i = 1; a && i <= max; i++) {
			lua_rawgeti(L, idx, i);
			json_t *v = to_json(L, -1, depth + 1, what, err, errlen);
			lua_pop(L, 1);
			if (v == NULL || json_array_append_new(a, v) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		if (a == NULL)
			snprintf(err, errlen, "out of memory");
		return a;
	}
	json_t *o = json_object();
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		json_t *v = to_json(L, -1, depth + 1, what, err, errlen);
		lua_pop(L, 1);
		if (v == NULL || json_object_set_new(o, lua_tostring(L, -1), v) != 0) {
			if (v != NULL)
				snprintf(err, errlen, "%s: the name '%s' is not valid UTF-8", what,
					 lua_tostring(L, -1));
			lua_pop(L, 1);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *to_json(lua_State *L, int idx, int depth, const char *what, char *err, size_t errlen)
{
	idx = lua_absindex(L, idx);
	json_t *v = NULL;
	switch (lua_type(L, idx)) {
	case LUA_TNIL: v = json_null(); break;
	case LUA_TBOOLEAN: v = json_boolean(lua_toboolean(L, idx)); break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			v = json_integer(lua_tointeger(L, idx));
		} else if (!isfinite(lua_tonumber(L, idx))) {
			snprintf(err, errlen, "%s: a number must be finite", what);
			return NULL;
		} else {
			v = json_real(lua_tonumber(L, idx));
		}
		break;
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		v = json_stringn(s, len);
		if (v == NULL) {
			snprintf(err, errlen, "%s: a text is not valid UTF-8", what);
			return NULL;
		}
		break;
	}
	case LUA_TTABLE: return table_to_json(L, idx, depth, what, err, errlen);
	default:
		snprintf(err, errlen,
			 "%s: a %s cannot be stored (only texts, numbers, booleans "
			 "and tables of them)",
			 what, luaL_typename(L, idx));
		return NULL;
	}
	if (v == NULL)
		snprintf(err, errlen, "out of memory");
	return v;
}

json_t *wft_to_json(lua_State *L, int idx, const char *what, char *err, size_t errlen)
{
	return to_json(L, idx, 0, what, err, errlen);
}

void wft_push_json(lua_State *L, const json_t *v)
{
	luaL_checkstack(L, 4, "JSON nested too deeply");
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		lua_createtable(L, 0, (int)json_object_size(v));
		const char *k;
		json_t *x;
		json_object_foreach ((json_t *)v, k, x) {
			wft_push_json(L, x);
			lua_setfield(L, -2, k);
		}
		break;
	}
	case JSON_ARRAY: {
		lua_createtable(L, (int)json_array_size(v), 0);
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x) {
			wft_push_json(L, x);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	}
	case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
	case JSON_INTEGER: lua_pushinteger(L, json_integer_value(v)); break;
	case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
	case JSON_TRUE: lua_pushboolean(L, 1); break;
	case JSON_FALSE: lua_pushboolean(L, 0); break;
	case JSON_NULL: lua_pushnil(L); break;
	}
}

char *wft_resolve(const char *base, const char *path)
{
	size_t dirlen = 0;
	if (path[0] != '/' && base) {
		const char *slash = strrchr(base, '/');
		dirlen = slash ? (size_t)(slash - base) + 1 : 0;
	}
	size_t n = dirlen + strlen(path) + 1;
	char *joined = malloc(n), *out = malloc(n + 1);
	if (joined == NULL || out == NULL) {
		free(joined);
		free(out);
		return NULL;
	}
	snprintf(joined, n, "%.*s%s", (int)dirlen, base ? base : "", path);
	/* Component by component: "." goes, "x/.." goes, a leading ".." stays. */
	bool absolute = joined[0] == '/';
	size_t used = 0, kept = 0; /* kept: components in OUT that ".." may remove */
	out[0] = '\0';
	for (char *save = NULL, *c = strtok_r(joined, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0 && kept > 0) {
			char *last = strrchr(out, '/');
			used = last ? (size_t)(last - out) : 0;
			out[used] = '\0';
			kept--;
			continue;
		}
		if (strcmp(c, "..") == 0 && absolute)
			continue;
		used += (size_t)snprintf(out + used, n + 1 - used, "%s%s",
					 used > 0 || absolute ? "/" : "", c);
		if (strcmp(c, "..") != 0)
			kept++;
	}
	if (used == 0)
		snprintf(out, n + 1, "%s", absolute ? "/" : ".");
	free(joined);
	return out;
}
