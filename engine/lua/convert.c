/*
 * Lua values to JSON and back. A command's JSON is stored and applied by the engine, so a
 * value that JSON (or PostgreSQL's jsonb) cannot hold faithfully is refused with the path to
 * it, rather than changed.
 */
#include "lua/internal.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32
#define PUSH_MAX_DEPTH 200

bool lwf_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t n;
		unsigned min, cp;
		if ((c & 0xE0) == 0xC0) {
			n = 1, min = 0x80, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2, min = 0x800, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n + 1;
	}
	return true;
}

/* The length of the valid UTF-8 character at S (at most LEN bytes), 0 if there is none. */
static size_t utf8_char(const char *s, size_t len)
{
	unsigned c = (unsigned char)s[0];
	size_t n = c < 0x80             ? 1
		   : (c & 0xE0) == 0xC0 ? 2
		   : (c & 0xF0) == 0xE0 ? 3
		   : (c & 0xF8) == 0xF0 ? 4
					: 0;
	if (n == 0 || n > len || !lwf_utf8_valid(s, n))
		return 0;
	return n;
}

size_t lwf_utf8_clean(const char *s, size_t len, char *out, size_t outlen)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	size_t used = 0;
	if (outlen == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		size_t n = s[i] == '\0' ? 0 : utf8_char(s + i, len - i);
		const char *c = n ? s + i : replacement;
		size_t clen = n ? n : 3;
		if (used + clen >= outlen)
			break;
		memcpy(out + used, c, clen);
		used += clen;
		i += n ? n : 1;
	}
	out[used] = '\0';
	return used;
}

