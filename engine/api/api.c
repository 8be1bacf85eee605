#include "api/api.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "api/access_log.h"
#include "api/body.h"
#include "api/list_pages.h"
#include "api/openapi.h"
#include "api/route.h"
#include "api/task_list.h"
#include "store/pool.h"
#include "util/clock.h"
#include "util/cpr.h"
#include "util/file.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/text.h"

#define CACHE_BUCKETS 1024
#define CACHE_MAX 20000
#define MAX_PATH_PARAMS 4
#define DEFAULT_LIMIT 50

/* A route as served: its table row and the SQL that calls its function. */
struct binding {
	struct api *api;
	const struct api_route *route;
	char *sql;
	bool defers_log; /* a read: its access-log rows come back as the statement's last column */
	int nparams;
	char param[MAX_PATH_PARAMS][32]; /* names of the path's {params} */
};

struct cached_token {
	struct cached_token *next;
	char id[API_TOKEN_ID_LEN + 1];
	unsigned char hash[API_TOKEN_HASH_LEN];
	char staff[64];
	enum api_role role;
	double expires;
};

struct api {
	const struct cfg *cfg;
	struct store_pool *pool;
	struct access_log *log;        /* the reads' access-log rows, a batch at a time */
	struct task_list_cache *lists; /* queue and inbox entries kept rendered */
	struct list_pages *pages;      /* whole queue and inbox pages kept by request */
	struct og_metric_family *m_list_entries, *m_list_bytes, *m_list_pages, *m_pages_bytes;
	uint64_t list_shown, list_rendered;  /* as last put in m_list_entries */
	uint64_t pages_shown, pages_changed; /* as last put in m_list_pages */
	const char *openapi;
	struct binding *bindings;
	int nbindings;
	struct cached_token *cache[CACHE_BUCKETS];
	int ncached;
	int waiting; /* requests waiting for the database */
	bool has_cpr_key;
	unsigned char cpr_key[OG_CPR_KEY_LEN];
};

/* One request on its way through the checks and the database. */
struct call {
	struct api *api;
	struct http_req *req;
	const struct binding *b;
	char token_id[API_TOKEN_ID_LEN + 1];
	unsigned char token_hash[API_TOKEN_HASH_LEN];
	char staff[64];
	enum api_role role;
	/* for api_authenticate, where B is NULL */
	unsigned roles;
	api_auth_fn ok;
	void *ok_arg;
	/* a read's answer while its access-log rows are written */
	const char *type;
	char *body;
	size_t len;
	char *etag, *note; /* its ETag and Overgang-Profile-Note headers, or NULL */
	/* a task list's page while its entries are rendered, and its access-log rows */
	struct task_list_page *page;
	char *rows;
	size_t rows_len;
	/* a task list's request: what its page is kept by, and its document while the page
	 * kept is checked */
	char *page_key;
	size_t page_keylen;
	char *request;
	/* a task list's page found anew, kept once its access-log row is written: when KEEP,
	 * PAGE is kept for the stamp's strings, and ROWS for the row */
	bool keep;
	struct task_list_stamp stamp;
};

static void call_free(struct call *call)
{
	task_list_page_free(call->page);
	free(call->rows);
	free(call->page_key);
	free(call->request);
	free(call);
}

static const struct {
	const char *type, *title;
} titles[] = {
	{"unauthorized", "Not signed in"},
	{"forbidden", "Not allowed for your role"},
	{"not-found", "Not found"},
	{"malformed-json", "Malformed JSON"},
	{"wrong-type", "Wrong type"},
	{"unknown-field", "Unknown field"},
	{"missing-field", "Missing field"},
	{"unknown-parameter", "Unknown query parameter"},
	{"bad-parameter", "Bad query parameter"},
	{"bad-cursor", "Bad cursor"},
	{"bad-header", "Bad header"},
	{"body-too-large", "Body too large"},
	{"unsupported-media-type", "Unsupported media type"},
	{"if-match-required", "If-Match required"},
	{"stale-etag", "Changed since you read it"},
	{"idempotency-key-reused", "Idempotency key reused"},
	{"conflict", "Conflict"},
	{"invalid", "Not accepted"},
	{"not-permitted", "Not permitted for you"},
	{"not-open", "No longer open"},
	{"case-closed", "Case closed"},
	{"reserved-event-type", "Event type kept for the engine"},
	{"cpr-unavailable", "CPR lookup not set up"},
	{"kl-report-unavailable", "KL report not set up"},
	{"database-unavailable", "Database unavailable"},
	{"timeout", "Timed out"},
	{"internal", "Internal error"},
	{"invalid-workflow", "Workflow refused by the check"},
	{"version-exists", "Workflow version deployed already"},
	{"not-stuck", "Case is not stuck"},
	{"not-parked", "Delivery is not parked"},
	{"department-exists", "Department exists already"},
	{"staff-exists", "Staff member exists already"},
	{"unknown-department", "Unknown department"},
	{"cpr-registered", "CPR number registered already"},
	{"unknown-citizen", "Unknown citizen"},
	{"unknown-workflow", "Workflow not deployed"},
	{"case-exists", "Case running already"},
	{"instrument-exists", "Instrument exists already"},
	{"invalid-instrument", "Instrument not accepted"},
};

