/*
 * What changed between two versions of a workflow, from their definitions as the database
 * keeps them (core/definition.h): for `overgang workflow diff` and the API. Pure: no I/O.
 */
#ifndef OG_CORE_DEFDIFF_H
#define OG_CORE_DEFDIFF_H

#include <jansson.h>

/* Compares definition A (the older, usually) with B. Returns a new object:
 *   "title", "start", "first_phase": {"from", "to"} when changed, else null ("start" as
 *       words: "by hand", "at age 16 if funktionsnedsaettelse", "on event x");
 *   "phases_added", "phases_removed": [name, ...] in the order of the version that has them;
 *   "texts_changed": [{"phase", "from", "to"}] for phases in both whose citizen text differs;
 *   "transitions_added", "transitions_removed": [["from", "to"], ...];
 *   "handlers_added", "handlers_removed": [event type, ...], sorted.
 * NULL when out of memory. */
__attribute__((warn_unused_result)) json_t *core_definition_diff(const json_t *a, const json_t *b);

/* The start rule of definition DEF in words, into BUF. */
void core_definition_start_words(const json_t *def, char *buf, size_t len);

#endif
