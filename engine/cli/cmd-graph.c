/* overgang graph FILE [--format dot|svg]: a workflow's phases and transitions as Graphviz DOT
 * (core/graph.h), or as SVG through Graphviz's `dot` when it is installed. Writes to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/tools.h"
#include "core/graph.h"
#include "core/scan.h"

static int usage(void)
{
	fprintf(stderr, "usage: overgang graph FILE [--format dot|svg]\n");
	return 2;
}

static int exec_graph(const struct cfg *cfg, int argc, char **argv)
{
	const char *path = NULL, *format = "dot";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			format = argv[i] + 9;
		else if (path == NULL && (argv[i][0] != '-' || argv[i][1] == '\0'))
			path = argv[i];
		else
			return usage();
	}
	if (path == NULL)
		return usage();
	if (strcmp(format, "dot") != 0 && strcmp(format, "svg") != 0) {
		fprintf(stderr, "overgang graph: --format is dot or svg, not '%s'\n", format);
		return 2;
	}
	size_t len;
	char *source = cli_read_file(path, &len);
	if (source == NULL)
		return 1;
	int rc = 1;
	char err[4096], *dot = NULL, *svg = NULL, *dot_err = NULL;
	struct core_scan *scan = NULL;
	struct lwf_budget budget = cli_budget(cfg);
	struct lwf_workflow *wf = lwf_load(path, source, len, &budget, err, sizeof err);
	if (wf == NULL) {
		fprintf(stderr, "%s\n(overgang check %s says more)\n", err, path);
		goto out;
	}
	scan = core_scan_new(source, len);
	dot = scan ? core_graph_dot(lwf_def(wf), scan) : NULL;
	if (dot == NULL) {
		fprintf(stderr, "overgang graph: out of memory\n");
		goto out;
	}
	if (strcmp(format, "dot") == 0) {
		fputs(dot, stdout);
		rc = 0;
		goto out;
	}
	const char *args[] = {"dot", "-Tsvg", NULL};
	bool missing;
	int status = cli_run_program(args, dot, strlen(dot), &svg, &dot_err, &missing);
	if (status < 0 && missing) {
		fprintf(stderr,
			"overgang graph: SVG needs Graphviz's `dot`, which is not installed "
			"(Debian package graphviz; scripts/deps installs it); --format dot "
			"works without it\n");
	} else if (status > 0) {
		fprintf(stderr, "overgang graph: dot failed: %s", dot_err);
	} else if (status == 0) {
		fputs(svg, stdout);
		rc = 0;
	}
out:
	free(svg);
	free(dot_err);
	free(dot);
	core_scan_free(scan);
	lwf_free(wf);
	free(source);
	return rc;
}

const struct cli_cmd cmd_graph = {"graph", "FILE [--format svg]",
				  "the phases and transitions of a workflow as Graphviz DOT or SVG",
				  exec_graph};
