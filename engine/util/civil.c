/*
 * Civil dates by Howard Hinnant's days-from-civil algorithm, so nothing depends on the C
 * library's time zone or the process's clock. Years 1..9999 only, which keeps every sum far
 * from overflowing.
 */
#include "util/civil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int64_t og_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t og_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void og_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
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

int og_parse_ymd(const char *s, size_t len, int64_t *days)
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
	*days = og_days_from_civil(v[0], v[1], v[2]);
	return 0;
}

int og_add_months(int64_t days, int64_t months, int64_t *out)
{
	if (days < OG_FIRST_DAY || days > OG_LAST_DAY || months < -120000 || months > 120000)
		return -1;
	int64_t y;
	int m, d;
	og_civil_from_days(days, &y, &m, &d);
	int64_t index = y * 12 + (m - 1) + months;
	int64_t ny = og_floor_div(index, 12);
	int nm = (int)(index - ny * 12) + 1;
	if (ny < 1 || ny > 9999)
		return -1;
	int dim = days_in_month(ny, nm);
	*out = og_days_from_civil(ny, nm, d < dim ? d : dim);
	return 0;
}

int64_t og_age(int64_t birth, int64_t now)
{
	int64_t today = og_floor_div(now, OG_DAY);
	int64_t by, ty;
	int bm, bd, tm, td;
	og_civil_from_days(birth, &by, &bm, &bd);
	og_civil_from_days(today, &ty, &tm, &td);
	int64_t age = ty - by, birthday;
	if (og_add_months(birth, age * 12, &birthday) == 0 && birthday > today)
		age--;
	return age;
}

void og_format_ymd(int64_t t, char out[11])
{
	int64_t y;
	int m, d;
	og_civil_from_days(og_floor_div(t, OG_DAY), &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
}

int og_ymd_to_time(const char *s, int64_t *t)
{
	int64_t days;
	if (og_parse_ymd(s, strlen(s), &days) != 0)
		return -1;
	*t = days * OG_DAY;
	return 0;
}