static const char *title_of(const char *type)
{
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (strcmp(titles[i].type, type) == 0)
			return titles[i].title;
	return "Request refused";
}

static void problem(struct call *call, int status, const char *type, const char *detail,
		    json_t *extra)
{
	if (status == 401)
		http_req_reply_header(call->req, "WWW-Authenticate", "Bearer realm=\"overgang\"");
	http_reply_problem(call->req, status, type, title_of(type), detail, extra);
	call_free(call);
}

/* Answers CALL 503: the daemon could not allocate what the answer needs. */
static void out_of_memory(struct call *call)
{
	problem(call, 503, "internal", "The server is out of memory; try again shortly.", NULL);
}

/* Logs WHAT with the route and KEY: VALUE (no person data) and answers CALL 500. */
static void internal_error(struct call *call, const char *key, const char *value, const char *what)
{
	og_error(json_pack("{s:s,s:s}", "route", call->b->route->name, key, value), "%s", what);
	problem(call, 500, "internal",
		"Something went wrong on our side; it has been logged. Try again later.", NULL);
}

/* Runs the prepared statement NAME (SQL) with PARAM (copied; NULL: out of memory before) for
 * CALL through the API's pool; FN gets the result. When it cannot be sent, CALL is answered
 * 503 (and freed). */
static void submit(struct call *call, const char *name, const char *sql, const char *param,
		   store_result_fn fn)
{
	struct api *api = call->api;
	const char *params[] = {param};
	api->waiting++; /* before: FN may run, and free CALL, before the submit returns */
	if (param && store_pool_query_named(api->pool, name, sql, 1, params, fn, call) == 0)
		return;
	api->waiting--;
	problem(call, 503, "database-unavailable",
		"The database cannot be reached just now; try again shortly.", NULL);
}

static json_t *field_extra(const char *field)
{
	return field && field[0] ? json_pack("{s:s}", "field", field) : NULL;
}

/* ---- the token cache ---- */

static unsigned bucket(const char *id)
{
	unsigned h = 5381;
	for (; *id; id++)
		h = h * 33 + (unsigned char)*id;
	return h % CACHE_BUCKETS;
}

static void cache_clear(struct api *api)
{
	for (int i = 0; i < CACHE_BUCKETS; i++) {
		while (api->cache[i]) {
			struct cached_token *t = api->cache[i];
			api->cache[i] = t->next;
			sodium_memzero(t, sizeof *t);
			free(t);
		}
	}
	api->ncached = 0;
}

