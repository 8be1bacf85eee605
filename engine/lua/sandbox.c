/*
 * The Lua state a workflow runs in: a counting allocator for the memory budget, a count hook
 * for the instruction budget, and the globals a workflow may use. String and table functions
 * that can do unbounded work inside C (where the hook cannot interrupt them) are wrapped:
 * they refuse what is too big and charge the rest to the instruction budget.
 */
#include "lua/internal.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_PERIOD 1000
#define STRING_LIMIT ((size_t)1 << 20)
#define PATTERN_STEP_LIMIT 1e7
#define TABLE_LIMIT ((lua_Integer)1 << 24)

struct lwf_workflow *lwf_from(lua_State *L)
{
	return *(struct lwf_workflow **)lua_getextraspace(L);
}

/* A bounded string builder: messages are cut, never overflowed. */
struct sbuf {
	char *p;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->used + 1 >= b->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n < b->len - b->used ? (size_t)n : b->len - b->used - 1;
}

int lwf_where(lua_State *L, int level, char *where, size_t len)
{
	lua_Debug ar;
	for (int i = 0; i < 32 && lua_getstack(L, level + i, &ar); i++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			if (where)
				snprintf(where, len, "%s:%d: ", ar.short_src, ar.currentline);
			return ar.currentline;
		}
	}
	if (where)
		snprintf(where, len, "%s: ", lwf_from(L)->chunkname);
	return 0;
}

int lwf_error(lua_State *L, const char *fmt, ...)
{
	char msg[LWF_MSGLEN];
	lwf_where(L, 1, msg, sizeof msg);
	size_t used = strlen(msg);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + used, sizeof msg - used, fmt, ap);
	va_end(ap);
	lua_pushstring(L, msg);
	lua_error(L);
	__builtin_unreachable(); /* lua_error does not return; lua.h does not say so */
}

/* The traceback the way luaL_traceback writes it, but without allocating in Lua: this runs
 * inside the allocator (refusing memory) and inside the hook (out of instructions). Reads of
 * the debug information only. */
static int last_level(lua_State *L)
{
	lua_Debug ar;
	int li = 1, le = 1;
	while (lua_getstack(L, le, &ar)) {
		li = le;
		le *= 2;
	}
	while (li < le) {
		int m = (li + le) / 2;
		if (lua_getstack(L, m, &ar))
			li = m + 1;
		else
			le = m;
	}
	return le - 1;
}

static void traceback(lua_State *L, int level, struct sbuf *b)
{
	enum { LEVELS1 = 10, LEVELS2 = 11 };
	lua_Debug ar;
	int last = last_level(L);
	int limit = last - level > LEVELS1 + LEVELS2 ? LEVELS1 : -1;
	sb_printf(b, "stack traceback:");
	while (lua_getstack(L, level++, &ar)) {
		if (limit-- == 0) {
			int n = last - level - LEVELS2 + 1;
			sb_printf(b, "\n\t...\t(skipping %d levels)", n);
			level += n;
			continue;
		}
		lua_getinfo(L, "Slnt", &ar);
		if (ar.currentline <= 0)
			sb_printf(b, "\n\t%s: in ", ar.short_src);
		else
			sb_printf(b, "\n\t%s:%d: in ", ar.short_src, ar.currentline);
		if (ar.namewhat && *ar.namewhat)
			sb_printf(b, "%s '%s'", ar.namewhat, ar.name);
		else if (*ar.what == 'm')
			sb_printf(b, "main chunk");
		else if (*ar.what != 'C')
			sb_printf(b, "function <%s:%d>", ar.short_src, ar.linedefined);
		else
			sb_printf(b, "?");
		if (ar.istailcall)
			sb_printf(b, "\n\t(...tail calls...)");
	}
}

/* "CHUNK:LINE: WHAT\nstack traceback:..." for the running code, into BUF. Returns the length
 * of the first line. */
static size_t describe(lua_State *L, const char *what, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};
	char where[LUA_IDSIZE + 32];
	lwf_where(L, 0, where, sizeof where);
	sb_printf(&b, "%s%s", where, what);
	size_t head = b.used;
	sb_printf(&b, "\n");
	traceback(L, 0, &b);
	return head;
}

