/*
 * What `overgang simulate` and `overgang test` share: loading a workflow file with the
 * configured budgets, when a simulation starts and ends by default, acting for the outside
 * world on the tasks of a simulation (found by department, key or title), and a small
 * sandboxed Lua state for test files and simulation scripts, with Lua <-> JSON.
 *
 * The simulation itself is engine/sim, around core_step(): nothing here decides what a step
 * does.
 */
#ifndef OG_CLI_WFTOOLS_H
#define OG_CLI_WFTOOLS_H

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "lua/workflow.h"
#include "sim/sim.h"

/* Loads the workflow in PATH with the budgets of CFG; CHUNKNAME names it in messages (NULL:
 * PATH). NULL with "FILE:LINE: what is wrong" (or why the file cannot be read) in ERR. */
__attribute__((warn_unused_result)) struct lwf_workflow *
wft_load(const struct cfg *cfg, const char *path, const char *chunkname, char *err, size_t errlen);

enum wft_start {
	WFT_START_OK,
	WFT_START_NEEDS_DATE,      /* started by hand or by an event: no date follows */
	WFT_START_NEEDS_ATTRIBUTE, /* an age rule for citizens with an attribute this one lacks */
};
/* When a case of DEF starts for a citizen born on BIRTH (Unix seconds) with ATTRIBUTES (may be
 * NULL), as the start sweep would start it: on the birthday of the start age. */
enum wft_start wft_default_start(const struct lwf_def *def, int64_t birth, const json_t *attributes,
				 int64_t *start);
/* How far a simulation runs at most when not told: the citizen's 30th birthday, or ten years
 * after START when that is later. */
int64_t wft_default_until(int64_t birth, int64_t start);
/* Runs S until nothing more will happen by itself or the next thing is after UNTIL; the clock
 * stays at the last thing that happened. 0, or -1 when a step failed (ERR: the workflow's
 * message). */
__attribute__((warn_unused_result)) int wft_run(struct sim *s, int64_t until, char *err,
						size_t errlen);

/* "YYYY-MM-DD", or with "HH:MM" (and ":SS") for a time that is not midnight. */
void wft_format_time(int64_t t, char out[32]);
/* A date in a spec or script: "YYYY-MM-DD" or whole Unix seconds. 0, or -1. */
__attribute__((warn_unused_result)) int wft_json_time(const json_t *v, int64_t *t);

/* Finding tasks. A spec is a JSON object with any of: id, kind ("task" or "handover"),
 * department, key, title (a part of the title), assignee, status ("open", the default, also
 * matches claimed tasks; "any"; or a status), due (that day), due_by (on or before that day).
 * wft_check_spec() refuses other fields and bad values: 0, or -1 with ERR. */
__attribute__((warn_unused_result)) int wft_check_spec(const json_t *spec, char *err,
						       size_t errlen);
bool wft_task_matches(const json_t *task, const json_t *spec);
/* The first (oldest) matching task of S, or NULL. */
const json_t *wft_find_task(const struct sim *s, const json_t *spec);
/* "an open task for ppr, title containing 'Udtalelse', due by 2027-03-01" */
void wft_describe_spec(const json_t *spec, const char *kind, char *out, size_t len);
/* "#2 task ppr open, due 2026-09-01: Udtalelse om skole og uddannelse" */
void wft_describe_task(const json_t *task, char *out, size_t len);

enum wft_act { WFT_COMPLETE, WFT_ACCEPT, WFT_REJECT };
/* The outside world acts on the first open task (WFT_COMPLETE) or handover (WFT_ACCEPT,
 * WFT_REJECT) matching SPEC, now, and the simulation runs what that causes now. OUTCOME (for
 * complete) may be NULL; REASON is required to reject. Returns 0; 1 when no open task matches
 * (nothing done; ERR says so); -1 when the action was refused or a step failed (ERR says
 * why: for a failed step the workflow's message). */
__attribute__((warn_unused_result)) int wft_act(struct sim *s, enum wft_act act, const json_t *spec,
						const json_t *outcome, const char *reason,
						char *err, size_t errlen);
/* The last step of S that failed: its timeline entry, or NULL. */
const json_t *wft_failed_step(const struct sim *s);

/* A sandboxed Lua state for test files and scripts: the base functions without load,
 * dofile, loadfile, require, collectgarbage; string, table, math (without random) and utf8;
 * no io, os, debug, package, coroutine. Reading an undeclared global or assigning a new one
 * is an error, and so is a metatable with __gc. Every call through wft_lua_pcall has an
 * instruction budget; the state has a memory budget. It guards against mistakes (a loop, a
 * typo, a file that tries I/O), as these files are the administrator's own. WHAT names the
 * kind of file in messages ("a test file"). NULL when out of memory. */
__attribute__((warn_unused_result)) lua_State *wft_lua_new(size_t memory_bytes,
							   int64_t instructions, const char *what);
void wft_lua_close(lua_State *L);
/* lua_pcall under the instruction budget (counted afresh for each call). */
int wft_lua_pcall(lua_State *L, int nargs, int nresults, int msgh);
/* Loads the text file PATH as a chunk named "@CHUNKNAME". LUA_OK with the function pushed, or
 * an error with the message pushed. */
int wft_lua_loadfile(lua_State *L, const char *path, const char *chunkname);

/* The Lua value at IDX as new JSON: tables with keys 1..n are lists, tables with string keys
 * objects (an empty table is an object). NULL with "WHAT: why" in ERR for a value JSON cannot
 * hold (a function, a mixed table, a table in itself). Raises no Lua error. */
__attribute__((warn_unused_result)) json_t *wft_to_json(lua_State *L, int idx, const char *what,
							char *err, size_t errlen);
/* Pushes V as Lua (null: nil). */
void wft_push_json(lua_State *L, const json_t *v);

/* PATH resolved against the folder of BASE (unless absolute), with "." and "dir/.." removed.
 * A new string, NULL when out of memory. */
char *wft_resolve(const char *base, const char *path);

#endif
