/* The checks a record passes before it is imported: the CPR number's date, the birth date,
 * the name, the municipality code, the attributes. A refusal names the problem, never the
 * CPR number or the name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "personregister.h"

/* Kommunekoder of the 98 municipalities since 2007 (Danmarks Statistik, KOMK). */
const int pr_municipality_codes[] = {
	101, 147, 151, 153, 155, 157, 159, 161, 163, 165, 167, 169, 173, 175, 183, 185, 187,
	190, 201, 210, 217, 219, 223, 230, 240, 250, 253, 259, 260, 265, 269, 270, 306, 316,
	320, 326, 329, 330, 336, 340, 350, 360, 370, 376, 390, 400, 410, 420, 430, 440, 450,
	461, 479, 480, 482, 492, 510, 530, 540, 550, 561, 563, 573, 575, 580, 607, 615, 621,
	630, 657, 661, 665, 671, 706, 707, 710, 727, 730, 740, 741, 746, 751, 756, 760, 766,
	773, 779, 787, 791, 810, 813, 820, 825, 840, 846, 849, 851, 860,
};
const size_t pr_nmunicipality_codes =
	sizeof pr_municipality_codes / sizeof pr_municipality_codes[0];

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* S is N digits and nothing more. */
static bool all_digits(const char *s, size_t n) { return digits(s, n) && s[n] == '\0'; }

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

int pr_cpr_date(const char *cpr, int *year, int *month, int *day)
{
	int d = two(cpr), m = two(cpr + 2), yy = two(cpr + 4), c = cpr[6] - '0';
	/* the CPR office's table: the 7th digit and the two-digit year give the century */
	int century;
	if (c <= 3)
		century = 1900;
	else if (c == 4 || c == 9)
		century = yy <= 36 ? 2000 : 1900;
	else
		century = yy <= 57 ? 2000 : 1800;
	int y = century + yy;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return 0;
	*year = y;
	*month = m;
	*day = d;
	return 1;
}

bool pr_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		size_t n;
		unsigned cp;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates, beyond Unicode, C1 controls */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp < 0xa0))
			return false;
		p += n + 1;
	}
	return true;
}

/* An attribute name safe to repeat in a refusal: a short identifier. */
static bool name_shown(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 40 || !((k[0] >= 'a' && k[0] <= 'z') || k[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

static bool attribute_allowed(const struct pr_config *cfg, const char *k)
{
	for (size_t i = 0; i < cfg->nattributes; i++)
		if (strcmp(cfg->attributes[i], k) == 0)
			return true;
	return false;
}

const char *pr_validate(const struct pr_config *cfg, const struct pr_record *rec, long today,
			char *buf, size_t buflen)
{
	if (rec->refused)
		return rec->refused;
	if (rec->cpr == NULL || rec->cpr[0] == '\0')
		return "the CPR number is missing";
	if (!all_digits(rec->cpr, 10))
		return "the CPR number is not 10 digits";
	int y, m, d;
	if (!pr_cpr_date(rec->cpr, &y, &m, &d))
		return "the CPR number holds an impossible date (DDMMYY, century from the 7th "
		       "digit)";
	if (rec->name == NULL || rec->name[0] == '\0')
		return "the name is missing";
	if (!pr_text_ok(rec->name))
		return "the name is not UTF-8 text (or holds control characters)";
	if (strlen(rec->name) > 300)
		return "the name is longer than 300 bytes";
	if (rec->birth_date == NULL || rec->birth_date[0] == '\0')
		return "the birth date is missing";
	const char *b = rec->birth_date;
	if (strlen(b) != 10 || b[4] != '-' || b[7] != '-' || !digits(b, 4) || !digits(b + 5, 2) ||
	    !digits(b + 8, 2))
		return "the birth date is not written YYYY-MM-DD";
	int by = (b[0] - '0') * 1000 + (b[1] - '0') * 100 + two(b + 2), bm = two(b + 5),
	    bd = two(b + 8);
	if (by != y || bm != m || bd != d)
		return "the birth date does not match the date in the CPR number";
	if ((long)y * 10000 + m * 100 + d > today)
		return "the birth date lies in the future";
	if (rec->municipality == NULL || rec->municipality[0] == '\0')
		return "the municipality code is missing";
	if (!all_digits(rec->municipality, 3))
		return "the municipality code is not 3 digits";
	int code = atoi(rec->municipality);
	if (!cfg->municipality_allowed[code]) {
		snprintf(buf, buflen, "municipality code %03d is not one of the configured ones",
			 code);
		return buf;
	}
	if (rec->attributes) {
		const char *k;
		json_t *v;
		json_object_foreach (rec->attributes, k, v) {
			if (!attribute_allowed(cfg, k)) {
				if (name_shown(k))
					snprintf(buf, buflen,
						 "unknown attribute '%s' (not in "
						 "[plugin.personregister] "
						 "attributes)",
						 k);
				else
					snprintf(buf, buflen,
						 "an unknown attribute (not in "
						 "[plugin.personregister] "
						 "attributes)");
				return buf;
			}
			if (json_is_object(v) || json_is_array(v)) {
				snprintf(buf, buflen,
					 "attribute '%s' is not a string, number, true, false or "
					 "null",
					 k);
				return buf;
			}
			if (json_is_string(v) && !pr_text_ok(json_string_value(v))) {
				snprintf(buf, buflen, "attribute '%s' is not UTF-8 text", k);
				return buf;
			}
		}
	}
	return NULL;
}
