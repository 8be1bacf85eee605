/*
 * The access log of the API's reads, written many requests at a time (group commit). A read
 * route's function hands its access-log rows back with its answer instead of inserting them
 * (r.log = "defer": engine/store/migrations/0026_access_log_batches.sql); the answer waits
 * here until its rows are committed. Batches are written on connections of their own, two at
 * a time: the rows of every read that arrived while both were busy go in the next batch,
 * with one statement and one commit, so a busy API pays one WAL flush for many reads instead
 * of one each, and the reads' own transactions write nothing.
 *
 * Every MERGE_READS reads written it also has PostgreSQL merge the pending entries of the
 * access log's by-citizen index (access_log_tidy, 0031), on a connection of its own, so that
 * a read's insert never finds that list full and merges it itself (seconds, at national
 * scale).
 *
 * What it promises: DONE is called exactly once per entry, with WRITTEN true only after
 * the entry's rows are committed (and the id of its first row); false when they could not
 * be (no database, an error), and for whatever is pending when the log is freed.
 */
#ifndef OG_API_ACCESS_LOG_H
#define OG_API_ACCESS_LOG_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct access_log;

typedef void (*access_log_done_fn)(void *arg, bool written, int64_t first_id);

/* A writer with connections of CONNINFO (SESSION_SQL runs when each comes up), merging the
 * index every MERGE_READS reads (0: never). NULL when out of memory. */
__attribute__((warn_unused_result)) struct access_log *
access_log_new(struct event_base *base, const char *conninfo, int reconnect_min_ms,
	       int reconnect_max_ms, const char *session_sql, int merge_reads);
void access_log_free(struct access_log *log);

/* Adds ROWS (LEN bytes of a non-empty JSON array of rows as api_access builds them) to the
 * next batch; DONE follows. -1 when out of memory or ROWS is no such array, and DONE is not
 * called. */
__attribute__((warn_unused_result)) int access_log_add(struct access_log *log, const char *rows,
						       size_t len, access_log_done_fn done,
						       void *arg);

/* Whether no entry waits to be written. */
bool access_log_idle(const struct access_log *log);

#endif
