/*
 * The ldap plugin: departments and staff from an LDAP directory or Active Directory.
 *
 * A periodic job ("sync", every [plugin.ldap] interval, on one daemon at a time) reads the
 * whole directory and hands it to the host's sync_directory, which adds and updates the
 * staff this plugin manages and makes those the directory no longer lists, or lists as
 * disabled, inactive (their cases get tovholder_unavailable). Staff added by hand are never
 * touched. Administrators run it now with POST /v1/plugins/ldap/sync and see how the last
 * run went with GET /v1/plugins/ldap/status.
 *
 * libldap blocks, so the directory is read on a thread of the plugin's own (directory.c),
 * into plain structs; the thread reports back by writing a byte to a pipe this plugin
 * watches on the host's loop, and only there is the host called. A run that cannot read the
 * directory changes nothing: the job fails with the reason, and the next interval tries
 * again. See README.md for the configuration.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <overgang/plugin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "directory.h"

#define JOB "sync"

enum phase {
	IDLE,    /* no run */
	READING, /* the worker thread reads the directory */
	SYNCING, /* the host writes it to the database */
};

/* How a run went, for GET status. */
struct run {
	time_t started_at, finished_at;
	bool ok;
	char error[768];
	long staff, disabled, departments, memberships, skipped; /* as read */
	bool synced; /* the counts below are the host's */
	long added, changed, deactivated, unchanged;
};

struct ldap_plugin {
	struct og_plugin_ctx *ctx;
	const struct og_host *host;
	struct ldir_config cfg;
	int pipe[2]; /* the worker writes one byte to [1] when it is done */
	struct event *pipe_ev;

	enum phase phase;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	/* written by the worker, read on the loop after it is joined */
	struct ldir_result result;
	int read_rc;
	char read_error[768];
	/* the directory as the host wants it, pointing into result, while SYNCING */
	struct og_department *departments;
	struct og_staff *staff;
	struct og_membership *memberships;

	struct run current, last;
	long runs; /* finished on this daemon since it started */
	time_t last_success_at;
	/* the warnings of the latest directory read (entries left out, ...) */
	char **notes;
	size_t nnotes, notes_dropped;
};

static void free_notes(char **notes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(notes[i]);
	free(notes);
}

/* ---- the end of a run ---- */

static void release_run(struct ldap_plugin *p)
{
	ldir_result_free(&p->result);
	free(p->departments);
	free(p->staff);
	free(p->memberships);
	p->departments = NULL;
	p->staff = NULL;
	p->memberships = NULL;
}

/* Ends the current run: its status, the log, and the host's job. */
static void finish(struct ldap_plugin *p, bool ok, const char *error)
{
	struct run *run = &p->current;
	run->finished_at = time(NULL);
	run->ok = ok;
	snprintf(run->error, sizeof run->error, "%s", ok ? "" : error ? error : "unknown error");
	p->last = *run;
	p->runs++;
	if (ok) {
		p->last_success_at = run->finished_at;
		p->host->log(
			p->ctx, OG_LOG_INFO,
			"directory synchronised: %ld staff read (%ld disabled), %ld departments, "
			"%ld memberships; %ld added, %ld changed, %ld deactivated, %ld unchanged",
			run->staff, run->disabled, run->departments, run->memberships, run->added,
			run->changed, run->deactivated, run->unchanged);
	} else {
		p->host->log(
			p->ctx, OG_LOG_ERROR,
			"directory sync failed, nothing was changed; the next run is in %d s: %s",
			p->cfg.interval_ms / 1000, run->error);
	}
	release_run(p);
	p->phase = IDLE;
	p->host->job_done(p->ctx, JOB, ok, ok ? NULL : run->error);
}

