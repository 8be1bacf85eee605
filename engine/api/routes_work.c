/* The work of tovholdere and departments: cases, tasks, handovers, notes and events. */
#include "api/route.h"

const struct api_route api_routes_work[] = {
	{NULL},
};
