#include "store/conn.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/resolve.h"

#define CONNECT_TIMEOUT_MS 5000
/* A host name has longer: the resolver's own timeouts (5 s a name server by default) come
 * first. A lookup given up on still ends in its thread, within those timeouts. */
#define RESOLVE_TIMEOUT_MS 30000

enum conn_state { CONN_WAITING, CONN_CONNECTING, CONN_UP };

/* A query's way through the pipeline: sent with a sync point of its own, its results,
 * the NULL that ends them, then the sync. */
enum query_phase { QUERY_QUEUED, QUERY_RESULTS, QUERY_SYNC };

struct query {
	struct query *next;
	char *sql;
	int nparams;
	char **params;
	store_result_fn fn;
	void *arg;
	enum query_phase phase;
	const char *name; /* a prepared statement's name (static), NULL for unnamed */
	bool prepare;     /* this item prepares NAME rather than running it */
};

#define MAX_PREPARED 128

struct store_conn {
	struct event_base *base;
	char *conninfo;
	char *app_name;
	int backoff_min_ms, backoff_max_ms, backoff_ms;
	struct store_conn_callbacks cb;

	enum conn_state state;
	PGconn *pg;
	int fd;
	struct event *io;           /* the socket: read, and write while connecting or flushing */
	struct event *timer;        /* reconnect backoff, or connect timeout */
	struct og_resolve *resolve; /* the host name being resolved, before connecting */
	char resolving[256];        /* that host name */
	short io_what;

	/* Queries in order; those from the head up to `unsent` are on the wire. */
	struct query *queue, **queue_tail, *unsent;
	PGresult *last;                     /* the last result of the query at the head */
	int nqueued;                        /* queries queued or on the wire */
	const char *prepared[MAX_PREPARED]; /* statement names prepared in this session */
	int nprepared;
	char notice[256]; /* the server's last FATAL or PANIC message: why it closed on us */
};

static void conn_connect(struct store_conn *c);
static void conn_down(struct store_conn *c, const char *why);

static void query_free(struct query *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q);
}

static void ms_to_tv(int ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static void watch(struct store_conn *c, short what);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct store_conn *c = arg;
	if (c->state == CONN_WAITING)
		conn_connect(c);
	else if (c->state == CONN_CONNECTING)
		conn_down(c, c->resolve ? "resolving the database host name timed out"
					: "connecting timed out");
}

/* Sends every queued query at once, each followed by a sync point (pipeline mode): a batch of
 * statements costs one round trip, and each statement still answers on its own. */
static void pump(struct store_conn *c)
{
	if (c->state != CONN_UP || c->unsent == NULL)
		return;
	for (struct query *q = c->unsent; q; q = q->next) {
		const char *const *params = (const char *const *)q->params;
		/* a prepare names no parameter types: the server infers them from the SQL */
		int ok = q->prepare ? PQsendPrepare(c->pg, q->name, q->sql, 0, NULL)
			 : q->name  ? PQsendQueryPrepared(c->pg, q->name, q->nparams, params, NULL,
							  NULL, 0)
				    : PQsendQueryParams(c->pg, q->sql, q->nparams, NULL, params,
							NULL, NULL, 0);
		if (!ok || !PQpipelineSync(c->pg)) {
			conn_down(c, PQerrorMessage(c->pg));
			return;
		}
		q->phase = QUERY_RESULTS;
	}
	c->unsent = NULL;
	int f = PQflush(c->pg);
	if (f < 0)
		conn_down(c, PQerrorMessage(c->pg));
	else
		watch(c, f == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void finish_query(struct store_conn *c)
{
	struct query *q = c->queue;
	c->queue = q->next;
	c->nqueued--;
	if (c->queue == NULL)
		c->queue_tail = &c->queue;
	PGresult *res = c->last;
	c->last = NULL;
	q->fn(c, res, q->arg);
	PQclear(res);
	query_free(q);
}

static void on_io_up(struct store_conn *c, short what)
{
	if (what & EV_WRITE) {
		int f = PQflush(c->pg);
		if (f < 0) {
			conn_down(c, PQerrorMessage(c->pg));
			return;
		}
		if (f == 0)
			watch(c, EV_READ);
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK) {
		conn_down(c, PQerrorMessage(c->pg));
		return;
	}
	while (c->queue && c->queue->phase != QUERY_QUEUED && !PQisBusy(c->pg)) {
		struct query *q = c->queue;
		PGresult *res = PQgetResult(c->pg);
		if (res == NULL) {
			if (q->phase == QUERY_SYNC)
				break; /* the sync has not arrived yet */
			q->phase = QUERY_SYNC;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			finish_query(c);
			if (c->state != CONN_UP)
				return;
			continue;
		}
		PQclear(c->last);
		c->last = res;
	}
	pump(c);
	PGnotify *n;
	while (c->pg && (n = PQnotifies(c->pg)) != NULL) {
		if (c->cb.on_notify)
			c->cb.on_notify(c, n->relname, c->cb.arg);
		PQfreemem(n);
	}
}

static void on_io_connecting(struct store_conn *c)
{
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING: watch(c, EV_READ); return;
	case PGRES_POLLING_WRITING: watch(c, EV_WRITE); return;
	case PGRES_POLLING_FAILED: conn_down(c, PQerrorMessage(c->pg)); return;
	case PGRES_POLLING_OK: break;
	default: return;
	}
	if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1) {
		conn_down(c, PQerrorMessage(c->pg));
		return;
	}
	evtimer_del(c->timer);
	c->state = CONN_UP;
	c->backoff_ms = c->backoff_min_ms;
	watch(c, EV_READ);
	/* The schema first on the path, set here rather than in `options`, which is the
	 * operator's to use (PGOPTIONS, conninfo). */
	store_conn_exec(c, "SELECT set_config('search_path', 'overgang, public', false)");
	if (c->cb.on_up)
		c->cb.on_up(c, c->cb.arg);
	pump(c);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct store_conn *c = arg;
	if (c->state == CONN_CONNECTING)
		on_io_connecting(c);
	else if (c->state == CONN_UP)
		on_io_up(c, what);
}