static struct cached_token *cache_find(struct api *api, const char *id)
{
	for (struct cached_token *t = api->cache[bucket(id)]; t; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static void cache_put(struct api *api, const char *id, const unsigned char *hash, const char *staff,
		      enum api_role role)
{
	struct cached_token *t = cache_find(api, id);
	if (t == NULL) {
		if (api->ncached >= CACHE_MAX)
			cache_clear(api);
		t = calloc(1, sizeof *t);
		if (t == NULL)
			return;
		snprintf(t->id, sizeof t->id, "%s", id);
		unsigned b = bucket(id);
		t->next = api->cache[b];
		api->cache[b] = t;
		api->ncached++;
	}
	memcpy(t->hash, hash, API_TOKEN_HASH_LEN);
	snprintf(t->staff, sizeof t->staff, "%s", staff);
	t->role = role;
	t->expires = og_monotonic_seconds() + api->cfg->api_token_cache_ms / 1000.0;
}

/* ---- building the request document ---- */

static bool valid_utf8(const char *s)
{
	json_t *j = json_string(s);
	json_decref(j);
	return j != NULL;
}

static bool allowed_query(const struct api_route *route, const char *name)
{
	if ((route->flags & API_LIST) &&
	    (strcmp(name, "limit") == 0 || strcmp(name, "cursor") == 0))
		return true;
	for (const char *const *q = route->query; q && *q; q++)
		if (strcmp(*q, name) == 0)
			return true;
	return false;
}

/* The query parameters as an object of strings, and the page size; NULL after answering. */
static json_t *query_params(struct call *call, int *limit)
{
	const struct api_route *route = call->b->route;
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	const char *raw = http_req_query(call->req);
	const char *nul = strstr(raw, "%00");
	if (nul != NULL) {
		/* name the parameter: from the '&' before it up to its '=' */
		const char *start = nul;
		while (start > raw && start[-1] != '&')
			start--;
		char name[48];
		size_t len = strcspn(start, "=&");
		snprintf(name, sizeof name, "%.*s",
			 (int)(len < sizeof name ? len : sizeof name - 1), start);
		problem(call, 400, "bad-parameter", "A query parameter holds a NUL character.",
			valid_utf8(name) ? field_extra(name) : NULL);
		return NULL;
	}
	if (evhttp_parse_query_str(raw, &q) != 0) {
		evhttp_clear_headers(&q);
		problem(call, 400, "bad-parameter", "The query string cannot be read.", NULL);
		return NULL;
	}
	json_t *obj = json_object();
	*limit = DEFAULT_LIMIT < call->api->cfg->api_page_limit ? DEFAULT_LIMIT
								: call->api->cfg->api_page_limit;
	char detail[160];
	for (struct evkeyval *kv = q.tqh_first; kv; kv = kv->next.tqe_next) {
		const char *name = kv->key;
		if (!valid_utf8(name) || !allowed_query(route, name)) {
			char shown[48];
			og_copy_utf8(shown, sizeof shown, valid_utf8(name) ? name : "?");
			snprintf(detail, sizeof detail,
				 "This list does not take the query parameter '%s'.", shown);
			json_t *extra = field_extra(shown);
			evhttp_clear_headers(&q);
			json_decref(obj);
			problem(call, 400, "unknown-parameter", detail, extra);
			return NULL;
		}
		if (json_object_get(obj, name) || !valid_utf8(kv->value)) {
			snprintf(detail, sizeof detail, "The query parameter '%s' is %s.", name,
				 json_object_get(obj, name) ? "given twice" : "not valid UTF-8");
			json_t *extra = field_extra(name);
			evhttp_clear_headers(&q);
			json_decref(obj);
			problem(call, 400, "bad-parameter", detail, extra);
			return NULL;
		}
		if (strcmp(name, "limit") == 0) {
			char *end;
			long n = strtol(kv->value, &end, 10);
			if (kv->value[0] == '\0' || *end != '\0' || n < 1 ||
			    n > call->api->cfg->api_page_limit) {
				snprintf(detail, sizeof detail,
					 "limit must be a whole number from 1 to %d.",
					 call->api->cfg->api_page_limit);
				evhttp_clear_headers(&q);
				json_decref(obj);
				problem(call, 400, "bad-parameter", detail, field_extra("limit"));
				return NULL;
			}
			*limit = (int)n;
		}
		json_object_set_new(obj, name, json_string(kv->value));
	}
	evhttp_clear_headers(&q);
	return obj;
}

static bool is_json_type(const char *ct)
{
	if (ct == NULL)
		return false;
	size_t n = strcspn(ct, ";");
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	return n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0;
}

/* Replaces the CPR number in BODY by its keyed hash (the number stays only for a route that
 * stores it). False after answering. */
static bool cpr_to_hash(struct call *call, json_t *r, json_t *body)
{
	json_t *cpr = json_object_get(body, "cpr");
	if (cpr == NULL)
		return true;
	const char *s = json_string_value(cpr);
	if (!og_cpr_well_formed(s)) {
		problem(call, 400, "wrong-type",
			"The field 'cpr' must be a CPR number of 10 digits.", field_extra("cpr"));
		return false;
	}
	if (!call->api->has_cpr_key) {
		problem(call, 503, "cpr-unavailable",
			"Finding citizens by CPR number is not set up on this server ([api] "
			"cpr_key_file).",
			NULL);
		return false;
	}
	char hex[65];
	og_cpr_hash_hex(call->api->cpr_key, s, hex);
	json_object_set_new(r, "cpr_hash", json_string(hex));
	if (!(call->b->route->flags & API_KEEPS_CPR))
		json_object_del(body, "cpr");
	return true;
}

static json_t *header_string(struct call *call, const char *name, size_t max, bool *bad)
{
	const char *v = http_req_header(call->req, name);
	if (v == NULL)
		return json_null();
	if (strlen(v) > max || !valid_utf8(v)) {
		*bad = true;
		return NULL;
	}
	return json_string(v);
}

static void on_result(struct store_conn *conn, const PGresult *res, void *arg);
static void authenticated(struct call *call);
static bool kept_page(struct call *call, char *request);
static void list_begin(struct call *call, const PGresult *res, const char *rows, size_t rows_len);
static void deliver(struct call *call, const char *type, const char *body, size_t len,
		    const char *etag, const char *note, const char *rows, size_t rows_len);

/* Everything that can be checked here is; then the route's function runs. */
static void run(struct call *call)
{
	const struct api_route *route = call->b->route;
	if (!(route->roles & call->role)) {
		char detail[160];
		snprintf(detail, sizeof detail, "Your role (%s) does not give access to this.",
			 api_role_name(call->role));
		problem(call, 403, "forbidden", detail, NULL);
		return;
	}
	int limit;
	json_t *query = query_params(call, &limit);
	if (query == NULL)
		return;
	json_t *r = json_pack("{s:s,s:{s:s,s:s},s:o,s:i}", "route", route->name, "actor", "staff",
			      call->staff, "role", api_role_name(call->role), "query", query,
			      "limit", limit);
	json_t *params = json_object();
	for (int i = 0; i < call->b->nparams; i++) {
		const char *v = http_req_param(call->req, call->b->param[i]);
		if (v == NULL || !valid_utf8(v))
			v = "";
		json_object_set_new(params, call->b->param[i], json_string(v));
	}
	json_object_set_new(r, "params", params);
	if (call->b->defers_log)
		json_object_set_new(r, "log", json_string("defer"));

	size_t len = 0;
	const char *text = http_req_body(call->req, &len);
	json_t *body = json_null();
	if (route->flags & API_BODY) {
		if ((size_t)call->api->cfg->api_body_limit_kib * 1024 < len) {
			char detail[128];
			snprintf(detail, sizeof detail, "The body is larger than %d KiB.",
				 call->api->cfg->api_body_limit_kib);
			json_decref(r);
			problem(call, 413, "body-too-large", detail, NULL);
			return;
		}
		if (!is_json_type(http_req_header(call->req, "Content-Type"))) {
			json_decref(r);
			problem(call, 415, "unsupported-media-type",
				"Send the body as JSON, with Content-Type: application/json.",
				NULL);
			return;
		}
		struct api_body_error err;
		body = api_body_parse(text, len, route->body, &err);
		if (body == NULL) {
			json_decref(r);
			problem(call, err.status, err.type, err.detail, field_extra(err.field));
			return;
		}
		if (!cpr_to_hash(call, r, body)) {
			json_decref(body);
			json_decref(r);
			return;
		}
	}
	json_object_set_new(r, "body", body);

	bool bad = false;
	json_t *if_match = header_string(call, "If-Match", 100, &bad);
	json_t *purpose = bad ? NULL : header_string(call, "Overgang-Purpose", 200, &bad);
	json_t *idem = json_null();
	const char *key = http_req_header(call->req, "Idempotency-Key");
	if (!bad && key && (route->flags & API_IDEMPOTENT)) {
		if (strlen(key) == 0 || strlen(key) > 255 || !valid_utf8(key)) {
			json_decref(if_match);
			json_decref(r);
			problem(call, 400, "bad-header",
				"Idempotency-Key must be 1 to 255 characters, such as a UUID.",
				field_extra("Idempotency-Key"));
			return;
		}
		crypto_generichash_state st;
		unsigned char h[32];
		char hex[65];
		crypto_generichash_init(&st, NULL, 0, sizeof h);
		crypto_generichash_update(&st, (const unsigned char *)route->name,
					  strlen(route->name) + 1);
		const char *path = http_req_path(call->req);
		crypto_generichash_update(&st, (const unsigned char *)path, strlen(path) + 1);
		crypto_generichash_update(&st, (const unsigned char *)text, len);
		crypto_generichash_final(&st, h, sizeof h);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		idem = json_pack("{s:s,s:s}", "key", key, "hash", hex);
	}
	if (bad) {
		json_decref(if_match);
		json_decref(r);
		problem(call, 400, "bad-header",
			"If-Match or Overgang-Purpose is too long or not valid UTF-8.", NULL);
		return;
	}
	json_object_set_new(r, "if_match", if_match);
	json_object_set_new(r, "purpose", purpose);
	json_object_set_new(r, "idem", idem);
	if (route->prepare) {
		struct api_body_error err = {.status = 400, .type = "invalid"};
		if (route->prepare(r, call->api->cfg, &err) != 0) {
			json_decref(r);
			problem(call, err.status, err.type, err.detail, field_extra(err.field));
			return;
		}
	}

	char *rtext = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if ((route->flags & API_TASK_LIST) && rtext && kept_page(call, rtext))
		return;
	submit(call, route->name, call->b->sql, rtext, on_result);
	free(rtext);
}

/* Answers with the problem a failed statement stands for. */
static void db_problem(struct call *call, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	if (state == NULL)
		state = "";
	if (strcmp(state, "OGRPL") == 0 && detail) {
		/* the first answer to this Idempotency-Key */
		json_t *prev = json_loads(detail, 0, NULL);
		int status = (int)json_integer_value(json_object_get(prev, "status"));
		json_t *body = json_incref(json_object_get(prev, "body"));
		json_decref(prev);
		if (status >= 200 && status < 300 && body) {
			http_req_reply_header(call->req, "Idempotent-Replayed", "true");
			http_reply_json(call->req, status, body);
			call_free(call);
			return;
		}
		json_decref(body);
		problem(call, 409, "conflict",
			"A request with this Idempotency-Key is still being answered; try again "
			"shortly.",
			NULL);
		return;
	}
	if (strncmp(state, "OG", 2) == 0 && state[2] >= '1' && state[2] <= '5') {
		json_t *extra = detail && detail[0] ? json_loads(detail, 0, NULL) : NULL;
		json_t *etag = json_object_get(extra, "etag");
		if (json_is_string(etag))
			http_req_reply_header(call->req, "ETag", json_string_value(etag));
		problem(call, atoi(state + 2), hint ? hint : "invalid", primary, extra);
		return;
	}
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0) {
		problem(call, 409, "conflict",
			"Someone changed the same thing at the same moment; try again.", NULL);
		return;
	}
	if (strncmp(state, "23", 2) == 0 || strcmp(state, "P0002") == 0) {
		/* our own functions' messages are written for people and name no one; a
		 * constraint's message is SQL's, so it gets a sentence of ours */
		problem(call, 409, "conflict",
			constraint ? "This does not fit the case as it stands now." : primary,
			NULL);
		return;
	}
	if (strcmp(state, "57014") == 0) {
		problem(call, 503, "timeout", "The database took too long to answer; try again.",
			NULL);
		return;
	}
	internal_error(call, "sqlstate", state, "an API statement failed");
}

/* Answers CALL with the route's result: BODY (LEN bytes) as TYPE, with its ETag and
 * Overgang-Profile-Note headers when not NULL; frees CALL. */
static void answer(struct call *call, const char *type, const char *body, size_t len,
		   const char *etag, const char *note)
{
	if (etag)
		http_req_reply_header(call->req, "ETag", etag);
	if (note)
		http_req_reply_header(call->req, "Overgang-Profile-Note", note);
	http_reply(call->req, call->b->route->status, type, body, len);
	call_free(call);
}

/* A read's access-log rows are committed (or could not be): its answer, or 503. A task
 * list's page found anew is kept, its later reads' rows naming this one's (FIRST_ID). */
static void on_logged(void *arg, bool written, int64_t first_id)
{
	struct call *call = arg;
	char *body = call->body, *etag = call->etag, *note = call->note;
	call->api->waiting--;
	if (written && call->keep)
		list_pages_put(call->api->pages, call->page_key, call->page_keylen, &call->stamp,
			       body, call->len, call->rows, call->rows_len, first_id);
	if (written) {
		answer(call, call->type, body, call->len, etag, note);
	} else {
		problem(call, 503, "database-unavailable",
			"Your read could not be written to the access log, so it is not shown; try "
			"again shortly.",
			NULL);
	}
	free(body);
	free(etag);
	free(note);
}

static void on_result(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct call *call = arg;
	call->api->waiting--;
	if (res == NULL) {
		problem(call, 503, "database-unavailable",
			"The connection to the database was lost; try again shortly.", NULL);
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		db_problem(call, res);
		return;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		problem(call, 404, "not-found", "There is nothing here that you may see.", NULL);
		return;
	}
	const char *etag = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
	const char *note = NULL;
	const char *type = "application/json";
	if (call->b->route->flags & API_HTML)
		type = "text/html; charset=utf-8";
	else if (call->b->route->flags & API_FHIR) {
		type = "application/fhir+json; charset=utf-8";
		/* why the export claims less than KL's profiles (see bind_route) */
		if (PQnfields(res) > 2 && !PQgetisnull(res, 0, 2))
			note = PQgetvalue(res, 0, 2);
	} else if ((call->b->route->flags & API_CSV) && PQnfields(res) > 2 &&
		   strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		type = "text/csv; charset=utf-8";
	int last = PQnfields(res) - 1;
	const char *rows = call->b->defers_log ? PQgetvalue(res, 0, last) : "";
	size_t rows_len = call->b->defers_log ? (size_t)PQgetlength(res, 0, last) : 0;
	if (call->b->route->flags & API_TASK_LIST)
		list_begin(call, res, rows, rows_len);
	else
		deliver(call, type, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), etag,
			note, rows, rows_len);
}

/* ---- task lists: pages put together from kept entries (api/task_list.h) ---- */

static const char task_items_sql[] =
	"SELECT id, version, names, due_us, open, item FROM overgang.api_task_items($1::bigint[])";

static void list_failed(struct call *call, const char *why)
{
	if (strcmp(why, TASK_LIST_OOM) == 0) {
		out_of_memory(call);
		return;
	}
	internal_error(call, "error", why, "a task list's page could not be put together");
}

static void list_answer(struct call *call)
{
	size_t len;
	char *body = task_list_page_render(call->page, &len);
	if (body == NULL) {
		out_of_memory(call);
		return;
	}
	call->keep = call->page_key && call->rows && task_list_page_stamp(call->page, &call->stamp);
	if (!call->keep) {
		task_list_page_free(call->page);
		call->page = NULL;
	}
	deliver(call, call->type, body, len, NULL, NULL, call->rows ? call->rows : "",
		call->rows_len);
	free(body);
}

static void on_items(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct call *call = arg;
	(void)conn;
	call->api->waiting--;
	char err[160];
	if (res == NULL)
		problem(call, 503, "database-unavailable",
			"The connection to the database was lost; try again shortly.", NULL);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		db_problem(call, res);
	else if (task_list_page_fill(call->api->lists, call->page, res, err, sizeof err) != 0)
		list_failed(call, err);
	else
		list_answer(call);
}

/* A task list's keys are in: its page from the kept entries, with the others rendered. */
static void list_begin(struct call *call, const PGresult *res, const char *rows, size_t rows_len)
{
	char err[160];
	call->type = "application/json";
	call->page = task_list_page_new(call->api->lists, PQgetvalue(res, 0, 0),
					(size_t)PQgetlength(res, 0, 0), err, sizeof err);
	if (call->page == NULL) {
		list_failed(call, err);
		return;
	}
	call->rows_len = rows_len;
	call->rows = malloc(rows_len + 1);
	bool oom = call->rows == NULL;
	if (call->rows)
		memcpy(call->rows, rows, rows_len + 1);
	char *missing = oom ? NULL : task_list_page_missing(call->page, &oom);
	if (oom) {
		out_of_memory(call);
	} else if (missing == NULL) {
		list_answer(call);
	} else {
		submit(call, "task_items", task_items_sql, missing, on_items);
		free(missing);
	}
}

/* The page kept for CALL's request has been checked: shown as kept, or found again. */
static void on_kept_page(void *arg, const struct list_pages_view *view)
{
	struct call *call = arg;
	call->api->waiting--;
	char *request = call->request;
	call->request = NULL;
	if (view) {
		deliver(call, "application/json", view->body, view->len, NULL, NULL, view->rows,
			view->rows_len);
	} else {
		submit(call, call->b->route->name, call->b->sql, request, on_result);
	}
	free(request);
}

/* What a task list's page is kept by: the route, the person and role, the path's values,
 * the query and the purpose, each after its length (so no two requests' fields run into
 * the same key). */
static char *page_key(struct call *call, size_t *len)
{
	const char *parts[5 + MAX_PATH_PARAMS];
	size_t n = 0, size = 1;
	parts[n++] = call->b->route->name;
	parts[n++] = call->staff;
	parts[n++] = api_role_name(call->role);
	for (int i = 0; i < call->b->nparams; i++) {
		const char *v = http_req_param(call->req, call->b->param[i]);
		parts[n++] = v ? v : "";
	}
	const char *query = http_req_query(call->req);
	const char *purpose = http_req_header(call->req, "Overgang-Purpose");
	parts[n++] = query;
	parts[n++] = purpose ? purpose : "";
	for (size_t i = 0; i < n; i++)
		size += strlen(parts[i]) + 21;
	char *key = malloc(size), *p = key;
	if (key == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%zu:%s", strlen(parts[i]), parts[i]);
	*len = (size_t)(p - key);
	return key;
}

/* Shows CALL's task list page as kept, when one is kept for its request and still holds
 * (else REQUEST, its document, is run as usual): true when the check is on its way, and
 * REQUEST is CALL's now. */
static bool kept_page(struct call *call, char *request)
{
	call->page_key = page_key(call, &call->page_keylen);
	if (call->page_key == NULL)
		return false;
	call->request = request;
	call->api->waiting++; /* until on_kept_page */
	if (list_pages_check(call->api->pages, call->page_key, call->page_keylen, on_kept_page,
			     call))
		return true;
	call->api->waiting--;
	call->request = NULL;
	return false;
}

/* Answers CALL with BODY (LEN bytes, copied when kept) as TYPE, at once when the read logged
 * nothing (ROWS empty or "[]"), else once ROWS (ROWS_LEN bytes) are in the access log. */
static void deliver(struct call *call, const char *type, const char *body, size_t len,
		    const char *etag, const char *note, const char *rows, size_t rows_len)
{
	if (rows[0] == '\0' || strcmp(rows, "[]") == 0) {
		answer(call, type, body, len, etag, note);
		return;
	}
	/* the answer waits until the person's read is in the access log */
	call->type = type;
	call->len = len;
	call->body = malloc(call->len + 1);
	call->etag = etag ? strdup(etag) : NULL;
	call->note = note ? strdup(note) : NULL;
	if (call->body == NULL || (etag && !call->etag) || (note && !call->note)) {
		free(call->body);
		free(call->etag);
		free(call->note);
		out_of_memory(call);
		return;
	}
	memcpy(call->body, body, call->len);
	call->api->waiting++; /* until on_logged */
	if (access_log_add(call->api->log, rows, rows_len, on_logged, call) != 0) {
		og_error(json_pack("{s:s}", "route", call->b->route->name),
			 "a read's access-log rows could not be queued");
		on_logged(call, false, 0);
	}
}

/* ---- authentication ---- */

static void on_token(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct call *call = arg;
	call->api->waiting--;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		problem(call, 503, "database-unavailable",
			"The database cannot be reached just now; try again shortly.", NULL);
		return;
	}
	unsigned char stored[API_TOKEN_HASH_LEN];
	size_t hlen = 0;
	bool ok = PQntuples(res) == 1;
	if (ok) {
		const char *hex = PQgetvalue(res, 0, 2); /* "\x..." */
		ok = strlen(hex) == 2 + 2 * API_TOKEN_HASH_LEN &&
		     sodium_hex2bin(stored, sizeof stored, hex + 2, 2 * API_TOKEN_HASH_LEN, NULL,
				    &hlen, NULL) == 0 &&
		     hlen == API_TOKEN_HASH_LEN && api_token_hash_equal(stored, call->token_hash);
	}
	enum api_role role = ok ? api_role_parse(PQgetvalue(res, 0, 1)) : 0;
	if (!ok || role == 0) {
		problem(call, 401, "unauthorized",
			"The token is not known, has been revoked, or belongs to someone no "
			"longer active.",
			NULL);
		return;
	}
	snprintf(call->staff, sizeof call->staff, "%s", PQgetvalue(res, 0, 0));
	call->role = role;
	if (call->api->cfg->api_token_cache_ms > 0)
		cache_put(call->api, call->token_id, stored, call->staff, role);
	authenticated(call);
}

/* The token is good: on to the route, or back to whoever asked (api_authenticate). */
static void authenticated(struct call *call)
{
	http_req_set_actor(call->req, call->staff);
	if (call->b) {
		run(call);
		return;
	}
	if (!(call->roles & call->role)) {
		char detail[160];
		snprintf(detail, sizeof detail, "Your role (%s) does not give access to this.",
			 api_role_name(call->role));
		problem(call, 403, "forbidden", detail, NULL);
		return;
	}
	call->ok(call->req, call->ok_arg);
	call_free(call);
}

static const char token_sql[] =
	"SELECT t.staff_id, t.role, t.hash FROM api_token t JOIN staff s ON s.id = t.staff_id"
	" WHERE t.id = $1 AND t.revoked_at IS NULL AND s.status <> 'inactive'";

/* Checks the bearer token of CALL's request; authenticated() or a 401/503 answer follows. */
static void authenticate(struct call *call)
{
	struct api *api = call->api;
	struct http_req *req = call->req;
	const char *auth = http_req_header(req, "Authorization");
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0 ||
	    !api_token_parse(auth + 7, call->token_id, call->token_hash)) {
		problem(call, 401, "unauthorized",
			auth ? "The Authorization header does not hold a valid bearer token."
			     : "Send a bearer token: Authorization: Bearer og_...",
			NULL);
		return;
	}
	struct cached_token *t = cache_find(api, call->token_id);
	if (t && t->expires > og_monotonic_seconds() &&
	    api_token_hash_equal(t->hash, call->token_hash)) {
		snprintf(call->staff, sizeof call->staff, "%s", t->staff);
		call->role = t->role;
		authenticated(call);
		return;
	}
	submit(call, "api_token", token_sql, call->token_id, on_token);
}

