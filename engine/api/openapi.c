#include "api/openapi.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static char *document;

/* Adds the members of FROM to INTO; a member both have is an error, except objects, which
 * are merged one level further (components: {schemas: {...}}). */
static int merge(json_t *into, json_t *from, int depth, const char *part, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	json_object_foreach (from, key, v) {
		json_t *have = json_object_get(into, key);
		if (have == NULL) {
			json_object_set(into, key, v);
			continue;
		}
		if (depth < 2 && json_is_object(have) && json_is_object(v)) {
			if (merge(have, v, depth + 1, part, err, errlen) != 0)
				return -1;
			continue;
		}
		if (depth == 0 && json_equal(have, v))
			continue; /* "openapi": "3.1.0" may repeat */
		snprintf(err, errlen, "engine/api/openapi/%s: '%s' is described twice", part, key);
		return -1;
	}
	return 0;
}

const char *api_openapi_document(char *err, size_t errlen)
{
	if (document)
		return document;
	json_t *doc = json_object();
	for (const struct api_openapi_part *p = api_openapi_parts; p->name; p++) {
		json_error_t je;
		json_t *part = json_loads(p->text, 0, &je);
		if (part == NULL || !json_is_object(part)) {
			snprintf(err, errlen, "engine/api/openapi/%s:%d: %s", p->name, je.line,
				 part ? "not an object" : je.text);
			json_decref(part);
			json_decref(doc);
			return NULL;
		}
		int rc = merge(doc, part, 0, p->name, err, errlen);
		json_decref(part);
		if (rc != 0) {
			json_decref(doc);
			return NULL;
		}
	}
	document = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (document == NULL)
		snprintf(err, errlen, "out of memory");
	return document;
}