static void refused(struct lwf_workflow *wf)
{
	wf->memory_refused = true;
	char what[64];
	snprintf(what, sizeof what, "memory budget exceeded (%zu bytes)", wf->memory_limit);
	if (wf->L != NULL && wf->in_call)
		describe(wf->L, what, wf->memory_msg, sizeof wf->memory_msg);
	else
		snprintf(wf->memory_msg, sizeof wf->memory_msg, "%s: %s", wf->chunkname, what);
}

/* Lua asks for memory here. Refusing (NULL) makes Lua collect garbage and try once more, then
 * raise its memory error; shrinking and freeing are never refused. */
void *lwf_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lwf_workflow *wf = ud;
	if (ptr == NULL)
		osize = 0; /* then OSIZE is the kind of object, not a size */
	if (nsize == 0) {
		free(ptr);
		wf->memory_used -= osize;
		return NULL;
	}
	if (nsize > osize && (wf->memory_used > wf->memory_limit ||
			      nsize - osize > wf->memory_limit - wf->memory_used)) {
		refused(wf);
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (p == NULL) {
		refused(wf);
		return NULL;
	}
	wf->memory_used = wf->memory_used - osize + nsize;
	if (nsize > osize && wf->in_call)
		wf->charged += (int64_t)((nsize - osize) / LWF_WORK_PER_INSTRUCTION);
	return p;
}

void lwf_charge(lua_State *L, double work)
{
	struct lwf_workflow *wf = lwf_from(L);
	double n = work / LWF_WORK_PER_INSTRUCTION;
	wf->charged += n > 1e15 ? (int64_t)1e15 : (int64_t)n;
}

/* Runs every HOOK_PERIOD instructions and counts them. Once the budget is spent it runs on
 * every instruction and raises an error each time, so a pcall inside the workflow cannot catch
 * the error and carry on. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct lwf_workflow *wf = lwf_from(L);
	if (!wf->over_instructions) {
		wf->executed += wf->hook_period + wf->charged;
		wf->charged = 0;
		int64_t left = wf->instructions - wf->executed;
		if (left > 0) {
			int period = left < HOOK_PERIOD ? (int)left : HOOK_PERIOD;
			if (period != wf->hook_period) {
				wf->hook_period = period;
				lua_sethook(L, budget_hook, LUA_MASKCOUNT, period);
			}
			return;
		}
		wf->over_instructions = true;
		char what[160];
		snprintf(what, sizeof what,
			 "instruction budget exceeded (%lld instructions): the handler loops or "
			 "does too much work",
			 (long long)wf->instructions);
		wf->overrun_head = describe(L, what, wf->overrun, sizeof wf->overrun);
		wf->hook_period = 1;
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
	}
	lua_pushlstring(L, wf->overrun, wf->overrun_head);
	lua_error(L);
}

void lwf_call_begin(struct lwf_workflow *wf)
{
	wf->in_call = true;
	wf->executed = 0;
	wf->charged = 0;
	wf->over_instructions = false;
	wf->overrun[0] = '\0';
	wf->overrun_head = 0;
	wf->memory_refused = false;
	wf->memory_msg[0] = '\0';
	wf->hook_period = wf->instructions < HOOK_PERIOD ? (int)wf->instructions : HOOK_PERIOD;
	lua_sethook(wf->L, budget_hook, LUA_MASKCOUNT, wf->hook_period);
}

void lwf_call_end(struct lwf_workflow *wf)
{
	/* Without a hook, the VM stops calling into the debug machinery on every instruction. */
	lua_sethook(wf->L, NULL, 0, 0);
	wf->in_call = false;
}

