#include "api/access_log.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "store/pool.h"
#include "util/log.h"

static const char flush_sql[] = "SELECT overgang.api_access_flush($1::jsonb)";
static const char tidy_sql[] = "SELECT overgang.access_log_tidy()";

/* Batches written at once, each on a connection of its own: while one waits for a slow
 * commit (a disk flush stalls for 15-230 ms now and then on the bench machine), the next
 * goes on the other, so only the reads of the stalled batch wait. */
#define WRITERS 2

struct entry {
	struct entry *next;
	access_log_done_fn done;
	void *arg;
	int rows; /* how many rows it adds */
};

/* A batch: its entries and their rows as one JSON array's text. */
struct batch {
	struct entry *head, **tail;
	char *text;
	size_t len, cap;
};

/* A batch being written. */
struct flight {
	struct access_log *log;
	struct entry *entries;
};

struct access_log {
	struct store_pool *pool; /* WRITERS connections, and one for the merges */
	struct batch next;       /* filling */
	int flying;              /* batches being written */
	int tidy_reads;          /* reads between two merges; 0: none */
	int since_tidy;          /* reads written since the last merge began */
	bool tidying, freeing;
};

static void batch_reset(struct batch *b)
{
	b->head = NULL;
	b->tail = &b->head;
	b->len = 0;
}

/* Appends LEN bytes of S to B's text; -1 when out of memory. */
static int batch_append(struct batch *b, const char *s, size_t len)
{
	if (b->len + len + 2 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + len + 2 > cap)
			cap *= 2;
		char *text = realloc(b->text, cap);
		if (text == NULL)
			return -1;
		b->text = text;
		b->cap = cap;
	}
	memcpy(b->text + b->len, s, len);
	b->len += len;
	b->text[b->len] = '\0';
	return 0;
}

/* Tells each entry of the list HEAD whether it was written (with the id of its first row:
 * IDS, api_access_flush's answer, holds them all in order), and frees it. Returns how many
 * there were. */
static int finish(struct entry *head, bool written, const char *ids)
{
	const char *p = ids && ids[0] == '{' ? ids + 1 : "";
	int n = 0;
	for (; head; n++) {
		struct entry *next = head->next;
		int64_t first = 0;
		for (int r = 0; written && r < head->rows; r++) {
			char *end;
			long long id = strtoll(p, &end, 10);
			if (r == 0)
				first = id;
			p = *end == ',' ? end + 1 : end;
		}
		head->done(head->arg, written, first);
		free(head);
		head = next;
	}
	return n;
}

/* How many elements the JSON array ROWS (LEN bytes) has: its commas at the top level, and
 * one. */
static int count_rows(const char *rows, size_t len)
{
	int depth = 0, n = 1;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = rows[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			depth--;
		} else if (c == ',' && depth == 1) {
			n++;
		}
	}
	return n;
}

static void send_next(struct access_log *log);

static void on_tidied(struct store_conn *conn, const PGresult *res, void *arg)
{
	(void)conn;
	struct access_log *log = arg;
	log->tidying = false;
	if (res && PQresultStatus(res) != PGRES_TUPLES_OK)
		og_warn(json_pack("{s:s}", "sqlstate", store_sqlstate(res)),
			"merging the access log's pending index entries failed");
}

/* Merges the by-citizen index's pending list every tidy_reads reads, one merge at a time,
 * so that no read's insert finds it full and merges it itself. */
static void tidy(struct access_log *log, int reads)
{
	log->since_tidy += reads;
	if (log->tidy_reads == 0 || log->since_tidy < log->tidy_reads || log->tidying ||
	    log->freeing)
		return;
	log->since_tidy = 0;
	log->tidying = true; /* before: a connection lost while sending answers at once */
	if (store_pool_query_named(log->pool, "access_log_tidy", tidy_sql, 0, NULL, on_tidied,
				   log) != 0)
		log->tidying = false;
}

