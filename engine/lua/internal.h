/*
 * What the files of engine/lua share with each other; nothing outside this folder includes it.
 *
 * sandbox.c  the Lua state: allocator (memory budget), count hook (instruction budget), the
 *            globals a workflow may use, guarded string and table functions, error messages
 * workflow.c lwf_load and the `workflow { ... }` global that checks and reads the definition
 * run.c      lwf_run: the case object, its methods (the commands) and print
 * convert.c  Lua values <-> JSON, UTF-8 checks
 * dates.c    civil-date arithmetic and the `date` global
 */
#ifndef OG_LUA_INTERNAL_H
#define OG_LUA_INTERNAL_H

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lua/workflow.h"

#define LWF_DEFAULT_MEMORY ((size_t)32 << 20)
#define LWF_DEFAULT_INSTRUCTIONS ((int64_t)10000000)

/* Work done in C (bytes allocated, pattern-matching steps, elements moved) is charged to the
 * instruction budget at this rate, so a loop of cheap-looking calls that each do a lot of work
 * in C still runs out of budget. */
#define LWF_WORK_PER_INSTRUCTION 64

/* Room for a message with a short traceback. */
#define LWF_MSGLEN 2048

struct lwf_run; /* run.c: the handler call in progress */

struct lwf_workflow {
	lua_State *L;
	char *chunkname;
	struct lwf_def def;

	size_t memory_limit;
	size_t memory_used;
	int64_t instructions; /* the budget per call */

	/* The call into Lua in progress (loading the file or a handler). */
	bool in_call;
	bool loading;
	int hook_period;  /* instructions between two runs of the hook */
	int64_t executed; /* instructions, and charged work, counted so far */
	int64_t charged;  /* work charged since the hook last ran */
	bool over_instructions;
	char overrun[LWF_MSGLEN];    /* "CHUNK:LINE: instruction budget exceeded ...\nstack ..." */
	size_t overrun_head;         /* the length of its first line */
	bool memory_refused;         /* the allocator refused a request during this call */
	char memory_msg[LWF_MSGLEN]; /* where it last did: "CHUNK:LINE: memory budget ...\n..." */

	/* Registry references. */
	int ref_handlers; /* a sequence of the handler functions, in def.handlers order */
	int ref_case_mt;  /* the metatable of case objects */
	int ref_def;      /* the table workflow { } returned, while loading */
	bool defined;     /* workflow { } has been called */

	struct lwf_run *run;
};

/* sandbox.c */
struct lwf_workflow *lwf_from(lua_State *L);
void *lwf_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
int lwf_sandbox_open(lua_State *L); /* a lua_CFunction, called once through lua_pcall */
void lwf_call_begin(struct lwf_workflow *wf);
void lwf_call_end(struct lwf_workflow *wf);
int lwf_msgh(lua_State *L); /* the message handler for lua_pcall: adds the traceback */
void lwf_charge(lua_State *L, double work);
/* The first Lua frame from LEVEL up: "CHUNK:LINE: " in WHERE (may be NULL), and its line
 * (0 when there is no Lua frame). */
int lwf_where(lua_State *L, int level, char *where, size_t len);
/* Raises a Lua error "CHUNK:LINE: message" at the first Lua frame calling the running C
 * function. Never returns. */
int lwf_error(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* workflow.c */
int lwf_workflow_global(lua_State *L);

/* run.c */
int lwf_print(lua_State *L);
int lwf_string_call(lua_State *L); /* __call of strings: case:phase "x" */
void lwf_case_open(lua_State *L);  /* builds the case metatable: in protected mode */

/* convert.c */
bool lwf_utf8_valid(const char *s, size_t len);
/* Copies S to OUT (at most OUTLEN - 1 bytes and a NUL), replacing invalid UTF-8 and NUL bytes
 * with U+FFFD and cutting only between characters. Returns the length written. */
size_t lwf_utf8_clean(const char *s, size_t len, char *out, size_t outlen);
/* The Lua value at IDX as new JSON, or NULL with "PATH... cannot be stored" in ERR. When
 * OBJECT is set the value must be a table of named fields (an empty table gives {}). Calls no
 * metamethods and raises no Lua error, so the caller may hold JSON while calling it. */
json_t *lwf_to_json(lua_State *L, int idx, const char *path, bool object, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Pushes a Lua copy of V (NULL: an empty table); may raise a Lua error. */
void lwf_push_json(lua_State *L, const json_t *v);

/* helpers.c: pushes the `plugins` table */
void lwf_helpers_open(lua_State *L);

/* dates.c */
#include "util/civil.h"
void lwf_date_open(lua_State *L);                    /* pushes the `date` table */
void lwf_push_birthday(lua_State *L, int64_t birth); /* pushes citizen.birthday */

#endif
