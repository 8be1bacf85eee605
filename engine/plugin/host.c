/* The plugin host: loading the configured plugins and the function table they call. */
#include <dlfcn.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/internal.h"
#include "util/log.h"

/* ---- the function table ---- */

static void host_log(struct og_plugin_ctx *ctx, enum og_log_level level, const char *fmt, ...)
{
	enum og_level l = level <= OG_LOG_DEBUG  ? OG_DEBUG
			  : level == OG_LOG_INFO ? OG_INFO
			  : level == OG_LOG_WARN ? OG_WARN
						 : OG_ERROR;
	if (!og_log_enabled(l))
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	og_log_write(l, ctx->path, 0, json_pack("{s:s}", "plugin", ctx->name), "%s", msg);
}

static const char *host_config(struct og_plugin_ctx *ctx, const char *key)
{
	for (const struct cfg_plugin_key *k = ctx->host->cfg->plugin_keys; k; k = k->next)
		if (strcmp(k->section, ctx->name) == 0 && strcmp(k->key, key) == 0)
			return k->value;
	return NULL;
}

static struct event_base *host_event_base(struct og_plugin_ctx *ctx) { return ctx->host->base; }

struct emit_call {
	struct plug_host *host;
	og_emit_done_fn done;
	void *arg;
};

static void on_emitted(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct emit_call *e = arg;
	e->host->in_flight--;
	int ok = 0;
	int64_t case_id = 0;
	const char *error = "the database connection was lost";
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (PQntuples(res) == 1) {
			ok = 1;
			case_id = atoll(PQgetvalue(res, 0, 0));
			error = NULL;
		} else {
			error = "no such case";
		}
	} else if (res) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		error = state && strcmp(state, "23514") == 0 ? "the case is closed"
							     : "the event was refused";
	}
	if (e->done && !e->host->stopping)
		e->done(e->arg, ok, case_id, error);
	free(e);
}

/* The event lands in the case once per key; a repeat answers with the case it went to. */
static const char emit_sql[] =
	"WITH target AS ("
	"  SELECT c.id FROM cases c WHERE c.id = $1::bigint"
	"  UNION ALL"
	"  SELECT r.case_id FROM case_ref r WHERE $1::bigint = 0 AND r.system = $2 AND r.ref = $3"
	"  LIMIT 1),"
	" ins AS ("
	"  INSERT INTO event (case_id, type, payload, source, idem_key)"
	"  SELECT id, $4, $5::jsonb, $6, $7 FROM target"
	"  ON CONFLICT (case_id, source, idem_key) DO NOTHING RETURNING case_id)"
	"SELECT case_id FROM ins UNION SELECT id FROM target";

static bool event_type_ok(const char *t)
{
	static const char *const reserved[] = {"started",           "task_done",
					       "task_overdue",      "handover_accepted",
					       "handover_rejected", "tovholder_unavailable",
					       "migrated",          NULL};
	if (t == NULL || !(t[0] >= 'a' && t[0] <= 'z') || strlen(t) > 64)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	for (int i = 0; reserved[i]; i++)
		if (strcmp(reserved[i], t) == 0)
			return false;
	return true;
}

