/*
 * A few PostgreSQL connections that share the API's requests: each request's statement goes
 * to the connection with the fewest queued, where it is pipelined behind the others, so many
 * requests are in flight at once on few connections. Each connection comes up with the
 * session settings given (time zone, timeouts) and reconnects by itself when lost.
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

/* The connection that is up and has the fewest queries queued; NULL when none is up. */
struct store_conn *store_pool_pick(struct store_pool *pool);

/* Whether no query is queued on any connection. */
bool store_pool_idle(const struct store_pool *pool);

#endif