static void on_synced(void *arg, int ok, const struct og_sync_result *r, const char *error)
{
	struct ldap_plugin *p = arg;
	if (ok && r) {
		p->current.synced = true;
		p->current.added = r->added;
		p->current.changed = r->changed;
		p->current.deactivated = r->deactivated;
		p->current.unchanged = r->unchanged;
	}
	char why[768];
	if (!ok)
		snprintf(why, sizeof why, "the database refused the directory: %s",
			 error ? error : "no reason given");
	finish(p, ok, ok ? NULL : why);
}

/* Hands what the worker read to the host (on the loop). */
static void sync_result(struct ldap_plugin *p)
{
	struct ldir_result *r = &p->result;
	/* a warning the last read gave too is not repeated every interval (GET status has
	 * them all) */
	for (size_t i = 0; i < r->nnotes; i++) {
		bool known = false;
		for (size_t j = 0; j < p->nnotes && !known; j++)
			known = strcmp(p->notes[j], r->notes[i]) == 0;
		p->host->log(p->ctx, known ? OG_LOG_DEBUG : OG_LOG_WARN, "%s", r->notes[i]);
	}
	if (r->notes_dropped)
		p->host->log(p->ctx, p->notes_dropped ? OG_LOG_DEBUG : OG_LOG_WARN,
			     "and %zu more warnings like these", r->notes_dropped);
	free_notes(p->notes, p->nnotes);
	p->notes = r->notes;
	p->nnotes = r->nnotes;
	p->notes_dropped = r->notes_dropped;
	r->notes = NULL;
	r->nnotes = 0;
	p->current.staff = (long)r->nstaff;
	p->current.disabled = r->disabled;
	p->current.departments = (long)r->ndepartments;
	p->current.memberships = (long)r->nmemberships;
	p->current.skipped = r->skipped;

	p->departments = calloc(r->ndepartments ? r->ndepartments : 1, sizeof *p->departments);
	p->staff = calloc(r->nstaff ? r->nstaff : 1, sizeof *p->staff);
	p->memberships = calloc(r->nmemberships ? r->nmemberships : 1, sizeof *p->memberships);
	if (p->departments == NULL || p->staff == NULL || p->memberships == NULL) {
		finish(p, false, "out of memory");
		return;
	}
	for (size_t i = 0; i < r->ndepartments; i++)
		p->departments[i] = (struct og_department){
			sizeof(struct og_department), r->departments[i].id, r->departments[i].name};
	for (size_t i = 0; i < r->nstaff; i++)
		p->staff[i] =
			(struct og_staff){sizeof(struct og_staff), r->staff[i].id, r->staff[i].name,
					  r->staff[i].email, r->staff[i].active};
	for (size_t i = 0; i < r->nmemberships; i++)
		p->memberships[i] = (struct og_membership){
			sizeof(struct og_membership), r->staff[r->memberships[i].staff].id,
			r->departments[r->memberships[i].department].id, r->memberships[i].lead};
	struct og_directory dir = {
		.size = sizeof dir,
		.departments = p->departments,
		.ndepartments = r->ndepartments,
		.staff = p->staff,
		.nstaff = r->nstaff,
		.memberships = p->memberships,
		.nmemberships = r->nmemberships,
	};
	p->phase = SYNCING;
	if (p->host->sync_directory(p->ctx, &dir, on_synced, p) != 0)
		finish(p, false, "the host refused the directory as malformed; its log says why");
}

/* The worker is done: on the loop now. */
static void on_worker_done(evutil_socket_t fd, short what, void *arg)
{
	struct ldap_plugin *p = arg;
	char buf[16];
	while (read(fd, buf, sizeof buf) > 0)
		;
	if (!p->thread_started)
		return;
	pthread_join(p->thread, NULL); /* it has written its byte: it is returning */
	p->thread_started = false;
	if (p->read_rc != 0)
		finish(p, false, p->read_error);
	else
		sync_result(p);
}

