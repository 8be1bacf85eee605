#include "http/server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define MAX_SEGMENTS 16
#define CONN_BUCKETS 1024
#define MAX_PARAMS 4

struct route {
	struct route *next;
	char *method;
	char *name;
	int nseg;
	char *seg[MAX_SEGMENTS]; /* "{x}" segments match anything */
	http_handler_fn fn;
	void *arg;
};

struct http_server {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *resume; /* re-enables accepting after running out of descriptors */
	struct http_server *next_server;
	int port;
	struct route *routes, **routes_tail;
	struct route *fallback; /* asked when no route matches; NULL: 404 */
	int in_flight;
	struct og_metric_family *requests;
	struct og_metric_family *duration;
	/* the connections, each with its deadline for a whole request */
	struct http_conn *conns[CONN_BUCKETS];
	int head_timeout_s;
	struct event *sweep; /* lets go of connections evhttp has closed */
	size_t header_limit; /* larger header blocks get 431 (up to evhttp's hard cap) */
};

/*
 * A client must send a whole request within head_timeout_s of connecting, or of the answer
 * to its last request: evhttp's own timeout restarts with every byte, so a client that
 * drips a byte a second would hold its connection for ever. The server holds a reference
 * on each connection's bufferevent, so the deadline can tell a connection evhttp has closed
 * (its callbacks are gone) from one that is still sending.
 */
struct http_conn {
	struct http_conn *next;
	struct http_server *srv;
	struct bufferevent *bev;
	struct event *deadline;
	bool watched; /* evhttp tells us when it closes (closecb set) */
};

struct http_req {
	struct http_server *srv;
	struct evhttp_request *ev;
	const struct route *route;
	const char *method;
	char *path;
	int nparams;
	const char *param_name[MAX_PARAMS];
	char *param_value[MAX_PARAMS];
	double started;
	char actor[64];
};

/* The servers of this process, so a listener's error can be traced to its server. */
static struct http_server *servers;
static void on_accept_error(struct evconnlistener *lev, void *arg);
static void on_resume(evutil_socket_t fd, short what, void *arg);

static const double latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
					 0.05,   0.1,   0.25,   0.5,   1,    2.5};

static int split(char *path, char **seg, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		seg[n++] = s;
	}
	return n;
}

int http_server_route(struct http_server *srv, const char *method, const char *pattern,
		      const char *name, http_handler_fn fn, void *arg)
{
	struct route *r = calloc(1, sizeof *r);
	char *copy = strdup(pattern);
	if (r == NULL || copy == NULL)
		goto fail;
	r->method = strdup(method);
	r->name = strdup(name ? name : pattern);
	if (r->method == NULL || r->name == NULL)
		goto fail;
	char *seg[MAX_SEGMENTS];
	int n = split(copy, seg, MAX_SEGMENTS);
	if (n < 0)
		goto fail;
	for (r->nseg = 0; r->nseg < n; r->nseg++) {
		r->seg[r->nseg] = strdup(seg[r->nseg]);
		if (r->seg[r->nseg] == NULL)
			goto fail;
	}
	r->fn = fn;
	r->arg = arg;
	*srv->routes_tail = r;
	srv->routes_tail = &r->next;
	free(copy);
	return 0;
fail:
	if (r) {
		for (int i = 0; i < r->nseg; i++)
			free(r->seg[i]);
		free(r->method);
		free(r->name);
	}
	free(r);
	free(copy);
	return -1;
}

int http_server_fallback(struct http_server *srv, const char *name, http_handler_fn fn, void *arg)
{
	struct route *r = calloc(1, sizeof *r);
	if (r == NULL || (r->name = strdup(name)) == NULL) {
		free(r);
		return -1;
	}
	r->fn = fn;
	r->arg = arg;
	free(srv->fallback ? srv->fallback->name : NULL);
	free(srv->fallback);
	srv->fallback = r;
	return 0;
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "OTHER";
}

static bool path_matches(const struct route *r, char *const *seg, int n)
{
	if (r->nseg != n)
		return false;
	for (int i = 0; i < n; i++)
		if (r->seg[i][0] != '{' && strcmp(r->seg[i], seg[i]) != 0)
			return false;
	return true;
}

/* Finds the route for the request's method and path segments. With no route, ALLOW lists
 * the methods the path has (empty: the path has none, 404; else 405). */
