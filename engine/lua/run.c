/*
 * Running a handler: a fresh case object and event per call, the handler called through
 * lua_pcall, and the commands its case methods recorded. A method checks all its arguments
 * before it makes any JSON, and makes the JSON without calling into Lua, so a Lua error never
 * jumps over JSON that C holds.
 */
#include "lua/internal.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_LINES 100
#define TRACE_LINE_BYTES 1000

struct lwf_run {
	const struct lwf_case_view *c;
	const struct lwf_event_view *ev;
	int handler; /* index into def.handlers */
	bool has_birth;
	int64_t birth; /* days since 1970-01-01 */
	json_t *commands;
	json_t *trace;
	const void *case_table; /* this call's case object; methods refuse any other */
};

/* print: one line in the call's trace. The line is built in C, so a long argument is cut
 * before it is copied. */
int lwf_print(lua_State *L)
{
	struct lwf_run *r = lwf_from(L)->run;
	if (r == NULL || json_array_size(r->trace) >= TRACE_LINES)
		return 0;
	char line[TRACE_LINE_BYTES + 4], clean[TRACE_LINE_BYTES + 1];
	size_t used = 0;
	int n = lua_gettop(L);
	for (int i = 1; i <= n && used < sizeof line; i++) {
		if (i > 1)
			line[used++] = '\t';
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);
		size_t take = len < sizeof line - used ? len : sizeof line - used;
		memcpy(line + used, s, take);
		used += take;
		lua_pop(L, 1);
	}
	lwf_utf8_clean(line, used, clean, sizeof clean);
	json_array_append_new(r->trace, json_string(clean));
	return 0;
}

enum field_type {
	FT_ID,      /* a non-empty string: an id, key, event type or phase */
	FT_TEXT,    /* a non-empty string people read */
	FT_NOTE,    /* a string people read, may be empty */
	FT_TIME,    /* Unix seconds, a whole number */
	FT_SECONDS, /* a whole number of seconds, 0 or more */
	FT_LIST,    /* a list of non-empty strings */
	FT_RECORD,  /* a table of named fields, stored as a JSON object */
	FT_VALUE,   /* a number or a string */
	FT_FLAG,    /* true or false */
};

struct field {
	const char *name;
	enum field_type type;
	bool required;
	const char *what; /* what it is, for messages: "a department id" */
	const char *json; /* its name in the command when not NAME; "" when the method writes it */
};

struct method {
	const char *name; /* of the method and the command */
	const char *usage;
	const struct field *fields;
	int nfields;
};

struct call {
	const struct method *m;
	struct lwf_run *run;
	int base; /* the value of fields[i] is at stack index base + i, nil when not given */
	int line;
};

__attribute__((format(printf, 3, 4), noreturn)) static int
method_error(lua_State *L, const char *method, const char *fmt, ...)
{
	char msg[LWF_MSGLEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	lwf_error(L, "case:%s: %s", method, msg);
}

/* The run in progress, if argument 1 is its case object. */
static struct lwf_run *current(lua_State *L, const char *method)
{
	struct lwf_workflow *wf = lwf_from(L);
	struct lwf_run *r = wf->run;
	if (r != NULL && lua_type(L, 1) == LUA_TTABLE && lua_topointer(L, 1) == r->case_table)
		return r;
	bool is_table = lua_type(L, 1) == LUA_TTABLE;
	lua_rawgeti(L, LUA_REGISTRYINDEX, wf->ref_case_mt);
	if (is_table && lua_getmetatable(L, 1) && lua_rawequal(L, -1, -2))
		method_error(L, method,
			     "this case object is from another handler call; use the "
			     "case this handler was given");
	method_error(L, method, "call it with a colon: case:%s(...)", method);
	return NULL;
}

static void check_string(lua_State *L, const char *method, const struct field *f, int idx)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		method_error(L, method, "'%s' must be a string (%s), not a %s", f->name, f->what,
			     luaL_typename(L, idx));
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	if (len == 0 && f->type != FT_NOTE)
		method_error(L, method, "'%s' must not be empty (%s)", f->name, f->what);
	if (memchr(s, '\0', len))
		method_error(L, method, "'%s' contains a NUL byte", f->name);
	if (!lwf_utf8_valid(s, len))
		method_error(L, method, "'%s' is not valid UTF-8 text", f->name);
}

