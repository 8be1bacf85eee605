/* A case's goals and follow-ups as FHIR R4 resources (a Bundle of type collection) following
 * the Danish KL implementation guide for FFB reporting: for anyone who may see the case,
 * written to the access log, never with the CPR number
 * (engine/store/migrations/0009_fhir.sql). */
#include "api/route.h"

const struct api_route api_routes_fhir[] = {
	{.method = "GET",
	 .pattern = "/v1/cases/{id}/fhir",
	 .name = "case_fhir",
	 .roles = API_CASE_ROLES,
	 .function = "api_case_fhir",
	 .status = 200,
	 .flags = API_FHIR},
	{.method = NULL},
};