/* Watches the connection's socket for WHAT. While connecting, libpq may close its socket and
 * open another that gets the same number (trying the next host of a list): the event is made
 * anew every time then, as epoll forgets a closed descriptor. */
static void watch(struct store_conn *c, short what)
{
	int fd = PQsocket(c->pg);
	if (c->io && fd == c->fd && what == c->io_what && c->state == CONN_UP)
		return;
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	c->fd = fd;
	c->io_what = what;
	if (fd < 0)
		return;
	c->io = event_new(c->base, fd, what | EV_PERSIST, on_io, c);
	if (c->io == NULL || event_add(c->io, NULL) != 0)
		og_error(NULL, "cannot watch the database socket");
}

/* The server's notices go to the log instead of libpq's default, stderr; a FATAL one is
 * remembered as the reason the connection ends. */
static void on_notice(void *arg, const PGresult *res)
{
	struct store_conn *c = arg;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (severity == NULL || primary == NULL)
		return;
	if (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0)
		snprintf(c->notice, sizeof c->notice, "%s", primary);
	else if (strcmp(severity, "WARNING") == 0)
		og_warn(json_pack("{s:s}", "server_message", primary), "database warning");
	else
		og_debug(json_pack("{s:s,s:s}", "severity", severity, "server_message", primary),
			 "database notice");
}

/* Starts connecting; HOST and HOSTADDR, when given, are the host name, once for each of the
 * addresses it resolved to, and those addresses (comma-separated lists of the same length,
 * tried in order by libpq). */
static void conn_start(struct store_conn *c, const char *host, const char *hostaddr)
{
	/* Defaults first: what the operator's conninfo says comes after them and wins. TCP
	 * keepalives notice a server that vanished without a word within a minute or so. */
	const char *keys[] = {"keepalives",
			      "keepalives_idle",
			      "keepalives_interval",
			      "keepalives_count",
			      "application_name",
			      "dbname",
			      hostaddr ? "host" : NULL,
			      "hostaddr",
			      NULL};
	const char *values[] = {"1",         "30", "10",     "3", c->app_name,
				c->conninfo, host, hostaddr, NULL};
	c->pg = PQconnectStartParams(keys, values, 1);
	if (c->pg == NULL) {
		conn_down(c, "out of memory");
		return;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		conn_down(c, PQerrorMessage(c->pg));
		return;
	}
	c->notice[0] = '\0';
	PQsetNoticeReceiver(c->pg, on_notice, c);
	c->state = CONN_CONNECTING;
	struct timeval tv;
	ms_to_tv(CONNECT_TIMEOUT_MS, &tv);
	evtimer_add(c->timer, &tv);
	watch(c, EV_WRITE);
}

/* The value of KEY in OPTS: NULL when not given (an empty value is given). */
static const char *option(const PQconninfoOption *opts, const char *key)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, key) == 0)
			return o->val;
	return NULL;
}

