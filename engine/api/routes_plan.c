/* The citizen's plan, in plain Danish: as JSON for the web interface, and as a printable
 * HTML page the staff hand over or send. Both for anyone who may see the case, both written
 * to the access log (engine/store/migrations/0007_plan.sql). */
#include "api/route.h"

const struct api_route api_routes_plan[] = {
	{.method = "GET",
	 .pattern = "/v1/cases/{id}/plan",
	 .name = "plan",
	 .roles = API_CASE_ROLES,
	 .function = "api_plan",
	 .status = 200},
	{.method = "GET",
	 .pattern = "/v1/cases/{id}/plan.html",
	 .name = "plan_html",
	 .roles = API_CASE_ROLES,
	 .function = "api_plan_html",
	 .status = 200,
	 .flags = API_HTML},
	{.method = NULL},
};
