/*
 * Checks a request's JSON body against a route's fields before anything reaches the
 * database: malformed JSON names its position, an unknown field or a wrong type names the
 * field. Messages never quote the body (it may hold personal data).
 */
#ifndef OG_API_BODY_H
#define OG_API_BODY_H

#include <jansson.h>
#include <stddef.h>

#include "api/route.h"

struct api_body_error {
	int status;       /* 400 */
	const char *type; /* "malformed-json", "unknown-field", "wrong-type", ... */
	char detail[256];
	char field[64]; /* the field at fault, "" when none */
};

/* Parses TEXT (LEN bytes) and checks it against FIELDS ({NULL} terminated). Returns the
 * object (a new reference), or NULL with ERR filled. */
json_t *api_body_parse(const char *text, size_t len, const struct api_field *fields,
		       struct api_body_error *err);

#endif