static struct call *call_new(struct api *api, struct http_req *req)
{
	struct call *call = calloc(1, sizeof *call);
	if (call == NULL) {
		http_reply_problem(req, 503, "internal", "Internal error", "out of memory", NULL);
		return NULL;
	}
	call->api = api;
	call->req = req;
	return call;
}

static void on_route(struct http_req *req, void *arg)
{
	struct binding *b = arg;
	struct call *call = call_new(b->api, req);
	if (call == NULL)
		return;
	call->b = b;
	authenticate(call);
}

void api_authenticate(struct api *api, struct http_req *req, unsigned roles, api_auth_fn ok,
		      void *arg)
{
	struct call *call = call_new(api, req);
	if (call == NULL)
		return;
	call->roles = roles;
	call->ok = ok;
	call->ok_arg = arg;
	authenticate(call);
}

static void on_openapi(struct http_req *req, void *arg)
{
	struct api *api = arg;
	http_reply(req, 200, "application/json", api->openapi, strlen(api->openapi));
}

/* ---- set-up ---- */

static int read_cpr_key(struct api *api, char *err, size_t errlen)
{
	const char *path = api->cfg->api_cpr_key_file;
	if (path == NULL || path[0] == '\0')
		return 0;
	if (og_cpr_key_load(path, api->cpr_key, err, errlen) != 0)
		return -1;
	api->has_cpr_key = true;
	return 0;
}

