/*
 * Loading a workflow file: compile it once into its own sandboxed state, run its top level
 * under the budgets, and read the definition that `workflow { ... }` checked. The definition
 * is copied into C (struct lwf_def); the handlers stay in the Lua state for lwf_run.
 */
#include "lua/internal.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads T[NAME] without metamethods; pushes it and returns its type. */
static int rawfield(lua_State *L, int t, const char *name)
{
	lua_pushstring(L, name);
	return lua_rawget(L, t);
}

static char *dup(lua_State *L, const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		lwf_error(L, "out of memory");
	return d;
}

static void *zalloc(lua_State *L, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL)
		lwf_error(L, "out of memory");
	return p;
}

/* Refuses keys of table IDX that are not in NAMES (nor the integer ALLOW_INDEX, when > 0), so
 * that a misspelt key is an error instead of being ignored. Of several unknown keys it names
 * the alphabetically first, so the message does not depend on hash order. */
static void check_keys(lua_State *L, int idx, const char *const *names, size_t nnames,
		       lua_Integer allow_index, const char *context)
{
	const char *unknown = NULL;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -1);
			bool known = false;
			for (size_t i = 0; i < nnames && !known; i++)
				known = strcmp(k, names[i]) == 0;
			if (!known && (unknown == NULL || strcmp(k, unknown) < 0))
				unknown = k; /* stays valid: the key is in the table */
		} else if (!(allow_index > 0 && lua_isinteger(L, -1) &&
			     lua_tointeger(L, -1) == allow_index)) {
			if (lua_isinteger(L, -1))
				lwf_error(L, "%sunexpected entry [%lld]", context,
					  (long long)lua_tointeger(L, -1));
			lwf_error(L, "%sunexpected key of type %s", context, luaL_typename(L, -1));
		}
	}
	if (unknown)
		lwf_error(L, "%sunknown key '%s'", context, unknown);
}

/* The number of entries of the list at IDX (keys 1..n and nothing else), or -1. */
static lua_Integer list_length(lua_State *L, int idx)
{
	lua_Integer count = 0, max = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
			lua_pop(L, 1);
			return -1;
		}
		if (lua_tointeger(L, -1) > max)
			max = lua_tointeger(L, -1);
		count++;
	}
	return max == count ? count : -1;
}

static bool good_text(lua_State *L, int idx)
{
	size_t len;
	if (lua_type(L, idx) != LUA_TSTRING)
		return false;
	const char *s = lua_tolstring(L, idx, &len);
	return len > 0 && memchr(s, '\0', len) == NULL && lwf_utf8_valid(s, len);
}

/* A phase name or an event type: one word, any letters. */
static bool good_word(lua_State *L, int idx)
{
	if (!good_text(L, idx))
		return false;
	for (const unsigned char *p = (const unsigned char *)lua_tostring(L, idx); *p; p++)
		if (*p <= ' ' || *p == 0x7F)
			return false;
	return true;
}