static void *worker(void *arg)
{
	struct ldap_plugin *p = arg;
	p->read_rc = ldir_read(&p->cfg, &p->stop, &p->result, p->read_error, sizeof p->read_error);
	char byte = 1;
	ssize_t n;
	do
		n = write(p->pipe[1], &byte, 1);
	while (n < 0 && errno == EINTR);
	return NULL;
}

/* The job: the host calls it every interval, or when run_job asks. */
static void run_sync(struct og_plugin_ctx *ctx, void *arg)
{
	struct ldap_plugin *p = arg;
	if (p->phase != IDLE) {
		/* the host runs one at a time; the run in progress calls job_done */
		p->host->log(ctx, OG_LOG_WARN, "a directory sync is running already; not another");
		return;
	}
	p->current = (struct run){.started_at = time(NULL)};
	p->result = (struct ldir_result){0};
	p->read_rc = -1;
	p->read_error[0] = '\0';
	atomic_store(&p->stop, false);
	p->phase = READING;
	int rc = pthread_create(&p->thread, NULL, worker, p);
	if (rc != 0) {
		char why[128];
		snprintf(why, sizeof why, "cannot start the thread that reads the directory: %s",
			 strerror(rc));
		finish(p, false, why);
		return;
	}
	p->thread_started = true;
}

/* ---- routes ---- */

/* POST sync: runs the job now; 202, as the run goes on after the answer. */
static void on_sync_request(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct ldap_plugin *p = arg;
	const struct og_host *h = p->host;
	const char *actor = h->http_actor(req);
	int rc = h->run_job(ctx, JOB);
	if (rc < 0) {
		h->http_problem(req, 503, "sync-unavailable",
				"The directory sync cannot be started on this daemon now.");
		return;
	}
	h->log(ctx, OG_LOG_INFO, "directory sync requested by %s: %s", actor ? actor : "?",
	       rc == 1 ? "started" : "one is running already");
	const char *body = rc == 1 ? "{\"started\":true}"
				   : "{\"started\":false,\"detail\":\"A sync is running now; its "
				     "outcome is in GET /v1/plugins/ldap/status.\"}";
	h->http_reply(req, 202, "application/json", body, strlen(body));
}

