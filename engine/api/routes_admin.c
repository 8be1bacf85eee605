/* Administrators (workflows, stuck cases, outbox, directory), registration of citizens and
 * cases, and the auditor's access log search. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/body.h"
#include "api/route.h"
#include "config/config.h"
#include "core/deploy.h"

#define WORKFLOW_FILE_MAX 100

/* A file name for messages: letters, digits, '.', '-', '_'. */
static bool good_file_name(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= WORKFLOW_FILE_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
			 "QRSTUVWXYZ0123456789._-") == n;
}

/* POST /v1/workflows: checks the source as `overgang workflow deploy` does (core/deploy.h),
 * under the configured Lua budgets, and puts the result in r.workflow for
 * api_workflow_deploy, which checks the departments in the database and answers 422 with
 * every error, or deploys. luacheck, which the CLI runs too when it is installed, is left
 * out: it is another program, and this runs on the event loop. */
static int prepare_deploy(json_t *r, const struct cfg *cfg, struct api_body_error *err)
{
	json_t *body = json_object_get(r, "body");
	json_t *src = json_object_get(body, "source");
	const char *file = json_string_value(json_object_get(body, "file"));
	if (file == NULL)
		file = "workflow.lua";
	if (!good_file_name(file)) {
		err->status = 400;
		err->type = "wrong-type";
		snprintf(err->detail, sizeof err->detail,
			 "The field 'file' must be a file name of letters, digits, '.', '-' and "
			 "'_', at most %d characters.",
			 WORKFLOW_FILE_MAX);
		snprintf(err->field, sizeof err->field, "file");
		return -1;
	}
	const char *source = json_string_value(src);
	size_t len = json_string_length(src);
	struct lwf_budget budget;
	cfg_lua_budget(cfg, &budget.memory_bytes, &budget.instructions);
	struct core_check check = {0};
	struct lwf_workflow *wf = NULL;
	json_t *definition = NULL;
	json_t *w = json_pack("{s:s,s:[]}", "file", file, "findings");
	json_t *departments = core_deploy_departments(source, len);
	int rc = -1;
	if (w == NULL || departments == NULL ||
	    core_deploy_check(file, source, len, &budget, NULL, &check, &wf) < 0)
		goto out;
	json_object_set_new(w, "departments", departments);
	departments = NULL;
	core_check_sort(&check);
	json_t *findings = json_object_get(w, "findings");
	for (size_t i = 0; i < check.n; i++) {
		const struct core_finding *f = &check.findings[i];
		if (json_array_append_new(findings, json_pack("{s:i,s:i,s:b,s:s}", "line", f->line,
							      "col", f->col, "warning", f->warning,
							      "text", f->text)) != 0)
			goto out;
	}
	if (wf && check.errors == 0) {
		const struct lwf_def *def = lwf_def(wf);
		char checksum[CORE_CHECKSUM_LEN + 1];
		if (core_deploy_record(def, source, len, &definition, checksum) != 0 ||
		    json_object_set_new(w, "name", json_string(def->name)) != 0 ||
		    json_object_set_new(w, "version", json_integer(def->version)) != 0 ||
		    json_object_set_new(w, "title", json_string(def->title)) != 0 ||
		    json_object_set_new(w, "checksum", json_string(checksum)) != 0 ||
		    json_object_set(w, "definition", definition) != 0)
			goto out;
	}
	if (json_object_set(r, "workflow", w) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		err->status = 500;
		err->type = "internal";
		snprintf(err->detail, sizeof err->detail,
			 "The server ran out of memory checking the workflow; try again later.");
	}
	json_decref(definition);
	json_decref(departments);
	json_decref(w);
	lwf_free(wf);
	core_check_clear(&check);
	return rc;
}

static const char *const outbox_query[] = {"status", NULL};
static const char *const staff_query[] = {"department", "status", NULL};
static const char *const access_log_query[] = {"citizen", "staff", NULL};

static const struct api_field deploy_body[] = {
	{"source", API_TEXT, true},
	{"file", API_STRING, false},
	{NULL},
};
static const struct api_field department_body[] = {
	{"id", API_TEXT, true},
	{"name", API_TEXT, true},
	{NULL},
};
static const struct api_field staff_create_body[] = {
	{"id", API_TEXT, true},
	{"name", API_TEXT, true},
	{"email", API_STRING, false},
	{"departments", API_ARRAY, true},
	{NULL},
};
static const struct api_field staff_update_body[] = {
	{"status", API_STRING, false},
	{"name", API_TEXT, false},
	{"email", API_STRING, false},
	{NULL},
};
static const struct api_field citizen_create_body[] = {
	{"cpr", API_STRING, true},
	{"name", API_TEXT, true},
	{"birth_date", API_DATE, true},
	{"attributes", API_OBJECT, false},
	{NULL},
};
static const struct api_field citizen_update_body[] = {
	{"name", API_TEXT, false},
	{"birth_date", API_DATE, false},
	{"attributes", API_OBJECT, false},
	{NULL},
};
static const struct api_field citizen_find_body[] = {
	{"cpr", API_STRING, true},
	{NULL},
};
static const struct api_field case_start_body[] = {
	{"citizen", API_INTEGER, true},
	{"workflow", API_TEXT, true},
	{"version", API_INTEGER, false},
	{NULL},
};