static bool good_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static void read_start(lua_State *L, struct lwf_def *def)
{
	static const char *const keys[] = {"age", "when", "event"};
	static const char usage[] =
		"start must be \"manual\", { age = N, when = \"attribute\" }, "
		"{ event = \"type\" } or both: { age = N, when = \"attribute\", event = "
		"\"type\" }";
	int top = lua_gettop(L);
	int type = rawfield(L, 1, "start");
	int s = lua_gettop(L);
	def->start_kind = LWF_START_MANUAL;
	if (type == LUA_TNIL) {
		lua_settop(L, top);
		return;
	}
	if (type == LUA_TSTRING) {
		if (strcmp(lua_tostring(L, s), "manual") != 0)
			lwf_error(L, "%s, not '%s'", usage, lua_tostring(L, s));
		lua_settop(L, top);
		return;
	}
	if (type != LUA_TTABLE)
		lwf_error(L, "%s, not a %s", usage, lua_typename(L, type));
	check_keys(L, s, keys, sizeof keys / sizeof keys[0], 0, "start: ");
	int age = rawfield(L, s, "age");
	int when = rawfield(L, s, "when");
	int event = rawfield(L, s, "event");
	/* with both, a case starts by whichever comes first: the age rule or the event */
	if (event != LUA_TNIL) {
		if (!good_word(L, s + 3))
			lwf_error(L,
				  "start: 'event' must be an event type such as \"stu_started\"");
		def->start_kind = LWF_START_EVENT;
		def->start_event = dup(L, lua_tostring(L, s + 3));
		if (age == LUA_TNIL && when == LUA_TNIL) {
			lua_settop(L, top);
			return;
		}
	}
	if (age == LUA_TNIL)
		lwf_error(L, "start: 'when' needs 'age': give 'age' (and 'when'), 'event' or both, "
			     "or write start = \"manual\"");
	int ok = 0;
	lua_Integer years = age == LUA_TNUMBER ? lua_tointegerx(L, s + 1, &ok) : 0;
	if (!ok || years < 0 || years > 120)
		lwf_error(L, "start: 'age' must be a whole number from 0 to 120");
	if (when != LUA_TNIL && !good_word(L, s + 2))
		lwf_error(L, "start: 'when' must be the name of a citizen attribute such as "
			     "\"funktionsnedsaettelse\"");
	def->start_kind = LWF_START_AGE;
	def->start_age = (int)years;
	if (when != LUA_TNIL)
		def->start_attribute = dup(L, lua_tostring(L, s + 2));
	lua_settop(L, top);
}

