/* The work of tovholdere and departments: cases, tasks, handovers, notes and events.
 * Which person may do what (the assignee, a member or lead of the department, the case's
 * tovholder) is decided by each SQL function in engine/store/migrations/0004_api_work.sql;
 * the roles here only keep out tokens that never do this work. */
#include "api/route.h"

/* The roles of the people who work in departments' queues. */
#define DEPARTMENT_ROLES (API_WORKER | API_LEAD)
/* The roles of the people who hold cases or work on them in a department. */
#define WORK_ROLES (API_TOVHOLDER | API_WORKER | API_LEAD)

static const char *const inbox_query[] = {"kind", "status", NULL};

static const struct api_field complete_body[] = {
	{"outcome", API_OBJECT, false},
	{"note", API_TEXT, false},
	{NULL},
};

static const struct api_field assign_body[] = {
	{"staff", API_TEXT, true},
	{NULL},
};

static const struct api_field reject_body[] = {
	{"reason", API_TEXT, true},
	{NULL},
};

static const struct api_field note_body[] = {
	{"text", API_TEXT, true},
	{"task", API_INTEGER, false},
	{NULL},
};

static const struct api_field event_body[] = {
	{"type", API_TEXT, true},
	{"payload", API_OBJECT, false},
	{NULL},
};

static const struct api_field tovholder_body[] = {
	{"staff", API_TEXT, true},
	{"reason", API_TEXT, true},
	{NULL},
};

static const struct api_field grant_body[] = {
	{"staff", API_TEXT, true},
	{"reason", API_TEXT, true},
	{"expires_at", API_STRING, false},
	{NULL},
};

const struct api_route api_routes_work[] = {
	{.method = "GET",
	 .pattern = "/v1/me/cases",
	 .name = "my_cases",
	 .roles = API_CASE_ROLES,
	 .function = "api_my_cases",
	 .status = 200,
	 .flags = API_LIST},
	{.method = "GET",
	 .pattern = "/v1/departments/{id}/inbox",
	 .name = "inbox",
	 .roles = DEPARTMENT_ROLES,
	 .function = "api_inbox",
	 .status = 200,
	 .flags = API_LIST | API_TASK_LIST,
	 .query = inbox_query},
	{.method = "POST",
	 .pattern = "/v1/tasks/{id}/claim",
	 .name = "task_claim",
	 .roles = DEPARTMENT_ROLES,
	 .function = "api_task_claim",
	 .status = 200},
	{.method = "POST",
	 .pattern = "/v1/tasks/{id}/complete",
	 .name = "task_complete",
	 .roles = WORK_ROLES,
	 .function = "api_task_complete",
	 .status = 200,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = complete_body},
	{.method = "POST",
	 .pattern = "/v1/tasks/{id}/assign",
	 .name = "task_assign",
	 .roles = API_LEAD,
	 .function = "api_task_assign",
	 .status = 200,
	 .flags = API_BODY,
	 .body = assign_body},
	{.method = "POST",
	 .pattern = "/v1/handovers/{id}/accept",
	 .name = "handover_accept",
	 .roles = DEPARTMENT_ROLES,
	 .function = "api_handover_accept",
	 .status = 200,
	 .flags = API_IDEMPOTENT},
	{.method = "POST",
	 .pattern = "/v1/handovers/{id}/reject",
	 .name = "handover_reject",
	 .roles = DEPARTMENT_ROLES,
	 .function = "api_handover_reject",
	 .status = 200,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = reject_body},
	{.method = "POST",
	 .pattern = "/v1/cases/{id}/notes",
	 .name = "case_note",
	 .roles = API_CASE_ROLES,
	 .function = "api_case_note_add",
	 .status = 201,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = note_body},
	{.method = "POST",
	 .pattern = "/v1/cases/{id}/events",
	 .name = "case_event",
	 .roles = WORK_ROLES,
	 .function = "api_case_event",
	 .status = 201,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = event_body},
	{.method = "PUT",
	 .pattern = "/v1/cases/{id}/tovholder",
	 .name = "case_tovholder",
	 .roles = API_TOVHOLDER | API_LEAD,
	 .function = "api_case_tovholder",
	 .status = 200,
	 .flags = API_BODY,
	 .body = tovholder_body},
	{.method = "POST",
	 .pattern = "/v1/cases/{id}/grants",
	 .name = "case_grant",
	 .roles = API_LEAD | API_ADMIN,
	 .function = "api_case_grant",
	 .status = 201,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = grant_body},
	{.method = NULL},
};
