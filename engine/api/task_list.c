#include "api/task_list.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* uthash (Debian's uthash-dev) keeps the entries by task id, in order of last use; a failed
 * allocation in it leaves the entry out (table_oom) instead of ending the process. */
static bool table_oom;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(e) (table_oom = true)
#include <uthash.h>

#define VERSION_MAX 32 /* "task xmin.case xmin": at most 21 characters */

/* One task's list entry as rendered by PostgreSQL, without "overdue". */
struct entry {
	int64_t task_id;
	char version[VERSION_MAX];
	int64_t names; /* the names' version it shows */
	int64_t due_us;
	bool has_due, open;
	size_t len;
	UT_hash_handle hh;
	char text[]; /* the JSON object, NUL-terminated */
};

struct task_list_cache {
	struct entry *entries; /* the oldest use first */
	size_t bytes, max_bytes;
	int64_t server; /* the database server's start the entries were rendered under */
	uint64_t shown, rendered;
};

/* One task of a page: its key, and its entry (the page's own copy) once found. */
struct slot {
	int64_t task_id;
	char version[VERSION_MAX];
	struct entry *entry;
};

struct task_list_page {
	int64_t names, now_us, server;
	char *list, *snapshot; /* the list and the snapshot it was found in, when given */
	struct slot **missing; /* the slots without an entry, by task id */
	size_t nmissing;
	char *next_cursor; /* JSON: a string or null */
	size_t n;
	struct slot slots[];
};

static size_t entry_size(const struct entry *e) { return sizeof *e + e->len + 1; }

static struct entry *entry_copy(const struct entry *e)
{
	struct entry *c = malloc(entry_size(e));
	if (c) {
		memcpy(c, e, entry_size(e));
		memset(&c->hh, 0, sizeof c->hh);
	}
	return c;
}

struct task_list_cache *task_list_cache_new(size_t max_bytes)
{
	struct task_list_cache *cache = calloc(1, sizeof *cache);
	if (cache)
		cache->max_bytes = max_bytes;
	return cache;
}

static void forget(struct task_list_cache *cache, struct entry *e)
{
	HASH_DELETE(hh, cache->entries, e);
	cache->bytes -= entry_size(e);
	free(e);
}

void task_list_cache_free(struct task_list_cache *cache)
{
	if (cache == NULL)
		return;
	struct entry *e, *tmp;
	HASH_ITER(hh, cache->entries, e, tmp) forget(cache, e);
	free(cache);
}

void task_list_cache_stats(const struct task_list_cache *cache, struct task_list_stats *out)
{
	out->shown = cache->shown;
	out->rendered = cache->rendered;
	out->entries = HASH_COUNT(cache->entries);
	out->bytes = cache->bytes;
}

/* Keeps a copy of E (replacing the task's older entry), then forgets the least recently
 * used entries until the bound holds. */
static void keep(struct task_list_cache *cache, const struct entry *e)
{
	struct entry *old;
	HASH_FIND(hh, cache->entries, &e->task_id, sizeof e->task_id, old);
	if (old)
		forget(cache, old);
	if (entry_size(e) > cache->max_bytes)
		return;
	struct entry *c = entry_copy(e);
	if (c == NULL)
		return;
	table_oom = false;
	HASH_ADD(hh, cache->entries, task_id, sizeof c->task_id, c);
	if (table_oom) {
		free(c);
		return;
	}
	cache->bytes += entry_size(c);
	while (cache->bytes > cache->max_bytes && cache->entries)
		forget(cache, cache->entries);
}

/* A copy of the task's kept entry when it is at VERSION and NAMES (and marked as just used);
 * NULL when there is none such (a stale one is forgotten). */
static struct entry *take(struct task_list_cache *cache, int64_t task_id, const char *version,
			  int64_t names)
{
	struct entry *e;
	HASH_FIND(hh, cache->entries, &task_id, sizeof task_id, e);
	if (e == NULL)
		return NULL;
	if (e->names != names || strcmp(e->version, version) != 0) {
		forget(cache, e);
		return NULL;
	}
	struct entry *c = entry_copy(e);
	if (c == NULL)
		return NULL;
	HASH_DELETE(hh, cache->entries, e); /* to the end: the latest used */
	table_oom = false;
	HASH_ADD(hh, cache->entries, task_id, sizeof e->task_id, e);
	if (table_oom) {
		cache->bytes -= entry_size(e);
		free(e);
	}
	cache->shown++;
	return c;
}

static int by_task_id(const void *a, const void *b)
{
	int64_t x = (*(struct slot *const *)a)->task_id, y = (*(struct slot *const *)b)->task_id;
	return (x > y) - (x < y);
}