static void check_whole(lua_State *L, const char *method, const struct field *f, int idx)
{
	int ok = 0;
	lua_Integer v = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &ok) : 0;
	if (ok && (f->type == FT_TIME || v >= 0))
		return;
	char got[32];
	snprintf(got, sizeof got, "a %s",
		 lua_type(L, idx) != LUA_TNUMBER ? luaL_typename(L, idx)
		 : !ok                           ? "fraction"
						 : "negative number");
	if (f->type == FT_TIME)
		method_error(L, method,
			     "'%s' must be a time in whole Unix seconds (such as case.now or "
			     "date.add(...)), not %s",
			     f->name, got);
	method_error(L, method, "'%s' must be a whole number of seconds, 0 or more, not %s",
		     f->name, got);
}

static void check_field(lua_State *L, const char *method, const struct field *f, int idx)
{
	if (lua_isnil(L, idx)) {
		if (f->required)
			method_error(L, method, "'%s' is required (%s)", f->name, f->what);
		return;
	}
	switch (f->type) {
	case FT_ID:
	case FT_TEXT:
	case FT_NOTE: check_string(L, method, f, idx); break;
	case FT_TIME:
	case FT_SECONDS: check_whole(L, method, f, idx); break;
	case FT_LIST: {
		lua_Integer n = 0, max = 0;
		bool list = lua_type(L, idx) == LUA_TTABLE;
		if (list) {
			lua_pushnil(L);
			while (list && lua_next(L, idx)) {
				lua_pop(L, 1);
				list = lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1;
				if (list && lua_tointeger(L, -1) > max)
					max = lua_tointeger(L, -1);
				n++;
			}
			if (!list)
				lua_pop(L, 1);
		}
		if (!list || n != max)
			method_error(L, method, "'%s' must be a list of texts (%s)", f->name,
				     f->what);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, i);
			if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0 ||
			    !lwf_utf8_valid(lua_tostring(L, -1), lua_rawlen(L, -1)) ||
			    memchr(lua_tostring(L, -1), '\0', lua_rawlen(L, -1)))
				method_error(L, method, "'%s'[%lld] must be a non-empty text",
					     f->name, (long long)i);
			lua_pop(L, 1);
		}
		break;
	}
	case FT_RECORD:
		if (lua_type(L, idx) != LUA_TTABLE)
			method_error(L, method,
				     "'%s' must be a table of named fields (%s), not a %s", f->name,
				     f->what, luaL_typename(L, idx));
		break;
	case FT_FLAG:
		if (lua_type(L, idx) != LUA_TBOOLEAN)
			method_error(L, method, "'%s' must be true or false (%s), not a %s",
				     f->name, f->what, luaL_typename(L, idx));
		break;
	case FT_VALUE:
		if (lua_type(L, idx) == LUA_TNUMBER) {
			if (!lua_isinteger(L, idx) && !isfinite(lua_tonumber(L, idx)))
				method_error(L, method, "'%s' must be a finite number", f->name);
		} else {
			check_string(L, method, f, idx);
		}
		break;
	}
}

/* Checks the table argument of a method against its fields and leaves their values at
 * c->base + i. */
static void parse_fields(lua_State *L, const struct method *m, struct call *c)
{
	c->m = m;
	c->run = current(L, m->name);
	if (lua_type(L, 2) != LUA_TTABLE || lua_gettop(L) > 2)
		method_error(L, m->name, "takes one table: %s", m->usage);
	lua_settop(L, 2);
	luaL_checkstack(L, m->nfields + 8, NULL);
	c->base = 3;
	for (int i = 0; i < m->nfields; i++)
		lua_pushnil(L);
	const char *unknown = NULL;
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			if (lua_isinteger(L, -2))
				method_error(L, m->name,
					     "unexpected entry [%lld]: fields have names, "
					     "as in %s",
					     (long long)lua_tointeger(L, -2), m->usage);
			method_error(L, m->name,
				     "unexpected key of type %s: fields have names, as in %s",
				     luaL_typename(L, -2), m->usage);
		}
		const char *k = lua_tostring(L, -2);
		int i = 0;
		while (i < m->nfields && strcmp(m->fields[i].name, k) != 0)
			i++;
		if (i == m->nfields) {
			if (unknown == NULL || strcmp(k, unknown) < 0)
				unknown = k; /* stays valid: the key is in the table */
			lua_pop(L, 1);
			continue;
		}
		lua_replace(L, c->base + i);
	}
	if (unknown)
		method_error(L, m->name, "unknown field '%s'", unknown);
	for (int i = 0; i < m->nfields; i++)
		check_field(L, m->name, &m->fields[i], c->base + i);
	c->line = lwf_where(L, 1, NULL, 0);
}

