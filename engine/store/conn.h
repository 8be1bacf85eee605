/*
 * One PostgreSQL connection on the event loop: libpq in non-blocking mode, its socket watched
 * by libevent, so nothing waits on the database inside the loop. The connection comes up by
 * itself and, when it is lost, reconnects with exponential backoff (reconnect_min doubling up
 * to reconnect_max) until store_conn_free(). Queries run in order and are pipelined: each is
 * sent at once with a sync point of its own, so a batch of statements costs one round trip.
 */
#ifndef OG_STORE_CONN_H
#define OG_STORE_CONN_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>

struct store_conn;

struct store_conn_callbacks {
	/* The connection is up (first time or after a reconnect). */
	void (*on_up)(struct store_conn *conn, void *arg);
	/* The connection was lost or could not be made; WHY is libpq's message, safe to log
	 * (it names host and port, never the password). */
	void (*on_down)(struct store_conn *conn, const char *why, void *arg);
	/* A NOTIFY on a channel this connection LISTENs to (may be NULL). */
	void (*on_notify)(struct store_conn *conn, const char *channel, void *arg);
	void *arg;
};

/* RES is NULL when the connection was lost before the query answered. RES belongs to the
 * connection and is cleared after the callback returns. */
typedef void (*store_result_fn)(struct store_conn *conn, const PGresult *res, void *arg);

/* Starts connecting with CONNINFO (a conninfo string or URL; "" uses the libpq environment).
 * APP_NAME is the application_name PostgreSQL shows. NULL when out of memory. */
__attribute__((warn_unused_result)) struct store_conn *
store_conn_new(struct event_base *base, const char *conninfo, const char *app_name,
	       int reconnect_min_ms, int reconnect_max_ms, const struct store_conn_callbacks *cb);

/* Closes the connection and deletes its events. Queued queries get their callback with NULL. */
void store_conn_free(struct store_conn *conn);

bool store_conn_is_up(const struct store_conn *conn);

/* A failed result's SQLSTATE, for a log line; "" when it has none. */
const char *store_sqlstate(const PGresult *res);
/* Whether a query is queued or running. */
bool store_conn_is_busy(const struct store_conn *conn);
/* How many queries are queued or running. */
int store_conn_queued(const struct store_conn *conn);

/* Queues SQL with text parameters (copied). Only while the connection is up; returns -1
 * otherwise or when out of memory. FN gets the query's last result; it runs from the event
 * loop, or before this returns when the connection fails at once. A callback must not free
 * the connection. */
__attribute__((warn_unused_result)) int store_conn_query(struct store_conn *conn, const char *sql,
							 int nparams, const char *const *params,
							 store_result_fn fn, void *arg);

/* The same, as a prepared statement named NAME (a string with static storage, one per SQL
 * text): prepared once per session, then only bound and run, with no parsing or planning. */
__attribute__((warn_unused_result)) int
store_conn_query_named(struct store_conn *conn, const char *name, const char *sql, int nparams,
		       const char *const *params, store_result_fn fn, void *arg);

/* Queues SQL whose result nobody needs (BEGIN, ROLLBACK, LISTEN, SET). Does nothing while
 * the connection is down: what such a statement would end or set is gone with it. */
void store_conn_exec(struct store_conn *conn, const char *sql);

/* Drops the connection now and starts reconnecting (after a query timed out, say). */
void store_conn_reset(struct store_conn *conn, const char *why);

#endif