static int host_emit(struct og_plugin_ctx *ctx, const struct og_event *ev, og_emit_done_fn done,
		     void *arg)
{
	if (ev == NULL || ev->size < sizeof(struct og_event) || !event_type_ok(ev->type) ||
	    ev->idem_key == NULL || ev->idem_key[0] == '\0' ||
	    (ev->case_id <= 0 && (ev->ref_system == NULL || ev->ref == NULL))) {
		host_log(ctx, OG_LOG_ERROR,
			 "emit: an event needs a case (id or reference), a type of a-z, 0-9 and _ "
			 "that the engine does not reserve, and an idempotency key");
		return -1;
	}
	json_t *payload = json_loads(ev->payload ? ev->payload : "{}", 0, NULL);
	bool object = json_is_object(payload);
	json_decref(payload);
	if (!object) {
		host_log(ctx, OG_LOG_ERROR, "emit: the payload must be a JSON object");
		return -1;
	}
	struct emit_call *e = calloc(1, sizeof *e);
	if (e == NULL)
		return -1;
	*e = (struct emit_call){ctx->host, done, arg};
	char case_id[24], source[96];
	snprintf(case_id, sizeof case_id, "%lld", (long long)(ev->case_id > 0 ? ev->case_id : 0));
	snprintf(source, sizeof source, "plugin:%s", ctx->name);
	const char *params[] = {
		case_id,     ev->ref_system ? ev->ref_system : "", ev->ref ? ev->ref : "",
		ev->type,    ev->payload ? ev->payload : "{}",     source,
		ev->idem_key};
	if (!store_conn_is_up(ctx->host->conn) ||
	    store_conn_query_named(ctx->host->conn, "plugin_emit", emit_sql, 7, params, on_emitted,
				   e) != 0) {
		/* answered from the loop, as promised, never before emit returns */
		free(e);
		host_log(ctx, OG_LOG_WARN, "emit: the database is not reachable now");
		return -1;
	}
	ctx->host->in_flight++;
	return 0;
}

static int host_register_action(struct og_plugin_ctx *ctx, const char *action,
				og_deliver_fn deliver, void *arg)
{
	if (!ctx->in_init || action == NULL || deliver == NULL)
		return -1;
	struct plug_action *a = calloc(1, sizeof *a);
	if (a == NULL || (a->action = strdup(action)) == NULL) {
		free(a);
		return -1;
	}
	a->deliver = deliver;
	a->arg = arg;
	a->next = ctx->actions;
	ctx->actions = a;
	return 0;
}

static void host_delivered(struct og_plugin_ctx *ctx, const struct og_delivery *d,
			   enum og_delivery_result outcome, int retry_ms, const char *error,
			   const char *result)
{
	plug_outbox_delivered(ctx->host->outbox, d, outcome, retry_ms, error);
}

/* ---- HTTP routes ---- */

static void on_plugin_route(struct http_req *req, void *arg)
{
	struct plug_route *r = arg;
	if (!r->ctx->started) {
		http_reply_problem(req, 503, "plugin-not-running", "Plugin not running",
				   "This plugin did not start; see the daemon's log.", NULL);
		return;
	}
	r->fn(r->ctx, (struct og_http_request *)req, r->arg);
}

static int host_register_route(struct og_plugin_ctx *ctx, const char *method, const char *subpath,
			       og_http_fn fn, void *arg)
{
	if (!ctx->in_init || method == NULL || subpath == NULL || fn == NULL)
		return -1;
	struct plug_route *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -1;
	size_t n = strlen(ctx->name) + strlen(subpath) + 32;
	r->name = malloc(n);
	char *pattern = malloc(n);
	if (r->name == NULL || pattern == NULL)
		goto fail;
	snprintf(r->name, n, "plugin.%s.%s", ctx->name, subpath);
	snprintf(pattern, n, "/v1/plugins/%s/%s", ctx->name,
		 subpath[0] == '/' ? subpath + 1 : subpath);
	r->ctx = ctx;
	r->fn = fn;
	r->arg = arg;
	if (http_server_route(ctx->host->http, method, pattern, r->name, on_plugin_route, r) != 0)
		goto fail;
	free(pattern);
	r->next = ctx->routes;
	ctx->routes = r;
	return 0;
fail:
	free(pattern);
	free(r->name);
	free(r);
	return -1;
}

static const char *req_method(struct og_http_request *req)
{
	return http_req_method((struct http_req *)req);
}
static const char *req_path(struct og_http_request *req)
{
	return http_req_path((struct http_req *)req);
}
static const char *req_param(struct og_http_request *req, const char *name)
{
	return http_req_param((struct http_req *)req, name);
}
static const char *req_header(struct og_http_request *req, const char *name)
{
	return http_req_header((struct http_req *)req, name);
}
static const char *req_body(struct og_http_request *req, size_t *len)
{
	return http_req_body((struct http_req *)req, len);
}
static void req_reply(struct og_http_request *req, int status, const char *content_type,
		      const char *body, size_t len)
{
	http_reply((struct http_req *)req, status, content_type ? content_type : "text/plain",
		   body ? body : "", body ? len : 0);
}
static void req_problem(struct og_http_request *req, int status, const char *type,
			const char *detail)
{
	http_reply_problem((struct http_req *)req, status, type ? type : "plugin", "Refused",
			   detail, NULL);
}