static bool given(lua_State *L, const struct call *c, int i) { return !lua_isnil(L, c->base + i); }

/* Exactly one of fields A and B. */
static void one_of(lua_State *L, const struct call *c, int a, int b, const char *what)
{
	const struct method *m = c->m;
	if (given(L, c, a) && given(L, c, b))
		method_error(L, m->name, "give '%s' or '%s', not both", m->fields[a].name,
			     m->fields[b].name);
	if (!given(L, c, a) && !given(L, c, b))
		method_error(L, m->name, "'%s' or '%s' is required (%s)", m->fields[a].name,
			     m->fields[b].name, what);
}

/* From here on no Lua function that can raise an error is called until the command is
 * handed to the run's array (or freed). */

static json_t *json_lua_string(lua_State *L, int idx)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	return json_stringn_nocheck(s, len);
}

static json_t *json_lua_number(lua_State *L, int idx)
{
	if (lua_isinteger(L, idx))
		return json_integer(lua_tointeger(L, idx));
	return json_real(lua_tonumber(L, idx));
}

static json_t *command_new(const struct call *c)
{
	json_t *cmd = json_object();
	if (cmd == NULL ||
	    json_object_set_new_nocheck(cmd, "cmd", json_string_nocheck(c->m->name)) != 0 ||
	    json_object_set_new_nocheck(cmd, "line", json_integer(c->line)) != 0) {
		json_decref(cmd);
		return NULL;
	}
	return cmd;
}

/* Copies the given fields into CMD. Returns 0, or -1 with the reason in ERR (empty when out of
 * memory). */
static int put_fields(lua_State *L, const struct call *c, json_t *cmd, char *err, size_t errlen)
{
	err[0] = '\0';
	for (int i = 0; i < c->m->nfields; i++) {
		const struct field *f = &c->m->fields[i];
		int idx = c->base + i;
		if (lua_isnil(L, idx) || (f->json && f->json[0] == '\0'))
			continue;
		json_t *v = NULL;
		switch (f->type) {
		case FT_ID:
		case FT_TEXT:
		case FT_NOTE: v = json_lua_string(L, idx); break;
		case FT_TIME:
		case FT_SECONDS: v = json_integer(lua_tointeger(L, idx)); break;
		case FT_VALUE:
			v = lua_type(L, idx) == LUA_TNUMBER ? json_lua_number(L, idx)
							    : json_lua_string(L, idx);
			break;
		case FT_FLAG: v = json_boolean(lua_toboolean(L, idx)); break;
		case FT_LIST: {
			v = json_array();
			lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
			for (lua_Integer j = 1; v && j <= n; j++) {
				lua_rawgeti(L, idx, j);
				if (json_array_append_new(v, json_lua_string(L, -1)) != 0) {
					json_decref(v);
					v = NULL;
				}
				lua_pop(L, 1);
			}
			break;
		}
		case FT_RECORD:
			v = lwf_to_json(L, idx, f->name, true, err, errlen);
			if (v == NULL)
				return -1;
			break;
		}
		if (json_object_set_new_nocheck(cmd, f->json ? f->json : f->name, v) != 0)
			return -1;
	}
	return 0;
}

/* Hands CMD to the run, or frees it and raises the error. */
static int finish(lua_State *L, const struct call *c, json_t *cmd, int rc, const char *err)
{
	if (cmd != NULL && rc == 0) {
		if (json_array_append_new(c->run->commands, cmd) != 0)
			return method_error(L, c->m->name, "out of memory");
		return 0;
	}
	json_decref(cmd);
	if (err && err[0])
		return method_error(L, c->m->name, "%s", err);
	return method_error(L, c->m->name, "out of memory");
}

static int table_method(lua_State *L, const struct method *m)
{
	struct call c;
	parse_fields(L, m, &c);
	char err[512];
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	return finish(L, &c, cmd, rc, cmd ? err : NULL);
}

#define NFIELDS(a) ((int)(sizeof a / sizeof a[0]))

