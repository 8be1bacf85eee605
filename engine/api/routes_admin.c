/* Administrators (workflows, stuck cases, outbox, directory), registration of citizens and
 * cases, and the auditor's access log search. */
#include "api/route.h"

const struct api_route api_routes_admin[] = {
	{NULL},
};