/* Lua helpers and periodic jobs are part of ABI 1.0 but not served by this host yet: a
 * plugin that registers one is told so, and its init decides what to do. */
static int host_register_lua(struct og_plugin_ctx *ctx, const char *function, og_lua_fn fn,
			     void *arg)
{
	host_log(ctx, OG_LOG_ERROR, "register_lua: Lua helpers are not available in this build");
	return -1;
}

static int host_register_job(struct og_plugin_ctx *ctx, const char *job, int interval_ms,
			     og_job_fn fn, void *arg)
{
	host_log(ctx, OG_LOG_ERROR, "register_job: periodic jobs are not available in this build");
	return -1;
}

static void host_job_done(struct og_plugin_ctx *ctx, const char *job, int ok, const char *error) {}

const struct og_host plug_host_table = {
	.size = sizeof(struct og_host),
	.abi_minor = OG_PLUGIN_ABI_MINOR,
	.log = host_log,
	.config = host_config,
	.event_base = host_event_base,
	.emit = host_emit,
	.register_action = host_register_action,
	.delivered = host_delivered,
	.register_route = host_register_route,
	.http_method = req_method,
	.http_path = req_path,
	.http_param = req_param,
	.http_header = req_header,
	.http_body = req_body,
	.http_reply = req_reply,
	.http_problem = req_problem,
	.register_lua = host_register_lua,
	.register_job = host_register_job,
	.job_done = host_job_done,
};

/* ---- loading ---- */

static void ctx_free(struct og_plugin_ctx *ctx)
{
	if (ctx->started && ctx->desc->shutdown)
		ctx->desc->shutdown(ctx->state);
	while (ctx->actions) {
		struct plug_action *a = ctx->actions;
		ctx->actions = a->next;
		free(a->action);
		free(a);
	}
	/* the HTTP server that calls the routes is freed before the plugins */
	while (ctx->routes) {
		struct plug_route *r = ctx->routes;
		ctx->routes = r->next;
		free(r->name);
		free(r);
	}
	if (ctx->dl)
		dlclose(ctx->dl);
	free(ctx->name);
	free(ctx->path);
	free(ctx);
}

/* Loads plugin NAME; -1 with ERR when it cannot start. */
static int load(struct plug_host *host, const char *name, char *err, size_t errlen)
{
	struct og_plugin_ctx *ctx = calloc(1, sizeof *ctx);
	if (ctx == NULL || (ctx->name = strdup(name)) == NULL) {
		free(ctx);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ctx->host = host;
	const char *path = host_config(ctx, "path");
	const char *optional = host_config(ctx, "optional");
	bool is_optional = optional && strcmp(optional, "true") == 0;
	if (optional && !is_optional && strcmp(optional, "false") != 0) {
		snprintf(err, errlen, "[plugin.%s] optional: '%s' is not true or false", name,
			 optional);
		goto fail;
	}
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "[plugin.%s] needs path = the plugin's .so file", name);
		goto fail;
	}
	ctx->path = strdup(path);
	if (ctx->path == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (plug_open(path, &ctx->dl, &ctx->desc, err, errlen) != 0)
		goto maybe;
	if (strcmp(ctx->desc->name, name) != 0) {
		snprintf(err, errlen, "%s is the plugin '%s', but is configured as [plugin.%s]",
			 path, ctx->desc->name, name);
		goto maybe;
	}
	ctx->in_init = true;
	int rc = ctx->desc->init(ctx, &plug_host_table, &ctx->state);
	ctx->in_init = false;
	if (rc != 0) {
		snprintf(err, errlen, "plugin %s (%s) failed to start; its log lines say why", name,
			 path);
		/* its routes were added to the server: keep the context so they stay valid */
		ctx->started = false;
		if (ctx->routes) {
			if (!is_optional)
				goto fail;
			og_warn(json_pack("{s:s,s:s}", "plugin", name, "error", err),
				"an optional plugin did not start; the daemon runs without it");
			*host->plugins_tail = ctx;
			host->plugins_tail = &ctx->next;
			while (ctx->actions) {
				struct plug_action *a = ctx->actions;
				ctx->actions = a->next;
				free(a->action);
				free(a);
			}
			return 0;
		}
		goto maybe;
	}
	ctx->started = true;
	*host->plugins_tail = ctx;
	host->plugins_tail = &ctx->next;
	og_info(json_pack("{s:s,s:s,s:s,s:i,s:i}", "plugin", name, "version", ctx->desc->version,
			  "path", path, "abi_major", (int)ctx->desc->abi_major, "abi_minor",
			  (int)ctx->desc->abi_minor),
		"plugin loaded");
	return 0;
maybe:
	if (is_optional) {
		og_warn(json_pack("{s:s,s:s}", "plugin", name, "error", err),
			"an optional plugin did not start; the daemon runs without it");
		ctx_free(ctx);
		return 0;
	}
fail:
	ctx_free(ctx);
	return -1;
}

