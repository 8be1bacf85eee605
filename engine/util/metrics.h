/*
 * Process metrics in the Prometheus text exposition format (version 0.0.4): counters, gauges
 * and histograms, each a family with fixed label names and one series per label values.
 * One registry per process, used from the event-loop thread only.
 */
#ifndef OG_METRICS_H
#define OG_METRICS_H

#include <stddef.h>

enum og_metric_type { OG_COUNTER, OG_GAUGE, OG_HISTOGRAM };

struct og_metric_family;

/* Registers a family. LABELS is a NULL-terminated list of label names (or NULL for none);
 * BUCKETS the upper bounds of a histogram, ascending, NBUCKETS of them (+Inf is implied).
 * Names and help are copied. Returns NULL when out of memory. */
__attribute__((warn_unused_result)) struct og_metric_family *
og_metrics_register(enum og_metric_type type, const char *name, const char *help,
		    const char *const *labels, const double *buckets, size_t nbuckets);

/* VALUES has one entry per label name of the family (NULL for a family without labels).
 * A series is created the first time its values are seen. */
void og_metrics_add(struct og_metric_family *family, const char *const *values, double delta);
void og_metrics_set(struct og_metric_family *family, const char *const *values, double value);
void og_metrics_observe(struct og_metric_family *family, const char *const *values, double value);

/* A function run before every rendering, to set gauges that are read rather than counted
 * (uptime, connection state). */
void og_metrics_on_collect(void (*fn)(void *arg), void *arg);

/* The whole registry as exposition text; the caller frees it. NULL when out of memory. */
__attribute__((warn_unused_result)) char *og_metrics_render(void);

/* Forgets every family and hook (tests, shutdown). */
void og_metrics_reset(void);

#endif