static void on_written(struct store_conn *conn, const PGresult *res, void *arg)
{
	(void)conn;
	struct flight *f = arg;
	struct access_log *log = f->log;
	bool written = res && PQresultStatus(res) == PGRES_TUPLES_OK;
	if (res && !written)
		og_error(json_pack("{s:s}", "sqlstate", store_sqlstate(res)),
			 "the access log could not be written; the reads waiting for it are "
			 "answered 503");
	struct entry *done = f->entries;
	free(f);
	log->flying--;
	int reads = finish(done, written, written ? PQgetvalue(res, 0, 0) : NULL);
	if (!log->freeing)
		send_next(log);
	if (written)
		tidy(log, reads);
}

/* Writes the filling batch, when there is one and a connection is free for it. The batch
 * is taken off the log first: the pool may call on_written before it returns (a connection
 * lost while sending), and that may start the next batch. */
static void send_next(struct access_log *log)
{
	if (log->flying >= WRITERS || log->next.head == NULL)
		return;
	struct entry *entries = log->next.head;
	struct flight *f = malloc(sizeof *f);
	if (f == NULL || batch_append(&log->next, "]", 1) != 0) {
		free(f);
		batch_reset(&log->next);
		finish(entries, false, NULL);
		return;
	}
	char *text = log->next.text;
	log->next.text = NULL;
	log->next.cap = 0;
	batch_reset(&log->next);
	f->log = log;
	f->entries = entries;
	const char *params[] = {text};
	log->flying++;
	int rc = store_pool_query_named(log->pool, "access_log_flush", flush_sql, 1, params,
					on_written, f);
	free(text); /* the pool copied it */
	if (rc != 0) {
		log->flying--;
		free(f);
		finish(entries, false, NULL);
	}
}

struct access_log *access_log_new(struct event_base *base, const char *conninfo,
				  int reconnect_min_ms, int reconnect_max_ms,
				  const char *session_sql, int merge_reads)
{
	struct access_log *log = calloc(1, sizeof *log);
	if (log == NULL)
		return NULL;
	log->tidy_reads = merge_reads;
	batch_reset(&log->next);
	log->pool = store_pool_new(base, conninfo, "overgangd access log", WRITERS + 1,
				   reconnect_min_ms, reconnect_max_ms, session_sql);
	if (log->pool == NULL) {
		free(log);
		return NULL;
	}
	return log;
}

void access_log_free(struct access_log *log)
{
	if (log == NULL)
		return;
	log->freeing = true;
	struct entry *waiting = log->next.head;
	batch_reset(&log->next);
	store_pool_free(log->pool); /* answers the batches in flight with no result */
	finish(waiting, false, NULL);
	free(log->next.text);
	free(log);
}

int access_log_add(struct access_log *log, const char *rows, size_t len, access_log_done_fn done,
		   void *arg)
{
	/* ROWS is "[...]": its elements join the batch's array */
	while (len > 0 && (rows[len - 1] == ' ' || rows[len - 1] == '\n'))
		len--;
	if (len <= 2 || rows[0] != '[' || rows[len - 1] != ']')
		return -1; /* no rows: nothing to wait for */
	struct entry *e = calloc(1, sizeof *e);
	if (e == NULL)
		return -1;
	e->done = done;
	e->arg = arg;
	e->rows = count_rows(rows, len);
	size_t mark = log->next.len;
	bool first = log->next.head == NULL;
	if ((first ? batch_append(&log->next, "[", 1) : batch_append(&log->next, ",", 1)) != 0 ||
	    batch_append(&log->next, rows + 1, len - 2) != 0) {
		log->next.len = mark;
		free(e);
		return -1;
	}
	*log->next.tail = e;
	log->next.tail = &e->next;
	send_next(log);
	return 0;
}

bool access_log_idle(const struct access_log *log)
{
	return log->flying == 0 && log->next.head == NULL;
}