static const struct route *match(struct http_req *req, char *const *seg, int n, char *allow,
				 size_t allowlen)
{
	allow[0] = '\0';
	for (const struct route *r = req->srv->routes; r; r = r->next) {
		if (!path_matches(r, seg, n))
			continue;
		bool head_as_get =
			strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
		if (strcmp(r->method, req->method) != 0 && !head_as_get) {
			if (strlen(allow) + strlen(r->method) + 3 < allowlen) {
				if (allow[0])
					strcat(allow, ", ");
				strcat(allow, r->method);
			}
			continue;
		}
		req->nparams = 0;
		for (int i = 0; i < n; i++) {
			if (r->seg[i][0] != '{' || req->nparams == MAX_PARAMS)
				continue;
			size_t len = 0;
			char *v = evhttp_uridecode(seg[i], 0, &len);
			if (v == NULL)
				continue;
			if (len != strlen(v))
				v[0] = '\0'; /* a NUL inside: names nothing there is */
			req->param_name[req->nparams] = r->seg[i];
			req->param_value[req->nparams++] = v;
		}
		return r;
	}
	return NULL;
}

static unsigned conn_bucket(const struct bufferevent *bev)
{
	return (unsigned)(((uintptr_t)bev >> 4) % CONN_BUCKETS);
}

static struct http_conn *conn_find(struct http_server *srv, const struct bufferevent *bev)
{
	for (struct http_conn *c = srv->conns[conn_bucket(bev)]; c; c = c->next)
		if (c->bev == bev)
			return c;
	return NULL;
}

static void conn_free(struct http_conn *c)
{
	struct http_conn **p = &c->srv->conns[conn_bucket(c->bev)];
	while (*p && *p != c)
		p = &(*p)->next;
	if (*p)
		*p = c->next;
	event_free(c->deadline);
	bufferevent_decref(c->bev); /* evhttp has let go of it: now it is freed */
	free(c);
}

static void arm(struct http_conn *c)
{
	struct timeval tv = {c->srv->head_timeout_s, 0};
	evtimer_add(c->deadline, &tv);
}

static bool evhttp_let_go(struct bufferevent *bev)
{
	bufferevent_data_cb readcb;
	bufferevent_getcb(bev, &readcb, NULL, NULL, NULL);
	return readcb == NULL;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	if (c->watched && evhttp_let_go(c->bev)) {
		/* a connection evhttp tells us about closes through on_conn_close only; its read
		 * callback is also gone while it writes an answer, so this is an answer still on
		 * its way to a slow reader (evhttp's own write timeout bounds that): look again */
		arm(c);
		return;
	}
	if (evhttp_let_go(c->bev)) {
		conn_free(c); /* closed before it sent a whole request */
		return;
	}
	bool watched = c->watched;
	/* as if evhttp's own timeout fired: it closes the connection */
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
	if (watched)
		return; /* its close callback has freed C */
	if (evhttp_let_go(c->bev))
		conn_free(c);
	else
		arm(c);
}

/* Every second: connections evhttp closed before they sent a whole request (it tells
 * nobody) are let go, so their descriptors close now rather than at their deadline. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;
	for (int i = 0; i < CONN_BUCKETS; i++) {
		struct http_conn *c = srv->conns[i];
		while (c) {
			struct http_conn *next = c->next;
			if (!c->watched && evhttp_let_go(c->bev))
				conn_free(c);
			c = next;
		}
	}
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg) { conn_free(arg); }

/* evhttp asks for the bufferevent of each new connection. */
static struct bufferevent *on_new_conn(struct event_base *base, void *arg)
{
	struct http_server *srv = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct http_conn *c = bev ? calloc(1, sizeof *c) : NULL;
	if (c == NULL || (c->deadline = evtimer_new(base, on_deadline, c)) == NULL) {
		free(c);
		return bev; /* served without a deadline rather than not at all */
	}
	c->srv = srv;
	c->bev = bev;
	bufferevent_incref(bev);
	unsigned b = conn_bucket(bev);
	c->next = srv->conns[b];
	srv->conns[b] = c;
	arm(c);
	return bev;
}

