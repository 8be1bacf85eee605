/*
 * The step engine of a daemon: worker connections claim due events in batches, run each
 * event's step (engine/core) and write the results in the same transaction (engine/store).
 * A control connection LISTENs for new events, wakes the workers, sets a timer for the
 * earliest future event, and runs the periodic sweeps: overdue tasks, and start triggers.
 * Any number of daemons may run against one database.
 */
#ifndef OG_RUNNER_H
#define OG_RUNNER_H

#include <event2/event.h>
#include <stdbool.h>

#include "config/config.h"
#include "store/health.h"

struct runner;

/* NULL when out of memory. With cfg->engine_workers == 0 the runner does nothing. Steps run
 * only while HEALTH says the database is ready (answers, schema current). */
__attribute__((warn_unused_result)) struct runner *
runner_new(struct event_base *base, const struct cfg *cfg, const struct store_health *health);
/* Stops claiming new batches; batches in flight finish. */
void runner_stop(struct runner *r);
/* True when no batch is in flight (after runner_stop: safe to exit). */
bool runner_idle(const struct runner *r);
void runner_free(struct runner *r);

#endif
