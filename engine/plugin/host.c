/* The plugin host: loading the configured plugins and the function table they call. */
#include <dlfcn.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/token.h"
#include "plugin/internal.h"
#include "util/cpr.h"
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
	bool for_citizen;
};

static void on_emitted(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct emit_call *e = arg;
	e->host->in_flight--;
	int ok = 0;
	int64_t case_id = 0;
	const char *error = "the database connection was lost";
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && e->for_citizen) {
		const char *status = PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : "";
		case_id = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : 0;
		ok = strcmp(status, "added") == 0   ? OG_EMIT_ADDED
		     : strcmp(status, "known") == 0 ? OG_EMIT_KNOWN
						    : OG_EMIT_REFUSED;
		error = ok                               ? NULL
			: strcmp(status, "ignored") == 0 ? "nothing receives this event"
							 : "no such citizen";
	} else if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (PQntuples(res) == 1) {
			ok = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? OG_EMIT_ADDED
								     : OG_EMIT_KNOWN;
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
	"SELECT id, EXISTS (SELECT 1 FROM ins) FROM target";

/* An event about a citizen (found by the keyed hash of their CPR number): one row, the first
 * case it started or went into and its status (added, known, ignored; NULL for no such
 * citizen). */
static const char emit_citizen_sql[] =
	"SELECT coalesce(r.res->'started'->>0, r.res->'delivered'->>0, '0'), r.res->>'status'"
	"  FROM (SELECT (SELECT citizen_event_put(p.citizen_id, $2, $3::jsonb, $4, $5, $4)"
	"                  FROM citizen_cpr p WHERE p.cpr_hash = decode($1, 'hex')) AS res) r";

static int host_emit(struct og_plugin_ctx *ctx, const struct og_event *ev, og_emit_done_fn done,
		     void *arg)
{
	/* a plugin built for ABI 1.0 passes the struct without cpr */
	const char *cpr = ev && ev->size >= sizeof(struct og_event) ? ev->cpr : NULL;
	bool for_citizen = ev && ev->case_id <= 0 && ev->ref == NULL && cpr != NULL;
	if (ev == NULL || ev->size < OG_EVENT_SIZE_1_0 || !og_event_type_allowed(ev->type) ||
	    ev->idem_key == NULL || ev->idem_key[0] == '\0' ||
	    (ev->case_id <= 0 && !for_citizen && (ev->ref_system == NULL || ev->ref == NULL))) {
		host_log(ctx, OG_LOG_ERROR,
			 "emit: an event needs a case (id or reference) or a citizen (CPR number), "
			 "a type of a-z, 0-9 and _ that the engine does not reserve, and an "
			 "idempotency key");
		return -1;
	}
	if (for_citizen && !og_cpr_well_formed(cpr)) {
		host_log(ctx, OG_LOG_ERROR, "emit: the citizen's CPR number is not 10 digits");
		return -1;
	}
	if (for_citizen && !ctx->host->has_cpr_key) {
		host_log(ctx, OG_LOG_ERROR,
			 "emit: citizens cannot be found by CPR number: [api] cpr_key_file is not "
			 "set");
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
	*e = (struct emit_call){ctx->host, done, arg, for_citizen};
	char case_id[24], source[96], hash[65];
	snprintf(case_id, sizeof case_id, "%lld", (long long)(ev->case_id > 0 ? ev->case_id : 0));
	snprintf(source, sizeof source, "plugin:%s", ctx->name);
	int rc;
	if (for_citizen) {
		og_cpr_hash_hex(ctx->host->cpr_key, cpr, hash);
		const char *params[] = {hash, ev->type, ev->payload ? ev->payload : "{}", source,
					ev->idem_key};
		rc = !store_conn_is_up(ctx->host->conn) ||
		     store_conn_query_named(ctx->host->conn, "plugin_emit_citizen",
					    emit_citizen_sql, 5, params, on_emitted, e) != 0;
		sodium_memzero(hash, sizeof hash);
	} else {
		const char *params[] = {
			case_id,     ev->ref_system ? ev->ref_system : "", ev->ref ? ev->ref : "",
			ev->type,    ev->payload ? ev->payload : "{}",     source,
			ev->idem_key};
		rc = !store_conn_is_up(ctx->host->conn) ||
		     store_conn_query_named(ctx->host->conn, "plugin_emit", emit_sql, 7, params,
					    on_emitted, e) != 0;
	}
	if (rc) {
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
	plug_outbox_delivered(ctx->host->outbox, d, outcome, retry_ms, error, result);
}

/* ---- HTTP routes ---- */

static void call_route(struct http_req *req, void *arg)
{
	struct plug_route *r = arg;
	if (!r->ctx->started) {
		http_reply_problem(req, 503, "plugin-not-running", "Plugin not running",
				   "This plugin did not start; see the daemon's log.", NULL);
		return;
	}
	r->fn(r->ctx, (struct og_http_request *)req, r->arg);
}

static void on_plugin_route(struct http_req *req, void *arg)
{
	struct plug_route *r = arg;
	if (r->access == OG_ROUTE_ADMIN)
		api_authenticate(r->ctx->host->api, req, API_ADMIN, call_route, r);
	else
		call_route(req, r);
}

static int host_register_route(struct og_plugin_ctx *ctx, const char *method, const char *subpath,
			       enum og_route_access access, og_http_fn fn, void *arg)
{
	if (!ctx->in_init || method == NULL || subpath == NULL || fn == NULL ||
	    (access != OG_ROUTE_OPEN && access != OG_ROUTE_ADMIN))
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
	r->access = access;
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

/* A pure function workflows call as plugins.NAME.FUNCTION: engine/lua calls it. */
static int host_register_lua(struct og_plugin_ctx *ctx, const char *function, og_lua_fn fn,
			     void *arg)
{
	if (!ctx->in_init || function == NULL || fn == NULL || function[0] == '\0' ||
	    strspn(function, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(function))
		return -1;
	struct plug_helper *h = calloc(1, sizeof *h);
	if (h == NULL || (h->name = strdup(function)) == NULL) {
		free(h);
		return -1;
	}
	h->fn = fn;
	h->arg = arg;
	h->next = ctx->helpers;
	ctx->helpers = h;
	return 0;
}

/* Hands engine/lua the helpers of the plugins that started. */
static int publish_helpers(struct plug_host *host)
{
	size_t n = 0;
	for (struct og_plugin_ctx *ctx = host->plugins; ctx; ctx = ctx->next)
		for (struct plug_helper *h = ctx->helpers; h && ctx->started; h = h->next)
			n++;
	if (n == 0)
		return 0;
	host->lua_helpers = calloc(n, sizeof *host->lua_helpers);
	if (host->lua_helpers == NULL)
		return -1;
	n = 0;
	for (struct og_plugin_ctx *ctx = host->plugins; ctx; ctx = ctx->next)
		for (struct plug_helper *h = ctx->helpers; h && ctx->started; h = h->next)
			host->lua_helpers[n++] = (struct lwf_helper){ctx->name, h->name,
								     (lwf_helper_fn)h->fn, h->arg};
	lwf_set_helpers(host->lua_helpers, n);
	return 0;
}

static int host_register_job(struct og_plugin_ctx *ctx, const char *job, int interval_ms,
			     og_job_fn fn, void *arg)
{
	return plug_job_register(ctx, job, interval_ms, fn, arg);
}

static void host_job_done(struct og_plugin_ctx *ctx, const char *job, int ok, const char *error)
{
	plug_job_done(ctx, job, ok, error);
}

static int host_run_job(struct og_plugin_ctx *ctx, const char *job)
{
	return plug_job_run(ctx, job);
}

static const char *req_actor(struct og_http_request *req)
{
	return http_req_actor((struct http_req *)req);
}

/* ---- writes that answer with counts: citizens from a register, the staff directory ---- */

enum counted_kind { COUNTED_UPSERT, COUNTED_SYNC };

/* One upsert_citizens or sync_directory call: its statement answers with its counts as JSON
 * ({added, changed, unchanged, deactivated}), and the plugin hears from the loop. */
struct counted_call {
	struct plug_host *host;
	enum counted_kind kind;
	void *done; /* og_upsert_done_fn or og_sync_done_fn */
	void *arg;
	char error[256];
};

/* Tells the plugin: COUNTS (NULL: nothing was written, C->error says why). */
static void counted_answer(struct counted_call *c, json_t *counts)
{
	if (c->done == NULL || c->host->stopping)
		return;
	long added = (long)json_integer_value(json_object_get(counts, "added"));
	long changed = (long)json_integer_value(json_object_get(counts, "changed"));
	long unchanged = (long)json_integer_value(json_object_get(counts, "unchanged"));
	const char *error = counts ? NULL : c->error;
	if (c->kind == COUNTED_UPSERT) {
		struct og_upsert_result r = {sizeof r, added, changed, unchanged};
		((og_upsert_done_fn)c->done)(c->arg, counts != NULL, counts ? &r : NULL, error);
	} else {
		long deactivated = (long)json_integer_value(json_object_get(counts, "deactivated"));
		struct og_sync_result r = {sizeof r, added, changed, deactivated, unchanged};
		((og_sync_done_fn)c->done)(c->arg, counts != NULL, counts ? &r : NULL, error);
	}
}

static void on_counted(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct counted_call *c = arg;
	c->host->in_flight--;
	json_t *counts = NULL;
	const char *nothing =
		c->kind == COUNTED_UPSERT ? "nothing was written" : "nothing was changed";
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		counts = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	} else {
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		const char *why = res == NULL     ? "the database connection was lost"
				  : state == NULL ? "the database refused it"
				  : c->kind == COUNTED_UPSERT && strcmp(state, "23505") == 0
					  ? "another import wrote one of these citizens at the "
					    "same moment; try "
					    "the batch again"
				  : c->kind == COUNTED_SYNC && strcmp(state, "23503") == 0
					  ? "a membership names a department or person the "
					    "directory does not list"
				  : c->kind == COUNTED_SYNC && strcmp(state, "23514") == 0
					  ? "an id in the directory does not fit overgang's rules "
					    "(departments: "
					    "a-z, 0-9 and -; staff: a-z, 0-9, ., _ and -)"
					  : "the database refused it";
		snprintf(c->error, sizeof c->error, "%s; %s", why, nothing);
	}
	counted_answer(c, counts);
	json_decref(counts);
	free(c);
}

static void on_refused(evutil_socket_t fd, short what, void *arg)
{
	struct counted_call *c = arg;
	c->host->in_flight--;
	counted_answer(c, NULL);
	free(c);
}

/* Runs SQL (prepared as NAME) with PARAMS for a plugin, or, with REFUSAL, only tells it why
 * not: either way it hears from the loop, never before this returns. */
static void counted_run(struct plug_host *host, enum counted_kind kind, void *done, void *arg,
			const char *refusal, const char *name, const char *sql, int n,
			const char *const *params)
{
	struct counted_call *c = calloc(1, sizeof *c);
	if (c == NULL)
		return;
	*c = (struct counted_call){.host = host, .kind = kind, .done = done, .arg = arg};
	if (refusal == NULL &&
	    (host->conn == NULL ||
	     store_conn_query_named(host->conn, name, sql, n, params, on_counted, c) != 0))
		refusal = "the database is not reachable now";
	if (refusal == NULL) {
		host->in_flight++;
		return;
	}
	snprintf(c->error, sizeof c->error, "%s", refusal);
	struct timeval now = {0, 0};
	if (event_base_once(host->base, -1, EV_TIMEOUT, on_refused, c, &now) != 0) {
		free(c);
		return;
	}
	host->in_flight++;
}

/* ---- citizens from a register ---- */

static bool is_date(const char *s)
{
	int y, m, d;
	return s && strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3 && s[4] == '-' &&
	       s[7] == '-' && m >= 1 && m <= 12 && d >= 1 && d <= 31 && y >= 1850;
}

/* The citizens as the JSON the SQL takes; NULL with WHY naming the element at fault. */
static char *citizens_json(struct plug_host *host, const struct og_citizen *list, size_t n,
			   char *why, size_t whylen)
{
	json_t *doc = json_array();
	size_t stride = list[0].size;
	for (size_t i = 0; i < n; i++) {
		const struct og_citizen *c =
			(const struct og_citizen *)((const char *)list + i * stride);
		const char *wrong = NULL;
		json_t *attrs = c->attributes ? json_loads(c->attributes, 0, NULL) : json_object();
		if (!og_cpr_well_formed(c->cpr))
			wrong = "the CPR number is not 10 digits";
		else if (c->name == NULL || c->name[0] == '\0')
			wrong = "the name is missing";
		else if (!is_date(c->birth_date))
			wrong = "the birth date is not YYYY-MM-DD";
		else if (!json_is_object(attrs))
			wrong = "the attributes are not a JSON object";
		else if (c->municipality &&
			 (strlen(c->municipality) > 4 ||
			  strspn(c->municipality, "0123456789") != strlen(c->municipality)))
			wrong = "the municipality code is not a number";
		if (wrong) {
			snprintf(why, whylen, "citizen %zu of the batch: %s", i, wrong);
			json_decref(attrs);
			json_decref(doc);
			return NULL;
		}
		if (c->municipality && c->municipality[0])
			json_object_set_new(attrs, "kommunekode", json_string(c->municipality));
		char hex[65];
		og_cpr_hash_hex(host->cpr_key, c->cpr, hex);
		json_array_append_new(doc, json_pack("{s:s,s:s,s:s,s:s,s:o}", "cpr_hash", hex,
						     "cpr", c->cpr, "name", c->name, "birth_date",
						     c->birth_date, "attributes", attrs));
	}
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		snprintf(why, whylen, "out of memory");
	return text;
}

static int host_upsert_citizens(struct og_plugin_ctx *ctx, const struct og_citizen *citizens,
				size_t n, og_upsert_done_fn done, void *arg)
{
	struct plug_host *host = ctx->host;
	if (citizens == NULL || n == 0 || citizens[0].size < sizeof(struct og_citizen)) {
		host_log(ctx, OG_LOG_ERROR, "upsert_citizens: no citizens, or an older struct");
		return -1;
	}
	char why[256];
	char *doc = host->has_cpr_key ? citizens_json(host, citizens, n, why, sizeof why) : NULL;
	const char *params[] = {doc};
	counted_run(host, COUNTED_UPSERT, (void *)done, arg,
		    !host->has_cpr_key
			    ? "citizens cannot be found by CPR number: [api] cpr_key_file "
			      "is not set"
		    : doc == NULL ? why
				  : NULL,
		    "plugin_upsert_citizens", "SELECT plugin_upsert_citizens($1::jsonb)::text", 1,
		    params);
	if (doc) {
		sodium_memzero(doc, strlen(doc)); /* it holds CPR numbers */
		free(doc);
	}
	return 0;
}

/* ---- the staff directory ---- */

#define AT(list, i) ((const void *)((const char *)(list) + (i) * (list)[0].size))

static char *directory_json(const struct og_directory *dir, char *why, size_t whylen)
{
	json_t *deps = json_array(), *staff = json_array(), *members = json_array();
	for (size_t i = 0; i < dir->ndepartments; i++) {
		const struct og_department *d = AT(dir->departments, i);
		if (d->id == NULL || d->name == NULL) {
			snprintf(why, whylen, "department %zu: id and name are required", i);
			goto fail;
		}
		json_array_append_new(deps, json_pack("{s:s,s:s}", "id", d->id, "name", d->name));
	}
	for (size_t i = 0; i < dir->nstaff; i++) {
		const struct og_staff *p = AT(dir->staff, i);
		if (p->id == NULL || p->name == NULL) {
			snprintf(why, whylen, "staff %zu: id and name are required", i);
			goto fail;
		}
		json_array_append_new(staff,
				      json_pack("{s:s,s:s,s:s?,s:b}", "id", p->id, "name", p->name,
						"email", p->email, "active", p->active != 0));
	}
	for (size_t i = 0; i < dir->nmemberships; i++) {
		const struct og_membership *m = AT(dir->memberships, i);
		if (m->staff == NULL || m->department == NULL) {
			snprintf(why, whylen, "membership %zu: staff and department are required",
				 i);
			goto fail;
		}
		json_array_append_new(members,
				      json_pack("{s:s,s:s,s:b}", "staff", m->staff, "department",
						m->department, "lead", m->lead != 0));
	}
	json_t *doc = json_pack("{s:o,s:o,s:o}", "departments", deps, "staff", staff, "memberships",
				members);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		snprintf(why, whylen, "out of memory");
	return text;
fail:
	json_decref(deps);
	json_decref(staff);
	json_decref(members);
	return NULL;
}

static int host_sync_directory(struct og_plugin_ctx *ctx, const struct og_directory *dir,
			       og_sync_done_fn done, void *arg)
{
	struct plug_host *host = ctx->host;
	if (dir == NULL || dir->size < sizeof *dir ||
	    (dir->ndepartments && dir->departments[0].size < sizeof(struct og_department)) ||
	    (dir->nstaff && dir->staff[0].size < sizeof(struct og_staff)) ||
	    (dir->nmemberships && dir->memberships[0].size < sizeof(struct og_membership))) {
		host_log(ctx, OG_LOG_ERROR, "sync_directory: a missing or older struct");
		return -1;
	}
	char why[256];
	char *doc = directory_json(dir, why, sizeof why);
	const char *params[] = {ctx->name, doc};
	counted_run(host, COUNTED_SYNC, (void *)done, arg, doc ? NULL : why,
		    "plugin_sync_directory", "SELECT plugin_sync_directory($1, $2::jsonb)::text", 2,
		    params);
	free(doc);
	return 0;
}

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
	.run_job = host_run_job,
	.http_actor = req_actor,
	.upsert_citizens = host_upsert_citizens,
	.sync_directory = host_sync_directory,
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
	plug_jobs_free(ctx);
	while (ctx->helpers) {
		struct plug_helper *h = ctx->helpers;
		ctx->helpers = h->next;
		free(h->name);
		free(h);
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
	plug_jobs_start(host);
}

static void on_down(struct store_conn *conn, const char *why, void *arg) {}

static void on_notify(struct store_conn *conn, const char *channel, void *arg)
{
	struct plug_host *host = arg;
	plug_outbox_wake(host->outbox);
}

struct plug_host *plug_host_new(struct event_base *base, const struct cfg *cfg,
				struct http_server *http, struct api *api, char *err, size_t errlen)
{
	struct plug_host *host = calloc(1, sizeof *host);
	if (host == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	host->base = base;
	host->cfg = cfg;
	host->http = http;
	host->api = api;
	host->plugins_tail = &host->plugins;
	{
		char name[64] = "?";
		unsigned char rnd[6];
		char hex[13];
		gethostname(name, sizeof name - 1);
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
		snprintf(host->daemon_id, sizeof host->daemon_id, "overgangd %.40s %ld %s", name,
			 (long)getpid(), hex);
	}
	if (cfg->api_cpr_key_file && cfg->api_cpr_key_file[0]) {
		if (og_cpr_key_load(cfg->api_cpr_key_file, host->cpr_key, err, errlen) != 0)
			goto fail;
		host->has_cpr_key = true;
	}
	/* each [plugin.NAME] section once, in the order of the file */
	for (const struct cfg_plugin_key *k = cfg->plugin_keys; k; k = k->next) {
		bool seen = false;
		for (const struct cfg_plugin_key *e = cfg->plugin_keys; e != k; e = e->next)
			seen = seen || strcmp(e->section, k->section) == 0;
		if (!seen && load(host, k->section, err, errlen) != 0)
			goto fail;
	}
	if (publish_helpers(host) != 0) {
		snprintf(err, errlen, "out of memory");
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
	if (host->lua_helpers) {
		lwf_set_helpers(NULL, 0);
		free(host->lua_helpers);
	}
	store_conn_free(host->conn);
	plug_outbox_free(host->outbox);
	while (rev) {
		struct og_plugin_ctx *ctx = rev;
		rev = ctx->next;
		ctx_free(ctx);
	}
	sodium_memzero(host->cpr_key, sizeof host->cpr_key);
	free(host);
}

void plug_host_stop(struct plug_host *host)
{
	host->winding_down = true;
	plug_outbox_stop(host->outbox);
	plug_jobs_stop(host);
}

bool plug_host_idle(const struct plug_host *host) { return host->in_flight == 0; }