static int bind_route(struct api *api, struct http_server *srv, const struct api_route *route,
		      struct binding *b)
{
	b->api = api;
	b->route = route;
	b->defers_log = strcmp(route->method, "GET") == 0;
	/* a read's rows for the access log, last (0026_access_log_batches.sql) */
	const char *rows = b->defers_log ? ", current_setting('overgang.access_rows', true)" : "";
	size_t n = strlen(route->function) + 96 + strlen(rows);
	b->sql = malloc(n);
	if (b->sql == NULL)
		return -1;
	if (route->flags & API_HTML)
		snprintf(b->sql, n, "SELECT b #>> '{}', NULL%s FROM %s($1::jsonb) AS b", rows,
			 route->function);
	else if (route->flags & API_CSV) /* a JSON string is the CSV */
		snprintf(b->sql, n,
			 "SELECT b #>> '{}', b->>'etag', jsonb_typeof(b) = 'string'%s"
			 " FROM %s($1::jsonb) AS b",
			 rows, route->function);
	else if (route->flags & API_FHIR) /* {"bundle": ..., "note": why less is claimed} */
		snprintf(b->sql, n,
			 "SELECT (b->'bundle')::text, NULL, b->>'note'%s FROM %s($1::jsonb) AS b",
			 rows, route->function);
	else if (route->flags & API_LIST) /* a page has no ETag: not parsed again to find one */
		snprintf(b->sql, n, "SELECT b::text, NULL%s FROM %s($1::jsonb) AS b", rows,
			 route->function);
	else
		snprintf(b->sql, n, "SELECT b::text, b->>'etag'%s FROM %s($1::jsonb) AS b", rows,
			 route->function);
	for (const char *p = strchr(route->pattern, '{'); p && b->nparams < MAX_PATH_PARAMS;
	     p = strchr(p + 1, '{')) {
		size_t len = strcspn(p + 1, "}");
		if (len >= sizeof b->param[0])
			return -1;
		memcpy(b->param[b->nparams], p + 1, len);
		b->param[b->nparams++][len] = '\0';
	}
	return http_server_route(srv, route->method, route->pattern, route->name, on_route, b);
}