/* A whole request came: its connection's deadline waits until the answer is sent. */
static void request_arrived(struct http_server *srv, struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct http_conn *c =
		evcon ? conn_find(srv, evhttp_connection_get_bufferevent(evcon)) : NULL;
	if (c == NULL)
		return;
	evtimer_del(c->deadline);
	if (!c->watched) {
		evhttp_connection_set_closecb(evcon, on_conn_close, c);
		c->watched = true;
		/* an answer goes out as it is written: without this, the part of it written
		 * after the first waits for the client's acknowledgement of that (Nagle), which
		 * a client delays up to 40 ms */
		int one = 1;
		evutil_socket_t fd = bufferevent_getfd(c->bev);
		if (fd >= 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
}

/* The answer is going out: the next request on the connection has its own deadline. */
static void answer_leaving(struct http_server *srv, struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct http_conn *c =
		evcon ? conn_find(srv, evhttp_connection_get_bufferevent(evcon)) : NULL;
	if (c)
		arm(c);
}

static size_t header_bytes(struct evhttp_request *ev)
{
	size_t n = 0;
	struct evkeyvalq *h = evhttp_request_get_input_headers(ev);
	for (struct evkeyval *kv = h->tqh_first; kv; kv = kv->next.tqe_next)
		n += strlen(kv->key) + strlen(kv->value) + 4;
	const char *uri = evhttp_request_get_uri(ev);
	return n + (uri ? strlen(uri) : 0);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct http_server *srv = arg;
	struct http_req *req = calloc(1, sizeof *req);
	if (req == NULL) {
		evhttp_send_error(ev, 503, "out of memory");
		return;
	}
	req->srv = srv;
	req->ev = ev;
	req->started = og_monotonic_seconds();
	req->method = method_name(evhttp_request_get_command(ev));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	req->path = strdup(path && *path ? path : "/");
	srv->in_flight++;
	request_arrived(srv, ev);
	if (req->path == NULL) {
		http_reply(req, 503, "text/plain", "out of memory\n", 14);
		return;
	}
	if (header_bytes(ev) > srv->header_limit) {
		http_reply_problem(req, 431, "headers-too-large", "Request headers too large",
				   "The request's headers are larger than the server takes.", NULL);
		return;
	}
	char *copy = strdup(req->path);
	char *seg[MAX_SEGMENTS];
	int n = copy ? split(copy, seg, MAX_SEGMENTS) : -1;
	char allow[128] = "";
	if (n >= 0)
		req->route = match(req, seg, n, allow, sizeof allow);
	free(copy);
	if (req->route) {
		req->route->fn(req, req->route->arg);
		return;
	}
	if (srv->fallback && allow[0] == '\0') {
		req->route = srv->fallback;
		req->route->fn(req, req->route->arg);
		return;
	}
	if (allow[0]) {
		evhttp_add_header(evhttp_request_get_output_headers(ev), "Allow", allow);
		http_reply_problem(
			req, 405, "method-not-allowed", "Method not allowed",
			"This resource does not support that method; see the Allow header.", NULL);
		return;
	}
	http_reply_problem(req, 404, "not-found", "Not found", "There is no resource at this path.",
			   NULL);
}

static void req_free(struct http_req *req)
{
	for (int i = 0; i < req->nparams; i++)
		free(req->param_value[i]);
	free(req->path);
	free(req);
}

void http_reply(struct http_req *req, int status, const char *content_type, const char *body,
		size_t len)
{
	struct http_server *srv = req->srv;
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req->ev);
	evhttp_add_header(headers, "Content-Type", content_type);
	if (evhttp_find_header(headers, "Cache-Control") == NULL)
		evhttp_add_header(headers, "Cache-Control", "no-store");
	struct evbuffer *buf = evbuffer_new();
	if (buf)
		evbuffer_add(buf, body, len);
	answer_leaving(srv, req->ev);
	evhttp_send_reply(req->ev, status, NULL, buf);
	if (buf)
		evbuffer_free(buf);

	char code[8];
	snprintf(code, sizeof code, "%d", status);
	const char *route = req->route ? req->route->name : "unmatched";
	const char *labels[] = {route, req->method, code};
	og_metrics_add(srv->requests, labels, 1);
	og_metrics_observe(srv->duration, labels, og_monotonic_seconds() - req->started);
	srv->in_flight--;
	req_free(req);
}

void http_reply_json(struct http_req *req, int status, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(json);
	if (text == NULL) {
		http_reply(req, 500, "text/plain", "out of memory\n", 14);
		return;
	}
	http_reply(req, status, "application/json", text, strlen(text));
	free(text);
}

const char *http_req_method(const struct http_req *req) { return req->method; }

const char *http_req_path(const struct http_req *req) { return req->path; }

const char *http_req_param(const struct http_req *req, const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; i < req->nparams; i++) {
		const char *seg = req->param_name[i]; /* "{name}" */
		if (strncmp(seg + 1, name, len) == 0 && strcmp(seg + 1 + len, "}") == 0)
			return req->param_value[i];
	}
	return NULL;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
}

const char *http_req_query(const struct http_req *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req->ev);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	return q ? q : "";
}

const char *http_req_body(struct http_req *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req->ev);
	*len = evbuffer_get_length(in);
	const char *p = (const char *)evbuffer_pullup(in, -1);
	return p ? p : "";
}

void http_req_set_actor(struct http_req *req, const char *staff)
{
	snprintf(req->actor, sizeof req->actor, "%s", staff ? staff : "");
}

const char *http_req_actor(const struct http_req *req) { return req->actor[0] ? req->actor : NULL; }

void http_req_reply_header(struct http_req *req, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req->ev), name, value);
}

