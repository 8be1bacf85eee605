/* What the plugin host's files share: one loaded plugin, its registrations, the host. */
#ifndef OG_PLUGIN_INTERNAL_H
#define OG_PLUGIN_INTERNAL_H

#include <overgang/plugin.h>

#include "plugin/plugin.h"
#include "store/conn.h"

struct plug_action {
	struct plug_action *next;
	char *action;
	og_deliver_fn deliver;
	void *arg;
};

struct plug_route {
	struct plug_route *next;
	struct og_plugin_ctx *ctx;
	og_http_fn fn;
	void *arg;
	char *name; /* metrics label: plugin.NAME.SUBPATH */
};

/* One loaded plugin; the og_plugin_ctx the plugin holds. */
struct og_plugin_ctx {
	struct og_plugin_ctx *next;
	struct plug_host *host;
	char *name; /* of its [plugin.NAME] section */
	char *path;
	void *dl;
	const struct og_plugin *desc;
	void *state;
	bool started; /* init succeeded: shutdown is due */
	bool in_init; /* registrations are allowed */
	struct plug_action *actions;
	struct plug_route *routes;
};

struct plug_host {
	struct event_base *base;
	const struct cfg *cfg;
	struct http_server *http;
	struct og_plugin_ctx *plugins, **plugins_tail;
	struct store_conn *conn; /* events from plugins, and the outbox */
	int in_flight;           /* statements and deliveries not yet answered */
	bool stopping;           /* plugins are shut down: no more callbacks into them */
	struct plug_outbox *outbox;
};

/* loader.c: opens PATH, checks its descriptor. Returns 0 with *DL and *DESC set, or -1 with
 * the reason in ERR (nothing stays open). */
int plug_open(const char *path, void **dl, const struct og_plugin **desc, char *err, size_t errlen);

/* host.c: the function table handed to init(). */
extern const struct og_host plug_host_table;

/* outbox.c: delivers outbox rows of the registered actions. */
struct plug_outbox *plug_outbox_new(struct plug_host *host);
void plug_outbox_free(struct plug_outbox *ob);
void plug_outbox_wake(struct plug_outbox *ob);
void plug_outbox_delivered(struct plug_outbox *ob, const struct og_delivery *d,
			   enum og_delivery_result outcome, int retry_ms, const char *error);

#endif
