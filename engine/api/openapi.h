/*
 * The OpenAPI 3.1 description of /v1, kept in the repository as parts
 * (the files in engine/api/openapi: 00-base.json with info and shared components, then one part
 * per group of routes) and merged here into the one document GET /v1/openapi.json serves.
 */
#ifndef OG_API_OPENAPI_H
#define OG_API_OPENAPI_H

#include <stddef.h>

/* The parts as the build embeds them, in name order, ending with {NULL, NULL}. */
struct api_openapi_part {
	const char *name, *text;
};
extern const struct api_openapi_part api_openapi_parts[];

/* The merged document as JSON text (static storage), or NULL with the reason in ERR when a
 * part is not valid JSON or two parts describe the same path or component. */
const char *api_openapi_document(char *err, size_t errlen);

#endif
