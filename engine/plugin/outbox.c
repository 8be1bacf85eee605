/*
 * Delivering the outbox. Rows of the actions this daemon's plugins registered are claimed
 * with FOR UPDATE SKIP LOCKED and leased (next_attempt_at moves [engine] outbox_lease ahead,
 * attempts counts up) in one committed statement, then handed to their plugin. The outcome ends the
 * lease: delivered, retried after a backoff (exponential with jitter, or the plugin's delay), or
 * parked for an administrator after [engine] outbox_max_attempts or a permanent failure. A daemon
 * that dies mid-delivery leaves the lease to run out, and the row is delivered again (at least
 * once; the receiver deduplicates by the idempotency key). Two daemons never hold the same lease.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/internal.h"
#include "util/log.h"

#define CLAIM_MAX 32     /* rows claimed at once */
#define IN_FLIGHT_MAX 64 /* deliveries a daemon has out at once */
#define POLL_MS 1000     /* looks for due rows at least this often */
#define BACKOFF_MAX_MS 3600000

struct delivery {
	struct og_delivery d;
	struct delivery *next;
	struct plug_outbox *ob;
	struct og_plugin_ctx *ctx;
	char *action, *payload, *idem_key;
};

struct plug_outbox {
	struct plug_host *host;
	struct event *timer;
	bool claiming;
	bool again; /* woken while claiming */
	int in_flight;
	struct delivery *flying;
	char *actions; /* the registered actions as a PostgreSQL array: {"plugin/action",...} */
	bool stopped;  /* the daemon is stopping: nothing more is claimed */
};

static const char claim_sql[] =
	"UPDATE outbox o SET attempts = o.attempts + 1,"
	"       next_attempt_at = now() + $3::int * interval '1 millisecond'"
	" WHERE o.id IN (SELECT id FROM outbox"
	"                 WHERE status = 'pending' AND next_attempt_at <= now()"
	"                   AND plugin || '/' || action = ANY($1::text[])"
	"                 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
	" RETURNING o.id, coalesce(o.case_id, 0), o.plugin, o.action, o.payload::text, o.idem_key,"
	"           o.attempts";

static void claim(struct plug_outbox *ob);

static void schedule(struct plug_outbox *ob, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_del(ob->timer);
	event_add(ob->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg) { claim(arg); }

static struct og_plugin_ctx *owner(struct plug_outbox *ob, const char *plugin, const char *action,
				   struct plug_action **act)
{
	for (struct og_plugin_ctx *ctx = ob->host->plugins; ctx; ctx = ctx->next) {
		if (!ctx->started || strcmp(ctx->name, plugin) != 0)
			continue;
		for (struct plug_action *a = ctx->actions; a; a = a->next)
			if (strcmp(a->action, action) == 0) {
				*act = a;
				return ctx;
			}
	}
	return NULL;
}

static void delivery_free(struct delivery *dl)
{
	free(dl->action);
	free(dl->payload);
	free(dl->idem_key);
	free(dl);
}

static void on_result_written(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct plug_outbox *ob = arg;
	ob->host->in_flight--;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		og_warn(NULL, "an outbox delivery's outcome could not be recorded; the row is "
			      "delivered again when its lease runs out");
}

/* The outcome, and the case's event when it asked for one, in one statement. */
static void record(struct plug_outbox *ob, const char *const *params)
{
	struct store_conn *conn = ob->host->conn;
	if (conn == NULL ||
	    store_conn_query_named(
		    conn, "outbox_outcome",
		    "SELECT outbox_outcome($1::bigint, $2, $3::interval, $4::int, $5,"
		    " $6::jsonb, $7::int)",
		    7, params, on_result_written, ob) != 0) {
		og_warn(NULL, "an outbox delivery's outcome could not be recorded; the row is "
			      "delivered again when its lease runs out");
		return;
	}
	ob->host->in_flight++;
}

void plug_outbox_delivered(struct plug_outbox *ob, const struct og_delivery *d,
			   enum og_delivery_result outcome, int retry_ms, const char *error,
			   const char *result)
{
	struct delivery **p = &ob->flying;
	while (*p && &(*p)->d != d)
		p = &(*p)->next;
	if (*p == NULL)
		return; /* not ours, or answered already */
	struct delivery *dl = *p;
	*p = dl->next;
	ob->in_flight--;
	ob->host->in_flight--;

	char id[24], delay[32] = "0", max[16], attempt[16];
	snprintf(attempt, sizeof attempt, "%d", d->attempt);
	snprintf(id, sizeof id, "%lld", (long long)d->id);
	snprintf(max, sizeof max, "%d", ob->host->cfg->engine_outbox_max_attempts);
	char why[512];
	snprintf(why, sizeof why, "%s", error && error[0] ? error : "no reason given");
	if (outcome == OG_RETRY) {
		long ms =
			retry_ms > 0 ? retry_ms : 1000L << (d->attempt < 20 ? d->attempt - 1 : 20);
		if (ms > BACKOFF_MAX_MS)
			ms = BACKOFF_MAX_MS;
		ms = ms * (80 + rand() % 41) / 100; /* ±20%: retries of many rows spread out */
		snprintf(delay, sizeof delay, "%ld milliseconds", ms);
	}
	json_t *res = result ? json_loads(result, 0, NULL) : NULL;
	bool object = json_is_object(res);
	json_decref(res);
	if (result && !object)
		og_warn(json_pack("{s:s}", "plugin", dl->ctx->name),
			"a delivery's result is not a JSON object; the case hears without it");
	const char *params[] = {id,
				outcome == OG_DELIVERED ? "delivered"
				: outcome == OG_RETRY   ? "retry"
							: "parked",
				delay,
				max,
				outcome == OG_DELIVERED ? NULL : why,
				object ? result : NULL,
				attempt};
	record(ob, params);
	delivery_free(dl);
	if (!ob->claiming && !ob->stopped)
		schedule(ob, 0);
}

static void hand_out(struct plug_outbox *ob, const PGresult *res, int row)
{
	struct plug_action *act;
	struct og_plugin_ctx *ctx =
		owner(ob, PQgetvalue(res, row, 2), PQgetvalue(res, row, 3), &act);
	struct delivery *dl = calloc(1, sizeof *dl);
	if (ctx == NULL || dl == NULL) {
		free(dl);
		return; /* the lease runs out; delivered later */
	}
	dl->ob = ob;
	dl->ctx = ctx;
	dl->action = strdup(PQgetvalue(res, row, 3));
	dl->payload = strdup(PQgetvalue(res, row, 4));
	dl->idem_key = strdup(PQgetvalue(res, row, 5));
	if (!dl->action || !dl->payload || !dl->idem_key) {
		delivery_free(dl);
		return;
	}
	dl->d = (struct og_delivery){
		.size = sizeof(struct og_delivery),
		.id = atoll(PQgetvalue(res, row, 0)),
		.case_id = atoll(PQgetvalue(res, row, 1)),
		.action = dl->action,
		.payload = dl->payload,
		.idem_key = dl->idem_key,
		.attempt = atoi(PQgetvalue(res, row, 6)),
	};
	dl->next = ob->flying;
	ob->flying = dl;
	ob->in_flight++;
	ob->host->in_flight++;
	if (act->deliver(ctx, &dl->d, act->arg) != 0)
		plug_outbox_delivered(ob, &dl->d, OG_RETRY, 0, "the plugin could not start it",
				      NULL);
}

static void on_claimed(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct plug_outbox *ob = arg;
	ob->host->in_flight--;
	ob->claiming = false;
	int n = 0;
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
			hand_out(ob, res, i);
	} else if (res) {
		og_warn(json_pack("{s:s}", "error",
				  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)),
			"claiming outbox rows failed");
	}
	/* a full claim may have left more due rows */
	if (!ob->stopped)
		schedule(ob, ob->again || n == CLAIM_MAX ? 0 : POLL_MS);
	ob->again = false;
}

