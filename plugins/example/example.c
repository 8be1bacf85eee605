/*
 * The example plugin: the smallest complete overgang plugin, the template to copy.
 *
 * It shows each part of the ABI a plugin usually needs:
 * - reading its configuration ([plugin.example] greeting = ...);
 * - an HTTP route:   GET  /v1/plugins/example/hello  → {"greeting": "..."}
 * - events in:       POST /v1/plugins/example/cases/{id}/{type} with a JSON object body and an
 *                    Idempotency-Key header puts an event of TYPE into case ID (once per key);
 *                    POST .../refs/{system}/{ref}/{type} into the case a workflow gave that
 *                    reference (case:ref { system = ..., ref = ... });
 * - an outbox action: "note" (case:outbox { plugin = "example", action = "note", key = ...,
 *                    payload = { ... } }), delivered a moment later on the event loop. For
 *                    the tests, a payload {"outcome": "retry"} asks to be tried again and
 *                    {"outcome": "fail"} fails for good (the row is parked), and
 *                    {"outcome": "hang"} is never answered (the lease runs out);
 * - a Lua helper:    plugins.example.greet(name) in a workflow gives "<greeting>, <name>"
 *                    (pure: no I/O, the same answer for the same arguments);
 * - a periodic job:  "tick", every [plugin.example] tick_interval seconds (default 3600),
 *                    and on request: POST /v1/plugins/example/tick with an administrator's
 *                    token runs it now.
 * Build it against engine/include only (see CMakeLists.txt); load it with
 *     [plugin.example]
 *     path = /path/to/example.so
 */
#include <event2/event.h>
#include <overgang/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct example {
	struct og_plugin_ctx *ctx;
	const struct og_host *host;
	char greeting[128];
	struct event_base *base;
};

static struct example *self; /* one instance: the host loads a plugin once */

/* ---- GET hello ---- */

static void on_hello(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct example *ex = arg;
	char body[256];
	int n = snprintf(body, sizeof body, "{\"greeting\":\"%s\"}", ex->greeting);
	ex->host->http_reply(req, 200, "application/json", body, (size_t)n);
}

/* ---- POST cases/{id}/{type}: an event into a case ---- */

struct pending_reply {
	struct example *ex;
	struct og_http_request *req;
};

static void on_emitted(void *arg, int ok, int64_t case_id, const char *error)
{
	struct pending_reply *p = arg;
	if (ok) {
		char body[64];
		int n = snprintf(body, sizeof body, "{\"case\":%lld}", (long long)case_id);
		p->ex->host->http_reply(p->req, 202, "application/json", body, (size_t)n);
	} else {
		p->ex->host->http_problem(p->req, 404, "no-case", error);
	}
	free(p);
}

static void on_event_in(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct example *ex = arg;
	const struct og_host *h = ex->host;
	size_t len;
	const char *body = h->http_body(req, &len);
	const char *key = h->http_header(req, "Idempotency-Key");
	/* cases/{id}/{type}, or refs/{system}/{ref}/{type}: the case as another system knows it */
	const char *system = h->http_param(req, "system");
	long long id = 0;
	if (system == NULL) {
		char *end;
		id = strtoll(h->http_param(req, "id"), &end, 10);
		if (*end != '\0' || id <= 0) {
			h->http_problem(req, 404, "no-case", "There is no case with that number.");
			return;
		}
	}
	if (key == NULL || key[0] == '\0') {
		h->http_problem(
			req, 400, "idempotency-key-required",
			"Send an Idempotency-Key header, so a retry does not add the event twice.");
		return;
	}
	char *payload = strndup(body, len);
	struct pending_reply *p = malloc(sizeof *p);
	if (payload == NULL || p == NULL) {
		free(payload);
		free(p);
		h->http_problem(req, 503, "out-of-memory", "Try again.");
		return;
	}
	*p = (struct pending_reply){ex, req};
	struct og_event ev = {
		.size = sizeof ev,
		.case_id = id,
		.ref_system = system,
		.ref = system ? h->http_param(req, "ref") : NULL,
		.type = h->http_param(req, "type"),
		.payload = len ? payload : "{}",
		.idem_key = key,
	};
	int rc = h->emit(ctx, &ev, on_emitted, p);
	free(payload); /* the host copied it */
	if (rc != 0) {
		free(p);
		h->http_problem(req, 400, "bad-event",
				"The event needs a type of a-z, 0-9 and _ that the engine does not "
				"reserve, and a JSON object as body.");
	}
}

/* ---- the outbox action "note" ---- */

struct note {
	struct example *ex;
	const struct og_delivery *d;
	enum og_delivery_result outcome;
};

static void on_note_timer(evutil_socket_t fd, short what, void *arg)
{
	struct note *n = arg;
	n->ex->host->log(n->ex->ctx, OG_LOG_INFO, "note %lld delivered (attempt %d)",
			 (long long)n->d->id, n->d->attempt);
	n->ex->host->delivered(n->ex->ctx, n->d, n->outcome, 100,
			       n->outcome == OG_DELIVERED ? NULL : "the example asked for this",
			       NULL);
	free(n);
}