struct conv {
	lua_State *L;
	char path[256];
	size_t pathlen;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static json_t *conv_fail(struct conv *cv, const char *fmt,
							       ...)
{
	int n = snprintf(cv->err, cv->errlen, "%s ", cv->path);
	if (n >= 0 && (size_t)n < cv->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(cv->err + n, cv->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

/* Appends ".name", "[\"odd name\"]" or "[3]" to the path; returns the old length. */
static size_t path_push_key(struct conv *cv, const char *key, size_t len)
{
	size_t old = cv->pathlen;
	bool ident = len > 0 && !(key[0] >= '0' && key[0] <= '9');
	for (size_t i = 0; i < len && ident; i++)
		ident = key[i] == '_' || (key[i] >= 'a' && key[i] <= 'z') ||
			(key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9');
	char buf[80];
	if (ident)
		snprintf(buf, sizeof buf, ".%.*s", (int)(len > 60 ? 60 : len), key);
	else
		snprintf(buf, sizeof buf, "[\"%.*s\"]", (int)(len > 60 ? 60 : len), key);
	snprintf(cv->path + old, sizeof cv->path - old, "%s", buf);
	cv->pathlen = strlen(cv->path);
	return old;
}

static size_t path_push_index(struct conv *cv, lua_Integer i)
{
	size_t old = cv->pathlen;
	snprintf(cv->path + old, sizeof cv->path - old, "[%lld]", (long long)i);
	cv->pathlen = strlen(cv->path);
	return old;
}

static void path_pop(struct conv *cv, size_t old)
{
	cv->pathlen = old;
	cv->path[old] = '\0';
}

static json_t *conv_value(struct conv *cv, int idx, int depth, bool object);

static json_t *conv_string(struct conv *cv, int idx)
{
	size_t len;
	const char *s = lua_tolstring(cv->L, idx, &len);
	if (memchr(s, '\0', len))
		return conv_fail(cv, "contains a NUL byte and cannot be stored");
	if (!lwf_utf8_valid(s, len))
		return conv_fail(cv, "is not valid UTF-8 text and cannot be stored");
	json_t *j = json_stringn_nocheck(s, len);
	return j ? j : conv_fail(cv, "cannot be stored: out of memory");
}

static json_t *conv_table(struct conv *cv, int idx, int depth, bool object)
{
	lua_State *L = cv->L;
	if (depth > MAX_DEPTH)
		return conv_fail(cv, "is nested deeper than %d levels and cannot be stored",
				 MAX_DEPTH);
	/* lua_checkstack fails rather than raising an error, so it is safe with JSON held. */
	if (!lua_checkstack(L, 4))
		return conv_fail(cv, "cannot be stored: out of memory");
	/* A list has the keys 1..n and nothing else; a record has string keys only. */
	lua_Integer count = 0, ints = 0, strings = 0, max = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		count++;
		if (lua_type(L, -2) == LUA_TSTRING) {
			strings++;
		} else if (lua_isinteger(L, -2)) {
			lua_Integer k = lua_tointeger(L, -2);
			if (k >= 1) {
				ints++;
				if (k > max)
					max = k;
			} else {
				lua_pop(L, 2);
				return conv_fail(cv,
						 "has the key %lld, which is not a list index "
						 "(1..n), and cannot be stored",
						 (long long)k);
			}
		} else {
			const char *type = luaL_typename(L, -2);
			lua_pop(L, 2);
			return conv_fail(cv,
					 "has a %s key and cannot be stored (keys are strings, or "
					 "1..n in a list)",
					 type);
		}
		lua_pop(L, 1);
	}
	if (ints > 0 && strings > 0)
		return conv_fail(cv, "mixes list entries and named keys and cannot be stored");
	if (ints > 0 && max != count)
		return conv_fail(cv,
				 "is a list with holes (it has key %lld but %lld entries) and "
				 "cannot be stored",
				 (long long)max, (long long)count);
	if (ints > 0 && object)
		return conv_fail(cv, "must be a table of named fields, not a list");

	if (ints > 0) {
		json_t *a = json_array();
		if (a == NULL)
			return conv_fail(cv, "cannot be stored: out of memory");
		for (lua_Integer i = 1; i <= count; i++) {
			lua_rawgeti(L, idx, i);
			size_t old = path_push_index(cv, i);
			json_t *v = conv_value(cv, lua_gettop(L), depth + 1, false);
			path_pop(cv, old);
			lua_pop(L, 1);
			if (v == NULL || json_array_append_new(a, v) != 0) {
				json_decref(a);
				return v ? conv_fail(cv, "cannot be stored: out of memory") : NULL;
			}
		}
		return a;
	}
	json_t *o = json_object();
	if (o == NULL)
		return conv_fail(cv, "cannot be stored: out of memory");
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t klen;
		const char *k = lua_tolstring(L, -2, &klen);
		size_t old = path_push_key(cv, k, klen);
		json_t *v = NULL;
		if (memchr(k, '\0', klen) || !lwf_utf8_valid(k, klen))
			conv_fail(cv,
				  "is a key that is not valid UTF-8 text (or has a NUL byte) and "
				  "cannot be stored");
		else
			v = conv_value(cv, lua_gettop(L), depth + 1, false);
		path_pop(cv, old);
		if (v == NULL || json_object_set_new_nocheck(o, k, v) != 0) {
			lua_pop(L, 2);
			json_decref(o);
			return v ? conv_fail(cv, "cannot be stored: out of memory") : NULL;
		}
		lua_pop(L, 1);
	}
	return o;
}

static json_t *conv_value(struct conv *cv, int idx, int depth, bool object)
{
	lua_State *L = cv->L;
	json_t *j;
	switch (lua_type(L, idx)) {
	case LUA_TNIL: j = json_null(); break;
	case LUA_TBOOLEAN: j = json_boolean(lua_toboolean(L, idx)); break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			j = json_integer(lua_tointeger(L, idx));
		} else {
			double d = lua_tonumber(L, idx);
			if (!isfinite(d))
				return conv_fail(cv,
						 "is not a finite number (%s) and cannot be stored",
						 isnan(d) ? "NaN" : "infinity");
			j = json_real(d);
		}
		break;
	case LUA_TSTRING: return conv_string(cv, idx);
	case LUA_TTABLE: return conv_table(cv, idx, depth, object);
	default: return conv_fail(cv, "is a %s and cannot be stored", luaL_typename(L, idx));
	}
	return j ? j : conv_fail(cv, "cannot be stored: out of memory");
}

json_t *lwf_to_json(lua_State *L, int idx, const char *path, bool object, char *err, size_t errlen)
{
	struct conv cv = {.L = L, .err = err, .errlen = errlen};
	cv.pathlen = strlen(path) < sizeof cv.path ? strlen(path) : sizeof cv.path - 1;
	memcpy(cv.path, path, cv.pathlen);
	cv.path[cv.pathlen] = '\0';
	idx = lua_absindex(L, idx);
	if (object && lua_type(L, idx) != LUA_TTABLE)
		return conv_fail(&cv, "must be a table of named fields, not a %s",
				 luaL_typename(L, idx));
	return conv_value(&cv, idx, 0, object);
}

static void push_json(lua_State *L, const json_t *v, int depth)
{
	if (depth > PUSH_MAX_DEPTH)
		luaL_error(L, "a JSON value is nested deeper than %d levels", PUSH_MAX_DEPTH);
	luaL_checkstack(L, 3, "JSON value");
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		lua_createtable(L, 0, (int)json_object_size(v));
		const char *key;
		size_t klen;
		const json_t *value;
		void *it = json_object_iter((json_t *)v);
		for (; it; it = json_object_iter_next((json_t *)v, it)) {
			key = json_object_iter_key(it);
			klen = strlen(key);
			value = json_object_iter_value(it);
			if (json_is_null(value))
				continue;
			lua_pushlstring(L, key, klen);
			push_json(L, value, depth + 1);
			lua_rawset(L, -3);
		}
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
		for (size_t i = 0; i < n; i++) {
			const json_t *value = json_array_get(v, i);
			if (json_is_null(value))
				continue;
			push_json(L, value, depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	}
	case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
	case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
	case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
	case JSON_TRUE: lua_pushboolean(L, 1); break;
	case JSON_FALSE: lua_pushboolean(L, 0); break;
	case JSON_NULL: lua_pushnil(L); break;
	}
}

void lwf_push_json(lua_State *L, const json_t *v)
{
	if (v == NULL)
		lua_createtable(L, 0, 0);
	else
		push_json(L, v, 0);
}
