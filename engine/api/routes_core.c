/* Who am I, my queue, and a case's full picture: what every person who works cases uses. */
#include "api/route.h"

static const char *const queue_query[] = {"case", "department", "status", NULL};

const struct api_route api_routes_core[] = {
	{.method = "GET",
	 .pattern = "/v1/me",
	 .name = "me",
	 .roles = API_ALL_ROLES,
	 .function = "api_me",
	 .status = 200},
	{.method = "GET",
	 .pattern = "/v1/me/queue",
	 .name = "queue",
	 .roles = API_CASE_ROLES,
	 .function = "api_queue",
	 .status = 200,
	 .flags = API_LIST | API_TASK_LIST,
	 .query = queue_query},
	{.method = "GET",
	 .pattern = "/v1/cases/{id}",
	 .name = "case",
	 .roles = API_CASE_ROLES,
	 .function = "api_case",
	 .status = 200},
	{.method = NULL},
};
