/*
 * Dates for workflows: pure functions over Unix seconds in UTC, a date being its day at
 * 00:00:00 UTC. Civil dates by Howard Hinnant's days-from-civil algorithm, so nothing depends
 * on the C library's time zone or the process's clock. Years 1..9999 only, which keeps every
 * sum far from overflowing.
 */
#include "lua/internal.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

int64_t lwf_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t lwf_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void lwf_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool leap_year(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static int days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* 0001-01-01 and 9999-12-31 in days since 1970-01-01. */
#define FIRST_DAY (-719162)
#define LAST_DAY 2932896

int lwf_parse_ymd(const char *s, size_t len, int64_t *days)
{
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	int v[3] = {0, 0, 0};
	static const int start[] = {0, 5, 8}, width[] = {4, 2, 2};
	for (int f = 0; f < 3; f++)
		for (int i = start[f]; i < start[f] + width[f]; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v[f] = v[f] * 10 + (s[i] - '0');
		}
	if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > days_in_month(v[0], v[1]))
		return -1;
	*days = lwf_days_from_civil(v[0], v[1], v[2]);
	return 0;
}

int lwf_add_months(int64_t days, int64_t months, int64_t *out)
{
	if (days < FIRST_DAY || days > LAST_DAY || months < -120000 || months > 120000)
		return -1;
	int64_t y;
	int m, d;
	lwf_civil_from_days(days, &y, &m, &d);
	int64_t index = y * 12 + (m - 1) + months;
	int64_t ny = lwf_floor_div(index, 12);
	int nm = (int)(index - ny * 12) + 1;
	if (ny < 1 || ny > 9999)
		return -1;
	int dim = days_in_month(ny, nm);
	*out = lwf_days_from_civil(ny, nm, d < dim ? d : dim);
	return 0;
}

int64_t lwf_age(int64_t birth, int64_t now)
{
	int64_t today = lwf_floor_div(now, LWF_DAY);
	int64_t by, ty;
	int bm, bd, tm, td;
	lwf_civil_from_days(birth, &by, &bm, &bd);
	lwf_civil_from_days(today, &ty, &tm, &td);
	int64_t age = ty - by, birthday;
	if (lwf_add_months(birth, age * 12, &birthday) == 0 && birthday > today)
		age--;
	return age;
}

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
	int64_t days = lwf_floor_div(t, LWF_DAY);
	if (days < FIRST_DAY || days > LAST_DAY)
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
	if (lwf_parse_ymd(s, len, &days) != 0)
		return lwf_error(L, "date.parse: '%.40s' is not a date (YYYY-MM-DD)", s);
	lua_pushinteger(L, days * LWF_DAY);
	return 1;
}

static int date_ymd(lua_State *L)
{
	int64_t t = check_time(L, 1, "date.ymd"), y;
	int m, d;
	lwf_civil_from_days(lwf_floor_div(t, LWF_DAY), &y, &m, &d);
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
	int64_t days = lwf_floor_div(t, LWF_DAY), secs = t - days * LWF_DAY;
	if (lwf_add_months(days, v[0] * 12 + v[1], &days) != 0)
		return lwf_error(L, "date.add: the result is outside the years 1 to 9999");
	t = (days + v[2] * 7 + v[3]) * LWF_DAY + secs + v[4] * 3600;
	days = lwf_floor_div(t, LWF_DAY);
	if (days < FIRST_DAY || days > LAST_DAY)
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
	int64_t days = lwf_floor_div(t, LWF_DAY), secs = t - days * LWF_DAY;
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
	if (days < FIRST_DAY || days > LAST_DAY)
		return lwf_error(L, "date.working_days: the result is outside the years 1 to 9999");
	lua_pushinteger(L, days * LWF_DAY + secs);
	return 1;
}

/* Calendar days from A to B: the days of B and A, each counted from midnight UTC. */
static int date_days_between(lua_State *L)
{
	int64_t a = check_time(L, 1, "date.days_between");
	int64_t b = check_time(L, 2, "date.days_between");
	lua_pushinteger(L, lwf_floor_div(b, LWF_DAY) - lwf_floor_div(a, LWF_DAY));
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
	lua_pushinteger(L, LWF_DAY);
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
	    lwf_add_months(birth, years * 12 + months, &days) != 0)
		return lwf_error(L,
				 "case.citizen.birthday: the date is outside the years 1 to 9999");
	lua_pushinteger(L, days * LWF_DAY);
	return 1;
}

void lwf_push_birthday(lua_State *L, int64_t birth)
{
	lua_pushinteger(L, birth);
	lua_pushcclosure(L, birthday, 1);
}