static void read_phases(lua_State *L, struct lwf_def *def)
{
	static const char *const keys[] = {"title", "text", "next", "announce"};
	static const char usage[] = "'phases' must be a non-empty list of phases: phases = { { "
				    "\"name\", title = \"...\", text = \"...\", next = { ... } }, "
				    "... }";
	int top = lua_gettop(L);
	if (rawfield(L, 1, "phases") != LUA_TTABLE)
		lwf_error(L, "%s", usage);
	int ps = lua_gettop(L);
	lua_Integer n = list_length(L, ps);
	if (n < 1)
		lwf_error(L, "%s", usage);
	def->phases = zalloc(L, (size_t)n, sizeof *def->phases);
	def->nphases = (size_t)n;
	for (lua_Integer i = 1; i <= n; i++) {
		struct lwf_phase *ph = &def->phases[i - 1];
		lua_settop(L, ps);
		if (lua_rawgeti(L, ps, i) != LUA_TTABLE)
			lwf_error(L, "phases[%lld] must be a table: { \"name\", text = \"...\" }",
				  (long long)i);
		int e = ps + 1;
		lua_rawgeti(L, e, 1);
		if (!good_word(L, e + 1))
			lwf_error(
				L,
				"phases[%lld]: the first entry must be the phase's name, one word "
				"such as \"afdaekning\"",
				(long long)i);
		const char *name = lua_tostring(L, e + 1);
		for (lua_Integer j = 0; j < i - 1; j++)
			if (strcmp(def->phases[j].name, name) == 0)
				lwf_error(L, "phase '%s' is defined twice", name);
		ph->name = dup(L, name);
		char context[128];
		snprintf(context, sizeof context, "phase '%.80s': ", name);
		check_keys(L, e, keys, sizeof keys / sizeof keys[0], 1, context);
		rawfield(L, e, "text");
		if (!good_text(L, -1))
			lwf_error(L, "%s'text' is required: what the citizen reads in this phase",
				  context);
		ph->text = dup(L, lua_tostring(L, -1));
		if (rawfield(L, e, "title") != LUA_TNIL) {
			if (!good_text(L, -1))
				lwf_error(L,
					  "%s'title' must be the phase's name as people read it, "
					  "such as \"Afdækning\"",
					  context);
			ph->title = dup(L, lua_tostring(L, -1));
		}
		int announce = rawfield(L, e, "announce");
		if (announce != LUA_TNIL && announce != LUA_TBOOLEAN)
			lwf_error(L,
				  "%s'announce' must be true or false: false leaves the phase out "
				  "of what the citizen's plan says may come next",
				  context);
		ph->unannounced = announce == LUA_TBOOLEAN && !lua_toboolean(L, -1);
		int type = rawfield(L, e, "next");
		if (type == LUA_TNIL)
			continue;
		lua_Integer nn = type == LUA_TTABLE ? list_length(L, lua_gettop(L)) : -1;
		if (nn < 0)
			lwf_error(L, "%s'next' must be a list of phase names", context);
		ph->next = zalloc(L, (size_t)nn, sizeof *ph->next);
		ph->nnext = (size_t)nn;
		for (lua_Integer j = 1; j <= nn; j++) {
			lua_rawgeti(L, -1, j);
			if (!good_word(L, -1))
				lwf_error(L, "%s'next' must be a list of phase names", context);
			ph->next[j - 1] = dup(L, lua_tostring(L, -1));
			lua_pop(L, 1);
		}
	}
	for (size_t i = 0; i < def->nphases; i++)
		for (size_t j = 0; j < def->phases[i].nnext; j++)
			if (lwf_phase_index(def, def->phases[i].next[j]) < 0)
				lwf_error(L,
					  "phase '%s': next phase '%s' is not a phase of this "
					  "workflow",
					  def->phases[i].name, def->phases[i].next[j]);
	lua_settop(L, top);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sets KEY of OBJ to the new value V; out of memory is a Lua error (V is released). */
static void set_new(lua_State *L, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		lwf_error(L, "out of memory");
}

static void append_new(lua_State *L, json_t *arr, json_t *v)
{
	if (v == NULL || json_array_append_new(arr, v) != 0)
		lwf_error(L, "out of memory");
}

/* An outcome field's name: what the handler reads as ev.payload.outcome.NAME. */
static bool good_field_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static const char *const field_types[] = {"text",     "textarea", "select",
					  "checkbox", "number",   "date"};
#define FIELD_TYPES "text, textarea, select, checkbox, number or date"

/* The options of a select field at IDX into OPTIONS: each a value (a text, its own label) or
 * { "value", "Label" }. */
static void read_options(lua_State *L, int idx, json_t *options, const char *context)
{
	static const char usage[] = "'options' must be a list of values, each \"value\" or { "
				    "\"value\", \"Label\" }";
	lua_Integer n = lua_type(L, idx) == LUA_TTABLE ? list_length(L, idx) : -1;
	if (n < 1)
		lwf_error(L, "%s%s", context, usage);
	for (lua_Integer i = 1; i <= n; i++) {
		int top = lua_gettop(L);
		int type = lua_rawgeti(L, idx, i);
		int value = top + 1, label = top + 1;
		if (type == LUA_TTABLE) {
			if (list_length(L, top + 1) != 2)
				lwf_error(L, "%soptions[%lld]: %s", context, (long long)i, usage);
			lua_rawgeti(L, top + 1, 1);
			lua_rawgeti(L, top + 1, 2);
			value = top + 2;
			label = top + 3;
		}
		if (!good_text(L, value) || !good_text(L, label))
			lwf_error(L, "%soptions[%lld]: %s", context, (long long)i, usage);
		const char *v = lua_tostring(L, value);
		size_t k;
		json_t *o;
		json_array_foreach (options, k, o) {
			if (strcmp(json_string_value(json_object_get(o, "value")), v) == 0)
				lwf_error(L, "%soption '%s' is listed twice", context, v);
		}
		o = json_object();
		append_new(L, options, o);
		set_new(L, o, "value", json_string(v));
		set_new(L, o, "label", json_string(lua_tostring(L, label)));
		lua_settop(L, top);
	}
}

/* One outcome field, the table at IDX, into FIELD. */
static void read_field(lua_State *L, int idx, json_t *field, const char *context)
{
	static const char *const keys[] = {"name",       "label",    "type", "options",
					   "instrument", "required", "hint"};
	check_keys(L, idx, keys, sizeof keys / sizeof keys[0], 0, context);
	int top = lua_gettop(L);
	rawfield(L, idx, "name");
	if (!good_text(L, -1) || !good_field_name(lua_tostring(L, -1)))
		lwf_error(
			L,
			"%s'name' is required: what the handler reads as ev.payload.outcome.NAME, "
			"lowercase letters, digits and '_', such as \"maal\"",
			context);
	const char *name = lua_tostring(L, -1);
	set_new(L, field, "name", json_string(name));
	char ctx[256];
	snprintf(ctx, sizeof ctx, "%.160sfield '%.40s': ", context, name);
	rawfield(L, idx, "label");
	if (!good_text(L, -1))
		lwf_error(L, "%s'label' is required: what the person reads beside the field", ctx);
	set_new(L, field, "label", json_string(lua_tostring(L, -1)));
	rawfield(L, idx, "type");
	const char *type = good_text(L, -1) ? lua_tostring(L, -1) : NULL;
	bool known = false;
	for (size_t i = 0; type && i < sizeof field_types / sizeof field_types[0]; i++)
		known = known || strcmp(type, field_types[i]) == 0;
	if (!known)
		lwf_error(L, "%s'type' must be " FIELD_TYPES "%s%.40s%s", ctx,
			  type ? ", not '" : "", type ? type : "", type ? "'" : "");
	set_new(L, field, "type", json_string(type));
	bool select = strcmp(type, "select") == 0;
	int has_options = rawfield(L, idx, "options") != LUA_TNIL;
	int options = lua_gettop(L);
	int has_instrument = rawfield(L, idx, "instrument") != LUA_TNIL;
	int instrument = lua_gettop(L);
	if (has_options && !select)
		lwf_error(L, "%s'options' belong to a select; this field is a %s", ctx, type);
	if (has_instrument && !select && strcmp(type, "number") != 0)
		lwf_error(L, "%s'instrument' belongs to a select or a number; this field is a %s",
			  ctx, type);
	if (select && !has_options && !has_instrument)
		lwf_error(L,
			  "%sa select needs its choices: options = { \"value\", ... } or "
			  "instrument = \"name\" (the instrument registry's values)",
			  ctx);
	if (has_instrument) {
		if (!good_text(L, instrument) || !good_name(lua_tostring(L, instrument)))
			lwf_error(L,
				  "%s'instrument' must name an instrument of the registry, such as "
				  "\"ffb-stoettebehov\"",
				  ctx);
		set_new(L, field, "instrument", json_string(lua_tostring(L, instrument)));
	}
	if (has_options) {
		json_t *list = json_array();
		set_new(L, field, "options", list);
		read_options(L, options, list, ctx);
	}
	int required = rawfield(L, idx, "required");
	if (required != LUA_TNIL && required != LUA_TBOOLEAN)
		lwf_error(L, "%s'required' must be true or false", ctx);
	set_new(L, field, "required", json_boolean(lua_toboolean(L, -1)));
	if (rawfield(L, idx, "hint") != LUA_TNIL) {
		if (!good_text(L, -1))
			lwf_error(L, "%s'hint' must be a text: help beside the field", ctx);
		set_new(L, field, "hint", json_string(lua_tostring(L, -1)));
	}
	lua_settop(L, top);
}

/* tasks = { KEY = { title = "...", outcome = { FIELD, ... } }, ... }, in key order. */
static void read_tasks(lua_State *L, struct lwf_def *def)
{
	static const char *const keys[] = {"title", "outcome"};
	static const char usage[] =
		"'tasks' must be a table of task keys: tasks = { dialogmoede = { title = "
		"\"...\", outcome = { { name = \"maal\", label = \"...\", type = \"text\" }, ... } "
		"} }";
	int top = lua_gettop(L);
	def->tasks = json_object();
	if (def->tasks == NULL)
		lwf_error(L, "out of memory");
	int type = rawfield(L, 1, "tasks");
	int ts = lua_gettop(L);
	if (type == LUA_TNIL) {
		lua_settop(L, top);
		return;
	}
	if (type != LUA_TTABLE)
		lwf_error(L, "%s", usage);
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, ts)) {
		lua_pop(L, 1);
		if (!good_word(L, -1))
			lwf_error(
				L,
				"tasks: the keys are task keys such as \"dialogmoede\" (one word), "
				"as case:task { key = ... } gives them");
		n++;
	}
	/* the key order, in a userdata on the stack: a refusal below leaks nothing; the names
	 * stay valid while the tasks table is on the stack */
	const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);
	int nm = lua_gettop(L);
	size_t i = 0;
	lua_pushnil(L);
	while (lua_next(L, ts)) {
		lua_pop(L, 1);
		names[i++] = lua_tostring(L, -1);
	}
	qsort(names, n, sizeof *names, compare_names);
	for (i = 0; i < n; i++) {
		char context[128];
		snprintf(context, sizeof context, "task '%.80s': ", names[i]);
		lua_settop(L, nm);
		if (rawfield(L, ts, names[i]) != LUA_TTABLE)
			lwf_error(L, "%smust be a table: { title = \"...\", outcome = { ... } }",
				  context);
		int t = nm + 1;
		json_t *task = json_object();
		if (task == NULL || json_object_set_new(def->tasks, names[i], task) != 0)
			lwf_error(L, "out of memory");
		check_keys(L, t, keys, sizeof keys / sizeof keys[0], 0, context);
		if (rawfield(L, t, "title") != LUA_TNIL) {
			if (!good_text(L, -1))
				lwf_error(L,
					  "%s'title' must be a text: what the task is, as people "
					  "read it",
					  context);
			set_new(L, task, "title", json_string(lua_tostring(L, -1)));
		}
		json_t *fields = json_array();
		set_new(L, task, "outcome", fields);
		int otype = rawfield(L, t, "outcome");
		int o = lua_gettop(L);
		if (otype == LUA_TNIL)
			continue;
		lua_Integer nf = otype == LUA_TTABLE ? list_length(L, o) : -1;
		if (nf < 0)
			lwf_error(L,
				  "%s'outcome' must be a list of fields: outcome = { { name = "
				  "\"maal\", label = \"...\", type = \"text\" }, ... }",
				  context);
		for (lua_Integer f = 1; f <= nf; f++) {
			char ctx[192];
			snprintf(ctx, sizeof ctx, "%.128soutcome[%lld]: ", context, (long long)f);
			if (lua_rawgeti(L, o, f) != LUA_TTABLE)
				lwf_error(L,
					  "%smust be a table: { name = \"...\", label = \"...\", "
					  "type = \"...\" }",
					  ctx);
			json_t *field = json_object();
			append_new(L, fields, field);
			read_field(L, lua_gettop(L), field, ctx);
			const char *fname = json_string_value(json_object_get(field, "name"));
			for (size_t g = 0; g + 1 < json_array_size(fields); g++)
				if (strcmp(json_string_value(json_object_get(
						   json_array_get(fields, g), "name")),
					   fname) == 0)
					lwf_error(L, "%sfield '%s' is declared twice", context,
						  fname);
			lua_pop(L, 1);
		}
	}
	lua_settop(L, top);
}

