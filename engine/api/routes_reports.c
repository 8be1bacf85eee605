/* Reports for managers that steer by deadlines and effect: cases started, active and closed;
 * deadlines met and missed; time in each phase; effect against the baseline and goal
 * results. Per workflow, department and period, numbers only, small groups suppressed
 * (engine/store/migrations/0008_reports.sql). Each answers JSON, or CSV with ?format=csv. */
#include "api/route.h"

static const char *const report_query[] = {"from", "to", "workflow", "department", "format", NULL};

const struct api_route api_routes_reports[] = {
	{.method = "GET",
	 .pattern = "/v1/reports/cases",
	 .name = "report_cases",
	 .roles = API_MANAGER | API_ADMIN,
	 .function = "api_report_cases",
	 .status = 200,
	 .flags = API_CSV,
	 .query = report_query},
	{.method = "GET",
	 .pattern = "/v1/reports/deadlines-met",
	 .name = "report_deadlines_met",
	 .roles = API_MANAGER | API_ADMIN,
	 .function = "api_report_deadlines_met",
	 .status = 200,
	 .flags = API_CSV,
	 .query = report_query},
	{.method = "GET",
	 .pattern = "/v1/reports/phases",
	 .name = "report_phases",
	 .roles = API_MANAGER | API_ADMIN,
	 .function = "api_report_phases",
	 .status = 200,
	 .flags = API_CSV,
	 .query = report_query},
	{.method = "GET",
	 .pattern = "/v1/reports/effect",
	 .name = "report_effect",
	 .roles = API_MANAGER | API_ADMIN,
	 .function = "api_report_effect",
	 .status = 200,
	 .flags = API_CSV,
	 .query = report_query},
	{.method = NULL},
};
