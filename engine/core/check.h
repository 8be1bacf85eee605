/*
 * Checking a workflow file before it is deployed: what `overgang check` and `overgang workflow
 * deploy` report beyond what loading it in the sandbox (lwf_load) refuses. The definition's
 * shape (phases, transitions, citizen texts) is checked by lwf_load; this adds what needs the
 * whole file: phases no case can reach, timers whose event has no handler, handlers for
 * events nothing sends, a missing 'started' handler, phases without a title, moves to phases
 * that do not exist, departments that do not exist (when the caller knows which do), and
 * deadlines that make no sense. Static: it reads the source (core/scan.h) and the loaded
 * definition; no handler runs. Pure: no I/O.
 *
 * Each finding has a place (LINE:COL, column 1 when only the line is known) and is an error
 * (the workflow would fail or do nothing where it means to act) or a warning (likely a
 * mistake, but it may be meant).
 */
#ifndef OG_CORE_CHECK_H
#define OG_CORE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/scan.h"
#include "lua/workflow.h"

struct core_finding {
	int line, col;
	bool warning;
	char *text; /* "what is wrong", without place or severity */
};

struct core_check {
	struct core_finding *findings;
	size_t n, cap;
	int errors, warnings;
	bool oom;
};

/* The engine's own event types: the engine sends them, so a handler for one is never for
 * nothing. NULL-terminated. */
extern const char *const core_engine_events[];

struct core_check_input {
	const char *source; /* the file's text */
	size_t len;
	const struct lwf_def *def; /* NULL when lwf_load refused the file */
	const char *load_error;    /* then: lwf_load's message, "NAME:LINE: what" or "NAME: what" */
	/* The departments that exist (NULL-terminated), or NULL when not known: then departments
	 * are not checked. */
	const char *const *departments;
};

/* Checks IN and adds what it finds to OUT (zeroed or from earlier calls). Returns 0, or -1
 * when out of memory. */
__attribute__((warn_unused_result)) int core_check_workflow(const struct core_check_input *in,
							    struct core_check *out);

/* The department call C names (case:task and case:assign_tovholder { department = ... },
 * case:handover { to = ... }), as the department check reads it: NULL when it names none;
 * the field's value is NULL when it is not a literal. */
const struct core_scan_field *core_check_department(const struct core_scan_call *c);

/* Warnings for the instruments SOURCE (LEN bytes) names literally in case:measure { instrument
 * = ... } that INSTRUMENTS (NULL-terminated: the registry's names) lacks: such a measure fails
 * its step. Added to OUT; -1 when out of memory. */
__attribute__((warn_unused_result)) int core_check_instruments(const char *source, size_t len,
							       const char *const *instruments,
							       struct core_check *out);

/* Adds one finding (for the caller's own, such as luacheck's). -1 when out of memory. */
__attribute__((format(printf, 5, 6))) int core_check_add(struct core_check *out, int line, int col,
							 bool warning, const char *fmt, ...);
/* Whether there is a finding at LINE:COL already. */
bool core_check_has(const struct core_check *out, int line, int col);
/* " (did you mean 'table'?)" for an undeclared global NAME that is near one the sandbox has,
 * else "". */
void core_check_global_hint(const char *name, char *buf, size_t len);
/* Orders the findings by place (a stable sort: findings at one place keep their order). */
void core_check_sort(struct core_check *out);
void core_check_clear(struct core_check *out);

#endif
