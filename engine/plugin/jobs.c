/*
 * Plugins' periodic jobs. Each job has a row in plugin_job; a daemon runs a job when it wins
 * the claim (next_run_at has come and no lease is running), which moves next_run_at one
 * interval ahead and takes a lease, so across all daemons sharing the database the job runs
 * once per interval and never twice at once. job_done ends the lease and records the
 * outcome. A daemon that dies mid-run leaves the lease to run out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/internal.h"
#include "util/log.h"

#define LEASE_MS (15 * 60 * 1000)

static int poll_ms(const struct plug_job *j)
{
	int ms = j->interval_ms / 10;
	return ms < 1000 ? 1000 : ms > 60000 ? 60000 : ms;
}

static void schedule(struct plug_job *j, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_del(j->timer);
	event_add(j->timer, &tv);
}

static struct plug_job *find(struct og_plugin_ctx *ctx, const char *name)
{
	for (struct plug_job *j = ctx->jobs; j; j = j->next)
		if (name && strcmp(j->name, name) == 0)
			return j;
	return NULL;
}

static void on_claimed(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct plug_job *j = arg;
	struct plug_host *host = j->ctx->host;
	host->in_flight--;
	j->claiming = false;
	bool won = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (res && PQresultStatus(res) != PGRES_TUPLES_OK)
		og_warn(json_pack("{s:s,s:s,s:s}", "plugin", j->ctx->name, "job", j->name, "error",
				  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)),
			"claiming a plugin's job failed");
	if (host->winding_down) {
		if (won) { /* won just as the daemon stops: give the run back at once */
			j->running = true;
			plug_jobs_stop(host);
		}
		return;
	}
	if (won && !host->stopping && j->ctx->started) {
		j->running = true;
		og_debug(json_pack("{s:s,s:s}", "plugin", j->ctx->name, "job", j->name),
			 "plugin job starts");
		j->fn(j->ctx, j->arg);
	}
	/* run_job asked while this claim was on its way: ask again, now */
	schedule(j, j->forced && !j->running ? 0 : poll_ms(j));
}

static void claim(struct plug_job *j)
{
	struct plug_host *host = j->ctx->host;
	if (j->running || j->claiming || host->winding_down || host->conn == NULL ||
	    !store_conn_is_up(host->conn))
		return;
	char interval[16], lease[16], on[96];
	snprintf(interval, sizeof interval, "%d", j->interval_ms);
	snprintf(lease, sizeof lease, "%d", LEASE_MS > j->interval_ms ? LEASE_MS : j->interval_ms);
	snprintf(on, sizeof on, "%s", host->daemon_id);
	const char *params[] = {j->ctx->name, j->name, interval, lease, on, j->forced ? "t" : "f"};
	j->forced = false; /* this claim carries the request */
	if (store_conn_query_named(
		    host->conn, "plugin_job_claim",
		    "UPDATE plugin_job SET running_until = now() + $4::int * interval '1 "
		    "millisecond',"
		    "       running_on = $5, last_started_at = now(),"
		    "       next_run_at = now() + $3::int * interval '1 millisecond'"
		    " WHERE plugin = $1 AND job = $2 AND (next_run_at <= now() OR $6::bool)"
		    "   AND (running_until IS NULL OR running_until < now())"
		    " RETURNING 1",
		    6, params, on_claimed, j) != 0)
		return;
	j->claiming = true;
	host->in_flight++;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct plug_job *j = arg;
	claim(j);
	if (!j->claiming)
		schedule(j, poll_ms(j));
}

int plug_job_register(struct og_plugin_ctx *ctx, const char *name, int interval_ms, og_job_fn fn,
		      void *arg)
{
	if (!ctx->in_init || name == NULL || name[0] == '\0' || strlen(name) > 64 ||
	    interval_ms < 1000 || fn == NULL || find(ctx, name))
		return -1;
	struct plug_job *j = calloc(1, sizeof *j);
	if (j == NULL || (j->name = strdup(name)) == NULL)
		goto fail;
	j->timer = evtimer_new(ctx->host->base, on_timer, j);
	if (j->timer == NULL)
		goto fail;
	j->ctx = ctx;
	j->interval_ms = interval_ms;
	j->fn = fn;
	j->arg = arg;
	j->next = ctx->jobs;
	ctx->jobs = j;
	return 0;
fail:
	if (j)
		free(j->name);
	free(j);
	return -1;
}