static void collect_list_metrics(void *arg)
{
	struct api *api = arg;
	struct task_list_stats st;
	task_list_cache_stats(api->lists, &st);
	static const char *const kept[] = {"kept"}, *const rendered[] = {"rendered"};
	og_metrics_add(api->m_list_entries, kept, (double)(st.shown - api->list_shown));
	og_metrics_add(api->m_list_entries, rendered, (double)(st.rendered - api->list_rendered));
	api->list_shown = st.shown;
	api->list_rendered = st.rendered;
	og_metrics_set(api->m_list_bytes, NULL, (double)st.bytes);
	struct list_pages_stats ps;
	list_pages_stats(api->pages, &ps);
	static const char *const changed[] = {"changed"};
	og_metrics_add(api->m_list_pages, kept, (double)(ps.shown - api->pages_shown));
	og_metrics_add(api->m_list_pages, changed, (double)(ps.changed - api->pages_changed));
	api->pages_shown = ps.shown;
	api->pages_changed = ps.changed;
	og_metrics_set(api->m_pages_bytes, NULL, (double)ps.bytes);
}

struct api *api_new(struct event_base *base, const struct cfg *cfg, struct http_server *srv,
		    char *err, size_t errlen)
{
	static const struct api_route *const tables[] = {
		api_routes_core,    api_routes_work, api_routes_admin,      api_routes_plan,
		api_routes_reports, api_routes_fhir, api_routes_instruments};
	struct api *api = calloc(1, sizeof *api);
	if (api == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	api->cfg = cfg;
	api->openapi = api_openapi_document(err, errlen);
	if (api->openapi == NULL || read_cpr_key(api, err, errlen) != 0)
		goto fail;
	int n = 0;
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
		for (const struct api_route *r = tables[t]; r->method; r++)
			n++;
	api->bindings = calloc((size_t)n, sizeof *api->bindings);
	if (api->bindings == NULL)
		goto oom;
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
		for (const struct api_route *r = tables[t]; r->method; r++)
			if (bind_route(api, srv, r, &api->bindings[api->nbindings++]) != 0)
				goto oom;
	if (http_server_route(srv, "GET", "/v1/openapi.json", "openapi", on_openapi, api) != 0)
		goto oom;
	/* the hard limit of what the server reads; the route answers 413 above body_limit */
	http_server_set_limits(srv, (size_t)cfg->api_body_limit_kib * 1024 * 4 + 65536, 16384,
			       cfg->api_timeout_ms / 1000);
	static const char session_sql[] = "SELECT set_config('TimeZone', 'UTC', false),"
					  " set_config('jit', 'off', false),"
					  " set_config('statement_timeout', '10s', false),"
					  " set_config('lock_timeout', '5s', false)";
	api->pool = store_pool_new(base, cfg_conninfo(cfg), "overgangd api", cfg->api_connections,
				   cfg->db_reconnect_min_ms, cfg->db_reconnect_max_ms, session_sql);
	if (api->pool == NULL)
		goto oom;
	api->log = access_log_new(base, cfg_conninfo(cfg), cfg->db_reconnect_min_ms,
				  cfg->db_reconnect_max_ms, session_sql, cfg->api_access_log_merge);
	if (api->log == NULL)
		goto oom;
	api->lists = task_list_cache_new((size_t)cfg->api_list_cache_mib * 1024 * 1024);
	if (api->lists == NULL)
		goto oom;
	api->pages = list_pages_new(base, api->pool, (size_t)cfg->api_list_pages_mib * 1024 * 1024);
	if (api->pages == NULL)
		goto oom;
	static const char *const how[] = {"how", NULL};
	api->m_list_entries = og_metrics_register(
		OG_COUNTER, "overgang_api_list_entries_total",
		"Queue and inbox entries answered, by how: kept (shown as kept in the daemon) or "
		"rendered (by PostgreSQL)",
		how, NULL, 0);
	api->m_list_bytes = og_metrics_register(
		OG_GAUGE, "overgang_api_list_cache_bytes",
		"Bytes of queue and inbox entries kept rendered ([api] list_cache)", NULL, NULL, 0);
	api->m_list_pages = og_metrics_register(
		OG_COUNTER, "overgang_api_list_pages_total",
		"Queue and inbox pages kept whole and checked, by how: kept (nothing on the list "
		"changed: shown as kept) or changed (found again)",
		how, NULL, 0);
	api->m_pages_bytes = og_metrics_register(
		OG_GAUGE, "overgang_api_list_pages_bytes",
		"Bytes of whole queue and inbox pages kept ([api] list_pages)", NULL, NULL, 0);
	og_metrics_on_collect(collect_list_metrics, api);
	return api;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	api_free(api);
	return NULL;
}

void api_free(struct api *api)
{
	if (api == NULL)
		return;
	store_pool_free(api->pool); /* before the log: a read it answers may still add rows */
	access_log_free(api->log);
	list_pages_free(api->pages); /* after the pool, which answers the checks in flight */
	task_list_cache_free(api->lists);
	for (int i = 0; i < api->nbindings; i++)
		free(api->bindings[i].sql);
	free(api->bindings);
	cache_clear(api);
	sodium_memzero(api->cpr_key, sizeof api->cpr_key);
	free(api);
}

bool api_idle(const struct api *api) { return api->waiting == 0; }
