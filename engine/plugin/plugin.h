/*
 * The plugin host: loads the plugins configured as [plugin.NAME] sections (path = NAME.so,
 * optional = true|false), checks each descriptor against the ABI this daemon has
 * (engine/include/overgang/plugin.h) before running any plugin code, hands init() the host's
 * function table, and delivers outbox rows to the plugins that registered their actions.
 * A plugin that cannot be loaded or whose init fails stops start-up with a message naming
 * the file, unless it is optional: then it is logged and skipped.
 */
#ifndef OG_PLUGIN_PLUGIN_H
#define OG_PLUGIN_PLUGIN_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "http/server.h"

struct plug_host;

/* Loads and starts every configured plugin, adding their routes to HTTP (API checks the
 * tokens of their administrators' routes). NULL with the
 * reason in ERR when a plugin that is not optional cannot start, or when out of memory. */
struct api;
__attribute__((warn_unused_result)) struct plug_host *
plug_host_new(struct event_base *base, const struct cfg *cfg, struct http_server *http,
	      struct api *api, char *err, size_t errlen);

/* Shuts every plugin down (in reverse order of loading) and unloads it. */
void plug_host_free(struct plug_host *host);

/* The daemon is stopping: no new deliveries or job runs start, and the leases of jobs this
 * daemon runs are released, so another daemon need not wait them out. */
void plug_host_stop(struct plug_host *host);

/* Whether no delivery or event is in flight. */
bool plug_host_idle(const struct plug_host *host);

/* The loader alone, for tests and `overgang plugin check`: opens PATH and checks its
 * descriptor; on success writes "NAME VERSION (ABI M.N)" to INFO and returns 0, otherwise
 * returns -1 with the reason in ERR. The object is closed again. */
__attribute__((warn_unused_result)) int plug_check_file(const char *path, char *info,
							size_t infolen, char *err, size_t errlen);

#endif