static void on_recorded(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct plug_host *host = arg;
	host->in_flight--;
}

void plug_job_done(struct og_plugin_ctx *ctx, const char *name, int ok, const char *error)
{
	struct plug_job *j = find(ctx, name);
	if (j == NULL || !j->running)
		return;
	j->running = false;
	struct plug_host *host = ctx->host;
	if (!ok)
		og_warn(json_pack("{s:s,s:s,s:s}", "plugin", ctx->name, "job", name, "error",
				  error ? error : "no reason given"),
			"a plugin's job failed; it runs again at its next interval");
	/* only this daemon's run: one that outlived its lease may have been taken over */
	const char *params[] = {ctx->name, name, ok ? "t" : "f", ok ? NULL : (error ? error : ""),
				host->daemon_id};
	if (host->conn &&
	    store_conn_query(host->conn,
			     "UPDATE plugin_job SET running_until = NULL, running_on = NULL,"
			     "       last_finished_at = now(), last_ok = $3::bool, last_error = $4"
			     " WHERE plugin = $1 AND job = $2 AND running_on = $5",
			     5, params, on_recorded, host) == 0)
		host->in_flight++;
}

int plug_job_run(struct og_plugin_ctx *ctx, const char *name)
{
	struct plug_job *j = find(ctx, name);
	if (j == NULL)
		return -1;
	if (j->running)
		return 0;
	j->forced = true;
	claim(j);
	return 1;
}

/* Makes the job's row (a new job runs at once) or takes this daemon's interval for it. */
static void ensure_row(struct plug_job *j)
{
	struct plug_host *host = j->ctx->host;
	char interval[16];
	snprintf(interval, sizeof interval, "%d", j->interval_ms);
	const char *params[] = {j->ctx->name, j->name, interval};
	if (store_conn_query(
		    host->conn,
		    "INSERT INTO plugin_job (plugin, job, interval_ms) VALUES ($1, $2, $3::int)"
		    " ON CONFLICT (plugin, job) DO UPDATE SET interval_ms = $3::int,"
		    "   next_run_at = least(plugin_job.next_run_at,"
		    "                       now() + $3::int * interval '1 millisecond')"
		    " WHERE plugin_job.interval_ms <> $3::int",
		    3, params, on_recorded, host) == 0)
		host->in_flight++;
}

void plug_jobs_start(struct plug_host *host)
{
	for (struct og_plugin_ctx *ctx = host->plugins; ctx; ctx = ctx->next)
		for (struct plug_job *j = ctx->jobs; j; j = j->next)
			if (ctx->started) {
				ensure_row(j); /* pipelined ahead of the first claim */
				schedule(j, 0);
			}
}

void plug_jobs_stop(struct plug_host *host)
{
	const char *on = host->daemon_id;
	for (struct og_plugin_ctx *ctx = host->plugins; ctx; ctx = ctx->next)
		for (struct plug_job *j = ctx->jobs; j; j = j->next) {
			event_del(j->timer);
			if (!j->running || host->conn == NULL)
				continue;
			/* the run is abandoned: let another daemon (or this one, restarted) run the
			 * job at its next interval rather than after the lease */
			j->running = false;
			const char *params[] = {ctx->name, j->name, on};
			if (store_conn_query(
				    host->conn,
				    "UPDATE plugin_job SET running_until = NULL, running_on = NULL,"
				    "       last_finished_at = now(), last_ok = false,"
				    "       last_error = 'the daemon stopped during the run'"
				    " WHERE plugin = $1 AND job = $2 AND running_on = $3",
				    3, params, on_recorded, host) == 0)
				host->in_flight++;
		}
}

void plug_jobs_free(struct og_plugin_ctx *ctx)
{
	while (ctx->jobs) {
		struct plug_job *j = ctx->jobs;
		ctx->jobs = j->next;
		if (j->timer)
			event_free(j->timer);
		free(j->name);
		free(j);
	}
}
