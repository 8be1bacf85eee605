/*
 * A workflow's phases as a Graphviz DOT graph, for review and for the documentation: the
 * phases and their allowed transitions (next = { ... }), the first phase marked as where a
 * case starts (with the start rule), final phases (no next) as double circles, phases no case
 * can reach dashed. An edge is labelled with the events whose handlers move the case there
 * (case:phase "x" written in the handler) and, for timer events, the deadline when it is
 * written literally; an edge whose move the static reading cannot see is unlabelled. The
 * output depends only on the definition and the source, so it can be compared in tests.
 * Pure: no I/O.
 */
#ifndef OG_CORE_GRAPH_H
#define OG_CORE_GRAPH_H

#include "core/scan.h"
#include "lua/workflow.h"

/* The DOT text (the caller frees it), or NULL when out of memory. SCAN may be NULL: then the
 * edges are unlabelled. */
__attribute__((warn_unused_result)) char *core_graph_dot(const struct lwf_def *def,
							 const struct core_scan *scan);

#endif
