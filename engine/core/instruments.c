#include "core/instruments.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX 256

struct core_instruments {
	json_t **items; /* the instruments as the table keeps them, by name */
	size_t n, cap;
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

struct core_instruments *core_instruments_new(void)
{
	return calloc(1, sizeof(struct core_instruments));
}

void core_instruments_free(struct core_instruments *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n; i++)
		json_decref(reg->items[i]);
	free(reg->items);
	free(reg);
}

static const char *name_of(const json_t *i)
{
	return json_string_value(json_object_get(i, "name"));
}

static const char *kind_of(const json_t *i)
{
	return json_string_value(json_object_get(i, "kind"));
}

static bool has_words(const char *kind)
{
	return strcmp(kind, "level") == 0 || strcmp(kind, "result") == 0 ||
	       strcmp(kind, "yesno") == 0;
}

void core_instrument_word(const char *in, char *out, size_t len)
{
	static const struct {
		const char *from, *to;
	} danish[] = {{"\xc3\xa6", "ae"}, {"\xc3\x86", "ae"}, {"\xc3\xb8", "oe"},
		      {"\xc3\x98", "oe"}, {"\xc3\xa5", "aa"}, {"\xc3\x85", "aa"}};
	if (len == 0)
		return;
	while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
		in++;
	size_t n = 0;
	while (*in && n + 1 < len) {
		const char *to = NULL;
		for (size_t k = 0; k < sizeof danish / sizeof danish[0] && !to; k++)
			if (strncmp(in, danish[k].from, 2) == 0)
				to = danish[k].to;
		if (to) {
			if (n + 2 >= len)
				break;
			out[n++] = to[0];
			out[n++] = to[1];
			in += 2;
		} else {
			char c = *in++;
			out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\n' ||
			 out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
}

/* Whether LIST (a JSON array of words) holds WORD (compared as core_instrument_word). */
static bool list_has(const json_t *list, const char *word)
{
	char a[WORD_MAX], b[WORD_MAX];
	core_instrument_word(word, a, sizeof a);
	size_t i;
	const json_t *w;
	json_array_foreach (list, i, w) {
		core_instrument_word(json_string_value(w) ? json_string_value(w) : "", b, sizeof b);
		if (strcmp(a, b) == 0)
			return true;
	}
	return false;
}

static bool all_strings(const json_t *list)
{
	size_t i;
	const json_t *w;
	if (!json_is_array(list))
		return false;
	json_array_foreach (list, i, w)
		if (!json_is_string(w))
			return false;
	return true;
}

int core_instruments_add(struct core_instruments *reg, const json_t *instrument, char *err,
			 size_t errlen)
{
	const char *name = name_of(instrument), *kind = kind_of(instrument);
	const json_t *values = json_object_get(instrument, "values");
	if (name == NULL || *name == '\0')
		return fail(err, errlen, "an instrument without a name");
	if (kind == NULL ||
	    !(has_words(kind) || strcmp(kind, "scale") == 0 || strcmp(kind, "number") == 0))
		return fail(err, errlen, "instrument '%s': unknown kind '%s'", name,
			    kind ? kind : "");
	const json_t *nc = json_object_get(values, "not_comparable");
	bool ok = json_is_object(values) && (nc == NULL || all_strings(nc));
	if (ok && has_words(kind))
		ok = all_strings(json_object_get(values, "words"));
	else if (ok)
		ok = json_is_number(json_object_get(values, "min"));
	if (!ok)
		return fail(err, errlen, "instrument '%s': its values do not fit kind '%s'", name,
			    kind);
	if (core_instruments_has(reg, name))
		return fail(err, errlen, "instrument '%s' twice", name);
	if (reg->n == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 8;
		json_t **p = realloc(reg->items, cap * sizeof *p);
		if (p == NULL)
			return fail(err, errlen, "out of memory");
		reg->items = p;
		reg->cap = cap;
	}
	json_t *copy = json_deep_copy(instrument);
	if (copy == NULL)
		return fail(err, errlen, "out of memory");
	size_t at = reg->n;
	while (at > 0 && strcmp(name_of(reg->items[at - 1]), name) > 0) {
		reg->items[at] = reg->items[at - 1];
		at--;
	}
	reg->items[at] = copy;
	reg->n++;
	return 0;
}

int core_instruments_add_shipped(struct core_instruments *reg, const char *sql, char *err,
				 size_t errlen)
{
	static const char quote[] = "$registry$";
	const char *from = sql ? strstr(sql, quote) : NULL;
	const char *to = from ? strstr(from + strlen(quote), quote) : NULL;
	if (to == NULL)
		return fail(err, errlen, "the shipped instruments are not in the migration");
	from += strlen(quote);
	json_error_t jerr;
	json_t *list = json_loadb(from, (size_t)(to - from), 0, &jerr);
	if (!json_is_array(list)) {
		json_decref(list);
		return fail(err, errlen, "the shipped instruments are no JSON list: %s", jerr.text);
	}
	int rc = 0;
	size_t i;
	json_t *one;
	json_array_foreach (list, i, one) {
		rc = core_instruments_add(reg, one, err, errlen);
		if (rc != 0)
			break;
	}
	json_decref(list);
	return rc;
}

static const json_t *find(const struct core_instruments *reg, const char *name)
{
	size_t lo = 0, hi = reg ? reg->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name_of(reg->items[mid]), name);
		if (c == 0)
			return reg->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool core_instruments_has(const struct core_instruments *reg, const char *name)
{
	return find(reg, name) != NULL;
}

/* Appends TEXT to BUF (LEN), ending in "..." when it does not fit. */
static void add_text(char *buf, size_t len, size_t *used, const char *text)
{
	if (*used + 1 >= len)
		return;
	int n = snprintf(buf + *used, len - *used, "%s", text);
	if (n < 0 || (size_t)n >= len - *used) {
		if (len >= 4)
			memcpy(buf + len - 4, "...", 4);
		*used = len - 1;
	} else {
		*used += (size_t)n;
	}
}

void core_instruments_names(const struct core_instruments *reg, char *buf, size_t len)
{
	size_t used = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; reg && i < reg->n; i++) {
		if (i > 0)
			add_text(buf, len, &used, ", ");
		add_text(buf, len, &used, name_of(reg->items[i]));
	}
	if (reg == NULL || reg->n == 0)
		add_text(buf, len, &used, "none");
}

/* The words of LIST, ", "-separated, into BUF. */
static void join_words(const json_t *list, char *buf, size_t len)
{
	size_t used = 0, i;
	const json_t *w;
	buf[0] = '\0';
	json_array_foreach (list, i, w) {
		if (i > 0)
			add_text(buf, len, &used, ", ");
		add_text(buf, len, &used, json_string_value(w));
	}
}

/* What a number instrument takes, in words: "a whole number from 1 to 10", "a number from 0"
 * and the words it allows besides. */
static void describe_numbers(const json_t *instrument, char *buf, size_t len)
{
	const json_t *values = json_object_get(instrument, "values");
	const json_t *max = json_object_get(values, "max");
	bool whole = strcmp(kind_of(instrument), "scale") == 0;
	int n = snprintf(buf, len, "%s from %g", whole ? "a whole number" : "a number",
			 json_number_value(json_object_get(values, "min")));
	if (n >= 0 && (size_t)n < len && json_is_number(max))
		n += snprintf(buf + n, len - (size_t)n, " to %g", json_number_value(max));
	const json_t *nc = json_object_get(values, "not_comparable");
	if (n >= 0 && (size_t)n < len && json_array_size(nc) > 0) {
		char words[256];
		join_words(nc, words, sizeof words);
		snprintf(buf + n, len - (size_t)n, ", or %s", words);
	}
}

int core_instruments_check(const struct core_instruments *reg, const char *name,
			   const json_t *value, char *err, size_t errlen)
{
	const json_t *instrument = find(reg, name);
	if (instrument == NULL) {
		char known[512];
		core_instruments_names(reg, known, sizeof known);
		return fail(err, errlen, "unknown instrument '%s' (known: %s)", name, known);
	}
	const json_t *values = json_object_get(instrument, "values");
	const json_t *nc = json_object_get(values, "not_comparable");
	char allowed[512];
	if (has_words(kind_of(instrument))) {
		const json_t *words = json_object_get(values, "words");
		join_words(words, allowed, sizeof allowed);
		if (json_is_string(value) && list_has(words, json_string_value(value)))
			return 0;
		if (json_is_string(value))
			return fail(err, errlen, "'%s' is not a value of %s: %s",
				    json_string_value(value), name, allowed);
		return fail(err, errlen, "%s takes one of its words, not a number: %s", name,
			    allowed);
	}
	describe_numbers(instrument, allowed, sizeof allowed);
	if (json_is_string(value)) {
		if (list_has(nc, json_string_value(value)))
			return 0;
		return fail(err, errlen, "'%s' is not a value of %s: %s", json_string_value(value),
			    name, allowed);
	}
	double v = json_number_value(value);
	const json_t *max = json_object_get(values, "max");
	bool whole = strcmp(kind_of(instrument), "scale") == 0;
	if (!isfinite(v) || v < json_number_value(json_object_get(values, "min")) ||
	    (json_is_number(max) && v > json_number_value(max)) || (whole && v != floor(v)))
		return fail(err, errlen, "%g is not a value of %s: %s", v, name, allowed);
	return 0;
}