/* The host name of CONNINFO (or PGHOST) into HOST when the daemon must resolve it before libpq
 * connects: libpq resolves it with a blocking call, which would stop the event loop for as
 * long as the name server takes. Left to libpq as before: an address, a socket directory, an
 * empty host (the default socket), a list of hosts, a given hostaddr (or PGHOSTADDR), and a
 * service (whose file may name another host). */
static bool host_to_resolve(const char *conninfo, char *host, size_t len)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	if (opts == NULL)
		return false; /* libpq reports what is wrong with it */
	const char *h = option(opts, "host"), *addr = option(opts, "hostaddr");
	const char *service = option(opts, "service");
	if (h == NULL)
		h = getenv("PGHOST");
	if (addr == NULL && (addr = getenv("PGHOSTADDR")) != NULL && addr[0] == '\0')
		addr = NULL;
	if (service == NULL)
		service = getenv("PGSERVICE");
	bool need = addr == NULL && service == NULL && h && h[0] && h[0] != '/' && h[0] != '@' &&
		    !strchr(h, ',') && !og_resolve_is_numeric(h) && strlen(h) < len;
	if (need)
		memcpy(host, h, strlen(h) + 1);
	PQconninfoFree(opts);
	return need;
}

static void on_resolved(const char *addrs, int n, const char *err, void *arg)
{
	struct store_conn *c = arg;
	c->resolve = NULL;
	if (addrs == NULL) {
		conn_down(c, err);
		return;
	}
	/* the name once for each address: libpq pairs host and hostaddr by position, and keeps
	 * the name for TLS and the password file */
	char hosts[OG_RESOLVE_MAX * 256];
	size_t used = 0;
	for (int i = 0; i < n && used < sizeof hosts; i++)
		used += (size_t)snprintf(hosts + used, sizeof hosts - used, "%s%s", i ? "," : "",
					 c->resolving);
	conn_start(c, hosts, addrs);
}

static void conn_connect(struct store_conn *c)
{
	if (!host_to_resolve(c->conninfo, c->resolving, sizeof c->resolving)) {
		conn_start(c, NULL, NULL);
		return;
	}
	c->resolve = og_resolve_start(c->base, c->resolving, on_resolved, c);
	if (c->resolve == NULL) {
		conn_down(c, "could not start resolving the database host name");
		return;
	}
	c->state = CONN_CONNECTING;
	struct timeval tv;
	ms_to_tv(RESOLVE_TIMEOUT_MS, &tv);
	evtimer_add(c->timer, &tv);
}

/* Forgets the connection, fails what was queued, and schedules the next attempt. */
static void conn_down(struct store_conn *c, const char *why)
{
	char reason[512];
	if (c->notice[0])
		snprintf(reason, sizeof reason, "%s", c->notice);
	else
		snprintf(reason, sizeof reason, "%s", why && *why ? why : "connection lost");
	c->notice[0] = '\0';
	size_t n = strlen(reason);
	while (n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == ' '))
		reason[--n] = '\0';
	for (char *r = reason; *r; r++) /* libpq's messages span lines; a log line must not */
		if (*r == '\n' || *r == '\t')
			*r = ' ';

	og_resolve_cancel(c->resolve);
	c->resolve = NULL;
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	c->fd = -1;
	PQclear(c->last);
	c->last = NULL;
	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->state = CONN_WAITING;
	struct timeval tv;
	ms_to_tv(c->backoff_ms, &tv);
	evtimer_del(c->timer);
	evtimer_add(c->timer, &tv);
	c->backoff_ms =
		c->backoff_ms * 2 > c->backoff_max_ms ? c->backoff_max_ms : c->backoff_ms * 2;

	while (c->queue) {
		struct query *q = c->queue;
		c->queue = q->next;
		c->nqueued--;
		q->fn(c, NULL, q->arg);
		query_free(q);
	}
	c->queue_tail = &c->queue;
	c->unsent = NULL;
	c->nprepared = 0; /* a new session knows no prepared statements */
	if (c->cb.on_down)
		c->cb.on_down(c, reason, c->cb.arg);
}

struct store_conn *store_conn_new(struct event_base *base, const char *conninfo,
				  const char *app_name, int reconnect_min_ms, int reconnect_max_ms,
				  const struct store_conn_callbacks *cb)
{
	struct store_conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->base = base;
	c->conninfo = strdup(conninfo);
	c->app_name = strdup(app_name);
	c->timer = evtimer_new(base, on_timer, c);
	if (c->conninfo == NULL || c->app_name == NULL || c->timer == NULL) {
		store_conn_free(c);
		return NULL;
	}
	c->backoff_min_ms = c->backoff_ms = reconnect_min_ms;
	c->backoff_max_ms = reconnect_max_ms;
	c->fd = -1;
	c->queue_tail = &c->queue;
	if (cb)
		c->cb = *cb;
	conn_connect(c);
	return c;
}

