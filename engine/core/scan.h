/*
 * A static reading of a workflow file's Lua source, for `overgang check` and `overgang graph`:
 * where the definition's phases, transitions and handlers are written, and the case:timer,
 * case:task, case:handover, case:assign_tovholder, case:phase and case:measure calls with the
 * literal values they pass. Nothing runs: this reads tokens, so it sees what is written literally
 * and nothing that is computed at run time (that is what the sandbox and the step logic check).
 * Pure: no I/O, no Lua state.
 */
#ifndef OG_CORE_SCAN_H
#define OG_CORE_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* A place in the source: 1-based; the column counts UTF-8 characters, as editors and
 * luacheck do. */
struct core_pos {
	int line, col;
};

struct core_scan_field {
	char *key;           /* "event", "department", ...; "" for a positional value */
	char *value;         /* the string literal, NULL when the value is something else */
	struct core_pos pos; /* of the value */
	char *deadline;      /* for a time ("at", "due", "after"): what it says when it is
				literal, e.g. "at age 17 and 6 months", "after 14 days"; else NULL */
	bool in_past;        /* a time written as case.now minus something */
};

/* A call case:METHOD { ... } or case:METHOD "x" (any receiver, usually the handler's case). */
struct core_scan_call {
	char *method;        /* "timer", "task", "handover", "assign_tovholder", "phase", ... */
	struct core_pos pos; /* of the method's name */
	int handler;         /* index into handlers of the handler whose body holds the call;
			-1 when it is outside every handler (a helper function) */
	/* For a call in a helper function (handler -1): the handlers that call that helper,
	 * directly or through other helpers of the file (up to CORE_SCAN_VIA of them). */
#define CORE_SCAN_VIA 16
	int via[CORE_SCAN_VIA];
	size_t nvia;
	size_t token;                   /* private: where the call is */
	struct core_scan_field *fields; /* a string argument is one field with key "" */
	size_t nfields;
};

struct core_scan_handler {
	char *event;         /* the key in on = { ... } */
	struct core_pos pos; /* of the key */
	size_t body_from;    /* the handler's function ... end, as token indices; both 0 when */
	size_t body_to;      /* the function is not written where the scan can see it */
};

struct core_scan_phase {
	char *name;
	struct core_pos pos; /* of the name */
	char **next;
	struct core_pos *next_pos;
	size_t nnext;
};

/* case.citizen.birthday(YEARS [, MONTHS]) with literal numbers. */
struct core_scan_birthday {
	long long years, months;
	struct core_pos pos; /* of `birthday` */
};

struct core_scan_token;

struct core_scan {
	bool found_workflow;      /* a `workflow { ... }` call was seen */
	struct core_pos workflow; /* of `workflow` */
	struct core_scan_phase *phases;
	size_t nphases;
	struct core_scan_handler *handlers;
	size_t nhandlers;
	struct core_scan_call *calls;
	size_t ncalls;
	struct core_scan_birthday *birthdays;
	size_t nbirthdays;
	/* private */
	struct core_scan_token *tokens;
	size_t ntokens;
	bool oom;
};

/* Reads SOURCE (LEN bytes). Source that is not valid Lua is read as far as it goes. NULL when
 * out of memory; free with core_scan_free. */
__attribute__((warn_unused_result)) struct core_scan *core_scan_new(const char *source, size_t len);
void core_scan_free(struct core_scan *scan); /* NULL is fine */

/* The first token on LINE that is TEXT (as written, or a string literal's value), for placing
 * a message that knows only its line. false when there is none. */
bool core_scan_find(const struct core_scan *scan, int line, const char *text, struct core_pos *pos);
/* The first `KEY = ` (or `["KEY"] = `) in the file, for placing a message about a key. */
bool core_scan_find_key(const struct core_scan *scan, const char *key, struct core_pos *pos);
/* The handler for EVENT, or NULL. */
const struct core_scan_handler *core_scan_handler(const struct core_scan *scan, const char *event);
/* The value of field KEY of CALL, or NULL. */
const struct core_scan_field *core_scan_call_field(const struct core_scan_call *call,
						   const char *key);

#endif
