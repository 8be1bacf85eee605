/*
 * The staff directory as the step logic sees it: departments, staff with their status, who
 * belongs where, and how many active cases each holds (to spread new cases). A snapshot
 * loaded by the store and kept in memory; the step logic reads it and counts assignments
 * into it, so the next pick in the same batch sees them. It carries the instrument registry
 * too (core/instruments.h): it is loaded and reloaded with the directory.
 */
#ifndef OG_CORE_DIRECTORY_H
#define OG_CORE_DIRECTORY_H

#include <stdbool.h>

#include "core/instruments.h"

struct core_directory;

/* NULL when out of memory. */
__attribute__((warn_unused_result)) struct core_directory *core_dir_new(void);
void core_dir_free(struct core_directory *dir);

/* Loading (the strings are copied). Call core_dir_seal() when all is added. Each returns 0, or
 * -1 when out of memory. */
__attribute__((warn_unused_result)) int core_dir_add_department(struct core_directory *dir,
								const char *id);
__attribute__((warn_unused_result)) int core_dir_add_staff(struct core_directory *dir,
							   const char *id, const char *status,
							   int active_cases);
__attribute__((warn_unused_result)) int core_dir_add_member(struct core_directory *dir,
							    const char *staff,
							    const char *department, bool lead);
void core_dir_seal(struct core_directory *dir);
/* The instrument registry measures are checked against; the directory takes REG and frees it.
 * A directory without one (a unit test's) does not check measures. */
void core_dir_set_instruments(struct core_directory *dir, struct core_instruments *reg);
/* NULL when none was set. */
const struct core_instruments *core_dir_instruments(const struct core_directory *dir);

bool core_dir_department_exists(const struct core_directory *dir, const char *id);
/* "active", "absent" or "inactive"; NULL for someone not in the directory. */
const char *core_dir_staff_status(const struct core_directory *dir, const char *id);
/* The department a staff member belongs to (the one they lead, else the first by id); NULL
 * when they belong to none. */
const char *core_dir_staff_department(const struct core_directory *dir, const char *id);
/* The active member of DEPARTMENT holding the fewest active cases (ties: smallest id), or
 * NULL when the department has no active member. */
const char *core_dir_pick(const struct core_directory *dir, const char *department);
/* Sets a staff member's status ("active", "absent", "inactive"). -1 if unknown or out of
 * memory. */
__attribute__((warn_unused_result)) int
core_dir_set_staff_status(struct core_directory *dir, const char *id, const char *status);
/* A case moved from FROM (may be NULL) to TO (may be NULL): counts follow. */
void core_dir_count_move(struct core_directory *dir, const char *from, const char *to);

#endif