/* The slots without an entry, sorted by task id, for task_list_page_fill to find a row's
 * slot in log time (a page may be as long as [api] page_limit). */
static int collect_missing(struct task_list_page *page)
{
	for (size_t i = 0; i < page->n; i++)
		page->nmissing += page->slots[i].entry == NULL;
	if (page->nmissing == 0)
		return 0;
	page->missing = malloc(page->nmissing * sizeof *page->missing);
	if (page->missing == NULL)
		return -1;
	for (size_t i = 0, m = 0; i < page->n; i++)
		if (page->slots[i].entry == NULL)
			page->missing[m++] = &page->slots[i];
	qsort(page->missing, page->nmissing, sizeof *page->missing, by_task_id);
	return 0;
}

/* The slot of TASK_ID still without an entry, or NULL. */
static struct slot *missing_slot(struct task_list_page *page, int64_t task_id)
{
	size_t lo = 0, hi = page->nmissing;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct slot *s = page->missing[mid];
		if (s->task_id == task_id)
			return s->entry == NULL ? s : NULL;
		if (s->task_id < task_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void task_list_page_free(struct task_list_page *page)
{
	if (page == NULL)
		return;
	for (size_t i = 0; i < page->n; i++)
		free(page->slots[i].entry);
	free(page->missing);
	free(page->next_cursor);
	free(page->list);
	free(page->snapshot);
	free(page);
}

struct task_list_page *task_list_page_new(struct task_list_cache *cache, const char *keys,
					  size_t len, char *err, size_t errlen)
{
	struct task_list_page *page = NULL;
	json_error_t jerr;
	json_t *doc = json_loadb(keys, len, 0, &jerr);
	json_t *list = json_object_get(doc, "keys");
	json_t *names = json_object_get(doc, "names"), *now = json_object_get(doc, "now");
	json_t *cursor = json_object_get(doc, "next_cursor");
	json_t *server = json_object_get(doc, "server");
	json_t *watch = json_object_get(doc, "list"), *snapshot = json_object_get(doc, "snapshot");
	snprintf(err, errlen, TASK_LIST_OOM);
	if (!json_is_array(list) || !json_is_integer(names) || !json_is_integer(now) ||
	    !json_is_integer(server) || !(json_is_string(cursor) || json_is_null(cursor)) ||
	    ((watch || snapshot) && !(json_is_string(watch) && json_is_string(snapshot)))) {
		snprintf(err, errlen, "a list's keys are not as api_task_keys gives them");
		goto out;
	}
	size_t n = json_array_size(list);
	page = calloc(1, sizeof *page + n * sizeof page->slots[0]);
	if (page == NULL)
		goto out;
	page->names = json_integer_value(names);
	page->now_us = json_integer_value(now);
	page->server = json_integer_value(server);
	if (json_is_string(watch) &&
	    ((page->list = strdup(json_string_value(watch))) == NULL ||
	     (page->snapshot = strdup(json_string_value(snapshot))) == NULL))
		goto fail;
	if (cache->server != json_integer_value(server)) {
		/* a restarted server (a failover, a restore) may give the same transaction ids
		 * and names version to other rows: nothing kept before holds */
		struct entry *e, *tmp;
		HASH_ITER(hh, cache->entries, e, tmp) forget(cache, e);
		cache->server = json_integer_value(server);
	}
	page->next_cursor = json_dumps(cursor, JSON_ENCODE_ANY | JSON_COMPACT);
	if (page->next_cursor == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++, page->n++) {
		json_t *key = json_array_get(list, i);
		json_t *id = json_array_get(key, 0), *version = json_array_get(key, 1);
		struct slot *s = &page->slots[i];
		if (!json_is_integer(id) || !json_is_string(version) ||
		    json_string_length(version) >= sizeof s->version) {
			snprintf(err, errlen, "a list's key %zu is not [task id, version]", i);
			goto fail;
		}
		s->task_id = json_integer_value(id);
		memcpy(s->version, json_string_value(version), json_string_length(version) + 1);
		s->entry = take(cache, s->task_id, s->version, page->names);
	}
	if (collect_missing(page) != 0)
		goto fail;
	goto out;
fail:
	task_list_page_free(page);
	page = NULL;
out:
	json_decref(doc);
	return page;
}

char *task_list_page_missing(const struct task_list_page *page, bool *oom)
{
	*oom = false;
	if (page->nmissing == 0)
		return NULL;
	size_t size = page->nmissing * 21 + 3, used = 0;
	char *ids = malloc(size);
	if (ids == NULL) {
		*oom = true;
		return NULL;
	}
	ids[used++] = '{';
	for (size_t i = 0; i < page->n; i++)
		if (page->slots[i].entry == NULL)
			used += (size_t)snprintf(ids + used, size - used, "%s%" PRId64,
						 used > 1 ? "," : "", page->slots[i].task_id);
	snprintf(ids + used, size - used, "}");
	return ids;
}

static bool parse_int64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return false;
	*out = v;
	return true;
}

int task_list_page_fill(struct task_list_cache *cache, struct task_list_page *page,
			const PGresult *res, char *err, size_t errlen)
{
	if (PQnfields(res) != 6) {
		snprintf(err, errlen, "api_task_items answered %d columns, not 6", PQnfields(res));
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		int64_t task_id, names, due_us = 0;
		const char *version = PQgetvalue(res, r, 1), *text = PQgetvalue(res, r, 5);
		size_t len = (size_t)PQgetlength(res, r, 5);
		bool has_due = !PQgetisnull(res, r, 3);
		if (!parse_int64(PQgetvalue(res, r, 0), &task_id) ||
		    !parse_int64(PQgetvalue(res, r, 2), &names) ||
		    (has_due && !parse_int64(PQgetvalue(res, r, 3), &due_us)) ||
		    strlen(version) >= VERSION_MAX || len < 2 || text[0] != '{' ||
		    text[len - 1] != '}') {
			snprintf(err, errlen, "api_task_items's row %d is not a task's list entry",
				 r);
			return -1;
		}
		struct slot *s = missing_slot(page, task_id);
		if (s == NULL)
			continue; /* not asked for */
		struct entry *e = malloc(sizeof *e + len + 1);
		if (e == NULL) {
			snprintf(err, errlen, TASK_LIST_OOM);
			return -1;
		}
		memset(e, 0, sizeof *e);
		e->task_id = task_id;
		memcpy(e->version, version, strlen(version) + 1);
		e->names = names;
		e->due_us = due_us;
		e->has_due = has_due;
		e->open = strcmp(PQgetvalue(res, r, 4), "t") == 0;
		e->len = len;
		memcpy(e->text, text, len + 1);
		s->entry = e;
		cache->rendered++;
		keep(cache, e);
	}
	return 0;
}

char *task_list_page_render(const struct task_list_page *page, size_t *len)
{
	static const char head[] = "{\"items\": [", tail[] = "], \"next_cursor\": ";
	static const char late[] = ", \"overdue\" : true}", on_time[] = ", \"overdue\" : false}";
	size_t size = sizeof head + sizeof tail + strlen(page->next_cursor) + 2;
	for (size_t i = 0; i < page->n; i++)
		if (page->slots[i].entry)
			size += page->slots[i].entry->len + sizeof on_time + 2;
	char *out = malloc(size);
	if (out == NULL)
		return NULL;
	char *p = out;
	memcpy(p, head, sizeof head - 1);
	p += sizeof head - 1;
	bool first = true;
	for (size_t i = 0; i < page->n; i++) {
		const struct entry *e = page->slots[i].entry;
		if (e == NULL)
			continue;
		if (!first) {
			memcpy(p, ", ", 2);
			p += 2;
		}
		first = false;
		bool overdue = e->open && e->has_due && e->due_us < page->now_us;
		const char *end = overdue ? late : on_time;
		size_t n = overdue ? sizeof late - 1 : sizeof on_time - 1;
		memcpy(p, e->text, e->len - 1); /* without its closing brace */
		p += e->len - 1;
		memcpy(p, end, n);
		p += n;
	}
	memcpy(p, tail, sizeof tail - 1);
	p += sizeof tail - 1;
	size_t c = strlen(page->next_cursor);
	memcpy(p, page->next_cursor, c);
	p += c;
	*p++ = '}';
	*p = '\0';
	*len = (size_t)(p - out);
	return out;
}

bool task_list_page_stamp(const struct task_list_page *page, struct task_list_stamp *out)
{
	if (page->list == NULL)
		return false;
	out->list = page->list;
	out->snapshot = page->snapshot;
	out->names = page->names;
	out->server = page->server;
	out->now_us = page->now_us;
	out->until_us = INT64_MAX;
	for (size_t i = 0; i < page->n; i++) {
		const struct entry *e = page->slots[i].entry;
		if (e && e->open && e->has_due && e->due_us >= page->now_us &&
		    e->due_us < out->until_us)
			out->until_us = e->due_us;
	}
	return true;
}
