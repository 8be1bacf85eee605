/* A workflow definition as JSON: what the database keeps beside the source, so SQL (the start
 * sweep, reports) and the API can read phases and start rules without running Lua. */
#ifndef OG_CORE_DEFINITION_H
#define OG_CORE_DEFINITION_H

#include <jansson.h>
#include <stdbool.h>

#include "lua/workflow.h"

/* {"name", "version", "title", "start": {"kind": "manual"|"age"|"event", "age", "attribute",
 *  "event"}, "phases": [{"name", "title"?, "text", "next": [...]}], "tasks": {KEY: {"title"?,
 *  "outcome": [field, ...]}} (as struct lwf_def keeps them), "handlers": [...]}.
 * A new reference, NULL when out of memory. */
json_t *core_definition_json(const struct lwf_def *def);

/* Marks in SEEN (one entry per phase, zeroed by the caller) the phases a case can reach from
 * the first one through next = { ... }. Returns 0, or -1 when out of memory. */
__attribute__((warn_unused_result)) int core_reachable_phases(const struct lwf_def *def,
							      bool *seen);

#endif