static void def_clear(struct lwf_def *def)
{
	free(def->name);
	free(def->title);
	free(def->start_attribute);
	free(def->start_event);
	for (size_t i = 0; i < def->nphases; i++) {
		free(def->phases[i].name);
		free(def->phases[i].title);
		free(def->phases[i].text);
		for (size_t j = 0; j < def->phases[i].nnext; j++)
			free(def->phases[i].next[j]);
		free(def->phases[i].next);
	}
	free(def->phases);
	json_decref(def->tasks);
	for (size_t i = 0; i < def->nhandlers; i++)
		free(def->handlers[i]);
	free(def->handlers);
	memset(def, 0, sizeof *def);
}

/* The handlers go into a registry sequence in the (sorted) order of def->handlers, so lwf_run
 * finds one by index without making a Lua string. */
static void read_handlers(lua_State *L, struct lwf_workflow *wf)
{
	struct lwf_def *def = &wf->def;
	int top = lua_gettop(L);
	int type = rawfield(L, 1, "on");
	int on = lua_gettop(L);
	if (type != LUA_TNIL && type != LUA_TTABLE)
		lwf_error(L,
			  "'on' must be a table of handlers: on = { started = function(case, ev) "
			  "... end }");
	size_t n = 0;
	if (type == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, on)) {
			if (!good_word(L, -2))
				lwf_error(L,
					  "on: the keys are event types such as \"started\" (one "
					  "word)");
			if (lua_type(L, -1) != LUA_TFUNCTION)
				lwf_error(L,
					  "on: the handler for '%s' must be a function(case, ev), "
					  "not "
					  "a %s",
					  lua_tostring(L, -2), luaL_typename(L, -1));
			lua_pop(L, 1);
			n++;
		}
	}
	def->handlers = zalloc(L, n, sizeof *def->handlers);
	if (n > 0) {
		size_t i = 0;
		lua_pushnil(L);
		while (lua_next(L, on)) {
			lua_pop(L, 1);
			def->handlers[i++] = dup(L, lua_tostring(L, -1));
			def->nhandlers = i;
		}
		qsort(def->handlers, n, sizeof *def->handlers, compare_names);
	}
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		rawfield(L, on, def->handlers[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	wf->ref_handlers = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_settop(L, top);
}

int lwf_workflow_global(lua_State *L)
{
	static const char *const keys[] = {"name",   "version", "title", "start",
					   "phases", "tasks",   "on"};
	struct lwf_workflow *wf = lwf_from(L);
	struct lwf_def *def = &wf->def;
	if (!wf->loading)
		return lwf_error(L, "workflow { ... } belongs at the top level of a workflow file");
	if (wf->defined)
		return lwf_error(L, "workflow { ... } is called twice (first on line %d)",
				 def->line);
	if (lua_type(L, 1) != LUA_TTABLE)
		return lwf_error(L, "workflow takes a table: return workflow { name = ..., ... }");
	lua_settop(L, 1);
	/* A call that failed inside a pcall may have read part of the definition. */
	def_clear(def);
	luaL_unref(L, LUA_REGISTRYINDEX, wf->ref_handlers);
	wf->ref_handlers = LUA_NOREF;
	def->line = lwf_where(L, 1, NULL, 0);
	check_keys(L, 1, keys, sizeof keys / sizeof keys[0], 0, "");

	rawfield(L, 1, "name");
	if (lua_type(L, -1) != LUA_TSTRING)
		return lwf_error(L,
				 "'name' is required: lowercase letters, digits and '-', such as "
				 "\"barn-til-voksen\"");
	if (!good_name(lua_tostring(L, -1)) || lua_rawlen(L, -1) != strlen(lua_tostring(L, -1)))
		return lwf_error(L,
				 "'name' must be lowercase letters a-z, digits and '-', such as "
				 "\"barn-til-voksen\", not '%.80s'",
				 lua_tostring(L, -1));
	def->name = dup(L, lua_tostring(L, -1));

	int ok = 0;
	lua_Integer version =
		rawfield(L, 1, "version") == LUA_TNUMBER ? lua_tointegerx(L, -1, &ok) : 0;
	if (!ok || version < 1 || version > INT_MAX)
		return lwf_error(L, "'version' must be a whole number from 1 up");
	def->version = (int)version;

	rawfield(L, 1, "title");
	if (!good_text(L, -1))
		return lwf_error(L, "'title' is required: the workflow's name as people read it");
	def->title = dup(L, lua_tostring(L, -1));
	lua_settop(L, 1);

	read_start(L, def);
	read_phases(L, def);
	read_tasks(L, def);
	read_handlers(L, wf);

	lua_pushvalue(L, 1);
	wf->ref_def = luaL_ref(L, LUA_REGISTRYINDEX);
	wf->defined = true;
	lua_settop(L, 1);
	return 1;
}

/* The first line of a Lua error object. */
static void copy_message(lua_State *L, const char *chunkname, char *err, size_t errlen)
{
	const char *msg = lua_tostring(L, -1);
	if (msg)
		snprintf(err, errlen, "%s", msg);
	else
		snprintf(err, errlen, "%s: (error object is a %s value)", chunkname,
			 luaL_typename(L, -1));
}

static void copy_line(const char *msg, char *err, size_t errlen)
{
	size_t n = strcspn(msg, "\n");
	snprintf(err, errlen, "%.*s", (int)n, msg);
}

static void copy_memory(const struct lwf_workflow *wf, char *err, size_t errlen)
{
	if (wf->memory_msg[0])
		copy_line(wf->memory_msg, err, errlen);
	else
		snprintf(err, errlen, "%s: memory budget exceeded (%zu bytes)", wf->chunkname,
			 wf->memory_limit);
}

struct lwf_workflow *lwf_load(const char *chunkname, const char *source, size_t len,
			      const struct lwf_budget *budget, char *err, size_t errlen)
{
	char *name = NULL;
	struct lwf_workflow *wf = calloc(1, sizeof *wf);
	if (wf == NULL)
		goto oom;
	wf->memory_limit =
		budget && budget->memory_bytes ? budget->memory_bytes : LWF_DEFAULT_MEMORY;
	wf->instructions = budget && budget->instructions > 0 ? budget->instructions
							      : LWF_DEFAULT_INSTRUCTIONS;
	wf->ref_handlers = wf->ref_case_mt = wf->ref_def = LUA_NOREF;
	wf->chunkname = strdup(chunkname);
	name = malloc(strlen(chunkname) + 2);
	if (wf->chunkname == NULL || name == NULL)
		goto oom;
	snprintf(name, strlen(chunkname) + 2, "@%s", chunkname);

	wf->L = lua_newstate(lwf_alloc, wf);
	if (wf->L == NULL) {
		snprintf(err, errlen, "%s: memory budget exceeded (%zu bytes)", chunkname,
			 wf->memory_limit);
		goto fail;
	}
	lua_State *L = wf->L;
	*(struct lwf_workflow **)lua_getextraspace(L) = wf;
	lua_pushcfunction(L, lwf_sandbox_open);
	int status = lua_pcall(L, 0, 0, 0);
	if (status != LUA_OK) {
		if (status == LUA_ERRMEM)
			copy_memory(wf, err, errlen);
		else
			copy_message(L, chunkname, err, errlen);
		goto fail;
	}

	/* Text only: a precompiled chunk could break the VM's invariants. */
	status = luaL_loadbufferx(L, source, len, name, "t");
	if (status == LUA_ERRMEM) {
		copy_memory(wf, err, errlen);
		goto fail;
	}
	if (status != LUA_OK) {
		/* A syntax error names its line; the refusal of a binary chunk does not. */
		const char *msg = lua_tostring(L, -1);
		if (msg && strncmp(msg, "attempt to load", 15) == 0)
			snprintf(err, errlen, "%s: %s", chunkname, msg);
		else
			copy_message(L, chunkname, err, errlen);
		goto fail;
	}
	wf->loading = true;
	lwf_call_begin(wf);
	status = lua_pcall(L, 0, 1, 0);
	lwf_call_end(wf);
	wf->loading = false;
	if (wf->over_instructions) {
		copy_line(wf->overrun, err, errlen);
		goto fail;
	}
	if (status == LUA_ERRMEM || (status == LUA_ERRERR && wf->memory_refused)) {
		copy_memory(wf, err, errlen);
		goto fail;
	}
	if (status != LUA_OK) {
		copy_message(L, chunkname, err, errlen);
		goto fail;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, wf->ref_def);
	if (!wf->defined || !lua_rawequal(L, -1, -2)) {
		snprintf(err, errlen, "%s: the file must end with `return workflow { ... }`",
			 chunkname);
		goto fail;
	}
	luaL_unref(L, LUA_REGISTRYINDEX, wf->ref_def);
	wf->ref_def = LUA_NOREF;
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT);
	free(name);
	return wf;

oom:
	snprintf(err, errlen, "%s: out of memory", chunkname);
fail:
	free(name);
	lwf_free(wf);
	return NULL;
}

void lwf_free(struct lwf_workflow *wf)
{
	if (wf == NULL)
		return;
	if (wf->L)
		lua_close(wf->L);
	def_clear(&wf->def);
	free(wf->chunkname);
	free(wf);
}

const struct lwf_def *lwf_def(const struct lwf_workflow *wf) { return &wf->def; }

int lwf_phase_index(const struct lwf_def *def, const char *name)
{
	for (size_t i = 0; def && name && i < def->nphases; i++)
		if (def->phases[i].name && strcmp(def->phases[i].name, name) == 0)
			return (int)i;
	return -1;
}
