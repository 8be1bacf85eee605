/* The instrument registry: the measures of effect workflows may record, each with its scale
 * (engine/store/migrations/0010_instruments.sql). Everyone with a role may read it, as it holds
 * no person's data; administrators add instruments. */
#include "api/route.h"

static const struct api_field instrument_body[] = {
	{"name", API_TEXT, true},
	{"title", API_TEXT, true},
	{"description", API_STRING, false},
	{"kind", API_TEXT, true},
	{"values", API_OBJECT, true},
	{"better", API_STRING, false},
	{NULL},
};

const struct api_route api_routes_instruments[] = {
	{.method = "GET",
	 .pattern = "/v1/instruments",
	 .name = "instruments",
	 .roles = API_ALL_ROLES,
	 .function = "api_instruments",
	 .status = 200},
	{.method = "POST",
	 .pattern = "/v1/instruments",
	 .name = "instrument_create",
	 .roles = API_ADMIN,
	 .function = "api_instrument_create",
	 .status = 201,
	 .flags = API_BODY | API_IDEMPOTENT,
	 .body = instrument_body},
	{.method = NULL},
};
