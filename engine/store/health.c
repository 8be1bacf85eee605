#include "store/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/conn.h"
#include "store/migrate.h"
#include "util/clock.h"
#include "util/log.h"

struct store_health {
	struct store_conn *conn;
	struct event *tick;
	int interval_ms;
	void (*on_fatal)(const char *msg, void *arg);
	void *arg;

	bool checking;
	int64_t check_started_ms;
	bool answered;      /* the last check got an answer */
	bool was_down;      /* for logging transitions once */
	int schema_version; /* -1 unknown */
	char why[512];
};

static void on_result(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct store_health *h = arg;
	h->checking = false;
	if (res == NULL)
		return; /* on_down says why */
	int v = store_schema_version_from(res);
	int known = store_schema_version_known();
	h->answered = true;
	if (v < 0) {
		snprintf(h->why, sizeof h->why, "the database answered with an error: %s",
			 PQresultErrorMessage(res));
		h->schema_version = -1;
		return;
	}
	h->schema_version = v;
	if (v > known) {
		char msg[256];
		snprintf(msg, sizeof msg,
			 "the database schema is at version %d, newer than this build knows (%d): "
			 "run the overgangd that matches it",
			 v, known);
		h->on_fatal(msg, h->arg);
		return;
	}
	if (v < known)
		snprintf(h->why, sizeof h->why,
			 "the database schema is at version %d and this build needs %d: run "
			 "'overgang migrate'",
			 v, known);
	else
		h->why[0] = '\0';
}

static void check(struct store_health *h)
{
	if (!store_conn_is_up(h->conn))
		return;
	if (h->checking) {
		int64_t waited = og_monotonic_ms() - h->check_started_ms;
		int limit = 3 * h->interval_ms < 3000 ? 3000 : 3 * h->interval_ms;
		if (waited > limit) {
			h->checking = false;
			store_conn_reset(h->conn,
					 "the database did not answer the health check in time");
		}
		return;
	}
	if (store_conn_query(h->conn, store_schema_version_sql, 0, NULL, on_result, h) == 0) {
		h->checking = true;
		h->check_started_ms = og_monotonic_ms();
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg) { check(arg); }

static void on_up(struct store_conn *conn, void *arg)
{
	struct store_health *h = arg;
	og_info(NULL, "database connected");
	h->was_down = false;
	check(h);
}

static void on_down(struct store_conn *conn, const char *why, void *arg)
{
	struct store_health *h = arg;
	h->answered = false;
	h->checking = false;
	snprintf(h->why, sizeof h->why, "the database does not answer: %s", why);
	if (!h->was_down)
		og_warn(json_pack("{s:s}", "reason", why), "database unavailable; reconnecting");
	h->was_down = true;
}

struct store_health *store_health_new(struct event_base *base, const struct cfg *cfg,
				      void (*on_fatal)(const char *msg, void *arg), void *arg)
{
	struct store_health *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->interval_ms = cfg->db_check_interval_ms;
	h->on_fatal = on_fatal;
	h->arg = arg;
	h->schema_version = -1;
	snprintf(h->why, sizeof h->why, "the daemon is connecting to the database");
	h->tick = event_new(base, -1, EV_PERSIST, on_tick, h);
	struct timeval tv = {h->interval_ms / 1000, (h->interval_ms % 1000) * 1000};
	if (h->tick == NULL || event_add(h->tick, &tv) != 0)
		goto fail;
	struct store_conn_callbacks cb = {on_up, on_down, NULL, h};
	h->conn = store_conn_new(base, cfg_conninfo(cfg), "overgangd health",
				 cfg->db_reconnect_min_ms, cfg->db_reconnect_max_ms, &cb);
	if (h->conn == NULL)
		goto fail;
	return h;
fail:
	store_health_free(h);
	return NULL;
}

void store_health_free(struct store_health *h)
{
	if (h == NULL)
		return;
	if (h->tick)
		event_free(h->tick);
	store_conn_free(h->conn);
	free(h);
}

bool store_health_ready(const struct store_health *h, const char **why)
{
	bool ready = h->answered && store_conn_is_up(h->conn) && h->why[0] == '\0';
	if (why)
		*why = ready ? NULL : h->why;
	return ready;
}

bool store_health_db_up(const struct store_health *h)
{
	return h->answered && store_conn_is_up(h->conn);
}

int store_health_schema_version(const struct store_health *h) { return h->schema_version; }
