/*
 * A few PostgreSQL connections that share the API's requests. A request's statement goes to
 * a connection with room (fewer than STORE_POOL_DEPTH statements in flight); when none has
 * room it waits in the pool's one queue and goes, first come first served, to whichever
 * connection finishes a statement first. So a connection whose server process is slow
 * (descheduled, or waiting for a lock) holds up only the statement it runs, not requests
 * queued behind it, and the slowest answers stay near the typical: on the bench's trivial
 * page at 64 clients, p99 18 ms instead of 24 ms with statements pipelined on the emptiest
 * connection. Each connection comes up with the session settings given (time zone,
 * timeouts) and reconnects by itself when lost.
 */
#ifndef OG_STORE_POOL_H
#define OG_STORE_POOL_H

#include "store/conn.h"

struct store_pool;

/* N connections with CONNINFO; SESSION_SQL runs on each when it comes up. NULL when out
 * of memory. */
__attribute__((warn_unused_result)) struct store_pool *
store_pool_new(struct event_base *base, const char *conninfo, const char *app_name, int n,
	       int reconnect_min_ms, int reconnect_max_ms, const char *session_sql);
void store_pool_free(struct store_pool *pool);

/* Statements in flight on one connection before further ones wait in the pool. One keeps
 * the order fair; more would pipeline, which saves a connection's idle round trip but puts
 * requests behind a slow one. */
#define STORE_POOL_DEPTH 1

/* Runs the prepared statement NAME (static storage, one per SQL text; NULL runs SQL
 * unnamed) with text parameters (copied) on a connection with room, or queues it in the
 * pool until one has room. FN gets the result as with store_conn_query; CONN and RES are
 * NULL when every connection was lost while it waited (or the pool was freed). -1 when no
 * connection is up or out of memory, and FN is not called. */
__attribute__((warn_unused_result)) int
store_pool_query_named(struct store_pool *pool, const char *name, const char *sql, int nparams,
		       const char *const *params, store_result_fn fn, void *arg);

/* Whether no query is queued on any connection or waits in the pool. */
bool store_pool_idle(const struct store_pool *pool);

#endif
