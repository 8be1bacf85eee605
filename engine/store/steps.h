/*
 * The SQL of steps: claiming due events with their cases, loading what the step logic needs
 * (the staff directory, workflow sources), and writing a batch of step results — every
 * case change, task, timer, history row, goal, measure, outbox row and the events marked
 * done — in the transaction that claimed them, so each step happens exactly once.
 */
#ifndef OG_STORE_STEPS_H
#define OG_STORE_STEPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/directory.h"
#include "core/step.h"
#include "store/conn.h"

/* The application name of a daemon's worker connections: the claim finds the other workers
 * by it. */
#define STORE_WORKER_APP "overgangd worker"

/* Claims up to $1 due events, at most one per case and each the earliest due event of its
 * case, locking event and case (SKIP LOCKED: other workers take other cases). The workers
 * of all daemons on the database that are claiming divide the cases between them by id (a
 * worker's share: the ids that leave its place among them when divided by their number, as
 * pg_stat_activity shows them), so a claim does not walk, joining each, past the rows other
 * workers hold locked at the head of the due-event index; while the workers' views of who
 * is claiming differ (one starts or stops), shares overlap, which SKIP LOCKED makes safe, or
 * leave ids out for as long; with $3 true the claim takes any case. Only events due at $2 or later
 * ('-infinity': all): the index keeps an entry for every event done since the table was last
 * vacuumed, at its head, and a claim that starts there walks them all (tens of thousands a second
 * under load). A claim may start at the CLAIM_FLOOR of the last claim that found events (a second
 * before the first event it found); what that passes over (an event of a transaction that ran
 * longer than that second, an event due again after a failed attempt) is found by the next claim
 * that starts at the head. Columns: */
extern const char store_claim_sql[];
enum store_claim_col {
	CLAIM_EVENT_ID,
	CLAIM_CASE_ID,
	CLAIM_TYPE,
	CLAIM_PAYLOAD,
	CLAIM_AT,
	CLAIM_ATTEMPTS,
	CLAIM_WORKFLOW,
	CLAIM_VERSION,
	CLAIM_PHASE,
	CLAIM_STATE,
	CLAIM_STATUS,
	CLAIM_TOVHOLDER,
	CLAIM_TOVHOLDER_DEPARTMENT,
	CLAIM_REVISION,
	CLAIM_CITIZEN,
	CLAIM_BIRTH_DATE,
	CLAIM_ATTRIBUTES,
	CLAIM_NOW,
	CLAIM_DIRECTORY_VERSION,
	CLAIM_CREATED,
	CLAIM_FLOOR,
};

/* Run in the claiming transaction before store_claim_sql, and the reset after it: the claim
 * must walk the due-event index and join by primary keys. Until autovacuum has analysed a
 * freshly loaded event table the planner would rather join every pending event and sort
 * them: hundreds of milliseconds per claim instead of a few. The reset leaves hash and merge
 * joins off for the rest of the transaction: a batch's writes join its few hundred rows to
 * their cases and events by primary key, never by scanning a table. (The writes test an
 * event's status as `status || ''` so the planner does not take the pending-events index for
 * a lookup by id.) */
extern const char store_claim_plan_sql[];
extern const char store_claim_plan_reset_sql[];

/* The staff directory and the instrument registry in one query; store_directory_from() reads
 * its result. */
extern const char store_directory_sql[];
__attribute__((warn_unused_result)) struct core_directory *
store_directory_from(const PGresult *res);

/* Workflow sources: $1 a JSON array of {name, version}; columns name, version, source. */
extern const char store_workflow_sources_sql[];

/* The wake key (migration 0020): a daemon whose workers all found nothing to claim takes it
 * (waiting for it, up to the wake connection's lock_timeout), claims once more, and sleeps
 * until a NOTIFY; transactions that insert events notify only while some daemon holds or
 * waits for it. The daemon lets it go when a claim finds events. */
extern const char store_wake_lock_sql[];
extern const char store_wake_unlock_sql[];

/* Seconds until the next pending event falls due (timers, retries), NULL if none. Events
 * that fell due within the last second count too (negative): a timer may fire a moment before
 * the database's clock reaches the due time. */
extern const char store_next_due_sql[];

/* Overdue tasks: marks them notified and gives each case a task_overdue event. */
extern const char store_overdue_sql[];

/* The start sweep: starts a case on the newest version of every workflow whose age rule a
 * citizen matches, never twice for one citizen and workflow. Returns one row per case, at
 * most STORE_SWEEP_BATCH: run it again while a batch comes back full. (Batches keep each
 * transaction short; one statement starting every eligible citizen at once after a new
 * deployment took minutes.) */
#define STORE_SWEEP_BATCH 1000
#define OG_STR_(x) #x
#define OG_STR(x) OG_STR_(x)
extern const char store_sweep_sql[];

struct store_batch;

/* BY_WHOM names who the tovholder changes of this batch are by ("workflow"). NULL when out of
 * memory. */
__attribute__((warn_unused_result)) struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *b);

/* Records a successful step of EV on C (after core_step) with its EFFECTS. */
__attribute__((warn_unused_result)) int store_batch_done(struct store_batch *b,
							 const struct core_case *c,
							 const struct core_event *ev,
							 const struct core_effects *fx);
/* Records a failed step: the event stays pending with ERROR, retried after DELAY_MS; STUCK
 * marks the case stuck. */
__attribute__((warn_unused_result)) int store_batch_failed(struct store_batch *b, int64_t case_id,
							   int64_t event_id, const char *error,
							   int64_t delay_ms, bool stuck);
/* Steps recorded, done and failed. */
int store_batch_count(const struct store_batch *b);

/* Queues the statements that write B on CONN, inside the transaction that claimed the events;
 * when every one has answered as it must, COMMIT, else ROLLBACK. Takes B. FN runs once: RC 0
 * when committed; -1 with ERROR when a statement failed or the connection was lost: then
 * nothing of B was written and the transaction is over. TRANSIENT says the failure was not the
 * steps' doing (a deadlock, a lost connection): the same batch may simply be tried again.
 * ERROR holds the server's primary message only, never its DETAIL (which may quote rows). */
typedef void (*store_batch_fn)(int rc, const char *error, bool transient, void *arg);
void store_batch_write(struct store_conn *conn, struct store_batch *b, store_batch_fn fn,
		       void *arg);

#endif