static void on_up(struct store_conn *conn, void *arg)
{
	struct plug_host *host = arg;
	store_conn_exec(conn, "SELECT set_config('TimeZone', 'UTC', false),"
			      " set_config('statement_timeout', '30s', false)");
	store_conn_exec(conn, "LISTEN overgang_outbox");
	plug_outbox_wake(host->outbox);
}

static void on_down(struct store_conn *conn, const char *why, void *arg) {}

static void on_notify(struct store_conn *conn, const char *channel, void *arg)
{
	struct plug_host *host = arg;
	plug_outbox_wake(host->outbox);
}

struct plug_host *plug_host_new(struct event_base *base, const struct cfg *cfg,
				struct http_server *http, char *err, size_t errlen)
{
	struct plug_host *host = calloc(1, sizeof *host);
	if (host == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	host->base = base;
	host->cfg = cfg;
	host->http = http;
	host->plugins_tail = &host->plugins;
	/* each [plugin.NAME] section once, in the order of the file */
	for (const struct cfg_plugin_key *k = cfg->plugin_keys; k; k = k->next) {
		bool seen = false;
		for (const struct cfg_plugin_key *e = cfg->plugin_keys; e != k; e = e->next)
			seen = seen || strcmp(e->section, k->section) == 0;
		if (!seen && load(host, k->section, err, errlen) != 0)
			goto fail;
	}
	host->outbox = plug_outbox_new(host);
	struct store_conn_callbacks cb = {on_up, on_down, on_notify, host};
	if (host->outbox == NULL ||
	    (host->plugins &&
	     (host->conn = store_conn_new(base, cfg_conninfo(cfg), "overgangd plugins",
					  cfg->db_reconnect_min_ms, cfg->db_reconnect_max_ms,
					  &cb)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return host;
fail:
	plug_host_free(host);
	return NULL;
}

void plug_host_free(struct plug_host *host)
{
	if (host == NULL)
		return;
	/* shut down in reverse order of loading, then drop what is in flight (the database
	 * answers nothing more to a plugin), then unload */
	struct og_plugin_ctx *rev = NULL;
	while (host->plugins) {
		struct og_plugin_ctx *ctx = host->plugins;
		host->plugins = ctx->next;
		ctx->next = rev;
		rev = ctx;
	}
	for (struct og_plugin_ctx *ctx = rev; ctx; ctx = ctx->next) {
		if (ctx->started && ctx->desc->shutdown)
			ctx->desc->shutdown(ctx->state);
		ctx->started = false;
	}
	host->stopping = true;
	store_conn_free(host->conn);
	plug_outbox_free(host->outbox);
	while (rev) {
		struct og_plugin_ctx *ctx = rev;
		rev = ctx->next;
		ctx_free(ctx);
	}
	free(host);
}

bool plug_host_idle(const struct plug_host *host) { return host->in_flight == 0; }