static int case_assign_tovholder(lua_State *L)
{
	static const struct field fields[] = {
		{"staff", FT_ID, false, "a staff member's id", NULL},
		{"department", FT_ID, false, "a department id", NULL},
		{"reason", FT_TEXT, true, "why: it is shown in the case's history", NULL},
	};
	static const struct method m = {
		"assign_tovholder",
		"case:assign_tovholder { department = ..., reason = ... } (or staff = ...)",
		fields,
		NFIELDS(fields),
	};
	struct call c;
	parse_fields(L, &m, &c);
	one_of(L, &c, 0, 1, "who becomes tovholder");
	char err[512];
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	return finish(L, &c, cmd, rc, cmd ? err : NULL);
}

static int case_task(lua_State *L)
{
	static const struct field fields[] = {
		{"department", FT_ID, true, "a department id", NULL},
		{"title", FT_TEXT, true, "the task's title", NULL},
		{"body", FT_NOTE, false, "what to do", NULL},
		{"due", FT_TIME, true, "when it is due, in whole Unix seconds", NULL},
		{"assignee", FT_ID, false, "a staff member's id", NULL},
		{"key", FT_ID, false, "a key to cancel it by", NULL},
	};
	static const struct method m = {
		"task",
		"case:task { department = ..., title = ..., due = ... }",
		fields,
		NFIELDS(fields),
	};
	return table_method(L, &m);
}

static int case_handover(lua_State *L)
{
	static const struct field fields[] = {
		{"to", FT_ID, true, "the receiving department's id", "department"},
		{"title", FT_TEXT, true, "the handover's title", NULL},
		{"summary", FT_TEXT, true, "what the receiving department needs to know", NULL},
		{"goals", FT_LIST, false, "the citizen's goals", NULL},
		{"questions", FT_LIST, false, "questions for the receiving department", NULL},
		{"due", FT_TIME, true, "when it must be answered, in whole Unix seconds", NULL},
		{"key", FT_ID, false, "a key for the handover", NULL},
	};
	static const struct method m = {
		"handover",
		"case:handover { to = ..., title = ..., summary = ..., due = ... }",
		fields,
		NFIELDS(fields),
	};
	return table_method(L, &m);
}

static int case_timer(lua_State *L)
{
	static const struct field fields[] = {
		{"event", FT_ID, true, "the event type it raises", NULL},
		{"at", FT_TIME, false, "when it fires, in whole Unix seconds", NULL},
		{"after", FT_SECONDS, false, "seconds from now, 0 or more", ""},
		{"key", FT_ID, false, "a key to cancel it by", NULL},
		{"payload", FT_RECORD, false, "the event's payload", NULL},
	};
	static const struct method m = {
		"timer",
		"case:timer { event = ..., at = ... } (or after = SECONDS)",
		fields,
		NFIELDS(fields),
	};
	struct call c;
	parse_fields(L, &m, &c);
	one_of(L, &c, 1, 2, "when the timer fires");
	int64_t now = c.run->c->now;
	if (given(L, &c, 2) && lua_tointeger(L, c.base + 2) > INT64_MAX - now)
		method_error(L, m.name, "'after' is too far in the future");
	int64_t at =
		given(L, &c, 1) ? lua_tointeger(L, c.base + 1) : now + lua_tointeger(L, c.base + 2);
	char err[512];
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	if (rc == 0)
		rc = json_object_set_new_nocheck(cmd, "at", json_integer(at));
	return finish(L, &c, cmd, rc, cmd ? err : NULL);
}

/* The goal types of Fælles Faglige Begreber (måltype, KLChangeValueCodesFFB), as workflows
 * write them. */
static const char *const goal_types[] = {"fastholde", "udvikle", "begraense-tab", NULL};

/* The FFB sub-themes (KLConditionCodesFFB) a goal may name as ffb_tema: those the § 123 themes
 * of the shipped workflows lead to. Keep in step with the table fhir_ffb_tema (migration
 * 0013_fhir_profile), which holds their codes. */
static const char *const ffb_themes[] = {
	"Varetage uddannelse",
	"Varetage beskæftigelse",
	"Varetage økonomi",
	"Varetage bolig",
	"Deltage i sociale fællesskaber og fritidsaktiviteter",
	"Varetage relationer til netværk",
	"Indgå i samspil og kontakt",
	"Varetage egen sundhed",
	"Uddannelse og job",
	"Boligsituation",
	"Økonomisk situation",
	"Familiesituation",
	"Fysisk helbred",
	NULL,
};

