#include "core/defdiff.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void core_definition_start_words(const json_t *def, char *buf, size_t len)
{
	const json_t *start = json_object_get(def, "start");
	const char *kind = json_string_value(json_object_get(start, "kind"));
	if (kind && strcmp(kind, "age") == 0) {
		const char *attr = json_string_value(json_object_get(start, "attribute"));
		snprintf(buf, len, "at age %lld%s%s",
			 (long long)json_integer_value(json_object_get(start, "age")),
			 attr ? " if " : "", attr ? attr : "");
	} else if (kind && strcmp(kind, "event") == 0) {
		const char *ev = json_string_value(json_object_get(start, "event"));
		snprintf(buf, len, "on event %s", ev ? ev : "?");
	} else {
		snprintf(buf, len, "by hand");
	}
}

static const json_t *phase_named(const json_t *def, const char *name)
{
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(def, "phases"), i, p) {
		const char *n = json_string_value(json_object_get(p, "name"));
		if (n && strcmp(n, name) == 0)
			return p;
	}
	return NULL;
}

static bool has_next(const json_t *def, const char *from, const char *to)
{
	const json_t *p = phase_named(def, from);
	size_t i;
	const json_t *n;
	json_array_foreach (json_object_get(p, "next"), i, n)
		if (json_string_value(n) && strcmp(json_string_value(n), to) == 0)
			return true;
	return false;
}

static bool in_strings(const json_t *array, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach (array, i, v)
		if (json_string_value(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static json_t *change(const char *from, const char *to)
{
	if ((from == NULL && to == NULL) || (from && to && strcmp(from, to) == 0))
		return json_null();
	return json_pack("{s:s?,s:s?}", "from", from, "to", to);
}

/* Phases of X that Y does not have, and the transitions of X that Y does not have. */
static int only_in(const json_t *x, const json_t *y, json_t *phases, json_t *transitions)
{
	size_t i, k;
	const json_t *p, *n;
	json_array_foreach (json_object_get(x, "phases"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		if (name == NULL)
			continue;
		if (phase_named(y, name) == NULL &&
		    json_array_append_new(phases, json_string(name)) != 0)
			return -1;
		json_array_foreach (json_object_get(p, "next"), k, n) {
			const char *to = json_string_value(n);
			if (to && !has_next(y, name, to) &&
			    json_array_append_new(transitions, json_pack("[s,s]", name, to)) != 0)
				return -1;
		}
	}
	return 0;
}

static int handlers_only_in(const json_t *x, const json_t *y, json_t *out)
{
	size_t i;
	const json_t *h;
	json_array_foreach (json_object_get(x, "handlers"), i, h) {
		const char *s = json_string_value(h);
		if (s && !in_strings(json_object_get(y, "handlers"), s) &&
		    json_array_append_new(out, json_string(s)) != 0)
			return -1;
	}
	return 0;
}

json_t *core_definition_diff(const json_t *a, const json_t *b)
{
	char sa[256], sb[256];
	core_definition_start_words(a, sa, sizeof sa);
	core_definition_start_words(b, sb, sizeof sb);
	const json_t *pa = json_array_get(json_object_get(a, "phases"), 0);
	const json_t *pb = json_array_get(json_object_get(b, "phases"), 0);
	json_t *d =
		json_pack("{s:o,s:o,s:o,s:[],s:[],s:[],s:[],s:[],s:[],s:[]}", "title",
			  change(json_string_value(json_object_get(a, "title")),
				 json_string_value(json_object_get(b, "title"))),
			  "start", change(sa, sb), "first_phase",
			  change(json_string_value(json_object_get(pa, "name")),
				 json_string_value(json_object_get(pb, "name"))),
			  "phases_added", "phases_removed", "texts_changed", "transitions_added",
			  "transitions_removed", "handlers_added", "handlers_removed");
	if (d == NULL)
		return NULL;
	if (only_in(b, a, json_object_get(d, "phases_added"),
		    json_object_get(d, "transitions_added")) != 0 ||
	    only_in(a, b, json_object_get(d, "phases_removed"),
		    json_object_get(d, "transitions_removed")) != 0 ||
	    handlers_only_in(b, a, json_object_get(d, "handlers_added")) != 0 ||
	    handlers_only_in(a, b, json_object_get(d, "handlers_removed")) != 0)
		goto fail;
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(a, "phases"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const json_t *q = name ? phase_named(b, name) : NULL;
		const char *ta = json_string_value(json_object_get(p, "text"));
		const char *tb = json_string_value(json_object_get(q, "text"));
		if (q && ta && tb && strcmp(ta, tb) != 0 &&
		    json_array_append_new(
			    json_object_get(d, "texts_changed"),
			    json_pack("{s:s,s:s,s:s}", "phase", name, "from", ta, "to", tb)) != 0)
			goto fail;
	}
	return d;
fail:
	json_decref(d);
	return NULL;
}
