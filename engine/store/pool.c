#include "store/pool.h"

#include <stdlib.h>
#include <string.h>

struct store_pool {
	int n;
	char *session_sql;
	struct store_conn **conns;
};

static void on_up(struct store_conn *conn, void *arg)
{
	struct store_pool *pool = arg;
	store_conn_exec(conn, pool->session_sql);
}

static void on_down(struct store_conn *conn, const char *why, void *arg) {}

struct store_pool *store_pool_new(struct event_base *base, const char *conninfo,
				  const char *app_name, int n, int reconnect_min_ms,
				  int reconnect_max_ms, const char *session_sql)
{
	struct store_pool *pool = calloc(1, sizeof *pool);
	if (pool == NULL)
		return NULL;
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
	for (int i = 0; i < pool->n; i++)
		store_conn_free(pool->conns[i]);
	free(pool->conns);
	free(pool->session_sql);
	free(pool);
}

struct store_conn *store_pool_pick(struct store_pool *pool)
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

bool store_pool_idle(const struct store_pool *pool)
{
	for (int i = 0; i < pool->n; i++)
		if (store_conn_is_busy(pool->conns[i]))
			return false;
	return true;
}