/* Refuses the string field at stack index IDX unless it is one of WORDS, naming them all. */
static void check_one_of(lua_State *L, const char *method, const char *field, int idx,
			 const char *const *words)
{
	if (lua_isnil(L, idx))
		return;
	const char *v = lua_tostring(L, idx);
	char list[900] = "";
	size_t n = 0;
	for (const char *const *w = words; *w; w++) {
		if (strcmp(v, *w) == 0)
			return;
		int k = snprintf(list + n, sizeof list - n, "%s\"%s\"", n ? ", " : "", *w);
		if (k > 0 && (size_t)k < sizeof list - n)
			n += (size_t)k;
	}
	method_error(L, method, "'%s' must be one of %s; not '%.60s'", field, list, v);
}

static int case_goal(lua_State *L)
{
	static const struct field fields[] = {
		{"key", FT_ID, true, "a key for the goal", NULL},
		{"text", FT_TEXT, true, "the goal in the citizen's words", NULL},
		{"theme", FT_ID, false, "a theme", NULL},
		{"maaltype", FT_ID, false, "the goal type: fastholde, udvikle or begraense-tab",
		 NULL},
		{"forventet_niveau", FT_TEXT, false,
		 "the FFB level expected when the goal is reached, a value of ffb-stoettebehov",
		 NULL},
		{"ffb_tema", FT_TEXT, false, "an FFB sub-theme, such as \"Varetage uddannelse\"",
		 NULL},
	};
	static const struct method m = {
		"goal",
		"case:goal { key = ..., text = ... }",
		fields,
		NFIELDS(fields),
	};
	struct call c;
	parse_fields(L, &m, &c);
	check_one_of(L, m.name, "maaltype", c.base + 3, goal_types);
	check_one_of(L, m.name, "ffb_tema", c.base + 5, ffb_themes);
	char err[512];
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	return finish(L, &c, cmd, rc, cmd ? err : NULL);
}

static int case_measure(lua_State *L)
{
	static const struct field fields[] = {
		{"instrument", FT_ID, true, "the measuring instrument's id", NULL},
		{"kind", FT_ID, true, "\"baseline\" or \"followup\"", NULL},
		{"value", FT_VALUE, true, "a number or a text", NULL},
		{"at", FT_TIME, false, "when it was measured, in whole Unix seconds", NULL},
		{"goal", FT_ID, false, "a goal's key", NULL},
	};
	static const struct method m = {
		"measure",
		"case:measure { instrument = ..., kind = \"baseline\", value = ... }",
		fields,
		NFIELDS(fields),
	};
	struct call c;
	parse_fields(L, &m, &c);
	const char *kind = lua_tostring(L, c.base + 1);
	if (strcmp(kind, "baseline") != 0 && strcmp(kind, "followup") != 0)
		method_error(L, m.name, "'kind' must be \"baseline\" or \"followup\", not '%.40s'",
			     kind);
	char err[512];
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	if (rc == 0 && !given(L, &c, 3))
		rc = json_object_set_new_nocheck(cmd, "at", json_integer(c.run->c->now));
	return finish(L, &c, cmd, rc, cmd ? err : NULL);
}

static int case_outbox(lua_State *L)
{
	static const struct field fields[] = {
		{"plugin", FT_ID, true, "the plugin's name", NULL},
		{"action", FT_ID, true, "the plugin's action", NULL},
		{"payload", FT_RECORD, false, "what the action needs", NULL},
		{"key", FT_ID, false, "a key that makes it happen once", NULL},
		{"notify", FT_FLAG, false,
		 "whether the case hears back: delivered or delivery_failed", NULL},
	};
	static const struct method m = {
		"outbox",
		"case:outbox { plugin = ..., action = ..., payload = { ... } }",
		fields,
		NFIELDS(fields),
	};
	return table_method(L, &m);
}

static int case_ref(lua_State *L)
{
	static const struct field fields[] = {
		{"system", FT_ID, true, "the other system's name, such as \"nexus\"", NULL},
		{"ref", FT_TEXT, true, "what that system calls the case", NULL},
	};
	static const struct method m = {
		"ref",
		"case:ref { system = ..., ref = ... }",
		fields,
		NFIELDS(fields),
	};
	return table_method(L, &m);
}

