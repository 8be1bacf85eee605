/* Being written. */
#include "api/route.h"

const struct api_route api_routes_plan[] = {
	{.method = NULL},
};
