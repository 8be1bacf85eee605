#include "api/body.h"

#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 4, 5))) static json_t *
fail(struct api_body_error *err, const char *type, const char *field, const char *fmt, ...)
{
	err->status = 400;
	err->type = type;
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof err->detail, fmt, ap);
	va_end(ap);
	return NULL;
}

static const char *type_name(enum api_type t)
{
	switch (t) {
	case API_STRING: return "a string";
	case API_TEXT: return "a string that is not empty";
	case API_INTEGER: return "a whole number";
	case API_NUMBER: return "a number";
	case API_BOOLEAN: return "true or false";
	case API_DATE: return "a date (YYYY-MM-DD)";
	case API_OBJECT: return "an object";
	case API_ARRAY: return "an array";
	case API_ANY: return "any value";
	}
	return "?";
}

static bool is_date(const char *s)
{
	int y, m, d;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return false;
	if (s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1)
		return false;
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] && !(m == 2 && d == 29 && !leap);
}

static bool has_text(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return true;
	return false;
}

static bool type_ok(const json_t *v, enum api_type t)
{
	switch (t) {
	case API_STRING: return json_is_string(v);
	case API_TEXT: return json_is_string(v) && has_text(json_string_value(v));
	case API_INTEGER: return json_is_integer(v);
	case API_NUMBER: return json_is_number(v);
	case API_BOOLEAN: return json_is_boolean(v);
	case API_DATE: return json_is_string(v) && is_date(json_string_value(v));
	case API_OBJECT: return json_is_object(v);
	case API_ARRAY: return json_is_array(v);
	case API_ANY: return true;
	}
	return false;
}

json_t *api_body_parse(const char *text, size_t len, const struct api_field *fields,
		       struct api_body_error *err)
{
	if (len == 0)
		return fail(err, "malformed-json", NULL, "The request needs a JSON body.");
	json_error_t je;
	json_t *body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (body == NULL) {
		/* jansson's text may quote the input after "near": keep only what went wrong */
		char what[160];
		snprintf(what, sizeof what, "%s", je.text);
		char *near = strstr(what, " near ");
		if (near)
			*near = '\0';
		char where[96];
		snprintf(where, sizeof where, "line %d, column %d (byte %d)", je.line, je.column,
			 je.position);
		return fail(err, "malformed-json", NULL, "The body is not valid JSON: %s at %s.",
			    what, where);
	}
	if (!json_is_object(body)) {
		json_decref(body);
		return fail(err, "wrong-type", NULL, "The body must be a JSON object.");
	}
	const char *key;
	json_t *value;
	json_object_foreach (body, key, value) {
		const struct api_field *f = fields;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (f->name == NULL) {
			char name[64];
			og_copy_utf8(name, sizeof name, key);
			json_decref(body);
			return fail(err, "unknown-field", name,
				    "The body has a field '%s' this request does not take.", name);
		}
		if (json_is_null(value) && !f->required)
			continue;
		if (!type_ok(value, f->type)) {
			json_decref(body);
			return fail(err, "wrong-type", f->name, "The field '%s' must be %s.",
				    f->name, type_name(f->type));
		}
	}
	for (const struct api_field *f = fields; f->name; f++) {
		json_t *v = json_object_get(body, f->name);
		if (f->required && (v == NULL || json_is_null(v))) {
			json_decref(body);
			return fail(err, "missing-field", f->name, "The field '%s' is required.",
				    f->name);
		}
	}
	return body;
}
