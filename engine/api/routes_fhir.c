/* A case's goals and follow-ups as FHIR R4 resources (a Bundle of type collection) following
 * the Danish KL implementation guide for FFB reporting: for anyone who may see the case,
 * written to the access log (engine/store/migrations/0013_fhir_profile.sql). ?purpose=kl-report
 * is the strict report for KL: no free text, only what claims a profile. The [fhir] settings
 * decide whether the citizen can claim KL's Citizen profile: the municipality's organisation
 * and the CPR number (off by default). */
#include <jansson.h>
#include <stdio.h>

#include "api/body.h"
#include "api/route.h"
#include "config/config.h"

/* Hands the [fhir] settings to the SQL function as r.fhir. */
static int prepare_fhir(json_t *r, const struct cfg *cfg, struct api_body_error *err)
{
	const char *org = cfg->fhir_municipality_organisation;
	json_t *fhir =
		json_pack("{s:s?,s:b}", "municipality_organisation", org && org[0] ? org : NULL,
			  "cpr_identifier", cfg->fhir_cpr_identifier);
	if (fhir == NULL || json_object_set_new(r, "fhir", fhir) != 0) {
		err->status = 500;
		err->type = "internal";
		snprintf(err->detail, sizeof err->detail,
			 "Something went wrong on our side; try again shortly.");
		return -1;
	}
	return 0;
}

static const char *const fhir_query[] = {"purpose", NULL};

const struct api_route api_routes_fhir[] = {
	{.method = "GET",
	 .pattern = "/v1/cases/{id}/fhir",
	 .name = "case_fhir",
	 .roles = API_CASE_ROLES,
	 .function = "api_case_fhir",
	 .status = 200,
	 .flags = API_FHIR,
	 .query = fhir_query,
	 .prepare = prepare_fhir},
	{.method = NULL},
};
