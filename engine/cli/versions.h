/*
 * overgang workflow diff and workflow migrate: what changed between two versions of a
 * workflow, and moving running cases from one version to another, explicitly (deploying a
 * version never moves a case by itself).
 */
#ifndef OG_CLI_VERSIONS_H
#define OG_CLI_VERSIONS_H

#include "config/config.h"

extern const char cli_workflow_diff_usage[];
extern const char cli_workflow_migrate_usage[];

/* ARGV[0] is "diff" / "migrate". Return the exit status. */
int cli_workflow_diff(const struct cfg *cfg, int argc, char **argv);
int cli_workflow_migrate(const struct cfg *cfg, int argc, char **argv);

#endif