int lwf_msgh(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (msg == NULL)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* Globals. */

static const char *const unavailable[] = {
	"os",       "io",    "require", "load",           "dofile",
	"loadfile", "debug", "package", "collectgarbage", "coroutine",
};

/* __index of the globals: reading a name that is not there is a mistake, not nil. */
static int undeclared_global(lua_State *L)
{
	if (lua_type(L, 2) != LUA_TSTRING)
		return lwf_error(L, "undeclared global (a %s key)", luaL_typename(L, 2));
	const char *name = lua_tostring(L, 2);
	for (size_t i = 0; i < sizeof unavailable / sizeof unavailable[0]; i++)
		if (strcmp(name, unavailable[i]) == 0)
			return lwf_error(L,
					 "'%s' is not available in a workflow (no I/O: ask for "
					 "side effects with case:outbox)",
					 name);
	return lwf_error(L, "undeclared global '%s'", name);
}

/* __newindex of _ENV (an empty table in front of the globals): every assignment to a global
 * lands here. Upvalue 1: the globals. */
static int assign_global(lua_State *L)
{
	if (lua_type(L, 2) != LUA_TSTRING)
		return lwf_error(L, "assignment to a global (a %s key): use local",
				 luaL_typename(L, 2));
	const char *name = lua_tostring(L, 2);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return lwf_error(L, "assignment to global '%s' is not allowed (use local)", name);
	return lwf_error(L, "assignment to undeclared global '%s' (use local)", name);
}

/* __index of the string and math tables: names taken out say so. Upvalue 1: the library. */
static int missing_member(lua_State *L)
{
	static const struct {
		const char *lib, *name, *why;
	} removed[] = {
		{"string", "dump", ""},
		{"string", "pack", ""},
		{"string", "packsize", ""},
		{"string", "unpack", ""},
		{"math", "random",
		 " (a handler gives the same commands for the same case and event)"},
		{"math", "randomseed",
		 " (a handler gives the same commands for the same case and event)"},
	};
	if (lua_type(L, 2) != LUA_TSTRING)
		return 0;
	const char *lib = lua_tostring(L, lua_upvalueindex(1));
	const char *name = lua_tostring(L, 2);
	for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++)
		if (strcmp(lib, removed[i].lib) == 0 && strcmp(name, removed[i].name) == 0)
			return lwf_error(L, "'%s.%s' is not available in a workflow%s", lib, name,
					 removed[i].why);
	return 0;
}

static lua_CFunction original(lua_State *L) { return lua_tocfunction(L, lua_upvalueindex(1)); }

/* A metatable with __gc would run Lua code whenever the collector gets to it, outside any
 * handler and its budget. */
static int guarded_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return lwf_error(L,
					 "setmetatable: a metatable with __gc is not allowed in a "
					 "workflow");
		lua_pop(L, 1);
	}
	return original(L)(L);
}

/* The quantifiers that can backtrack over the whole subject (*, + and -) outside %-escapes
 * and [] sets; %b and back-references scan the subject too, so they count. */
static int quantifiers(const char *p, size_t len)
{
	const char *end = p + len;
	int k = 0;
	if (p < end && *p == '^')
		p++;
	while (p < end) {
		switch (*p) {
		case '(':
		case ')': p++; continue;
		case '$':
			if (p + 1 == end)
				return k;
			p++;
			break;
		case '%':
			if (p + 1 >= end)
				return k;
			if (p[1] == 'b') {
				k++;
				p += 4;
				continue;
			}
			if (p[1] == 'f') {
				p += 2;
				if (p < end && *p == '[')
					goto set;
				continue;
			}
			if (p[1] >= '0' && p[1] <= '9') {
				k++;
				p += 2;
				continue;
			}
			p += 2;
			break;
		case '[':
		set:
			p++;
			if (p < end && *p == '^')
				p++;
			do { /* the first character of a set may be ']' */
				if (p >= end)
					return k;
				if (*p++ == '%' && p < end)
					p++;
			} while (p < end && *p != ']');
			p++;
			break;
		default: p++; break;
		}
		if (p < end && (*p == '*' || *p == '+' || *p == '-')) {
			k++;
			p++;
		} else if (p < end && *p == '?') {
			p++;
		}
	}
	return k;
}

/* string.find, match, gmatch and gsub. Lua's matcher backtracks inside C, where the hook cannot
 * stop it: refuse a pattern whose worst case (subject length to the power of its quantifiers)
 * is over the limit, and charge the worst case to the budget. Upvalues: the original, its name,
 * whether argument 4 is `plain`. */