static int case_close(lua_State *L)
{
	static const struct field fields[] = {
		{"outcome", FT_TEXT, true, "how the case ended", NULL},
		{"reason", FT_NOTE, false, "why", NULL},
	};
	static const struct method m = {
		"close",
		"case:close { outcome = ..., reason = ... }",
		fields,
		NFIELDS(fields),
	};
	return table_method(L, &m);
}

/* Methods with positional arguments: FIELDS describe arguments 2, 3, ... */
static void parse_args(lua_State *L, const struct method *m, struct call *c)
{
	c->m = m;
	c->run = current(L, m->name);
	if (lua_gettop(L) > 1 + m->nfields)
		method_error(L, m->name, "takes %s", m->usage);
	lua_settop(L, 1 + m->nfields);
	c->base = 2;
	for (int i = 0; i < m->nfields; i++)
		check_field(L, m->name, &m->fields[i], c->base + i);
	c->line = lwf_where(L, 1, NULL, 0);
}

static int positional_method(lua_State *L, const struct method *m)
{
	struct call c;
	parse_args(L, m, &c);
	char err[512];
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	return finish(L, &c, cmd, rc, cmd ? err : NULL);
}

static int case_cancel_task(lua_State *L)
{
	static const struct field fields[] = {
		{"key", FT_ID, true, "the key the task was made with", NULL},
		{"reason", FT_NOTE, false, "why", NULL},
	};
	static const struct method m = {
		"cancel_task",
		"a key and an optional reason: case:cancel_task(\"key\", \"reason\")",
		fields,
		NFIELDS(fields),
	};
	return positional_method(L, &m);
}

static int case_cancel_timer(lua_State *L)
{
	static const struct field fields[] = {
		{"key", FT_ID, true, "the key the timer was set with", NULL},
	};
	static const struct method m = {
		"cancel_timer",
		"a key: case:cancel_timer(\"key\")",
		fields,
		NFIELDS(fields),
	};
	return positional_method(L, &m);
}

/* case:phase(NAME): whether the move is allowed is the engine's to check, with the line. */
static int case_phase(lua_State *L)
{
	static const struct field fields[] = {
		{"phase", FT_ID, true, "the name of a phase", NULL},
	};
	static const struct method m = {
		"phase",
		"the name of a phase: case:phase \"planlaegning\"",
		fields,
		NFIELDS(fields),
	};
	struct call c;
	parse_args(L, &m, &c);
	/* Later reads in this handler see the new phase. */
	lua_pushliteral(L, "phase");
	lua_pushvalue(L, c.base);
	lua_rawset(L, 1);
	char err[512];
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	return finish(L, &c, cmd, rc, cmd ? err : NULL);
}

/* case.phase is the phase's name, a string, and case:phase "x" calls it with the case as its
 * first argument. Strings are made callable (the __call of the string metatable) for exactly
 * that: a string that is the phase of the case it is called with moves that case. Any other
 * call of a string is the usual error. */
int lwf_string_call(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		int top = lua_gettop(L);
		lua_rawgeti(L, LUA_REGISTRYINDEX, lwf_from(L)->ref_case_mt);
		bool is_case = lua_getmetatable(L, 2) && lua_rawequal(L, -1, -2);
		lua_pushliteral(L, "phase");
		bool is_phase =
			is_case && lua_rawget(L, 2) == LUA_TSTRING && lua_rawequal(L, -1, 1);
		lua_settop(L, top);
		if (is_phase) {
			lua_remove(L, 1);
			return case_phase(L);
		}
	}
	return lwf_error(L, "attempt to call a string value (to move the case to another phase, "
			    "write case:phase \"name\")");
}

