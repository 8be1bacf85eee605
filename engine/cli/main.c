/* overgang: the administrators' and operators' command-line tool. */
#include <build_info.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

extern const struct cli_cmd cmd_migrate;
extern const struct cli_cmd cmd_workflow;
extern const struct cli_cmd cmd_case;
extern const struct cli_cmd cmd_sweep;
extern const struct cli_cmd cmd_check;
extern const struct cli_cmd cmd_simulate;
extern const struct cli_cmd cmd_test;
extern const struct cli_cmd cmd_graph;
extern const struct cli_cmd cmd_version;
extern const struct cli_cmd cmd_token;
extern const struct cli_cmd cmd_demo_data;

static const struct cli_cmd *const commands[] = {
	&cmd_migrate, &cmd_workflow, &cmd_check, &cmd_simulate,  &cmd_test,    &cmd_graph,
	&cmd_case,    &cmd_sweep,    &cmd_token, &cmd_demo_data, &cmd_version,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: overgang [-c FILE] COMMAND [ARGS]\n\n"
		   "FILE is the configuration (default: none; the database then follows the libpq\n"
		   "environment PGHOST, PGPORT, PGDATABASE, ... and DATABASE_URL).\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char head[64];
		snprintf(head, sizeof head, "%s %s", commands[i]->name, commands[i]->args);
		fprintf(f, "  %-28s %s\n", head, commands[i]->summary);
	}
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("overgang %s (%s)\n", OG_VERSION, OG_GIT_REVISION);
			return 0;
		} else {
			fprintf(stderr, "overgang: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	const struct cli_cmd *cmd = NULL;
	for (size_t k = 0; k < NCOMMANDS; k++)
		if (strcmp(commands[k]->name, argv[i]) == 0)
			cmd = commands[k];
	if (cmd == NULL) {
		fprintf(stderr, "overgang: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}

	struct cfg cfg;
	char err[512];
	cfg_defaults(&cfg);
	if (path && cfg_load_file(&cfg, path, err, sizeof err) != 0) {
		fprintf(stderr, "overgang: %s\n", err);
		cfg_free(&cfg);
		return 1;
	}
	int rc = cmd->exec(&cfg, argc - i, argv + i);
	cfg_free(&cfg);
	return rc;
}
