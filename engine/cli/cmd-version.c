/* overgang version: the build, and the schema version it needs. */
#include <build_info.h>
#include <stdio.h>

#include "cli/cli.h"
#include "store/migrate.h"

static int exec_version(const struct cfg *cfg, int argc, char **argv)
{
	printf("overgang %s (%s), schema version %d\n", OG_VERSION, OG_GIT_REVISION,
	       store_schema_version_known());
	return 0;
}

const struct cli_cmd cmd_version = {"version", "", "print the version and the schema it needs",
				    exec_version};
