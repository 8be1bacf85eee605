/*
 * The HTTP API under /v1: every route of the route tables (api/route.h) on the daemon's HTTP
 * server, served over a small pool of PostgreSQL connections. For each request it checks
 * the bearer token (api/token.h; a checked token is trusted for [api] token_cache), the
 * role, the query parameters and the body, then runs the route's SQL function and answers
 * with its JSON, or with application/problem+json (RFC 9457) naming what is wrong.
 * GET /v1/openapi.json serves the OpenAPI document; it needs no token.
 */
#ifndef OG_API_API_H
#define OG_API_API_H

#include <event2/event.h>
#include <stdbool.h>

#include "config/config.h"
#include "http/server.h"

struct api;

/* Adds the routes to SRV. NULL with the reason in ERR (out of memory, a broken OpenAPI part,
 * an unreadable CPR key file). */
__attribute__((warn_unused_result)) struct api *api_new(struct event_base *base,
							const struct cfg *cfg,
							struct http_server *srv, char *err,
							size_t errlen);
void api_free(struct api *api);

/* Checks REQ's bearer token for one of ROLES (bits of enum api_role, api/token.h). On success
 * records the person as the request's actor (http_req_actor) and calls OK; otherwise answers
 * 401 or 403 itself and OK is not called. For routes outside the route tables (plugins'). */
typedef void (*api_auth_fn)(struct http_req *req, void *arg);
void api_authenticate(struct api *api, struct http_req *req, unsigned roles, api_auth_fn ok,
		      void *arg);

/* Whether no request is waiting for the database. */
bool api_idle(const struct api *api);

#endif