void http_server_set_limits(struct http_server *srv, size_t max_body, size_t max_headers,
			    int timeout_s)
{
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)max_body);
	/* up to 4 times the limit is read and answered with 431 as problem+json; beyond that
	 * evhttp refuses the request itself */
	srv->header_limit = max_headers;
	evhttp_set_max_headers_size(srv->http, (ev_ssize_t)(max_headers * 4));
	evhttp_set_timeout(srv->http, timeout_s);
	srv->head_timeout_s = timeout_s;
}

struct http_server *http_server_new(struct event_base *base)
{
	struct http_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return NULL;
	srv->base = base;
	srv->routes_tail = &srv->routes;
	srv->http = evhttp_new(base);
	srv->resume = evtimer_new(base, on_resume, srv);
	srv->sweep = event_new(base, -1, EV_PERSIST, on_sweep, srv);
	if (srv->http == NULL || srv->resume == NULL || srv->sweep == NULL)
		goto fail;
	struct timeval second = {1, 0};
	event_add(srv->sweep, &second);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						      EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_max_body_size(srv->http, 4 * 1024 * 1024);
	evhttp_set_max_headers_size(srv->http, 4 * 16 * 1024);
	evhttp_set_timeout(srv->http, 60);
	evhttp_set_gencb(srv->http, on_request, srv);
	evhttp_set_bevcb(srv->http, on_new_conn, srv);
	srv->head_timeout_s = 60;
	srv->header_limit = 16 * 1024;

	static const char *const labels[] = {"route", "method", "status", NULL};
	srv->requests = og_metrics_register(OG_COUNTER, "overgang_http_requests_total",
					    "HTTP requests answered, by route, method and status.",
					    labels, NULL, 0);
	srv->duration = og_metrics_register(
		OG_HISTOGRAM, "overgang_http_request_duration_seconds",
		"Time from receiving a request to sending its reply, by route, method and status.",
		labels, latency_buckets, sizeof latency_buckets / sizeof latency_buckets[0]);
	if (srv->requests == NULL || srv->duration == NULL)
		goto fail;
	srv->next_server = servers;
	servers = srv;
	return srv;
fail:
	http_server_free(srv);
	return NULL;
}

void http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	for (struct http_server **p = &servers; *p; p = &(*p)->next_server)
		if (*p == srv) {
			*p = srv->next_server;
			break;
		}
	if (srv->http)
		evhttp_free(srv->http);
	/* evhttp has closed every connection; the deadlines of those that never sent a
	 * request are all that is left */
	for (int i = 0; i < CONN_BUCKETS; i++)
		while (srv->conns[i])
			conn_free(srv->conns[i]);
	if (srv->resume)
		event_free(srv->resume);
	if (srv->sweep)
		event_free(srv->sweep);
	if (srv->fallback) {
		free(srv->fallback->name);
		free(srv->fallback);
	}
	while (srv->routes) {
		struct route *r = srv->routes;
		srv->routes = r->next;
		for (int i = 0; i < r->nseg; i++)
			free(r->seg[i]);
		free(r->method);
		free(r->name);
		free(r);
	}
	free(srv);
}

int http_server_listen(struct http_server *srv, const char *host, int port, char *err,
		       size_t errlen)
{
	char service[16];
	snprintf(service, sizeof service, "%d", port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(host, service, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, gai_strerror(gai));
		return -1;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0)
		goto fail;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							   : ((struct sockaddr_in *)&ss)->sin_port);
	srv->bound = evhttp_accept_socket_with_handle(srv->http, fd);
	if (srv->bound == NULL)
		goto fail;
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(srv->bound), on_accept_error);
	freeaddrinfo(ai);
	return 0;
fail:
	snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

int http_server_port(const struct http_server *srv) { return srv->port; }

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;
	if (srv->bound)
		evconnlistener_enable(evhttp_bound_socket_get_listener(srv->bound));
}

/* accept() failed: out of file descriptors (too many clients at once) or memory. Rather than
 * spin on a listening socket that stays readable, stop accepting for a moment; the clients
 * already connected are served meanwhile. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct http_server *srv = servers;
	while (srv && !(srv->bound && evhttp_bound_socket_get_listener(srv->bound) == lev))
		srv = srv->next_server;
	int err = EVUTIL_SOCKET_ERROR();
	if (srv == NULL)
		return;
	evconnlistener_disable(lev);
	og_warn(json_pack("{s:s}", "error", evutil_socket_error_to_string(err)),
		"cannot accept more connections now; pausing 100 ms");
	struct timeval tv = {0, 100000};
	event_add(srv->resume, &tv);
}

void http_server_stop_accepting(struct http_server *srv)
{
	if (srv->bound) {
		evhttp_del_accept_socket(srv->http, srv->bound);
		srv->bound = NULL;
	}
}

int http_server_in_flight(const struct http_server *srv) { return srv->in_flight; }
