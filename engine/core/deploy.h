/*
 * Deploying a workflow version: what `overgang workflow deploy` (and `overgang check`) and the
 * API's POST /v1/workflows share before a row is written. The source is checked the same way
 * (no NUL byte, loaded in the sandbox under the configured budgets, core_check_workflow), and
 * what the workflow table keeps beside the source is made the same way (the definition as
 * JSON, the SHA-256 of the source). Pure apart from running the file's top level in the
 * sandbox: no database, no files, no other programs (luacheck is the CLI's own addition).
 */
#ifndef OG_CORE_DEPLOY_H
#define OG_CORE_DEPLOY_H

#include <jansson.h>
#include <stddef.h>

#include "core/check.h"
#include "lua/workflow.h"

#define CORE_CHECKSUM_LEN 64 /* hex digits of a SHA-256 */

/* Checks SOURCE (LEN bytes), named CHUNKNAME in messages: refuses a NUL byte, loads it with
 * BUDGET (NULL: the defaults) and checks it with core_check_workflow against DEPARTMENTS
 * (NULL-terminated; NULL when not known). The findings are added to CHECK, unsorted, so a
 * caller may add its own before core_check_sort. Returns 0 when the source was checked, with
 * *WF the loaded workflow (the caller frees it with lwf_free) or NULL when it did not load;
 * 1 when it is no Lua text at all (a NUL byte: that one finding, nothing ran, *WF NULL); -1
 * when out of memory. */
__attribute__((warn_unused_result)) int
core_deploy_check(const char *chunkname, const char *source, size_t len,
		  const struct lwf_budget *budget, const char *const *departments,
		  struct core_check *check, struct lwf_workflow **wf);

/* What the workflow table keeps beside SOURCE (LEN bytes) for DEF: *DEFINITION, a new
 * reference to core_definition_json(DEF), and CHECKSUM, the SHA-256 of the source in hex.
 * Returns 0, or -1 when out of memory or libsodium cannot start. */
__attribute__((warn_unused_result)) int core_deploy_record(const struct lwf_def *def,
							   const char *source, size_t len,
							   json_t **definition,
							   char checksum[CORE_CHECKSUM_LEN + 1]);

/* The departments SOURCE names literally (see core_check_department), for a caller that
 * checks them where the departments are, such as the API in the database: a new JSON array of
 * {"id", "line", "col"}, in the order of the file; NULL when out of memory. */
json_t *core_deploy_departments(const char *source, size_t len);

#endif