static const struct api_field citizen_event_body[] = {
	{"type", API_TEXT, true},
	{"payload", API_OBJECT, false},
	{NULL},
};

const struct api_route api_routes_admin[] = {
	/* workflows */
	{.method = "GET",
	 .pattern = "/v1/workflows",
	 .name = "workflows",
	 .roles = API_ADMIN,
	 .function = "api_workflows",
	 .status = 200,
	 .flags = API_LIST},
	{.method = "GET",
	 .pattern = "/v1/workflows/{name}/{version}",
	 .name = "workflow",
	 .roles = API_ADMIN,
	 .function = "api_workflow",
	 .status = 200},
	{.method = "POST",
	 .pattern = "/v1/workflows",
	 .name = "workflow_deploy",
	 .roles = API_ADMIN,
	 .function = "api_workflow_deploy",
	 .status = 201,
	 .flags = API_BODY,
	 .body = deploy_body,
	 .prepare = prepare_deploy},
	/* stuck cases and the outbox */
	{.method = "GET",
	 .pattern = "/v1/admin/stuck-cases",
	 .name = "stuck_cases",
	 .roles = API_ADMIN,
	 .function = "api_stuck_cases",
	 .status = 200,
	 .flags = API_LIST},
	{.method = "POST",
	 .pattern = "/v1/admin/stuck-cases/{id}/retry",
	 .name = "stuck_case_retry",
	 .roles = API_ADMIN,
	 .function = "api_stuck_case_retry",
	 .status = 200},
	{.method = "GET",
	 .pattern = "/v1/admin/outbox",
	 .name = "outbox",
	 .roles = API_ADMIN,
	 .function = "api_outbox",
	 .status = 200,
	 .flags = API_LIST,
	 .query = outbox_query},
	{.method = "POST",
	 .pattern = "/v1/admin/outbox/{id}/retry",
	 .name = "outbox_retry",
	 .roles = API_ADMIN,
	 .function = "api_outbox_retry",
	 .status = 200},
	/* departments and staff */
	{.method = "GET",
	 .pattern = "/v1/departments",
	 .name = "departments",
	 .roles = API_ALL_ROLES,
	 .function = "api_departments",
	 .status = 200,
	 .flags = API_LIST},
	{.method = "POST",
	 .pattern = "/v1/departments",
	 .name = "department_create",
	 .roles = API_ADMIN,
	 .function = "api_department_create",
	 .status = 201,
	 .flags = API_BODY,
	 .body = department_body},
	{.method = "GET",
	 .pattern = "/v1/staff",
	 .name = "staff",
	 .roles = API_ADMIN | API_LEAD | API_TOVHOLDER | API_WORKER,
	 .function = "api_staff_list",
	 .status = 200,
	 .flags = API_LIST,
	 .query = staff_query},
	{.method = "POST",
	 .pattern = "/v1/staff",
	 .name = "staff_create",
	 .roles = API_ADMIN,
	 .function = "api_staff_create",
	 .status = 201,
	 .flags = API_BODY,
	 .body = staff_create_body},
	{.method = "PATCH",
	 .pattern = "/v1/staff/{id}",
	 .name = "staff_update",
	 .roles = API_ADMIN | API_LEAD,
	 .function = "api_staff_update",
	 .status = 200,
	 .flags = API_BODY,
	 .body = staff_update_body},
	/* registration */
	{.method = "POST",
	 .pattern = "/v1/citizens",
	 .name = "citizen_create",
	 .roles = API_CASE_ROLES,
	 .function = "api_citizen_create",
	 .status = 201,
	 .flags = API_BODY | API_KEEPS_CPR,
	 .body = citizen_create_body},
	{.method = "POST",
	 .pattern = "/v1/citizens/find",
	 .name = "citizen_find",
	 .roles = API_CASE_ROLES,
	 .function = "api_citizen_find",
	 .status = 200,
	 .flags = API_BODY,
	 .body = citizen_find_body},
	{.method = "GET",
	 .pattern = "/v1/citizens/{id}",
	 .name = "citizen",
	 .roles = API_CASE_ROLES,
	 .function = "api_citizen",
	 .status = 200},
	{.method = "PATCH",
	 .pattern = "/v1/citizens/{id}",
	 .name = "citizen_update",
	 .roles = API_CASE_ROLES,
	 .function = "api_citizen_update",
	 .status = 200,
	 .flags = API_BODY,
	 .body = citizen_update_body},
	{.method = "POST",
	 .pattern = "/v1/citizens/{id}/events",
	 .name = "citizen_event",
	 .roles = API_CASE_ROLES,
	 .function = "api_citizen_event",
	 .status = 202,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = citizen_event_body},
	{.method = "POST",
	 .pattern = "/v1/cases",
	 .name = "case_start",
	 .roles = API_CASE_ROLES,
	 .function = "api_case_start",
	 .status = 201,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = case_start_body},
	/* audit and reports */
	{.method = "GET",
	 .pattern = "/v1/access-log",
	 .name = "access_log",
	 .roles = API_AUDITOR,
	 .function = "api_access_log",
	 .status = 200,
	 .flags = API_LIST,
	 .query = access_log_query},
	{.method = "GET",
	 .pattern = "/v1/reports/deadlines",
	 .name = "report_deadlines",
	 .roles = API_MANAGER | API_ADMIN,
	 .function = "api_report_deadlines",
	 .status = 200},
	{.method = NULL},
};
