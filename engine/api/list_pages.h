/*
 * Whole pages of the task lists (a tovholder's queue, a department's inbox) kept in the
 * daemon by request, and shown again while nothing on their list has changed.
 *
 * A page found by its list's statement carries the list it is of and the database snapshot
 * it was found in (api/task_list.h's stamp). Asked for the same page again (same route,
 * person, role, path, query and purpose), the daemon asks PostgreSQL whether any write to
 * that list was committed since that snapshot (api_list_check in
 * engine/store/migrations/0031_list_changes.sql). The checks of every request that arrived
 * while the previous ones were on their way go in one statement, two statements at a time,
 * so a repeated page costs PostgreSQL a share of one index probe instead of finding its
 * tasks and cases. The check runs after the request arrived: whatever was committed before
 * it, by anyone, is seen. A page is found again when its list changed, when names changed,
 * when the server restarted, when an entry on it has turned overdue since, or when its
 * snapshot is older than the database's pruning horizon (which moves at most every 50 s,
 * to where the oldest transaction running at its previous move was).
 *
 * The answer still goes through the access log as every read's does: a kept page's read
 * writes a row with its own time, person, purpose and route that names the row of the read
 * that found the page (same_as, engine/store/migrations/0032_access_log_repeats.sql), whose
 * citizens and cases it read again.
 *
 * Kept pages are bounded in bytes; the least recently shown go first (0 keeps none).
 * Every minute the module also asks PostgreSQL to prune list_change. Single-threaded: the
 * event loop's.
 */
#ifndef OG_API_LIST_PAGES_H
#define OG_API_LIST_PAGES_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/task_list.h"
#include "store/pool.h"

struct list_pages;

/* Pages kept up to MAX_BYTES, checked through POOL. NULL when out of memory. */
__attribute__((warn_unused_result)) struct list_pages *
list_pages_new(struct event_base *base, struct store_pool *pool, size_t max_bytes);
/* Free after the pool: the pool's end answers the checks in flight. */
void list_pages_free(struct list_pages *pages);

struct list_pages_stats {
	uint64_t shown;   /* pages shown as kept */
	uint64_t changed; /* pages checked and found again */
	size_t pages, bytes;
};
void list_pages_stats(const struct list_pages *pages, struct list_pages_stats *out);

/* A kept page as shown: its answer and its access-log rows (a JSON array of one row naming
 * the row of the read that found the page, at the time of the check). Valid during the
 * call of list_pages_fn. */
struct list_pages_view {
	const char *body;
	size_t len;
	const char *rows;
	size_t rows_len;
};

/* VIEW is the kept page, still as its list is; NULL when it must be found again (changed,
 * or it could not be checked). */
typedef void (*list_pages_fn)(void *arg, const struct list_pages_view *view);

/* Checks the page kept for KEY (KEYLEN bytes). false when none is kept, and FN is not
 * called; else FN is called exactly once, maybe before this returns. */
bool list_pages_check(struct list_pages *pages, const char *key, size_t keylen, list_pages_fn fn,
		      void *arg);

/* Keeps BODY (LEN bytes), the page found with STAMP, for KEY (KEYLEN bytes), replacing
 * what was kept for KEY. ROWS (ROWS_LEN bytes) is the access-log row its read wrote (a
 * JSON array of one row as api_access builds it), written with id ROW_ID. Nothing is kept
 * when out of memory, when it would not fit the bound, or when ROWS is no such array. */
void list_pages_put(struct list_pages *pages, const char *key, size_t keylen,
		    const struct task_list_stamp *stamp, const char *body, size_t len,
		    const char *rows, size_t rows_len, int64_t row_id);

#endif
