/*
 * overgang plugin ABI — the one header a plugin is built against.
 *
 * A plugin is a shared object (NAME.so) that exports one constant descriptor,
 *
 *     OG_PLUGIN_EXPORT const struct og_plugin overgang_plugin = {
 *             .abi_major = OG_PLUGIN_ABI_MAJOR, .abi_minor = OG_PLUGIN_ABI_MINOR,
 *             .name = "example", .version = "1.0", .init = example_init,
 *             .shutdown = example_shutdown,
 *     };
 *
 * The daemon loads it with dlopen(RTLD_NOW | RTLD_LOCAL) and checks the descriptor before
 * running any of the plugin's code: a different ABI major, or a newer minor than the daemon
 * has, is refused with a message naming the file, the plugin's ABI and the daemon's. Then
 * init() gets the host's function table (struct og_host) and a context that every host
 * function takes first. The plugin keeps both; they stay valid until shutdown() returns.
 *
 * Compatibility: within one major version the host only ever appends functions to struct
 * og_host and members to the structs below; struct og_host starts with its size and minor
 * version, so a plugin built for minor N runs on every host of minor >= N. A plugin never
 * links against the daemon's internals: it sees this header and libevent's public headers
 * (it may use the loop the host hands it), and nothing else.
 *
 * Threads: everything runs on the daemon's one event loop thread. Host functions may be
 * called only from that thread (from init, from a callback the host made, or from the
 * plugin's own events on the host's loop). Nothing may block: a plugin does its I/O with
 * non-blocking sockets on the loop, or on a thread of its own that reports back through the
 * loop by writing to a pipe or eventfd the plugin watches there (the host does not turn on
 * libevent's locking, so no other libevent call from another thread is safe).
 *
 * Strings passed to the host are copied before the call returns unless said otherwise;
 * strings the host passes are valid only during the callback.
 */
#ifndef OVERGANG_PLUGIN_H
#define OVERGANG_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OG_PLUGIN_ABI_MAJOR 1
#define OG_PLUGIN_ABI_MINOR 1

#define OG_PLUGIN_EXPORT __attribute__((visibility("default")))

struct event_base;

/* The host's handle on one loaded plugin; the first argument of every host function. */
struct og_plugin_ctx;

enum og_log_level { OG_LOG_DEBUG = 0, OG_LOG_INFO = 1, OG_LOG_WARN = 2, OG_LOG_ERROR = 3 };

/* ---- Events into cases ---- */

/* An event to put into a case, found by its id or by a reference another system knows it
 * by (set with case:ref { system = ..., ref = ... } in a workflow, or by the host). */
struct og_event {
	size_t size;            /* sizeof(struct og_event) as the plugin was built */
	int64_t case_id;        /* > 0: this case; 0: find it by ref_system and ref */
	const char *ref_system; /* e.g. "nexus" */
	const char *ref;        /* the other system's id for the case */
	const char *type;       /* one og_event_type_allowed() takes */
	const char *payload;    /* a JSON object as text; NULL: {} */
	const char *idem_key;   /* required: the same key for the same case is taken once */
	/* Since ABI 1.1: no case and no ref, but this citizen's CPR number (10 digits; [api]
	 * cpr_key_file must be set): an event about the citizen. It starts a case on every
	 * workflow whose start rule is { event = TYPE } (unless the citizen has one running) and
	 * goes into every running case of the citizen whose workflow handles TYPE; the key is
	 * taken once per citizen. DONE's CASE_ID is the first case it started or went into;
	 * OG_EMIT_REFUSED with "nothing receives this event" when none. */
	const char *cpr;
};
/* The size of struct og_event as ABI 1.0 plugins build it (without cpr). */
#define OG_EVENT_SIZE_1_0 offsetof(struct og_event, cpr)

/* Whether TYPE may be put into a case by a plugin: ^[a-z][a-z0-9_]*$, at most 64
 * characters, and not a type the engine makes itself. og_host.emit refuses any other. */
