/*
 * The pages of task lists (a tovholder's queue, a department's inbox), put together in the
 * daemon from the tasks' list entries it keeps rendered.
 *
 * A list's statement finds the page's tasks and answers only their keys (api_task_keys in
 * engine/store/migrations/0029_list_keys_from_scan.sql, the shape of 0027): each task's id and
 * version (the row versions of the task and of its case), the version of the names lists show, the
 * database's clock and when the server started, and the next page's cursor. An entry kept at
 * the same task version and names version is shown as kept; the others are rendered by
 * PostgreSQL (api_task_items) and kept for later pages. A server started anew (a failover, a
 * restore) can give old transaction ids to new rows, so then everything kept is forgotten. So a
 * page costs PostgreSQL the finding of its tasks, not the joins and JSON of fifty entries.
 * "overdue" is decided at each answer, from the entry's due date and the page's clock.
 *
 * The kept entries are bounded in bytes; the least recently shown go first. Every page is
 * answered in full whatever the bound (0 keeps nothing: each page renders all its entries).
 * Single-threaded: the event loop's.
 */
#ifndef OG_API_TASK_LIST_H
#define OG_API_TASK_LIST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct task_list_cache;
struct task_list_page;

/* The ERR of the functions below when they failed for want of memory. */
#define TASK_LIST_OOM "out of memory"

/* Kept entries up to MAX_BYTES (each entry with its text and table links; the table's
 * buckets besides). NULL when out of memory. */
__attribute__((warn_unused_result)) struct task_list_cache *task_list_cache_new(size_t max_bytes);
void task_list_cache_free(struct task_list_cache *cache);

struct task_list_stats {
	uint64_t shown;    /* entries shown as kept */
	uint64_t rendered; /* entries rendered by PostgreSQL */
	size_t entries, bytes;
};
void task_list_cache_stats(const struct task_list_cache *cache, struct task_list_stats *out);

/* A page from its keys document (KEYS, LEN bytes), with the entries CACHE keeps for it
 * taken already. NULL when KEYS is not such a document (ERR says why) or out of memory. */
__attribute__((warn_unused_result)) struct task_list_page *
task_list_page_new(struct task_list_cache *cache, const char *keys, size_t len, char *err,
		   size_t errlen);
void task_list_page_free(struct task_list_page *page);

/* The ids of the page's tasks without an entry yet, as a PostgreSQL array ("{4,7}") for
 * api_task_items: malloc'd, the caller frees it. NULL when none is missing, or (then *OOM is
 * set) out of memory. */
__attribute__((warn_unused_result)) char *task_list_page_missing(const struct task_list_page *page,
								 bool *oom);

/* Takes api_task_items's rows (id, version, names, due_us, open, item) into PAGE and keeps
 * them in CACHE. 0, or -1 when RES is not such a result (ERR says why) or out of memory. */
__attribute__((warn_unused_result)) int task_list_page_fill(struct task_list_cache *cache,
							    struct task_list_page *page,
							    const PGresult *res, char *err,
							    size_t errlen);

/* The page's answer, {"items": [...], "next_cursor": ...}: malloc'd, *LEN its length; the
 * caller frees it. A task whose entry could not be rendered (gone since its page was found)
 * is left out. NULL when out of memory. */
__attribute__((warn_unused_result)) char *task_list_page_render(const struct task_list_page *page,
								size_t *len);

/* When and where a page was found: what engine/api/list_pages.h needs to show it again. */
struct task_list_stamp {
	const char *list;     /* the list it is of: "q:" staff id, "d:" department id */
	const char *snapshot; /* the database snapshot its tasks were found in (pg_snapshot) */
	int64_t names, server, now_us; /* the names' version, server start, clock (µs) */
	int64_t until_us; /* the clock at which an entry on it turns overdue; INT64_MAX: never */
};

/* PAGE's stamp (its strings are PAGE's), once its entries are filled; false when its keys
 * named no list and snapshot. */
bool task_list_page_stamp(const struct task_list_page *page, struct task_list_stamp *out);

#endif
