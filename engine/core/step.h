/*
 * One step: an event handled for a case. The workflow's handler runs (engine/lua) and issues
 * commands; this module checks each command against the case and the workflow's definition
 * and turns it into effects for the store to write, all or nothing. Pure: no database, no
 * clock (the caller passes `now`), so the daemon, `overgang simulate` and the unit tests run
 * exactly the same rules.
 */
#ifndef OG_CORE_STEP_H
#define OG_CORE_STEP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/directory.h"
#include "lua/workflow.h"

/* A case as the step sees and changes it. Strings and JSON are owned by the case. */
struct core_case {
	int64_t id;
	int64_t citizen_id;
	char *workflow_name;
	int workflow_version;
	char *phase;
	json_t *state; /* object */
	char *status;  /* "active", "closed", "stuck" */
	char *tovholder;
	char *tovholder_department;
	char *outcome;
	char *birth_date;   /* YYYY-MM-DD */
	json_t *attributes; /* object */
	int64_t revision;
};

struct core_event {
	int64_t id;
	const char *type;
	const json_t *payload;
	int64_t at;
};

/* What a step writes besides the case row itself. Each array holds objects the store inserts
 * as they are; see step.c for their members. */
struct core_effects {
	json_t *commands;          /* the commands as the handler issued them: the event's record */
	json_t *tasks;             /* tasks and handovers to create */
	json_t *cancel_tasks;      /* {key, reason}: open tasks of the case with that key */
	json_t *timers;            /* {event, at, key, payload}: events due later */
	json_t *cancel_timers;     /* keys of pending timers of the case to cancel */
	json_t *tovholder_changes; /* {from, to, department, reason, line} */
	json_t *goals;             /* {key, text, theme} */
	json_t *measures;          /* {instrument, kind, value, at, goal} */
	json_t *outbox;            /* {plugin, action, payload, idem_key} */
	json_t *refs;              /* {system, ref}: what other systems know the case as */
	json_t *trace;             /* what the handler printed, or NULL */
	bool closed;
};

/* Copies strings and JSON into C (which must be zeroed or cleared). -1 when out of memory. */
__attribute__((warn_unused_result)) int
core_case_init(struct core_case *c, int64_t id, int64_t citizen_id, const char *workflow,
	       int version, const char *phase, const char *status, const char *tovholder,
	       const char *tovholder_department, const char *birth_date, int64_t revision);
void core_case_clear(struct core_case *c);

/* Runs the step: the handler for EV in WF, then core_apply(). Returns 0 with EFFECTS filled and
 * C changed, or -1 with the reason in ERR ("barn-til-voksen.lua:12: ..." and, for a Lua
 * error, its traceback): then C is in an unspecified state and must be discarded, EFFECTS
 * cleared. DIR counts the tovholder assignments. */
__attribute__((warn_unused_result)) int core_step(struct lwf_workflow *wf, struct core_case *c,
						  const struct core_event *ev,
						  struct core_directory *dir, int64_t now,
						  struct core_effects *effects, char *err,
						  size_t errlen);

/* Checks and applies COMMANDS (as lwf_run returns them) to C. The same contract as
 * core_step(). Exposed for tests and the simulator. */
__attribute__((warn_unused_result)) int
core_apply(const struct lwf_def *def, struct core_case *c, const struct core_event *ev,
	   struct core_directory *dir, int64_t now, const json_t *commands,
	   struct core_effects *effects, char *err, size_t errlen);

/* The commands the engine issues for an event the workflow has no handler for: for
 * tovholder_unavailable, a task for the tovholder's department to pick a new tovholder, due in
 * two working days. A new array (empty for other types), or NULL when out of memory. */
json_t *core_default_commands(const struct core_case *c, const struct core_event *ev, int64_t now);

int core_effects_init(struct core_effects *e);
void core_effects_clear(struct core_effects *e);

/* The citizen text in force for the case's phase, NULL if the phase is unknown. */
const char *core_citizen_text(const struct lwf_def *def, const char *phase);

#endif
