/*
 * Helpers plugins give workflows: plugins.PLUGIN.NAME(args...). The arguments go to the
 * plugin's function as a JSON array, its JSON answer comes back as a Lua value, and an
 * error it reports is a Lua error at the workflow's line. Where no plugin gives a helper
 * (overgang check, simulate and test, or a daemon without the plugin) calling it says so.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "lua/internal.h"

#define HELPER_OUT_MAX (64 * 1024)

static const struct lwf_helper *helpers;
static size_t nhelpers;

void lwf_set_helpers(const struct lwf_helper *list, size_t n)
{
	helpers = list;
	nhelpers = n;
}

/* A JSON result held by a userdata while it is copied into Lua, freed by __gc if the copy
 * raises (the memory budget). */
static int free_held(lua_State *L)
{
	json_t **slot = lua_touserdata(L, 1);
	if (slot && *slot) {
		json_decref(*slot);
		*slot = NULL;
	}
	return 0;
}

static int call_helper(lua_State *L)
{
	const struct lwf_helper *h = &helpers[lua_tointeger(L, lua_upvalueindex(1))];
	int n = lua_gettop(L);
	char err[512], path[160];
	json_t *args = json_array();
	for (int i = 1; args && i <= n; i++) {
		snprintf(path, sizeof path, "plugins.%s.%s argument %d", h->plugin, h->name, i);
		json_t *v = lwf_to_json(L, i, path, false, err, sizeof err);
		if (v == NULL) {
			json_decref(args);
			return lwf_error(L, "%s", err);
		}
		json_array_append_new(args, v);
	}
	char *text = args ? json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(args);
	char *out = malloc(HELPER_OUT_MAX);
	if (text == NULL || out == NULL) {
		free(text);
		free(out);
		return lwf_error(L, "plugins.%s.%s: out of memory", h->plugin, h->name);
	}
	out[0] = '\0';
	int rc = h->fn(h->arg, text, out, HELPER_OUT_MAX);
	out[HELPER_OUT_MAX - 1] = '\0';
	lwf_charge(L, (double)(strlen(text) + strlen(out)));
	free(text);
	if (rc != 0) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", out[0] ? out : "failed");
		free(out);
		return lwf_error(L, "plugins.%s.%s: %s", h->plugin, h->name, msg);
	}
	json_error_t je;
	json_t *result = json_loads(out, JSON_DECODE_ANY, &je);
	free(out);
	if (result == NULL)
		return lwf_error(L, "plugins.%s.%s answered with something that is not JSON",
				 h->plugin, h->name);
	/* lwf_push_json may raise: keep the result where the error path can free it */
	json_t **slot = lua_newuserdatauv(L, sizeof *slot, 0);
	*slot = result;
	if (luaL_newmetatable(L, "overgang.helper_result")) {
		lua_pushcfunction(L, free_held);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	lwf_push_json(L, result);
	*slot = NULL;
	json_decref(result);
	return 1;
}

static int no_such_plugin(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	return lwf_error(
		L,
		"plugins.%s: no plugin of that name gives workflows helpers here (plugin "
		"helpers run in overgangd with the plugin loaded, not in check, simulate or "
		"test)",
		name ? name : "?");
}

static int no_such_helper(lua_State *L)
{
	const char *name = lua_tostring(L, 2);
	return lwf_error(L, "plugins.%s.%s: the plugin gives no helper of that name",
			 lua_tostring(L, lua_upvalueindex(1)), name ? name : "?");
}

/* A read-only table: every assignment is refused. */
static int read_only(lua_State *L) { return lwf_error(L, "plugins cannot be changed"); }

static void seal(lua_State *L, lua_CFunction index, const char *upvalue)
{
	lua_createtable(L, 0, 3);
	if (upvalue) {
		lua_pushstring(L, upvalue);
		lua_pushcclosure(L, index, 1);
	} else {
		lua_pushcfunction(L, index);
	}
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, read_only);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

void lwf_helpers_open(lua_State *L)
{
	lua_createtable(L, 0, 4);
	int plugins = lua_gettop(L);
	for (size_t i = 0; i < nhelpers; i++) {
		if (lua_getfield(L, plugins, helpers[i].plugin) != LUA_TTABLE) {
			lua_pop(L, 1);
			lua_createtable(L, 0, 4);
			lua_pushvalue(L, -1);
			lua_setfield(L, plugins, helpers[i].plugin);
		}
		lua_pushinteger(L, (lua_Integer)i);
		lua_pushcclosure(L, call_helper, 1);
		lua_setfield(L, -2, helpers[i].name);
		lua_pop(L, 1);
	}
	/* each plugin's table refuses unknown names and changes */
	lua_pushnil(L);
	while (lua_next(L, plugins)) {
		const char *name = lua_tostring(L, -2);
		seal(L, no_such_helper, name);
		lua_pop(L, 1);
	}
	seal(L, no_such_plugin, NULL);
}
