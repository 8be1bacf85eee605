/* Problem details for HTTP APIs (RFC 9457): every error the API returns has this shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

void http_reply_problem(struct http_req *req, int status, const char *type, const char *title,
			const char *detail, json_t *extra)
{
	json_t *body = json_object();
	if (json_is_object(extra))
		json_object_update(body, extra);
	json_decref(extra);
	char uri[160];
	snprintf(uri, sizeof uri, "https://overgang.dk/problems/%s", type);
	json_object_set_new(body, "type", json_string(uri));
	json_object_set_new(body, "title", json_string(title));
	json_object_set_new(body, "status", json_integer(status));
	if (detail)
		json_object_set_new(body, "detail", json_string(detail));
	json_object_set_new(body, "instance", json_string(http_req_path(req)));
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (text == NULL) {
		http_reply(req, 500, "text/plain", "out of memory\n", 14);
		return;
	}
	http_reply(req, status, "application/problem+json", text, strlen(text));
	free(text);
}
