/*
 * How a /v1 route is declared. Every route is a row in a table (routes_*.c): its method and
 * path, the roles that may call it, the query parameters and body fields it takes, and the
 * SQL function api_FUNCTION(r jsonb) that does the work in one statement: authorization by
 * case and department, the read or write, and the access log entry, in one transaction (see
 * engine/store/migrations/0003_api.sql for R's shape). A GET route's function hands its
 * access-log entry back instead (r.log = "defer"), and the daemon answers once the entry is
 * committed (api/access_log.h). The daemon checks everything that
 * can be checked without the database first: token, role, content type, size, JSON syntax,
 * field names and types, query parameters.
 */
#ifndef OG_API_ROUTE_H
#define OG_API_ROUTE_H

#include <stdbool.h>

#include "api/token.h"

enum api_type {
	API_STRING,  /* a JSON string */
	API_TEXT,    /* a JSON string with something in it besides spaces */
	API_INTEGER, /* a JSON integer */
	API_NUMBER,  /* a JSON number */
	API_BOOLEAN,
	API_DATE,   /* a string YYYY-MM-DD */
	API_OBJECT, /* a JSON object, any members */
	API_ARRAY,
	API_ANY,
};

struct api_field {
	const char *name;
	enum api_type type;
	bool required;
};

enum api_route_flags {
	API_LIST = 1 << 0,       /* takes ?limit= and ?cursor=, answers a page */
	API_IDEMPOTENT = 1 << 1, /* takes an Idempotency-Key header */
	API_BODY = 1 << 2,       /* takes a JSON body, described by .body */
	/* A body's "cpr" (checked: 10 digits) always reaches the function as its keyed hash,
	 * r.cpr_hash; the number itself only for a route with this flag, which stores it. */
	API_KEEPS_CPR = 1 << 3,
	/* The function answers a JSON string holding an HTML page, sent as text/html. */
	API_HTML = 1 << 4,
	/* The function answers JSON, or a JSON string holding CSV, sent as text/csv. */
	API_CSV = 1 << 5,
	/* The function answers a FHIR resource, sent as application/fhir+json. */
	API_FHIR = 1 << 6,
	/* A queue or inbox of tasks (with API_LIST): the function answers the page's keys, as
	 * api_task_keys gives them, and the daemon puts the page together (api/task_list.h). */
	API_TASK_LIST = 1 << 7,
};

struct api_body_error;
struct cfg;
typedef struct json_t json_t;

/* Work a route does in the daemon before its SQL function runs (compiling a workflow's
 * source, say): may add members to R, the request document. Returns 0, or -1 with ERR
 * filled (status, type, detail, field), which is the answer. Runs on the event loop: keep it
 * short and never block. */
typedef int (*api_prepare_fn)(json_t *r, const struct cfg *cfg, struct api_body_error *err);

struct api_route {
	const char *method;
	const char *pattern;  /* "/v1/cases/{id}" */
	const char *name;     /* unique: metrics label, prepared statement, access log "via" */
	unsigned roles;       /* enum api_role bits allowed to call it */
	const char *function; /* "api_case" */
	int status;           /* on success: 200, or 201 for a write that creates */
	unsigned flags;
	const char *const *query;     /* NULL-terminated names besides limit and cursor */
	const struct api_field *body; /* { NULL } terminated, with API_BODY */
	api_prepare_fn prepare;       /* NULL: none */
};

/* The route tables; each ends with a route whose method is NULL. */
extern const struct api_route api_routes_core[];    /* me, queue, case: routes_core.c */
extern const struct api_route api_routes_work[];    /* tovholder and department work */
extern const struct api_route api_routes_admin[];   /* administrators, registration, audit */
extern const struct api_route api_routes_plan[];    /* the citizen's plan, JSON and HTML */
extern const struct api_route api_routes_reports[]; /* reports on deadlines and effect */
extern const struct api_route api_routes_fhir[];    /* goals and follow-ups as FHIR */

extern const struct api_route api_routes_instruments[]; /* the instrument registry */

#endif
