/*
 * Workflows in Lua: load a workflow file in a sandbox, read its definition, and run its
 * handlers. A handler issues commands (assign the tovholder, create a task, set a timer, ...);
 * this module records them, with the workflow line that issued each, and returns them as JSON
 * for engine/core to validate and apply. Nothing here touches a database or the clock.
 *
 * The sandbox: no io, os, package/require, debug, dofile, loadfile, load, collectgarbage,
 * coroutine, math.random; reading or assigning an undeclared global is an error; every call
 * into Lua (loading the file included) has an instruction budget (lua_sethook) and each Lua
 * state a memory budget (its allocator); string.rep and the pattern functions refuse work that
 * would run long inside C. Lua sees no CPR number and no citizen's name.
 *
 * One struct lwf_workflow per deployed workflow version per process, reused for every step.
 * Not thread-safe: one thread uses one lwf_workflow at a time.
 */
#ifndef OG_LUA_WORKFLOW_H
#define OG_LUA_WORKFLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lwf_budget {
	size_t memory_bytes;  /* per Lua state; 0: 32 MiB */
	int64_t instructions; /* per call into Lua (load, each handler); 0: 10 million */
};

enum lwf_start_kind {
	LWF_START_MANUAL, /* started by hand or through the API only */
	LWF_START_AGE,    /* the sweep starts it when the citizen reaches start_age (and has
			     start_attribute, when given) */
	LWF_START_EVENT,  /* started by an event of type start_event from a plugin or the API */
};

struct lwf_phase {
	char *name;
	char *text;  /* the plain-language citizen text for this phase */
	char **next; /* the phases this one may move to */
	size_t nnext;
	char *title; /* the phase's name as people read it ("Afdækning"); NULL when not given */
	bool unannounced; /* announce = false: the citizen's plan does not name this phase among
			   * what may come next (one reached only on the citizen's own "no thanks",
			   * say); a case may still move to it */
};

struct lwf_def {
	char *name;  /* [a-z0-9-]+ */
	int version; /* >= 1 */
	char *title;
	enum lwf_start_kind start_kind;
	int start_age;            /* LWF_START_AGE */
	char *start_attribute;    /* LWF_START_AGE, may be NULL */
	char *start_event;        /* LWF_START_EVENT; with LWF_START_AGE, an event that starts
				     the case too (whichever comes first), or NULL */
	struct lwf_phase *phases; /* phases[0] is where a case starts */
	size_t nphases;
	char **handlers; /* the event types the workflow has a handler for (keys of `on`) */
	size_t nhandlers;
	int line; /* the line of the workflow { ... } call */
	/* What people enter when they complete a task, by task key (`tasks = { ... }`), checked:
	 * {"KEY": {"title"?: "...", "outcome": [{"name", "label", "type", "options"?: [{"value",
	 * "label"}], "instrument"?, "required", "hint"?}]}}, keys in order; an empty object when
	 * the workflow declares none. type is text, textarea, select, checkbox, number or date. */
	json_t *tasks;
};

struct lwf_workflow;

/* Compiles and runs SOURCE (LEN bytes) in a fresh sandboxed state and reads the definition
 * it returns. CHUNKNAME names the file in messages ("barn-til-voksen.lua"). Returns NULL with
 * "CHUNKNAME:LINE: what is wrong" in ERR for a syntax error, a runtime error, an exceeded
 * budget or an invalid definition. BUDGET may be NULL (the defaults). The caller frees the
 * result with lwf_free. */
__attribute__((warn_unused_result)) struct lwf_workflow *lwf_load(const char *chunkname,
								  const char *source, size_t len,
								  const struct lwf_budget *budget,
								  char *err, size_t errlen);
void lwf_free(struct lwf_workflow *wf); /* NULL is fine */

/* Helpers plugins give workflows, called as plugins.PLUGIN.NAME(args...): FN gets the
 * arguments as a JSON array and writes its JSON answer into OUT (OUTLEN bytes), returning 0,
 * or a message and -1 (a Lua error at the workflow's line). Set before workflows load; the
 * list and its strings must outlive them. */
typedef int (*lwf_helper_fn)(void *arg, const char *args, char *out, size_t outlen);
struct lwf_helper {
	const char *plugin, *name;
	lwf_helper_fn fn;
	void *arg;
};
void lwf_set_helpers(const struct lwf_helper *helpers, size_t n);
/* The definition; it lives as long as WF. */
const struct lwf_def *lwf_def(const struct lwf_workflow *wf);
/* Index of phase NAME in the definition, -1 if there is none. */
int lwf_phase_index(const struct lwf_def *def, const char *name);

/* What a handler sees of the case. All times are Unix seconds, UTC. */
struct lwf_case_view {
	int64_t id;
	const char *phase;
	const json_t *state;   /* the workflow's own state: a JSON object */
	const char *tovholder; /* staff id, NULL before the first assignment */
	const char *tovholder_department;
	int64_t citizen_id;
	const char *birth_date;   /* "YYYY-MM-DD" */
	const json_t *attributes; /* JSON object: {"funktionsnedsaettelse": true, ...} */
	int64_t now;
};

struct lwf_event_view {
	int64_t id;
	const char *type;
	const json_t *payload; /* JSON object */
	int64_t at;            /* when the event became due */
};

/* Runs the handler for EV->type. Returns 0 with *COMMANDS a new JSON array of commands
 * (the caller owns it; empty when the workflow has no handler for the type), or -1 with the
 * error and the Lua traceback in ERR (a runtime error, an exceeded budget, a command with bad
 * arguments). *TRACE (if TRACE is not NULL) gets a new JSON array of what the handler printed
 * with print(), or NULL.
 *
 * Each command is an object with "cmd" (assign_tovholder, task, handover, cancel_task, timer,
 * cancel_timer, phase, set, goal, measure, outbox, close), "line" (the workflow line that
 * issued it) and the command's fields; times are integers (Unix seconds). Whether a command
 * may be applied (a phase move the definition allows, a department that exists) is for the
 * caller to check. The trace is returned when the handler fails too (what it printed before
 * the error helps to find it); it is NULL only when no handler ran. C, EV and everything they
 * point to are only read, and only during the call. */
__attribute__((warn_unused_result)) int lwf_run(struct lwf_workflow *wf,
						const struct lwf_case_view *c,
						const struct lwf_event_view *ev, json_t **commands,
						json_t **trace, char *err, size_t errlen);

#endif
