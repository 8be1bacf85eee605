/*
 * The daemon's view of its database: whether PostgreSQL answers and whether the schema is the
 * one this build needs. A check runs every check_interval on a connection of its own; a check
 * that gets no answer in time drops the connection, which then reconnects with backoff. This
 * is what /readyz reports.
 */
#ifndef OG_STORE_HEALTH_H
#define OG_STORE_HEALTH_H

#include <event2/event.h>
#include <stdbool.h>

#include "config/config.h"

struct store_health;

/* ON_FATAL is called when the database holds a schema newer than this build: the daemon must
 * not run on it. MSG says which versions. */
__attribute__((warn_unused_result)) struct store_health *
store_health_new(struct event_base *base, const struct cfg *cfg,
		 void (*on_fatal)(const char *msg, void *arg), void *arg);
void store_health_free(struct store_health *h);

/* Ready: the database answered the last check and its schema is current. When not, WHY (if
 * not NULL) gets a sentence for the operator. */
bool store_health_ready(const struct store_health *h, const char **why);
bool store_health_db_up(const struct store_health *h);
/* The applied schema version seen last, -1 before the first answer. */
int store_health_schema_version(const struct store_health *h);

#endif
