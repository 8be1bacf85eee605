/*
 * Dates for workflows: pure functions over Unix seconds in UTC, a date being its day at
 * 00:00:00 UTC. Civil dates by Howard Hinnant's days-from-civil algorithm, so nothing depends
 * on the C library's time zone or the process's clock. Years 1..9999 only, which keeps every
 * sum far from overflowing.
 */
#include "lua/internal.h"
#include "util/civil.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

/* Lua functions. */

static int64_t check_integer(lua_State *L, int arg, const char *fname, const char *what)
{
	int ok = 0;
	lua_Integer v = lua_type(L, arg) == LUA_TNUMBER ? lua_tointegerx(L, arg, &ok) : 0;
	if (!ok)
		lwf_error(L, "%s: %s must be a whole number, not %s", fname, what,
			  lua_type(L, arg) == LUA_TNUMBER ? "a fraction" : luaL_typename(L, arg));
	return (int64_t)v;
}

static int64_t check_time(lua_State *L, int arg, const char *fname)
{
	int64_t t = check_integer(L, arg, fname, "a time (Unix seconds)");
	int64_t days = og_floor_div(t, OG_DAY);
	if (days < OG_FIRST_DAY || days > OG_LAST_DAY)
		lwf_error(L, "%s: the time %lld is outside the years 1 to 9999", fname,
			  (long long)t);
	return t;
}

static int date_parse(lua_State *L)
{
	size_t len;
	if (lua_type(L, 1) != LUA_TSTRING)
		return lwf_error(L, "date.parse: expects a date \"YYYY-MM-DD\", not %s",
				 luaL_typename(L, 1));
	const char *s = lua_tolstring(L, 1, &len);
	int64_t days;
	if (og_parse_ymd(s, len, &days) != 0)
		return lwf_error(L, "date.parse: '%.40s' is not a date (YYYY-MM-DD)", s);
	lua_pushinteger(L, days * OG_DAY);
	return 1;
}

static int date_ymd(lua_State *L)
{
	int64_t t = check_time(L, 1, "date.ymd"), y;
	int m, d;
	og_civil_from_days(og_floor_div(t, OG_DAY), &y, &m, &d);
	char buf[16];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d", (int)y, m, d);
	lua_pushstring(L, buf);
	return 1;
}

static int date_add(lua_State *L)
{
	static const struct {
		const char *name;
		int64_t limit;
	} fields[] = {
		{"years", 10000},  {"months", 120000},  {"weeks", 530000},
		{"days", 3700000}, {"hours", 88000000},
	};
	enum { NFIELDS = sizeof fields / sizeof fields[0] };
	int64_t t = check_time(L, 1, "date.add");
	if (lua_type(L, 2) != LUA_TTABLE)
		return lwf_error(L, "date.add: expects a table such as { months = 6 }, not %s",
				 luaL_typename(L, 2));
	lua_settop(L, 2);
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		lua_pop(L, 1);
		bool known = false;
		for (int i = 0; i < NFIELDS && lua_type(L, -1) == LUA_TSTRING; i++)
			known = known || strcmp(lua_tostring(L, -1), fields[i].name) == 0;
		if (!known) {
			if (lua_type(L, -1) == LUA_TSTRING)
				return lwf_error(L,
						 "date.add: unknown field '%s' (years, months, "
						 "weeks, days or hours)",
						 lua_tostring(L, -1));
			return lwf_error(L,
					 "date.add: unknown field of type %s (years, months, "
					 "weeks, days or hours)",
					 luaL_typename(L, -1));
		}
	}
	int64_t v[NFIELDS];
	for (int i = 0; i < NFIELDS; i++) {
		lua_getfield(L, 2, fields[i].name);
		v[i] = 0;
		if (!lua_isnil(L, -1)) {
			char what[32];
			snprintf(what, sizeof what, "'%s'", fields[i].name);
			v[i] = check_integer(L, -1, "date.add", what);
			if (v[i] < -fields[i].limit || v[i] > fields[i].limit)
				return lwf_error(L,
						 "date.add: the result is outside the years 1 to "
						 "9999");
		}
		lua_pop(L, 1);
	}
	int64_t days = og_floor_div(t, OG_DAY), secs = t - days * OG_DAY;
	if (og_add_months(days, v[0] * 12 + v[1], &days) != 0)
		return lwf_error(L, "date.add: the result is outside the years 1 to 9999");
	t = (days + v[2] * 7 + v[3]) * OG_DAY + secs + v[4] * 3600;
	days = og_floor_div(t, OG_DAY);
	if (days < OG_FIRST_DAY || days > OG_LAST_DAY)
		return lwf_error(L, "date.add: the result is outside the years 1 to 9999");
	lua_pushinteger(L, t);
	return 1;
}

static bool weekday(int64_t days)
{
	int64_t wd = ((days % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; 0 is Monday */
	return wd < 5;
}

static int date_working_days(lua_State *L)
{
	int64_t t = check_time(L, 1, "date.working_days");
	int64_t n = check_integer(L, 2, "date.working_days", "the number of days");
	if (n < -2700000 || n > 2700000)
		return lwf_error(L, "date.working_days: the result is outside the years 1 to 9999");
	int64_t days = og_floor_div(t, OG_DAY), secs = t - days * OG_DAY;
	int64_t step = n < 0 ? -1 : 1, left = n < 0 ? -n : n;
	while (left > 0) {
		if (weekday(days) && left >= 5) {
			/* From a weekday, five working days on is the same weekday a week on. */
			days += step * 7 * (left / 5);
			left %= 5;
			continue;
		}
		days += step;
		if (weekday(days))
			left--;
	}
	if (days < OG_FIRST_DAY || days > OG_LAST_DAY)
		return lwf_error(L, "date.working_days: the result is outside the years 1 to 9999");
	lua_pushinteger(L, days * OG_DAY + secs);
	return 1;
}

/* Calendar days from A to B: the days of B and A, each counted from midnight UTC. */
static int date_days_between(lua_State *L)
{
	int64_t a = check_time(L, 1, "date.days_between");
	int64_t b = check_time(L, 2, "date.days_between");
	lua_pushinteger(L, og_floor_div(b, OG_DAY) - og_floor_div(a, OG_DAY));
	return 1;
}

void lwf_date_open(lua_State *L)
{
	static const luaL_Reg functions[] = {
		{"parse", date_parse},
		{"ymd", date_ymd},
		{"add", date_add},
		{"working_days", date_working_days},
		{"days_between", date_days_between},
		{NULL, NULL},
	};
	luaL_newlib(L, functions);
	lua_pushinteger(L, OG_DAY);
	lua_setfield(L, -2, "DAY");
}

/* case.citizen.birthday(years [, months]): when the citizen is that old. Upvalue 1: the birth
 * date in days. */
static int birthday(lua_State *L)
{
	int64_t birth = lua_tointeger(L, lua_upvalueindex(1));
	int64_t years = check_integer(L, 1, "case.citizen.birthday", "the age in years");
	int64_t months = lua_isnoneornil(L, 2)
				 ? 0
				 : check_integer(L, 2, "case.citizen.birthday", "the months");
	int64_t days;
	if (years < -10000 || years > 10000 || months < -120000 || months > 120000 ||
	    og_add_months(birth, years * 12 + months, &days) != 0)
		return lwf_error(L,
				 "case.citizen.birthday: the date is outside the years 1 to 9999");
	lua_pushinteger(L, days * OG_DAY);
	return 1;
}

void lwf_push_birthday(lua_State *L, int64_t birth)
{
	lua_pushinteger(L, birth);
	lua_pushcclosure(L, birthday, 1);
}