static int deliver_note(struct og_plugin_ctx *ctx, const struct og_delivery *d, void *arg)
{
	struct example *ex = arg;
	if (strstr(d->payload, "\"hang\""))
		return 0; /* never answered: the host hands it out again after the lease */
	struct note *n = malloc(sizeof *n);
	if (n == NULL)
		return -1;
	n->ex = ex;
	n->d = d;
	n->outcome = strstr(d->payload, "\"fail\"")    ? OG_FAILED
		     : strstr(d->payload, "\"retry\"") ? OG_RETRY
						       : OG_DELIVERED;
	/* a real plugin would start non-blocking I/O here; the example answers from a timer */
	struct timeval tv = {0, 10000};
	if (event_base_once(ex->base, -1, EV_TIMEOUT, on_note_timer, n, &tv) != 0) {
		free(n);
		return -1;
	}
	return 0;
}

/* ---- the Lua helper plugins.example.greet(name) ---- */

static int greet(void *arg, const char *args, char *out, size_t outlen)
{
	struct example *ex = arg;
	/* ARGS is a JSON array; the example takes one string without quotes or backslashes
	 * (a real plugin parses it with a JSON library) */
	const char *start = args[0] == '[' && args[1] == '"' ? args + 2 : NULL;
	const char *end = start ? strchr(start, '"') : NULL;
	if (end == NULL || strcmp(end, "\"]") != 0 || memchr(start, '\\', (size_t)(end - start))) {
		snprintf(out, outlen, "greet takes one name, a text");
		return -1;
	}
	snprintf(out, outlen, "\"%s, %.*s\"", ex->greeting, (int)(end - start), start);
	return 0;
}

/* ---- the periodic job "tick" ---- */

static void tick(struct og_plugin_ctx *ctx, void *arg)
{
	struct example *ex = arg;
	ex->host->log(ctx, OG_LOG_INFO, "example tick");
	ex->host->job_done(ctx, "tick", 1, NULL);
}

static void on_tick_now(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct example *ex = arg;
	char body[96];
	int n = snprintf(body, sizeof body, "{\"asked_by\":\"%s\",\"started\":%s}",
			 ex->host->http_actor(req),
			 ex->host->run_job(ctx, "tick") == 1 ? "true" : "false");
	ex->host->http_reply(req, 202, "application/json", body, (size_t)n);
}

/* ---- init and shutdown ---- */

static int tick_seconds(const struct og_host *host, struct og_plugin_ctx *ctx)
{
	const char *v = host->config(ctx, "tick_interval");
	int s = v ? atoi(v) : 3600;
	return s >= 1 ? s : 3600;
}

static int example_init(struct og_plugin_ctx *ctx, const struct og_host *host, void **state)
{
	if (host->size < sizeof(struct og_host)) {
		host->log(ctx, OG_LOG_ERROR, "this host is older than the plugin's ABI");
		return -1;
	}
	struct example *ex = calloc(1, sizeof *ex);
	if (ex == NULL)
		return -1;
	ex->ctx = ctx;
	ex->host = host;
	ex->base = host->event_base(ctx);
	const char *greeting = host->config(ctx, "greeting");
	snprintf(ex->greeting, sizeof ex->greeting, "%s", greeting ? greeting : "hej");
	if (strpbrk(ex->greeting, "\"\\")) {
		host->log(ctx, OG_LOG_ERROR, "greeting: quotes and backslashes are not allowed");
		free(ex);
		return -1;
	}
	/* open routes: the example trusts its callers; a real plugin checks a signature here, or
	 * registers OG_ROUTE_ADMIN routes that need an administrator's token */
	if (host->register_route(ctx, "GET", "hello", OG_ROUTE_OPEN, on_hello, ex) != 0 ||
	    host->register_route(ctx, "POST", "cases/{id}/{type}", OG_ROUTE_OPEN, on_event_in,
				 ex) != 0 ||
	    host->register_route(ctx, "POST", "refs/{system}/{ref}/{type}", OG_ROUTE_OPEN,
				 on_event_in, ex) != 0 ||
	    host->register_route(ctx, "POST", "tick", OG_ROUTE_ADMIN, on_tick_now, ex) != 0 ||
	    host->register_action(ctx, "note", deliver_note, ex) != 0 ||
	    host->register_job(ctx, "tick", tick_seconds(host, ctx) * 1000, tick, ex) != 0 ||
	    host->register_lua(ctx, "greet", greet, ex) != 0) {
		free(ex);
		return -1;
	}
	self = ex;
	*state = ex;
	host->log(ctx, OG_LOG_INFO, "example plugin ready");
	return 0;
}

static void example_shutdown(void *state)
{
	free(state);
	self = NULL;
}

OG_PLUGIN_EXPORT const struct og_plugin overgang_plugin = {
	.abi_major = OG_PLUGIN_ABI_MAJOR,
	.abi_minor = OG_PLUGIN_ABI_MINOR,
	.name = "example",
	.version = "1.0",
	.init = example_init,
	.shutdown = example_shutdown,
};