void store_conn_free(struct store_conn *c)
{
	if (c == NULL)
		return;
	og_resolve_cancel(c->resolve);
	if (c->io)
		event_free(c->io);
	if (c->timer)
		event_free(c->timer);
	c->io = c->timer = NULL;
	c->state = CONN_WAITING; /* callbacks below cannot queue more */
	while (c->queue) {
		struct query *q = c->queue;
		c->queue = q->next;
		c->nqueued--;
		q->fn(c, NULL, q->arg);
		query_free(q);
	}
	PQclear(c->last);
	if (c->pg)
		PQfinish(c->pg);
	free(c->conninfo);
	free(c->app_name);
	free(c);
}

bool store_conn_is_up(const struct store_conn *c) { return c->state == CONN_UP; }

const char *store_sqlstate(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state ? state : "";
}

bool store_conn_is_busy(const struct store_conn *c) { return c->queue != NULL; }

int store_conn_queued(const struct store_conn *c) { return c->nqueued; }

static struct query *query_new(const char *sql, int nparams, const char *const *params,
			       store_result_fn fn, void *arg)
{
	struct query *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	q->sql = strdup(sql);
	q->params = calloc((size_t)nparams + 1, sizeof *q->params);
	if (q->sql == NULL || q->params == NULL)
		goto fail;
	for (q->nparams = 0; q->nparams < nparams; q->nparams++) {
		if (params[q->nparams] == NULL)
			continue;
		q->params[q->nparams] = strdup(params[q->nparams]);
		if (q->params[q->nparams] == NULL)
			goto fail;
	}
	q->fn = fn;
	q->arg = arg;
	q->phase = QUERY_QUEUED;
	return q;
fail:
	query_free(q);
	return NULL;
}

static void enqueue(struct store_conn *c, struct query *q)
{
	*c->queue_tail = q;
	c->queue_tail = &q->next;
	c->nqueued++;
	if (c->unsent == NULL)
		c->unsent = q;
}

int store_conn_query(struct store_conn *c, const char *sql, int nparams, const char *const *params,
		     store_result_fn fn, void *arg)
{
	return store_conn_query_named(c, NULL, sql, nparams, params, fn, arg);
}

static void on_prepared(struct store_conn *c, const PGresult *res, void *arg)
{
	const char *name = arg;
	if (res && PQresultStatus(res) == PGRES_COMMAND_OK)
		return;
	/* forget it: the next use prepares it again (the failed use reports the error) */
	for (int i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == name)
			c->prepared[i] = c->prepared[--c->nprepared];
	if (res)
		og_warn(json_pack("{s:s,s:s}", "statement", name, "error",
				  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)),
			"preparing a statement failed");
}

int store_conn_query_named(struct store_conn *c, const char *name, const char *sql, int nparams,
			   const char *const *params, store_result_fn fn, void *arg)
{
	if (c->state != CONN_UP)
		return -1;
	bool known = name == NULL;
	for (int i = 0; !known && i < c->nprepared; i++)
		known = c->prepared[i] == name;
	if (!known && c->nprepared == MAX_PREPARED)
		name = NULL, known = true; /* no room to remember it: run it unnamed */
	struct query *q = query_new(sql, nparams, params, fn, arg);
	if (q == NULL)
		return -1;
	q->name = name;
	if (!known) {
		struct query *p = query_new(sql, 0, NULL, on_prepared, (void *)name);
		if (p == NULL) {
			query_free(q);
			return -1;
		}
		p->name = name;
		p->prepare = true;
		c->prepared[c->nprepared++] = name;
		enqueue(c, p);
	}
	enqueue(c, q);
	pump(c);
	return 0;
}

static void ignore_result(struct store_conn *c, const PGresult *res, void *arg)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_COMMAND_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		og_warn(json_pack("{s:s}", "error", PQresultErrorMessage(res)),
			"a statement failed");
}

void store_conn_exec(struct store_conn *c, const char *sql)
{
	if (store_conn_query(c, sql, 0, NULL, ignore_result, NULL) != 0 && c->state == CONN_UP)
		og_error(NULL, "out of memory queueing a statement");
}

void store_conn_reset(struct store_conn *c, const char *why)
{
	if (c->state != CONN_WAITING)
		conn_down(c, why);
}
