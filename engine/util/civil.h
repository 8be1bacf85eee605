/*
 * Civil dates: days since 1970-01-01 and Unix seconds in UTC, a date being its day at
 * 00:00:00 UTC. Pure functions, used by the workflow `date` helpers, the simulator and the
 * tools, so all count days and ages the same way.
 */
#ifndef OG_UTIL_CIVIL_H
#define OG_UTIL_CIVIL_H

#include <stddef.h>
#include <stdint.h>

#define OG_DAY 86400
/* 0001-01-01 and 9999-12-31 in days since 1970-01-01. */
#define OG_FIRST_DAY (-719162)
#define OG_LAST_DAY 2932896

int64_t og_floor_div(int64_t a, int64_t b);
int64_t og_days_from_civil(int64_t y, int m, int d);
void og_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* "YYYY-MM-DD" (exactly LEN = 10 bytes) to days since 1970-01-01. 0, or -1 for anything else. */
int og_parse_ymd(const char *s, size_t len, int64_t *days) __attribute__((warn_unused_result));
/* DAYS plus MONTHS calendar months, the day clamped to the last of the month (Jan 31 + 1 month
 * = Feb 28 or 29). Returns 0, or -1 when the result is outside the years 1..9999. */
int og_add_months(int64_t days, int64_t months, int64_t *out) __attribute__((warn_unused_result));
/* Whole years at NOW (Unix seconds) of a person born on BIRTH (days): the largest n with
 * birthday n (as og_add_months gives it) on or before the day of NOW. */
int64_t og_age(int64_t birth, int64_t now);
/* T (Unix seconds) as "YYYY-MM-DD". */
void og_format_ymd(int64_t t, char out[11]);
/* "YYYY-MM-DD" to Unix seconds at 00:00 UTC. 0, or -1 for anything else. */
int og_ymd_to_time(const char *s, int64_t *t) __attribute__((warn_unused_result));

#endif