static int guarded_pattern(lua_State *L)
{
	const char *fname = lua_tostring(L, lua_upvalueindex(2));
	size_t n, plen;
	luaL_checklstring(L, 1, &n);
	const char *pattern = luaL_checklstring(L, 2, &plen);
	if (n > STRING_LIMIT)
		return lwf_error(L, "%s: subject of %zu bytes is over the 1 MiB limit", fname, n);
	double steps = (double)n;
	if (!(lua_toboolean(L, lua_upvalueindex(3)) && lua_toboolean(L, 4))) {
		int k = quantifiers(pattern, plen);
		for (int i = 1; i < k && steps <= PATTERN_STEP_LIMIT; i++)
			steps *= (double)n;
		if (steps > PATTERN_STEP_LIMIT)
			return lwf_error(L, "%s: pattern too complex for a subject of %zu bytes",
					 fname, n);
	}
	lwf_charge(L, steps);
	return original(L)(L);
}

static int guarded_rep(lua_State *L)
{
	size_t l, lsep;
	luaL_checklstring(L, 1, &l);
	lua_Integer n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n > 0) {
		double total = (double)l * (double)n + (double)lsep * (double)(n - 1);
		if (total > (double)STRING_LIMIT)
			return lwf_error(L,
					 "string.rep: result of %.0f bytes is over the 1 MiB limit",
					 total);
	}
	return original(L)(L);
}

/* Functions that walk their whole subject without allocating. */
static int charged_by_length(lua_State *L)
{
	size_t n = 0;
	if (lua_type(L, 1) == LUA_TSTRING)
		lua_tolstring(L, 1, &n);
	lwf_charge(L, (double)n);
	return original(L)(L);
}

enum table_kind { TABLE_LENGTH, TABLE_MOVE, TABLE_UNPACK, TABLE_SORT };

/* table.insert, remove, sort, move and unpack loop in C over as many elements as the table's
 * length (which __len can make anything) or the given range says. Upvalues: the original, its
 * name, the kind. */
static int guarded_table(lua_State *L)
{
	const char *fname = lua_tostring(L, lua_upvalueindex(2));
	enum table_kind kind = (enum table_kind)lua_tointeger(L, lua_upvalueindex(3));
	double count = 0;
	switch (kind) {
	case TABLE_LENGTH:
	case TABLE_SORT:
		if (lua_type(L, 1) == LUA_TTABLE)
			count = (double)luaL_len(L, 1);
		break;
	case TABLE_MOVE: {
		lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
		count = e >= f ? (double)e - (double)f + 1 : 0;
		break;
	}
	case TABLE_UNPACK: {
		lua_Integer i = luaL_optinteger(L, 2, 1);
		lua_Integer e = lua_isnoneornil(L, 3)
					? (lua_type(L, 1) == LUA_TTABLE ? luaL_len(L, 1) : 0)
					: luaL_checkinteger(L, 3);
		count = e >= i ? (double)e - (double)i + 1 : 0;
		break;
	}
	}
	if (count > (double)TABLE_LIMIT)
		return lwf_error(L, "%s: %.0f elements is over the limit of %lld", fname, count,
				 (long long)TABLE_LIMIT);
	double work = count;
	if (kind == TABLE_SORT)
		for (double m = count; m > 1; m /= 2)
			work += count;
	lwf_charge(L, work);
	return original(L)(L);
}

/* Building the globals. */

static void protect(lua_State *L)
{
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
}

static void copy_field(lua_State *L, int from, int to, const char *name)
{
	lua_getfield(L, from, name);
	lua_setfield(L, to, name);
}

static void wrap_field(lua_State *L, int from, int to, const char *name, lua_CFunction guard,
		       const char *fullname, lua_Integer extra)
{
	lua_getfield(L, from, name);
	lua_pushstring(L, fullname);
	lua_pushinteger(L, extra);
	lua_pushcclosure(L, guard, 3);
	lua_setfield(L, to, name);
}

static void set_missing_member(lua_State *L, int t, const char *lib)
{
	lua_createtable(L, 0, 2);
	lua_pushstring(L, lib);
	lua_pushcclosure(L, missing_member, 1);
	lua_setfield(L, -2, "__index");
	protect(L);
	lua_setmetatable(L, t);
}