static int case_set(lua_State *L)
{
	static const struct field fields[] = {
		{"key", FT_ID, true, "the name of a value in the case's state", NULL},
		{"value", FT_VALUE, false, "", ""},
	};
	static const struct method m = {
		"set",
		"a key and a value: case:set(\"key\", value)",
		fields,
		NFIELDS(fields),
	};
	struct call c;
	c.m = &m;
	c.run = current(L, m.name);
	if (lua_gettop(L) > 3)
		method_error(L, m.name, "takes %s", m.usage);
	lua_settop(L, 3);
	c.base = 2;
	check_field(L, m.name, &fields[0], 2);
	c.line = lwf_where(L, 1, NULL, 0);
	char err[512];
	json_t *value = lwf_to_json(L, 3, "value", false, err, sizeof err);
	if (value == NULL)
		return method_error(L, m.name, "%s", err);
	json_t *cmd = command_new(&c);
	int rc = cmd ? put_fields(L, &c, cmd, err, sizeof err) : -1;
	if (rc == 0)
		rc = json_object_set_new_nocheck(cmd, "value", value);
	else
		json_decref(value);
	finish(L, &c, cmd, rc, cmd ? err : NULL);
	/* The command is the run's now; later reads in this handler see the new value (reading
	 * case.state makes it, if the handler has not read it yet). */
	if (lua_getfield(L, 1, "state") == LUA_TTABLE) {
		lua_pushvalue(L, 2);
		lua_pushvalue(L, 3);
		lua_rawset(L, -3);
	}
	return 0;
}

/* case.citizen.has(name): whether the attribute is there and not false. Upvalue 1: the
 * attributes. */
static int citizen_has(lua_State *L)
{
	if (lua_type(L, 1) != LUA_TSTRING)
		return lwf_error(L, "case.citizen.has: expects an attribute name, not %s",
				 luaL_typename(L, 1));
	lua_settop(L, 1);
	lua_rawget(L, lua_upvalueindex(1));
	lua_pushboolean(L, lua_toboolean(L, -1));
	return 1;
}

static void push_citizen(lua_State *L, const struct lwf_run *r)
{
	const struct lwf_case_view *c = r->c;
	lua_createtable(L, 0, 6);
	lua_pushinteger(L, c->citizen_id);
	lua_setfield(L, -2, "id");
	if (r->has_birth) {
		lua_pushstring(L, c->birth_date);
		lua_setfield(L, -2, "birth_date");
		lua_pushinteger(L, og_age(r->birth, c->now));
		lua_setfield(L, -2, "age");
		lwf_push_birthday(L, r->birth);
		lua_setfield(L, -2, "birthday");
	}
	lwf_push_json(L, c->attributes);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "attributes");
	lua_pushcclosure(L, citizen_has, 1);
	lua_setfield(L, -2, "has");
}

/* __index of case objects: the methods, and the parts of the case that are made only when a
 * handler first reads them (most handlers read few of them, and making them is most of the
 * cost of a call). Upvalue 1: the methods. */
static int case_index(lua_State *L)
{
	lua_settop(L, 2);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	struct lwf_workflow *wf = lwf_from(L);
	struct lwf_run *r = wf->run;
	if (r == NULL || lua_topointer(L, 1) != r->case_table || lua_type(L, 2) != LUA_TSTRING)
		return 0;
	const char *key = lua_tostring(L, 2);
	if (strcmp(key, "state") == 0) {
		lwf_push_json(L, r->c->state);
	} else if (strcmp(key, "citizen") == 0) {
		push_citizen(L, r);
	} else if (strcmp(key, "workflow") == 0) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, wf->def.name);
		lua_setfield(L, -2, "name");
		lua_pushinteger(L, wf->def.version);
		lua_setfield(L, -2, "version");
	} else if (strcmp(key, "tovholder") == 0 && r->c->tovholder) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, r->c->tovholder);
		lua_setfield(L, -2, "id");
		lua_pushstring(L, r->c->tovholder_department);
		lua_setfield(L, -2, "department");
	} else {
		return 0;
	}
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -2);
	lua_rawset(L, 1);
	return 1;
}

void lwf_case_open(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"assign_tovholder", case_assign_tovholder},
		{"task", case_task},
		{"handover", case_handover},
		{"cancel_task", case_cancel_task},
		{"timer", case_timer},
		{"cancel_timer", case_cancel_timer},
		{"phase", case_phase},
		{"set", case_set},
		{"goal", case_goal},
		{"measure", case_measure},
		{"outbox", case_outbox},
		{"ref", case_ref},
		{"close", case_close},
		{NULL, NULL},
	};
	lua_createtable(L, 0, 2);
	luaL_newlib(L, methods);
	lua_pushcclosure(L, case_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lwf_from(L)->ref_case_mt = luaL_ref(L, LUA_REGISTRYINDEX);
}

