#include "api/list_pages.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* uthash (Debian's uthash-dev) keeps the pages by request, in order of last use; a failed
 * allocation in it leaves the page out (table_oom) instead of ending the process. */
static bool table_oom;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(e) (table_oom = true)
#include <uthash.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define IN_FLIGHT 2          /* check statements on their way at once */
#define PRUNE_SECONDS 60     /* how often list_change is pruned */
#define PRUNE_MIN_AGE "50 s" /* ... and not sooner, by any daemon, than this */
#define PRUNE_AT_MOST 50000  /* rows deleted a statement */

struct page {
	UT_hash_handle hh;
	uint64_t gen; /* tells a page put again for the same key apart */
	char *key;
	size_t keylen;
	char *list, *snapshot;
	int64_t names, server, now_us, until_us;
	char *body;
	size_t len;
	json_t *rows;
	size_t bytes;
};

/* A request waiting for its page's check. */
struct wait {
	char *key;
	size_t keylen;
	uint64_t gen;
	list_pages_fn fn;
	void *arg;
};

struct batch {
	struct list_pages *pages;
	struct wait *w;
	size_t n;
};

struct list_pages {
	struct store_pool *pool;
	struct event *prune;
	struct page *by_key; /* the least recently shown first */
	size_t bytes, max_bytes;
	uint64_t gen, shown, changed;
	struct wait *pending;
	size_t npending, cap;
	int in_flight;
};

static const char check_sql[] = "SELECT overgang.api_list_check($1::text[], $2::text[])";
static const char prune_sql[] =
	"SELECT overgang.list_change_prune('" PRUNE_MIN_AGE "', " STR(PRUNE_AT_MOST) ")";

static void page_free(struct page *p)
{
	free(p->key);
	free(p->list);
	free(p->snapshot);
	free(p->body);
	json_decref(p->rows);
	free(p);
}

static void forget(struct list_pages *pages, struct page *p)
{
	HASH_DELETE(hh, pages->by_key, p);
	pages->bytes -= p->bytes;
	page_free(p);
}

static struct page *find(struct list_pages *pages, const char *key, size_t keylen)
{
	struct page *p;
	HASH_FIND(hh, pages->by_key, key, keylen, p);
	return p;
}

static void on_prune_timer(evutil_socket_t fd, short what, void *arg);

static void on_pruned(struct store_conn *conn, const PGresult *res, void *arg)
{
	(void)conn;
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    atol(PQgetvalue(res, 0, 0)) >= PRUNE_AT_MOST)
		on_prune_timer(-1, 0, arg); /* more left below the horizon */
	else if (res && PQresultStatus(res) != PGRES_TUPLES_OK)
		og_warn(json_pack("{s:s}", "sqlstate", store_sqlstate(res)),
			"pruning the lists' changes failed");
}

static void on_prune_timer(evutil_socket_t fd, short what, void *arg)
{
	struct list_pages *pages = arg;
	(void)fd;
	(void)what;
	if (store_pool_query_named(pages->pool, "list_change_prune", prune_sql, 0, NULL, on_pruned,
				   pages) != 0)
		og_debug(NULL, "pruning the lists' changes skipped: the database is not connected");
}

struct list_pages *list_pages_new(struct event_base *base, struct store_pool *pool,
				  size_t max_bytes)
{
	struct list_pages *pages = calloc(1, sizeof *pages);
	if (pages == NULL)
		return NULL;
	pages->pool = pool;
	pages->max_bytes = max_bytes;
	pages->prune = event_new(base, -1, EV_PERSIST, on_prune_timer, pages);
	if (pages->prune == NULL) {
		free(pages);
		return NULL;
	}
	struct timeval tv = {PRUNE_SECONDS, 0};
	event_add(pages->prune, &tv);
	return pages;
}

void list_pages_free(struct list_pages *pages)
{
	if (pages == NULL)
		return;
	struct page *p, *tmp;
	HASH_ITER(hh, pages->by_key, p, tmp) forget(pages, p);
	/* the pool's end has answered every check: none is left waiting */
	for (size_t i = 0; i < pages->npending; i++)
		free(pages->pending[i].key);
	free(pages->pending);
	event_free(pages->prune);
	free(pages);
}

void list_pages_stats(const struct list_pages *pages, struct list_pages_stats *out)
{
	out->shown = pages->shown;
	out->changed = pages->changed;
	out->pages = HASH_COUNT(pages->by_key);
	out->bytes = pages->bytes;
}

