#include "store/pool.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* A query waiting in the pool for a connection with room. */
struct waiting {
	struct waiting *next;
	const char *name;
	char *sql;
	int nparams;
	char **params;
	store_result_fn fn;
	void *arg;
};

/* A query sent by the pool: its caller's callback, and the pool to feed when it is done. */
struct sent {
	struct store_pool *pool;
	store_result_fn fn;
	void *arg;
};

struct store_pool {
	int n;
	char *session_sql;
	struct store_conn **conns;
	struct waiting *queue, **queue_tail;
};

static void waiting_free(struct waiting *w)
{
	for (int i = 0; i < w->nparams; i++)
		free(w->params[i]);
	free(w->params);
	free(w->sql);
	free(w);
}

static void drain(struct store_pool *pool);

/* Takes the waiting queries off the pool and gives each its callback with no result. The
 * list is detached first: a callback may submit again. */
static void fail_waiting(struct store_pool *pool)
{
	struct waiting *w = pool->queue;
	pool->queue = NULL;
	pool->queue_tail = &pool->queue;
	while (w) {
		struct waiting *next = w->next;
		w->fn(NULL, NULL, w->arg);
		waiting_free(w);
		w = next;
	}
}

/* The session settings are done: the connection has room for what waits. */
static void on_session(struct store_conn *conn, const PGresult *res, void *arg)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_COMMAND_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		og_warn(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
			"the API connection's session settings failed");
	drain(arg);
}

static void on_up(struct store_conn *conn, void *arg)
{
	struct store_pool *pool = arg;
	if (store_conn_query(conn, pool->session_sql, 0, NULL, on_session, pool) != 0)
		drain(pool);
}

/* When no connection is left, the queries waiting for one fail now rather than wait for the
 * database to come back: their callers answer at once. */
static void on_down(struct store_conn *conn, const char *why, void *arg)
{
	struct store_pool *pool = arg;
	for (int i = 0; i < pool->n; i++)
		if (store_conn_is_up(pool->conns[i]))
			return;
	fail_waiting(pool);
}

struct store_pool *store_pool_new(struct event_base *base, const char *conninfo,
				  const char *app_name, int n, int reconnect_min_ms,
				  int reconnect_max_ms, const char *session_sql)
{
	struct store_pool *pool = calloc(1, sizeof *pool);
	if (pool == NULL)
		return NULL;
	pool->queue_tail = &pool->queue;
	pool->session_sql = strdup(session_sql);
	pool->conns = calloc((size_t)n, sizeof *pool->conns);
	if (pool->session_sql == NULL || pool->conns == NULL)
		goto fail;
	struct store_conn_callbacks cb = {.on_up = on_up, .on_down = on_down, .arg = pool};
	for (pool->n = 0; pool->n < n; pool->n++) {
		pool->conns[pool->n] = store_conn_new(base, conninfo, app_name, reconnect_min_ms,
						      reconnect_max_ms, &cb);
		if (pool->conns[pool->n] == NULL)
			goto fail;
	}
	return pool;
fail:
	store_pool_free(pool);
	return NULL;
}

void store_pool_free(struct store_pool *pool)
{
	if (pool == NULL)
		return;
	/* from here on the pool has no connection: what a failed query's callback submits is
	 * refused, and nothing is sent to a connection already freed */
	int n = pool->n;
	pool->n = 0;
	for (int i = 0; i < n; i++)
		store_conn_free(pool->conns[i]);
	fail_waiting(pool);
	free(pool->conns);
	free(pool->session_sql);
	free(pool);
}

/* The connection that is up and has the fewest queries queued; NULL when none is up. */
static struct store_conn *pick(struct store_pool *pool)
{
	struct store_conn *best = NULL;
	for (int i = 0; i < pool->n; i++) {
		struct store_conn *c = pool->conns[i];
		if (store_conn_is_up(c) &&
		    (best == NULL || store_conn_queued(c) < store_conn_queued(best)))
			best = c;
	}
	return best;
}

/* The connection that is up and has room for one more query in flight, the emptiest. */
static struct store_conn *with_room(struct store_pool *pool)
{
	struct store_conn *c = pick(pool);
	return c && store_conn_queued(c) < STORE_POOL_DEPTH ? c : NULL;
}

static void on_sent_done(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct sent s = *(struct sent *)arg;
	free(arg);
	s.fn(conn, res, s.arg);
	drain(s.pool);
}

static int send_to(struct store_pool *pool, struct store_conn *conn, const char *name,
		   const char *sql, int nparams, const char *const *params, store_result_fn fn,
		   void *arg)
{
	struct sent *s = malloc(sizeof *s);
	if (s == NULL)
		return -1;
	*s = (struct sent){.pool = pool, .fn = fn, .arg = arg};
	int rc = name ? store_conn_query_named(conn, name, sql, nparams, params, on_sent_done, s)
		      : store_conn_query(conn, sql, nparams, params, on_sent_done, s);
	if (rc != 0)
		free(s);
	return rc;
}

/* Sends waiting queries, oldest first, while a connection has room. */
static void drain(struct store_pool *pool)
{
	struct store_conn *conn;
	while (pool->queue && (conn = with_room(pool)) != NULL) {
		struct waiting *w = pool->queue;
		pool->queue = w->next;
		if (pool->queue == NULL)
			pool->queue_tail = &pool->queue;
		if (send_to(pool, conn, w->name, w->sql, w->nparams, (const char *const *)w->params,
			    w->fn, w->arg) != 0)
			w->fn(conn, NULL, w->arg);
		waiting_free(w);
	}
}

int store_pool_query_named(struct store_pool *pool, const char *name, const char *sql, int nparams,
			   const char *const *params, store_result_fn fn, void *arg)
{
	struct store_conn *conn = pick(pool);
	if (conn == NULL)
		return -1;
	if (pool->queue == NULL && store_conn_queued(conn) < STORE_POOL_DEPTH)
		return send_to(pool, conn, name, sql, nparams, params, fn, arg);
	struct waiting *w = calloc(1, sizeof *w);
	if (w == NULL)
		return -1;
	w->name = name;
	w->sql = strdup(sql);
	w->params = calloc((size_t)nparams + 1, sizeof *w->params);
	if (w->sql == NULL || w->params == NULL)
		goto fail;
	for (w->nparams = 0; w->nparams < nparams; w->nparams++)
		if (params[w->nparams] &&
		    (w->params[w->nparams] = strdup(params[w->nparams])) == NULL)
			goto fail;
	w->fn = fn;
	w->arg = arg;
	*pool->queue_tail = w;
	pool->queue_tail = &w->next;
	return 0;
fail:
	waiting_free(w);
	return -1;
}

bool store_pool_idle(const struct store_pool *pool)
{
	if (pool->queue)
		return false;
	for (int i = 0; i < pool->n; i++)
		if (store_conn_is_busy(pool->conns[i]))
			return false;
	return true;
}