static void push_case(lua_State *L, const struct lwf_workflow *wf, const struct lwf_run *r)
{
	lua_createtable(L, 0, 8);
	lua_pushinteger(L, r->c->id);
	lua_setfield(L, -2, "id");
	lua_pushstring(L, r->c->phase);
	lua_setfield(L, -2, "phase");
	lua_pushinteger(L, r->c->now);
	lua_setfield(L, -2, "now");
	lua_rawgeti(L, LUA_REGISTRYINDEX, wf->ref_case_mt);
	lua_setmetatable(L, -2);
}

/* The event is a plain table, payload included: a handler may well store it whole. */
static void push_event(lua_State *L, const struct lwf_event_view *ev)
{
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, ev->id);
	lua_setfield(L, -2, "id");
	lua_pushstring(L, ev->type);
	lua_setfield(L, -2, "type");
	lwf_push_json(L, ev->payload);
	lua_setfield(L, -2, "payload");
	lua_pushinteger(L, ev->at);
	lua_setfield(L, -2, "at");
}

/* In protected mode: everything that can raise a Lua error. */
static int run_protected(lua_State *L)
{
	struct lwf_workflow *wf = lwf_from(L);
	struct lwf_run *r = wf->run;
	lua_rawgeti(L, LUA_REGISTRYINDEX, wf->ref_handlers);
	lua_rawgeti(L, -1, (lua_Integer)r->handler + 1);
	push_case(L, wf, r);
	r->case_table = lua_topointer(L, -1);
	push_event(L, r->ev);
	lua_call(L, 2, 0);
	return 0;
}

static int handler_index(const struct lwf_def *def, const char *type)
{
	size_t lo = 0, hi = def->nhandlers;
	while (type && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(type, def->handlers[mid]);
		if (cmp == 0)
			return (int)mid;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int lwf_run(struct lwf_workflow *wf, const struct lwf_case_view *c, const struct lwf_event_view *ev,
	    json_t **commands, json_t **trace, char *err, size_t errlen)
{
	int rc = -1;
	lua_State *L = wf->L;
	struct lwf_run r = {.c = c, .ev = ev, .handler = handler_index(&wf->def, ev->type)};
	*commands = NULL;
	if (trace)
		*trace = NULL;
	r.commands = json_array();
	if (r.commands == NULL) {
		snprintf(err, errlen, "%s: out of memory", wf->chunkname);
		goto out;
	}
	if (r.handler < 0) {
		rc = 0;
		goto out;
	}
	if (c->birth_date) {
		if (og_parse_ymd(c->birth_date, strlen(c->birth_date), &r.birth) != 0) {
			snprintf(err, errlen,
				 "case %lld: the citizen's birth date '%.40s' is not a "
				 "date (YYYY-MM-DD)",
				 (long long)c->id, c->birth_date);
			goto out;
		}
		r.has_birth = true;
	}
	r.trace = json_array();
	if (r.trace == NULL) {
		snprintf(err, errlen, "%s: out of memory", wf->chunkname);
		goto out;
	}

	lua_settop(L, 0);
	lua_pushcfunction(L, lwf_msgh);
	lua_pushcfunction(L, run_protected);
	wf->run = &r;
	lwf_call_begin(wf);
	int status = lua_pcall(L, 0, 0, 1);
	lwf_call_end(wf);
	wf->run = NULL;
	if (wf->over_instructions) {
		snprintf(err, errlen, "%s", wf->overrun);
	} else if (status == LUA_ERRMEM || (status == LUA_ERRERR && wf->memory_refused)) {
		if (wf->memory_msg[0])
			snprintf(err, errlen, "%s", wf->memory_msg);
		else
			snprintf(err, errlen, "%s: memory budget exceeded (%zu bytes)",
				 wf->chunkname, wf->memory_limit);
	} else if (status != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		snprintf(err, errlen, "%s", msg ? msg : "error in error handling");
	} else {
		rc = 0;
	}
	lua_settop(L, 0);
	if (rc != 0) {
		/* What the failed call left behind goes now, so the next call has its budget. */
		lua_gc(L, LUA_GCCOLLECT);
		json_array_clear(r.commands);
	}

out:
	if (rc == 0) {
		*commands = r.commands;
		r.commands = NULL;
	}
	if (trace) {
		*trace = r.trace;
		r.trace = NULL;
	}
	json_decref(r.commands);
	json_decref(r.trace);
	return rc;
}
