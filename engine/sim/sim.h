/*
 * A workflow run for a made-up citizen on an in-memory store with a fake clock: the clock
 * jumps to the next due event, so years pass in milliseconds. Every step goes through
 * core_step(), the same code the daemon runs; this module plays the database (cases, events,
 * tasks, timers) and the outside world (people completing tasks, accepting handovers, a
 * tovholder falling ill). Used by `overgang simulate` and `overgang test`.
 */
#ifndef OG_SIM_H
#define OG_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/step.h"
#include "lua/workflow.h"

struct sim;

/* The departments a simulation knows when it is given none: the units of a typical Danish
 * municipality's transition work. Each gets two staff members, "<department>-1" (the lead)
 * and "<department>-2". NULL-terminated. */
extern const char *const sim_default_departments[];

/* A simulation of WF (borrowed; it must outlive the simulation) for a citizen born on BIRTH
 * ("YYYY-MM-DD") with ATTRIBUTES (an object, copied; NULL for none), starting at START (Unix
 * seconds). DEPARTMENTS (NULL-terminated, NULL for the defaults) are the departments that
 * exist. The case starts at START with a 'started' event. NULL with ERR filled on bad input. */
__attribute__((warn_unused_result)) struct sim *sim_new(struct lwf_workflow *wf, const char *birth,
							const json_t *attributes, int64_t start,
							const char *const *departments, char *err,
							size_t errlen);
void sim_free(struct sim *s);

/* With AUTO, every open task is completed on its due date with the outcome {"auto": true},
 * and every open handover accepted then. */
void sim_set_auto(struct sim *s, bool on);

/* Runs every event due at or before UNTIL, in order, moving the clock to each; then sets the
 * clock to UNTIL. Returns 0, or -1 when a step failed (ERR has the workflow's message; the
 * timeline has the failed step; the simulation stops there). */
__attribute__((warn_unused_result)) int sim_run_until(struct sim *s, int64_t until, char *err,
						      size_t errlen);
int64_t sim_now(const struct sim *s);
/* The time of the next thing that will happen by itself (an event, or with auto a task's due
 * date); INT64_MAX when nothing will. */
int64_t sim_next(const struct sim *s);

/* The outside world, at the current time. Each returns 0, or -1 with ERR saying why (no such
 * task, not open, a rejection without a reason). TASK is a task id. */
__attribute__((warn_unused_result)) int
sim_complete_task(struct sim *s, int64_t task, const json_t *outcome, char *err, size_t errlen);
__attribute__((warn_unused_result)) int sim_accept_handover(struct sim *s, int64_t task, char *err,
							    size_t errlen);
__attribute__((warn_unused_result)) int
sim_reject_handover(struct sim *s, int64_t task, const char *reason, char *err, size_t errlen);
/* The tovholder becomes absent: the case gets a tovholder_unavailable event. */
__attribute__((warn_unused_result)) int sim_tovholder_unavailable(struct sim *s, char *err,
								  size_t errlen);
/* Any event into the case, due now. PAYLOAD is copied (NULL: {}). */
__attribute__((warn_unused_result)) int sim_send(struct sim *s, const char *type,
						 const json_t *payload, char *err, size_t errlen);

/* Reading. */
const struct core_case *sim_case(const struct sim *s);
const struct lwf_def *sim_def(const struct sim *s);
/* [{id, kind, key, department, title, body, due, status, outcome, reason, handover, created}] */
const json_t *sim_tasks(const struct sim *s);
/* One entry per step and per action of the outside world, in time order:
 * {at, date, age, kind: "step"|"action", event, payload, commands, tasks_created,
 *  tovholder, tovholder_department, phase, citizen_text, error?, trace?, action?} */
const json_t *sim_timeline(const struct sim *s);
const json_t *sim_goals(const struct sim *s);
const json_t *sim_measures(const struct sim *s);
const json_t *sim_outbox(const struct sim *s);
/* Pending events: [{id, type, due, key}] */
const json_t *sim_pending(const struct sim *s);
/* The citizen's age in whole years at the current time. */
int sim_age(const struct sim *s);

#endif