/* Appends S to the PostgreSQL array literal in BUF (*USED bytes of SIZE, "{" at first) as
 * a quoted element. false when it does not fit. */
static bool array_add(char *buf, size_t size, size_t *used, const char *s)
{
	size_t u = *used;
	if (u + 3 >= size)
		return false;
	if (u > 1)
		buf[u++] = ',';
	buf[u++] = '"';
	for (; *s; s++) {
		if (u + 4 >= size)
			return false;
		if (*s == '"' || *s == '\\')
			buf[u++] = '\\';
		buf[u++] = *s;
	}
	buf[u++] = '"';
	*used = u;
	return u + 2 <= size;
}

/* Answers the N requests W (freed after) with their pages as checked by RESULT (the JSON
 * of api_list_check), or all to be found again when RESULT is NULL. */
static void answer(struct list_pages *pages, struct wait *w, size_t n, const char *result)
{
	json_t *doc = result ? json_loads(result, 0, NULL) : NULL;
	json_t *changed = json_object_get(doc, "changed"), *at = json_object_get(doc, "at");
	json_int_t names = json_integer_value(json_object_get(doc, "names"));
	json_int_t now = json_integer_value(json_object_get(doc, "now"));
	json_int_t server = json_integer_value(json_object_get(doc, "server"));
	bool ok = json_is_array(changed) && json_is_string(at) &&
		  json_is_integer(json_object_get(doc, "now"));
	if (result && !ok)
		og_error(NULL, "api_list_check answered something else than its document");
	size_t c = 0; /* the next of the changed positions, which come in order */
	for (size_t i = 0; i < n; i++) {
		struct page *p = find(pages, w[i].key, w[i].keylen);
		if (p && p->gen != w[i].gen)
			p = NULL; /* put again since: this check was of the one before */
		bool same = false;
		if (ok) {
			json_t *next = json_array_get(changed, c);
			bool moved = next && json_integer_value(next) == (json_int_t)i;
			c += moved;
			same = !moved && p && p->names == names && p->server == server &&
			       now >= p->now_us && now <= p->until_us;
		}
		char *rows = NULL;
		if (same) {
			for (size_t r = 0; r < json_array_size(p->rows); r++)
				json_object_set(json_array_get(p->rows, r), "at", at);
			rows = json_dumps(p->rows, JSON_COMPACT);
		}
		if (rows) {
			HASH_DELETE(hh, pages->by_key, p); /* to the end: the latest shown */
			table_oom = false;
			HASH_ADD_KEYPTR(hh, pages->by_key, p->key, p->keylen, p);
			bool dropped = table_oom; /* out of the table: shown once more, then gone */
			if (dropped)
				pages->bytes -= p->bytes;
			pages->shown++;
			struct list_pages_view view = {p->body, p->len, rows, strlen(rows)};
			w[i].fn(w[i].arg, &view);
			if (dropped)
				page_free(p);
			free(rows);
		} else {
			if (ok && p) {
				pages->changed++;
				forget(pages, p);
			}
			w[i].fn(w[i].arg, NULL);
		}
		free(w[i].key);
	}
	json_decref(doc);
	free(w);
}

static void send_pending(struct list_pages *pages);

static void on_checked(struct store_conn *conn, const PGresult *res, void *arg)
{
	struct batch *b = arg;
	struct list_pages *pages = b->pages;
	(void)conn;
	pages->in_flight--;
	const char *result = NULL;
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		result = PQgetvalue(res, 0, 0);
	else if (res)
		og_warn(json_pack("{s:s}", "sqlstate", store_sqlstate(res)),
			"checking kept list pages failed; they are found again");
	answer(pages, b->w, b->n, result);
	free(b);
	send_pending(pages);
}

/* What a waiting request's page is checked as: a page forgotten meanwhile as an empty
 * list, and then found again. */
static const char *list_of(const struct page *p) { return p ? p->list : ""; }
static const char *snapshot_of(const struct page *p) { return p ? p->snapshot : "1:1:"; }

