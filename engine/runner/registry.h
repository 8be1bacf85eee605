/*
 * The compiled workflows of this process: each deployed version is compiled once, in its own
 * sandboxed Lua state, and reused for every step of every case on that version.
 */
#ifndef OG_RUNNER_REGISTRY_H
#define OG_RUNNER_REGISTRY_H

#include <stdbool.h>

#include "lua/workflow.h"

struct run_registry;

__attribute__((warn_unused_result)) struct run_registry *
run_registry_new(const struct lwf_budget *budget);
void run_registry_free(struct run_registry *reg);

/* Whether NAME version VERSION was compiled (or failed to compile) already. */
bool run_registry_has(const struct run_registry *reg, const char *name, int version);
/* The compiled workflow, NULL when it is not here or did not compile (*ERROR then says why,
 * if ERROR is not NULL and it failed). */
struct lwf_workflow *run_registry_get(const struct run_registry *reg, const char *name, int version,
				      const char **error);
/* Compiles SOURCE as NAME version VERSION and keeps it (or its error). -1 when out of memory. */
__attribute__((warn_unused_result)) int
run_registry_compile(struct run_registry *reg, const char *name, int version, const char *source);

#endif