static inline int og_event_type_allowed(const char *type)
{
	static const char *const engine_types[] = {"started",           "task_done",
						   "task_overdue",      "handover_accepted",
						   "handover_rejected", "tovholder_unavailable",
						   "migrated",          "delivered",
						   "delivery_failed",   NULL};
	if (type == NULL || !(type[0] >= 'a' && type[0] <= 'z') || strlen(type) > 64)
		return 0;
	for (const char *p = type; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	for (int i = 0; engine_types[i]; i++)
		if (strcmp(engine_types[i], type) == 0)
			return 0;
	return 1;
}

/* The outcome of og_host.emit: OK is OG_EMIT_ADDED (stored now) or OG_EMIT_KNOWN (this key
 * was used for the case, or the citizen, before: nothing added, a replay) with CASE_ID saying
 * where, or OG_EMIT_REFUSED with ERROR saying why ("no such case", "the case is closed", "no
 * such citizen", "nothing receives this event"; no personal data). */
enum { OG_EMIT_REFUSED = 0, OG_EMIT_ADDED = 1, OG_EMIT_KNOWN = 2 };
typedef void (*og_emit_done_fn)(void *arg, int ok, int64_t case_id, const char *error);

/* ---- Outbox deliveries ---- */

/* One side effect a workflow asked for (case:outbox { plugin = NAME, action = ..., key = ...,
 * payload = {...} }), written in the same transaction as the step, handed to the plugin after
 * commit. Delivery is at least once: the same row may be handed again after a crash, so pass
 * IDEM_KEY to the other system, which deduplicates by it. */
struct og_delivery {
	size_t size;
	int64_t id;          /* the outbox row */
	int64_t case_id;     /* 0 when the row belongs to no case */
	const char *action;  /* as registered */
	const char *payload; /* JSON object as text */
	const char *idem_key;
	int attempt; /* 1 on the first try */
};

enum og_delivery_result {
	OG_DELIVERED = 0, /* done; the other system has it */
	OG_RETRY = 1,     /* failed for now: try again after RETRY_MS (0: the host's backoff) */
	OG_FAILED = 2,    /* will never succeed as it is: parked for an administrator at once */
};

/* The host calls this to deliver D (valid until the plugin calls og_host.delivered for it).
 * Return 0 when the delivery has started (answer later with og_host.delivered) or -1 when it
 * cannot start now (the host retries later). */
typedef int (*og_deliver_fn)(struct og_plugin_ctx *ctx, const struct og_delivery *d, void *arg);

/* ---- HTTP routes under /v1/plugins/NAME/ ---- */

struct og_http_request; /* valid from the handler's call until the plugin replies */

typedef void (*og_http_fn)(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg);

/* Who may call a plugin's route. */
enum og_route_access {
	/* Anyone who reaches the port: the plugin authenticates the caller itself (a signature
	 * over the body, a shared secret), as other systems have no overgang token. */
	OG_ROUTE_OPEN = 0,
	/* An administrator's bearer token, checked by the host before the handler runs (the
	 * handler then knows who: og_host.http_actor). */
	OG_ROUTE_ADMIN = 1,
};

/* ---- Citizens from a person register ---- */

/* One citizen as a register knows them. A citizen is the same citizen by CPR number (found
 * through its keyed hash; [api] cpr_key_file must be set). Elements of one array all have
 * the size of the first. */
struct og_citizen {
	size_t size;
	const char *cpr;          /* 10 digits */
	const char *name;         /* never logged */
	const char *birth_date;   /* YYYY-MM-DD */
	const char *municipality; /* the municipality code, or NULL */
	const char *attributes;   /* a JSON object as text, merged into the citizen's, or NULL */
};

struct og_upsert_result {
	size_t size;
	long added, changed, unchanged;
};

/* OK: all were written in one transaction (R counts them). Not OK: none were; ERROR says
 * why, naming the element by its index, never its data. */
typedef void (*og_upsert_done_fn)(void *arg, int ok, const struct og_upsert_result *r,
				  const char *error);

/* ---- The staff directory ---- */

struct og_department {
	size_t size;
	const char *id; /* ^[a-z0-9][a-z0-9-]*$ */
	const char *name;
};

struct og_staff {
	size_t size;
	const char *id; /* ^[a-z0-9][a-z0-9._-]*$ */
	const char *name;
	const char *email; /* or NULL */
	int active;        /* 0: disabled in the directory */
};

struct og_membership {
	size_t size;
	const char *staff;
	const char *department;
	int lead;
};

/* The whole directory as a source sees it now. */
struct og_directory {
	size_t size;
	const struct og_department *departments;
	size_t ndepartments;
	const struct og_staff *staff;
	size_t nstaff;
	const struct og_membership *memberships;
	size_t nmemberships;
};

struct og_sync_result {
	size_t size;
	long added, changed, deactivated, unchanged;
};

typedef void (*og_sync_done_fn)(void *arg, int ok, const struct og_sync_result *r,
				const char *error);

/* ---- Lua helpers and periodic jobs ---- */

/* A pure function workflows call as plugins.NAME.FUNCTION(args...): ARGS is a JSON array
 * of the arguments; write the result as JSON text into OUT (OUTLEN bytes) and return 0, or
 * return -1 with a message in OUT (it becomes the Lua error). It must be fast and do no I/O:
 * it runs inside a step, within the handler's budget. */
typedef int (*og_lua_fn)(void *arg, const char *args, char *out, size_t outlen);

/* A periodic job: runs on one daemon at a time, every INTERVAL_MS across all daemons
 * sharing the database. Call og_host.job_done when the run is over (possibly later). */
typedef void (*og_job_fn)(struct og_plugin_ctx *ctx, void *arg);

/* ---- The host's function table ---- */

struct og_host {
	uint32_t size;      /* sizeof(struct og_host) of the host */
	uint32_t abi_minor; /* the host's OG_PLUGIN_ABI_MINOR */

	/* Logs MSG (printf format) as one JSON line naming the plugin. Never log a CPR number
	 * or a citizen's name. */
	void (*log)(struct og_plugin_ctx *ctx, enum og_log_level level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* The value of KEY in the plugin's [plugin.NAME] section, or NULL when absent. */
	const char *(*config)(struct og_plugin_ctx *ctx, const char *key);

	/* The daemon's event loop, for the plugin's own sockets and timers. The plugin frees
	 * its events before shutdown() returns. */
	struct event_base *(*event_base)(struct og_plugin_ctx *ctx);

	/* Puts EV into its case; DONE (may be NULL) reports the outcome from the loop, never
	 * before emit returns. Returns 0, or -1 when nothing happens: EV is malformed (logged),
	 * or the database cannot be reached or memory runs out (try again later). */
	int (*emit)(struct og_plugin_ctx *ctx, const struct og_event *ev, og_emit_done_fn done,
		    void *arg);

	/* Registers ACTION (outbox rows with plugin = this plugin's name and this action) and
	 * the function that delivers them. Only during init. Returns 0 or -1. */
	int (*register_action)(struct og_plugin_ctx *ctx, const char *action, og_deliver_fn deliver,
			       void *arg);

	/* The outcome of delivery D. ERROR (for OG_RETRY and OG_FAILED) is kept on the outbox
	 * row and shown to administrators: no personal data. When the workflow asked for word
	 * back (case:outbox { ..., notify = true }), the case gets an event "delivered" once
	 * delivered, or "delivery_failed" once parked, with payload {plugin, action, key,
	 * result, error}: RESULT (a JSON object as text, or NULL) is what the plugin wants the
	 * workflow to know (the other system's reference, say). D is invalid after this call. */
	void (*delivered)(struct og_plugin_ctx *ctx, const struct og_delivery *d,
			  enum og_delivery_result outcome, int retry_ms, const char *error,
			  const char *result);

	/* Adds METHOD SUBPATH ("in/{name}") under /v1/plugins/NAME/, callable as ACCESS says.
	 * Only during init. */
	int (*register_route)(struct og_plugin_ctx *ctx, const char *method, const char *subpath,
			      enum og_route_access access, og_http_fn fn, void *arg);
	/* The request: method, path, a {param} of the subpath, a header, the body. */
	const char *(*http_method)(struct og_http_request *req);
	const char *(*http_path)(struct og_http_request *req);
	const char *(*http_param)(struct og_http_request *req, const char *name);
	const char *(*http_header)(struct og_http_request *req, const char *name);
	const char *(*http_body)(struct og_http_request *req, size_t *len);
	/* Replies (exactly once per request; REQ is invalid afterwards). */
	void (*http_reply)(struct og_http_request *req, int status, const char *content_type,
			   const char *body, size_t len);
	/* An application/problem+json reply: TYPE a short slug, DETAIL a sentence (no personal
	 * data). */
	void (*http_problem)(struct og_http_request *req, int status, const char *type,
			     const char *detail);

	/* Makes FN callable from workflows as plugins.NAME.FUNCTION. Only during init. */
	int (*register_lua)(struct og_plugin_ctx *ctx, const char *function, og_lua_fn fn,
			    void *arg);

	/* Registers a periodic job. Only during init. */
	int (*register_job)(struct og_plugin_ctx *ctx, const char *job, int interval_ms,
			    og_job_fn fn, void *arg);
	/* Ends the current run of JOB; OK false logs ERROR and tries again at the next
	 * interval. */
	void (*job_done)(struct og_plugin_ctx *ctx, const char *job, int ok, const char *error);
	/* Asks for a run of JOB now, on this daemon, whether due or not. Returns 1 when asked
	 * for (it starts within moments, unless another daemon is running the job at this
	 * moment: then this request lapses), 0 when this daemon is running it already, -1 for
	 * no such job. */
	int (*run_job)(struct og_plugin_ctx *ctx, const char *job);

	/* On an OG_ROUTE_ADMIN route: the staff id of the administrator calling. */
	const char *(*http_actor)(struct og_http_request *req);

	/* Adds or updates N citizens in one transaction; DONE reports from the loop. Returns 0,
	 * or -1 when the call itself is wrong (nothing happens, DONE is not called). */
	int (*upsert_citizens)(struct og_plugin_ctx *ctx, const struct og_citizen *citizens,
			       size_t n, og_upsert_done_fn done, void *arg);

	/* Makes departments, staff and memberships what DIR says, in one transaction, for the
	 * staff this plugin manages: new ones are added and marked as managed by it; staff it
	 * manages that DIR no longer lists, or lists as inactive, become inactive (their cases
	 * get a tovholder_unavailable event); staff added by hand are never touched. A staff
	 * member's memberships are replaced by DIR's. Departments are added or renamed, never
	 * removed. Returns 0, or -1 when the call itself is wrong. */
	int (*sync_directory)(struct og_plugin_ctx *ctx, const struct og_directory *dir,
			      og_sync_done_fn done, void *arg);
};

/* ---- The descriptor ---- */

struct og_plugin {
	uint32_t abi_major; /* OG_PLUGIN_ABI_MAJOR */
	uint32_t abi_minor; /* OG_PLUGIN_ABI_MINOR */
	const char *name;   /* ^[a-z][a-z0-9-]*$; its configuration is [plugin.NAME] */
	const char *version;
	/* Sets the plugin up: reads configuration, registers actions, routes, Lua helpers and
	 * jobs, may keep STATE for shutdown. Returns 0, or -1 after logging why (the daemon does
	 * not start, unless [plugin.NAME] optional = true). */
	int (*init)(struct og_plugin_ctx *ctx, const struct og_host *host, void **state);
	/* Releases everything (events first). Deliveries in flight are abandoned: the host
	 * hands them out again later. May be NULL. */
	void (*shutdown)(void *state);
};

/* The symbol the loader looks for. */
#define OG_PLUGIN_SYMBOL "overgang_plugin"

#ifdef __cplusplus
}
#endif

#endif
