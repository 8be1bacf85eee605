/* overgangd: the workflow daemon. Usage: overgangd -c FILE */
#include <build_info.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: overgangd -c FILE\n"
		   "       overgangd --version\n\n"
		   "Runs overgang's workflows. FILE is the configuration (see\n"
		   "deploy/overgang.example.conf); the database also follows the libpq\n"
		   "environment (PGHOST, PGPORT, PGDATABASE, ...) and DATABASE_URL.\n");
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("overgangd %s (%s)\n", OG_VERSION, OG_GIT_REVISION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "overgangd: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}

	struct cfg cfg;
	char err[512];
	cfg_defaults(&cfg);
	if (cfg_load_file(&cfg, path, err, sizeof err) != 0) {
		fprintf(stderr, "overgangd: %s\n", err);
		cfg_free(&cfg);
		return 1;
	}
	og_log_set_level(cfg.log_level);
	if (og_log_open(cfg.log_file) != 0) {
		cfg_free(&cfg);
		return 1;
	}
	int rc = daemon_run(&cfg);
	og_log_close();
	cfg_free(&cfg);
	return rc;
}