/* Sends the waiting requests' checks in one statement, if one more may be on its way. */
static void send_pending(struct list_pages *pages)
{
	if (pages->npending == 0 || pages->in_flight >= IN_FLIGHT)
		return;
	struct wait *w = pages->pending;
	size_t n = pages->npending;
	pages->pending = NULL;
	pages->npending = pages->cap = 0;
	size_t lsize = 3, ssize = 3; /* "{}" and the NUL; each element quoted, escaped, a comma */
	for (size_t i = 0; i < n; i++) {
		const struct page *p = find(pages, w[i].key, w[i].keylen);
		lsize += 2 * strlen(list_of(p)) + 3;
		ssize += 2 * strlen(snapshot_of(p)) + 3;
	}
	struct batch *b = malloc(sizeof *b);
	char *lists = malloc(lsize), *snaps = malloc(ssize);
	bool ok = b && lists && snaps;
	size_t lu = 1, su = 1;
	if (ok)
		lists[0] = snaps[0] = '{';
	for (size_t i = 0; ok && i < n; i++) {
		const struct page *p = find(pages, w[i].key, w[i].keylen);
		ok = array_add(lists, lsize, &lu, list_of(p)) &&
		     array_add(snaps, ssize, &su, snapshot_of(p));
	}
	if (ok) {
		lists[lu++] = '}';
		lists[lu] = '\0';
		snaps[su++] = '}';
		snaps[su] = '\0';
		*b = (struct batch){pages, w, n};
		const char *params[] = {lists, snaps};
		pages->in_flight++;
		if (store_pool_query_named(pages->pool, "api_list_check", check_sql, 2, params,
					   on_checked, b) != 0) {
			pages->in_flight--;
			ok = false;
		}
	}
	if (!ok) { /* no database, or out of memory: each is found again */
		free(b);
		answer(pages, w, n, NULL);
	}
	free(lists);
	free(snaps);
}

bool list_pages_check(struct list_pages *pages, const char *key, size_t keylen, list_pages_fn fn,
		      void *arg)
{
	struct page *p = find(pages, key, keylen);
	if (p == NULL)
		return false;
	if (pages->npending == pages->cap) {
		size_t cap = pages->cap ? pages->cap * 2 : 16;
		struct wait *w = realloc(pages->pending, cap * sizeof *w);
		if (w == NULL)
			return false;
		pages->pending = w;
		pages->cap = cap;
	}
	char *copy = malloc(keylen);
	if (copy == NULL)
		return false;
	memcpy(copy, key, keylen);
	pages->pending[pages->npending++] = (struct wait){copy, keylen, p->gen, fn, arg};
	send_pending(pages);
	return true;
}

void list_pages_put(struct list_pages *pages, const char *key, size_t keylen,
		    const struct task_list_stamp *stamp, const char *body, size_t len,
		    const char *rows, size_t rows_len, int64_t row_id)
{
	struct page *old = find(pages, key, keylen);
	if (old)
		forget(pages, old);
	size_t bytes = sizeof(struct page) + keylen + strlen(stamp->list) +
		       strlen(stamp->snapshot) + len + 256; /* 256: its reads' row */
	if (bytes > pages->max_bytes)
		return;
	struct page *p = calloc(1, sizeof *p);
	if (p == NULL)
		return;
	p->key = malloc(keylen);
	p->list = strdup(stamp->list);
	p->snapshot = strdup(stamp->snapshot);
	p->body = malloc(len + 1);
	/* its reads' row: who, why and through what, naming the row that lists the citizens */
	json_t *found = json_loadb(rows, rows_len, 0, NULL), *row = json_array_get(found, 0);
	if (json_array_size(found) == 1 && row_id > 0)
		p->rows =
			json_pack("[{s:O?,s:O?,s:O?,s:I}]", "actor", json_object_get(row, "actor"),
				  "reason", json_object_get(row, "reason"), "via",
				  json_object_get(row, "via"), "same_as", (json_int_t)row_id);
	json_decref(found);
	if (p->key == NULL || p->list == NULL || p->snapshot == NULL || p->body == NULL ||
	    p->rows == NULL) {
		page_free(p);
		return;
	}
	memcpy(p->key, key, keylen);
	p->keylen = keylen;
	memcpy(p->body, body, len);
	p->body[len] = '\0';
	p->len = len;
	p->names = stamp->names;
	p->server = stamp->server;
	p->now_us = stamp->now_us;
	p->until_us = stamp->until_us;
	p->gen = ++pages->gen;
	p->bytes = bytes;
	table_oom = false;
	HASH_ADD_KEYPTR(hh, pages->by_key, p->key, p->keylen, p);
	if (table_oom) {
		page_free(p);
		return;
	}
	pages->bytes += bytes;
	while (pages->bytes > pages->max_bytes && pages->by_key)
		forget(pages, pages->by_key);
}