static json_t *timestamp(time_t t)
{
	if (t == 0)
		return json_null();
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *run_json(const struct run *r, bool finished)
{
	json_t *o = json_object();
	json_object_set_new(o, "started_at", timestamp(r->started_at));
	if (!finished)
		return o;
	json_object_set_new(o, "finished_at", timestamp(r->finished_at));
	json_object_set_new(o, "ok", json_boolean(r->ok));
	json_object_set_new(o, "error", r->ok ? json_null() : json_string(r->error));
	json_object_set_new(
		o, "read",
		r->ok || r->staff
			? json_pack("{s:I,s:I,s:I,s:I,s:I}", "staff", (json_int_t)r->staff,
				    "disabled", (json_int_t)r->disabled, "departments",
				    (json_int_t)r->departments, "memberships",
				    (json_int_t)r->memberships, "skipped", (json_int_t)r->skipped)
			: json_null());
	json_object_set_new(o, "synced",
			    r->synced
				    ? json_pack("{s:I,s:I,s:I,s:I}", "added", (json_int_t)r->added,
						"changed", (json_int_t)r->changed, "deactivated",
						(json_int_t)r->deactivated, "unchanged",
						(json_int_t)r->unchanged)
				    : json_null());
	return o;
}

/* GET status: how the last run on this daemon went, and whether one is running. */
static void on_status(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct ldap_plugin *p = arg;
	json_t *o = json_pack("{s:s,s:i,s:b,s:I}", "uri", p->cfg.uri, "interval_s",
			      p->cfg.interval_ms / 1000, "running", p->phase != IDLE, "runs",
			      (json_int_t)p->runs);
	char *body = NULL;
	if (o) {
		json_object_set_new(o, "current",
				    p->phase != IDLE ? run_json(&p->current, false) : json_null());
		json_object_set_new(o, "last_run",
				    p->runs ? run_json(&p->last, true) : json_null());
		json_object_set_new(o, "last_success_at", timestamp(p->last_success_at));
		json_t *warnings = json_array();
		for (size_t i = 0; i < p->nnotes; i++)
			json_array_append_new(warnings, json_string(p->notes[i]));
		if (p->notes_dropped)
			json_array_append_new(warnings,
					      json_sprintf("and %zu more", p->notes_dropped));
		json_object_set_new(o, "warnings", warnings);
		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	if (body == NULL) {
		p->host->http_problem(req, 503, "out-of-memory", "Try again.");
		return;
	}
	p->host->http_reply(req, 200, "application/json", body, strlen(body));
	free(body);
}

/* ---- init and shutdown ---- */

static void ldap_shutdown(void *state)
{
	struct ldap_plugin *p = state;
	if (p == NULL)
		return;
	if (p->pipe_ev)
		event_free(p->pipe_ev);
	if (p->thread_started) {
		/* it gives up within 200 ms of its next network wait (a connect can take up to
		 * [plugin.ldap] timeout) */
		atomic_store(&p->stop, true);
		pthread_join(p->thread, NULL);
	}
	release_run(p);
	free_notes(p->notes, p->nnotes);
	if (p->pipe[0] >= 0)
		close(p->pipe[0]);
	if (p->pipe[1] >= 0)
		close(p->pipe[1]);
	ldir_config_free(&p->cfg);
	free(p);
}

static int ldap_init(struct og_plugin_ctx *ctx, const struct og_host *host, void **state)
{
	if (host->size < sizeof(struct og_host)) {
		host->log(ctx, OG_LOG_ERROR, "this overgangd is older than the plugin's ABI");
		return -1;
	}
	struct ldap_plugin *p = calloc(1, sizeof *p);
	if (p == NULL)
		return -1;
	p->ctx = ctx;
	p->host = host;
	p->pipe[0] = p->pipe[1] = -1;
	char err[512];
	if (ldir_config_read(&p->cfg, host, ctx, err, sizeof err) != 0) {
		host->log(ctx, OG_LOG_ERROR, "[plugin.ldap] %s", err);
		goto fail;
	}
	if (pipe2(p->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		host->log(ctx, OG_LOG_ERROR, "cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	p->pipe_ev = event_new(host->event_base(ctx), p->pipe[0], EV_READ | EV_PERSIST,
			       on_worker_done, p);
	if (p->pipe_ev == NULL || event_add(p->pipe_ev, NULL) != 0) {
		host->log(ctx, OG_LOG_ERROR, "cannot watch the worker's pipe");
		goto fail;
	}
	if (host->register_route(ctx, "POST", "sync", OG_ROUTE_ADMIN, on_sync_request, p) != 0 ||
	    host->register_route(ctx, "GET", "status", OG_ROUTE_ADMIN, on_status, p) != 0) {
		host->log(ctx, OG_LOG_ERROR, "cannot register the sync and status routes");
		goto fail;
	}
	if (host->register_job(ctx, JOB, p->cfg.interval_ms, run_sync, p) != 0) {
		host->log(ctx, OG_LOG_ERROR, "cannot register the periodic directory sync");
		goto fail;
	}
	*state = p;
	host->log(ctx, OG_LOG_INFO, "staff directory from %s under %s, every %d s", p->cfg.uri,
		  p->cfg.base_dn, p->cfg.interval_ms / 1000);
	return 0;
fail:
	ldap_shutdown(p);
	return -1;
}

OG_PLUGIN_EXPORT const struct og_plugin overgang_plugin = {
	.abi_major = OG_PLUGIN_ABI_MAJOR,
	.abi_minor = OG_PLUGIN_ABI_MINOR,
	.name = "ldap",
	.version = "1.0",
	.init = ldap_init,
	.shutdown = ldap_shutdown,
};