static void claim(struct plug_outbox *ob)
{
	struct store_conn *conn = ob->host->conn;
	int room = IN_FLIGHT_MAX - ob->in_flight;
	if (ob->stopped)
		return;
	if (ob->actions == NULL || conn == NULL || !store_conn_is_up(conn)) {
		schedule(ob, POLL_MS);
		return;
	}
	if (ob->claiming) {
		ob->again = true;
		return;
	}
	if (room <= 0)
		return; /* the next outcome claims again */
	char limit[16], lease[16];
	snprintf(limit, sizeof limit, "%d", room < CLAIM_MAX ? room : CLAIM_MAX);
	snprintf(lease, sizeof lease, "%d", ob->host->cfg->engine_outbox_lease_ms);
	const char *params[] = {ob->actions, limit, lease};
	if (store_conn_query_named(conn, "outbox_claim", claim_sql, 3, params, on_claimed, ob) !=
	    0) {
		schedule(ob, POLL_MS);
		return;
	}
	ob->claiming = true;
	ob->host->in_flight++;
}

void plug_outbox_stop(struct plug_outbox *ob)
{
	ob->stopped = true;
	event_del(ob->timer);
}

void plug_outbox_wake(struct plug_outbox *ob)
{
	if (ob->stopped)
		return;
	if (ob->claiming)
		ob->again = true;
	else
		schedule(ob, 0);
}

/* {"plugin/action",...}: names are [a-z0-9-] and actions are checked below, so no quoting
 * beyond the double quotes is needed. */
static char *actions_array(struct plug_host *host)
{
	json_t *list = json_array();
	for (struct og_plugin_ctx *ctx = host->plugins; ctx; ctx = ctx->next)
		for (struct plug_action *a = ctx->actions; a; a = a->next) {
			if (strpbrk(a->action, "\"\\{},") != NULL)
				continue;
			char item[256];
			snprintf(item, sizeof item, "\"%s/%s\"", ctx->name, a->action);
			json_array_append_new(list, json_string(item));
		}
	if (json_array_size(list) == 0) {
		json_decref(list);
		return NULL;
	}
	size_t len = 3, i;
	json_t *v;
	json_array_foreach (list, i, v)
		len += strlen(json_string_value(v)) + 1;
	char *out = malloc(len);
	if (out) {
		strcpy(out, "{");
		json_array_foreach (list, i, v) {
			if (i)
				strcat(out, ",");
			strcat(out, json_string_value(v));
		}
		strcat(out, "}");
	}
	json_decref(list);
	return out;
}

struct plug_outbox *plug_outbox_new(struct plug_host *host)
{
	struct plug_outbox *ob = calloc(1, sizeof *ob);
	if (ob == NULL)
		return NULL;
	ob->host = host;
	ob->actions = actions_array(host);
	ob->timer = evtimer_new(host->base, on_timer, ob);
	if (ob->timer == NULL) {
		plug_outbox_free(ob);
		return NULL;
	}
	return ob;
}

void plug_outbox_free(struct plug_outbox *ob)
{
	if (ob == NULL)
		return;
	if (ob->timer)
		event_free(ob->timer);
	while (ob->flying) {
		struct delivery *dl = ob->flying;
		ob->flying = dl->next;
		delivery_free(dl);
	}
	free(ob->actions);
	free(ob);
}
