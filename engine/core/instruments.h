/*
 * The instrument registry as the step logic sees it: the measures of effect a workflow may
 * record with case:measure, each with its scale (the table instrument, migration
 * 0010_instruments). A measure with an instrument the registry lacks, or a value off the
 * instrument's scale, fails its step. Pure: the store loads the registry into the staff
 * directory snapshot (core/directory.h); the simulator loads the shipped registry.
 *
 * An instrument is JSON as the table keeps it: {"name", "kind", "values", "better", ...};
 * kind is "level", "result", "yesno" (ordered words: values.words), "scale" (whole numbers
 * values.min to values.max) or "number" (values.min to values.max, max may be null); any kind
 * may allow words that have no place on the scale (values.not_comparable, 'ikke oplyst').
 * Words match as the database's instrument_word() compares them: trimmed, lower case, æ ø å
 * as ae oe aa.
 */
#ifndef OG_CORE_INSTRUMENTS_H
#define OG_CORE_INSTRUMENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct core_instruments;

/* An empty registry; NULL when out of memory. */
__attribute__((warn_unused_result)) struct core_instruments *core_instruments_new(void);
void core_instruments_free(struct core_instruments *reg); /* NULL is fine */

/* Adds INSTRUMENT (copied). Returns 0, or -1 with ERR saying why (not an instrument as the
 * table keeps it, or out of memory). */
__attribute__((warn_unused_result)) int core_instruments_add(struct core_instruments *reg,
							     const json_t *instrument, char *err,
							     size_t errlen);

/* The shipped registry: the JSON array between the $registry$ quotes of SQL, the text of
 * migration 0010_instruments, which seeds the table with it (one source for the database and
 * the binaries). Adds each instrument to REG; 0, or -1 with ERR saying why. */
__attribute__((warn_unused_result)) int core_instruments_add_shipped(struct core_instruments *reg,
								     const char *sql, char *err,
								     size_t errlen);

bool core_instruments_has(const struct core_instruments *reg, const char *name);
/* The names, ", "-separated, by name, into BUF (cut short with "..." if it is too small). */
void core_instruments_names(const struct core_instruments *reg, char *buf, size_t len);

/* Whether VALUE (a JSON number or string) may be recorded with instrument NAME. 0, or -1 with
 * ERR saying why in words for the workflow's author: "unknown instrument 'x' (known: ...)",
 * "'svaer' is not a value of ffb-stoettebehov: ingen, let, ...". */
__attribute__((warn_unused_result)) int core_instruments_check(const struct core_instruments *reg,
							       const char *name,
							       const json_t *value, char *err,
							       size_t errlen);

/* A word as the registry compares it, into OUT (cut to LEN). */
void core_instrument_word(const char *in, char *out, size_t len);

#endif
