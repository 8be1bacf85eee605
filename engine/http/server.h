/*
 * The HTTP server on the event loop (libevent's evhttp): routes by method and path pattern
 * ("/v1/cases/{id}"), replies in JSON or as application/problem+json (RFC 9457), and counts
 * every request by route and status with a latency histogram for /metrics.
 * A handler may reply at once or later from the loop (after a database answer); every request
 * gets exactly one reply.
 */
#ifndef OG_HTTP_SERVER_H
#define OG_HTTP_SERVER_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>

struct http_server;
struct http_req;

typedef void (*http_handler_fn)(struct http_req *req, void *arg);

/* NULL when out of memory. */
__attribute__((warn_unused_result)) struct http_server *http_server_new(struct event_base *base);
void http_server_free(struct http_server *srv);

/* Adds a route. PATTERN is a path whose segments are literal or "{name}"; NAME labels it in
 * metrics (the pattern is used when NAME is NULL). Returns 0, or -1 when out of memory. */
__attribute__((warn_unused_result)) int http_server_route(struct http_server *srv,
							  const char *method, const char *pattern,
							  const char *name, http_handler_fn fn,
							  void *arg);

/* The handler for requests that no route matches (the web task list's files: engine/http/
 * static.h), asked instead of answering 404 itself; a path that has routes for other methods
 * still gets 405. NAME labels it in metrics. Returns 0, or -1 when out of memory. */
__attribute__((warn_unused_result)) int
http_server_fallback(struct http_server *srv, const char *name, http_handler_fn fn, void *arg);

/* Binds and listens. Returns 0, or -1 with "cannot listen on HOST:PORT: reason" in ERR. */
__attribute__((warn_unused_result)) int
http_server_listen(struct http_server *srv, const char *host, int port, char *err, size_t errlen);
/* The port bound (useful after listening on port 0). */
int http_server_port(const struct http_server *srv);
/* Closes the listening socket; requests already received are still answered. */
void http_server_stop_accepting(struct http_server *srv);
/* Requests received and not yet answered. */
int http_server_in_flight(const struct http_server *srv);

/* Limits: the largest body read (a larger one is refused by the server with 413), the
 * largest header block, and how long a client may be idle or slow, in seconds. */
void http_server_set_limits(struct http_server *srv, size_t max_body, size_t max_headers,
			    int timeout_s);

/* The request. */
const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);
/* The value of a "{name}" segment of the route's pattern, NULL if the pattern has none. */
const char *http_req_param(const struct http_req *req, const char *name);
const char *http_req_header(const struct http_req *req, const char *name);
/* The query string, undecoded ("" when none). */
const char *http_req_query(const struct http_req *req);
/* The body (not NUL-terminated), its length in LEN. */
const char *http_req_body(struct http_req *req, size_t *len);
/* Who is asking, once authenticated (a staff id; copied), and who that is (NULL before). */
void http_req_set_actor(struct http_req *req, const char *staff);
const char *http_req_actor(const struct http_req *req);
/* Adds a header to the reply. A Cache-Control header added here replaces the default
 * (no-store). */
void http_req_reply_header(struct http_req *req, const char *name, const char *value);

/* Replies; each frees REQ. BODY is copied; JSON is stolen. */
void http_reply(struct http_req *req, int status, const char *content_type, const char *body,
		size_t len);
void http_reply_json(struct http_req *req, int status, json_t *json);
/* An application/problem+json reply: TYPE is a short slug documented in the API
 * ("schema-outdated"), TITLE a fixed sentence per type, DETAIL this occurrence's sentence.
 * EXTRA (stolen, may be NULL) adds members. Never put personal data in DETAIL. */
void http_reply_problem(struct http_req *req, int status, const char *type, const char *title,
			const char *detail, json_t *extra);

#endif