static void open_string(lua_State *L, int lib, int g)
{
	static const char *const plain[] = {"char",    "format", "len",  "lower",
					    "reverse", "sub",    "upper"};
	static const char *const patterns[] = {"find", "match", "gmatch", "gsub"};
	lua_createtable(L, 0, 16);
	int t = lua_gettop(L);
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		copy_field(L, lib, t, plain[i]);
	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		char full[32];
		snprintf(full, sizeof full, "string.%s", patterns[i]);
		wrap_field(L, lib, t, patterns[i], guarded_pattern, full,
			   strcmp(patterns[i], "find") == 0);
	}
	wrap_field(L, lib, t, "rep", guarded_rep, "string.rep", 0);
	wrap_field(L, lib, t, "byte", charged_by_length, "string.byte", 0);
	set_missing_member(L, t, "string");

	/* ("x"):rep(3) looks methods up through the metatable all strings share. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushvalue(L, t);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lwf_string_call);
	lua_setfield(L, -2, "__call");
	protect(L);
	lua_pop(L, 2);
	lua_setfield(L, g, "string");
}

static void open_table(lua_State *L, int lib, int g)
{
	lua_createtable(L, 0, 8);
	int t = lua_gettop(L);
	copy_field(L, lib, t, "concat");
	copy_field(L, lib, t, "pack");
	wrap_field(L, lib, t, "insert", guarded_table, "table.insert", TABLE_LENGTH);
	wrap_field(L, lib, t, "remove", guarded_table, "table.remove", TABLE_LENGTH);
	wrap_field(L, lib, t, "sort", guarded_table, "table.sort", TABLE_SORT);
	wrap_field(L, lib, t, "move", guarded_table, "table.move", TABLE_MOVE);
	wrap_field(L, lib, t, "unpack", guarded_table, "table.unpack", TABLE_UNPACK);
	lua_setfield(L, g, "table");
}

static void open_math(lua_State *L, int lib, int g)
{
	lua_createtable(L, 0, 32);
	int t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, lib)) {
		const char *name = lua_tostring(L, -2);
		if (strcmp(name, "random") == 0 || strcmp(name, "randomseed") == 0) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, t);
	}
	set_missing_member(L, t, "math");
	lua_setfield(L, g, "math");
}

static void open_utf8(lua_State *L, int lib, int g)
{
	lua_createtable(L, 0, 8);
	int t = lua_gettop(L);
	copy_field(L, lib, t, "char");
	copy_field(L, lib, t, "charpattern");
	copy_field(L, lib, t, "codes");
	wrap_field(L, lib, t, "codepoint", charged_by_length, "utf8.codepoint", 0);
	wrap_field(L, lib, t, "len", charged_by_length, "utf8.len", 0);
	wrap_field(L, lib, t, "offset", charged_by_length, "utf8.offset", 0);
	lua_setfield(L, g, "utf8");
}

int lwf_sandbox_open(lua_State *L)
{
	static const char *const base[] = {
		"assert",   "error",    "ipairs", "next",   "pairs",  "pcall",
		"rawequal", "rawget",   "rawlen", "rawset", "select", "getmetatable",
		"tonumber", "tostring", "type",   "xpcall",
	};
	luaL_requiref(L, LUA_GNAME, luaopen_base, 0);
	int real = lua_gettop(L);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);

	/* What a workflow sees. */
	lua_createtable(L, 0, 32);
	int g = lua_gettop(L);
	for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
		copy_field(L, real, g, base[i]);
	lua_getfield(L, real, "setmetatable");
	lua_pushcclosure(L, guarded_setmetatable, 1);
	lua_setfield(L, g, "setmetatable");
	lua_pushcfunction(L, lwf_print);
	lua_setfield(L, g, "print");
	lua_pushcfunction(L, lwf_workflow_global);
	lua_setfield(L, g, "workflow");
	lwf_date_open(L);
	lua_setfield(L, g, "date");
	lwf_helpers_open(L);
	lua_setfield(L, g, "plugins");
	open_string(L, real + 1, g);
	open_table(L, real + 2, g);
	open_math(L, real + 3, g);
	open_utf8(L, real + 4, g);
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, undeclared_global);
	lua_setfield(L, -2, "__index");
	protect(L);
	lua_setmetatable(L, g);

	/* _ENV is an empty table in front of the globals, so that every assignment to a global,
	 * even to one that exists, goes through __newindex. */
	lua_createtable(L, 0, 0);
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, g);
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, g);
	lua_pushcclosure(L, assign_global, 1);
	lua_setfield(L, -2, "__newindex");
	protect(L);
	lua_setmetatable(L, -2);
	lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);

	lwf_case_open(L);
	lua_settop(L, 0);
	return 0;
}
