/* What the plugin host's files share: one loaded plugin, its registrations, the host. */
#ifndef OG_PLUGIN_INTERNAL_H
#define OG_PLUGIN_INTERNAL_H

#include <overgang/plugin.h>

#include "lua/workflow.h"
#include "plugin/plugin.h"
#include "store/conn.h"

struct plug_action {
	struct plug_action *next;
	char *action;
	og_deliver_fn deliver;
	void *arg;
};

struct plug_route {
	struct plug_route *next;
	struct og_plugin_ctx *ctx;
	enum og_route_access access;
	og_http_fn fn;
	void *arg;
	char *name; /* metrics label: plugin.NAME.SUBPATH */
};

struct plug_helper {
	struct plug_helper *next;
	char *name;
	og_lua_fn fn;
	void *arg;
};

struct plug_job {
	struct plug_job *next;
	struct og_plugin_ctx *ctx;
	char *name;
	int interval_ms;
	og_job_fn fn;
	void *arg;
	struct event *timer; /* looks whether the job is due */
	bool known;          /* its row exists */
	bool claiming;       /* a claim is on its way */
	bool running;        /* this daemon runs it now */
	bool forced;         /* run_job asked: run even if not due */
};

/* One loaded plugin; the og_plugin_ctx the plugin holds. */
struct og_plugin_ctx {
	struct og_plugin_ctx *next;
	struct plug_host *host;
	char *name; /* of its [plugin.NAME] section */
	char *path;
	void *dl;
	const struct og_plugin *desc;
	void *state;
	bool started; /* init succeeded: shutdown is due */
	bool in_init; /* registrations are allowed */
	struct plug_action *actions;
	struct plug_route *routes;
	struct plug_job *jobs;
	struct plug_helper *helpers;
};

struct plug_host {
	struct event_base *base;
	const struct cfg *cfg;
	struct http_server *http;
	struct api *api; /* checks administrators' tokens on OG_ROUTE_ADMIN routes */
	struct og_plugin_ctx *plugins, **plugins_tail;
	struct store_conn *conn; /* events from plugins, and the outbox */
	int in_flight;           /* statements and deliveries not yet answered */
	bool stopping;           /* plugins are shut down: no more callbacks into them */
	bool winding_down;       /* the daemon stops: no new job runs or deliveries */
	bool has_cpr_key;        /* [api] cpr_key_file, for citizens from registers */
	char daemon_id[96]; /* this daemon among all: host, pid and a random part (job leases) */
	unsigned char cpr_key[32];
	struct plug_outbox *outbox;
	struct lwf_helper *lua_helpers; /* what workflows see as plugins.NAME.FUNCTION */
};

/* loader.c: opens PATH, checks its descriptor. Returns 0 with *DL and *DESC set, or -1 with
 * the reason in ERR (nothing stays open). */
int plug_open(const char *path, void **dl, const struct og_plugin **desc, char *err, size_t errlen);

/* host.c: the function table handed to init(). */
extern const struct og_host plug_host_table;

/* jobs.c: periodic jobs, each run by one daemon at a time. */
int plug_job_register(struct og_plugin_ctx *ctx, const char *name, int interval_ms, og_job_fn fn,
		      void *arg);
void plug_job_done(struct og_plugin_ctx *ctx, const char *name, int ok, const char *error);
int plug_job_run(struct og_plugin_ctx *ctx, const char *name);
void plug_jobs_start(struct plug_host *host); /* the database connection is up */
void plug_jobs_stop(struct plug_host *host);  /* the daemon stops: release running leases */
void plug_jobs_free(struct og_plugin_ctx *ctx);

/* outbox.c: delivers outbox rows of the registered actions. */
struct plug_outbox *plug_outbox_new(struct plug_host *host);
void plug_outbox_free(struct plug_outbox *ob);
void plug_outbox_wake(struct plug_outbox *ob);
void plug_outbox_stop(struct plug_outbox *ob);
void plug_outbox_delivered(struct plug_outbox *ob, const struct og_delivery *d,
			   enum og_delivery_result outcome, int retry_ms, const char *error,
			   const char *result);

#endif
