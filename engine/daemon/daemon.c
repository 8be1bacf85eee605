#include "daemon/daemon.h"

#include <build_info.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "http/server.h"
#include "http/static.h"
#include "plugin/plugin.h"
#include "runner/runner.h"
#include "store/health.h"
#include "store/migrate.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

struct daemon {
	const struct cfg *cfg;
	struct event_base *base;
	struct http_server *http;
	struct store_health *health;
	struct runner *runner;
	struct api *api;
	struct plug_host *plugins;
	struct http_static *web; /* the web task list's files, NULL when there are none */
	struct event *sig_term, *sig_int, *sig_hup;
	struct event *drain; /* while stopping: checks whether work in flight is done */
	double started;
	double stop_deadline;
	bool stopping;
	int exit_code;

	struct og_metric_family *m_build, *m_uptime, *m_db_up, *m_schema, *m_ready;
};

static void on_healthz(struct http_req *req, void *arg)
{
	http_reply_json(req, 200, json_pack("{s:s}", "status", "alive"));
}

static void on_readyz(struct http_req *req, void *arg)
{
	struct daemon *d = arg;
	const char *why;
	if (d->stopping) {
		http_reply_problem(req, 503, "not-ready", "Not ready", "the daemon is stopping",
				   NULL);
		return;
	}
	if (!store_health_ready(d->health, &why)) {
		http_reply_problem(req, 503, "not-ready", "Not ready", why,
				   json_pack("{s:i,s:i}", "schema_version",
					     store_health_schema_version(d->health),
					     "schema_version_needed",
					     store_schema_version_known()));
		return;
	}
	http_reply_json(req, 200,
			json_pack("{s:s,s:i}", "status", "ready", "schema_version",
				  store_health_schema_version(d->health)));
}

static void on_metrics(struct http_req *req, void *arg)
{
	char *text = og_metrics_render();
	if (text == NULL) {
		http_reply_problem(req, 500, "internal", "Internal error", "out of memory", NULL);
		return;
	}
	http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
	free(text);
}

static void collect(void *arg)
{
	struct daemon *d = arg;
	const char *build[] = {OG_VERSION, OG_GIT_REVISION};
	og_metrics_set(d->m_build, build, 1);
	og_metrics_set(d->m_uptime, NULL, og_monotonic_seconds() - d->started);
	og_metrics_set(d->m_db_up, NULL, store_health_db_up(d->health) ? 1 : 0);
	og_metrics_set(d->m_schema, NULL, store_health_schema_version(d->health));
	og_metrics_set(d->m_ready, NULL, store_health_ready(d->health, NULL) ? 1 : 0);
}

static int register_metrics(struct daemon *d)
{
	static const char *const build_labels[] = {"version", "revision", NULL};
	d->m_build = og_metrics_register(OG_GAUGE, "overgang_build_info",
					 "The running build: always 1, labelled with its version.",
					 build_labels, NULL, 0);
	d->m_uptime = og_metrics_register(OG_GAUGE, "overgang_uptime_seconds",
					  "Seconds since the daemon started.", NULL, NULL, 0);
	d->m_db_up = og_metrics_register(OG_GAUGE, "overgang_database_up",
					 "1 when PostgreSQL answered the last health check.", NULL,
					 NULL, 0);
	d->m_schema = og_metrics_register(
		OG_GAUGE, "overgang_schema_version",
		"The schema version applied to the database (-1 unknown).", NULL, NULL, 0);
	d->m_ready = og_metrics_register(OG_GAUGE, "overgang_ready",
					 "1 when the daemon is ready to serve (as /readyz).", NULL,
					 NULL, 0);
	if (!d->m_build || !d->m_uptime || !d->m_db_up || !d->m_schema || !d->m_ready)
		return -1;
	og_metrics_on_collect(collect, d);
	return 0;
}

/* The web task list: the folder of [web] root, else "web" beside the daemon when the build
 * left one there (without it the daemon serves the API only). */
static int load_web(struct daemon *d, char *err, size_t errlen)
{
	char root[4096];
	const char *given = d->cfg->web_root;
	if (given[0] == '\0') {
		struct stat st;
		if (http_static_default_root(root, sizeof root) != 0 || stat(root, &st) != 0) {
			og_info(NULL, "no web task list: set [web] root to serve one");
			return 0;
		}
		given = root;
	}
	d->web = http_static_load(given, err, errlen);
	if (d->web == NULL || http_static_serve(d->http, d->web) != 0)
		return -1;
	og_info(json_pack("{s:s,s:i,s:i}", "root", given, "files", (int)http_static_count(d->web),
			  "bytes", (int)http_static_bytes(d->web)),
		"web task list loaded");
	return 0;
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	int in_flight = http_server_in_flight(d->http);
	if (in_flight == 0 && runner_idle(d->runner) && api_idle(d->api) &&
	    plug_host_idle(d->plugins)) {
		event_base_loopbreak(d->base);
		return;
	}
	if (og_monotonic_seconds() >= d->stop_deadline) {
		og_warn(json_pack("{s:i}", "in_flight", in_flight),
			"shutdown timeout reached; closing with requests unanswered");
		event_base_loopbreak(d->base);
	}
}

static void stop(struct daemon *d, const char *why)
{
	if (d->stopping) {
		og_warn(NULL, "second stop signal: exiting now");
		event_base_loopbreak(d->base);
		return;
	}
	d->stopping = true;
	og_info(json_pack("{s:s}", "reason", why), "stopping");
	http_server_stop_accepting(d->http);
	runner_stop(d->runner);
	plug_host_stop(d->plugins);
	d->stop_deadline = og_monotonic_seconds() + d->cfg->shutdown_timeout_ms / 1000.0;
	struct timeval tv = {0, 20000};
	event_add(d->drain, &tv);
	on_drain(-1, 0, d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	if (sig == SIGHUP) {
		if (og_log_reopen() == 0)
			og_info(NULL, "log reopened");
		return;
	}
	stop(d, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_fatal(const char *msg, void *arg)
{
	struct daemon *d = arg;
	og_error(NULL, "%s", msg);
	d->exit_code = 1;
	event_base_loopbreak(d->base);
}

int daemon_run(const struct cfg *cfg)
{
	struct daemon d = {.cfg = cfg, .started = og_monotonic_seconds()};
	char err[512];
	signal(SIGPIPE, SIG_IGN);

	d.base = event_base_new();
	if (d.base == NULL) {
		og_error(NULL, "cannot create the event loop");
		return 1;
	}
	d.exit_code = 1;
	d.http = http_server_new(d.base);
	if (d.http == NULL || register_metrics(&d) != 0)
		goto out;
	if (http_server_route(d.http, "GET", "/healthz", NULL, on_healthz, &d) != 0 ||
	    http_server_route(d.http, "GET", "/readyz", NULL, on_readyz, &d) != 0 ||
	    http_server_route(d.http, "GET", "/metrics", NULL, on_metrics, &d) != 0)
		goto out;
	if (load_web(&d, err, sizeof err) != 0) {
		og_error(NULL, "%s", d.web ? "out of memory" : err);
		goto out;
	}
	d.api = api_new(d.base, cfg, d.http, err, sizeof err);
	if (d.api == NULL) {
		og_error(NULL, "%s", err);
		goto out;
	}
	d.plugins = plug_host_new(d.base, cfg, d.http, d.api, err, sizeof err);
	if (d.plugins == NULL) {
		og_error(NULL, "%s", err);
		goto out;
	}
	if (http_server_listen(d.http, cfg->listen_host, cfg->listen_port, err, sizeof err) != 0) {
		og_error(NULL, "%s", err);
		goto out;
	}

	d.health = store_health_new(d.base, cfg, on_fatal, &d);
	d.runner = runner_new(d.base, cfg, d.health);
	d.sig_term = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.sig_int = evsignal_new(d.base, SIGINT, on_signal, &d);
	d.sig_hup = evsignal_new(d.base, SIGHUP, on_signal, &d);
	d.drain = event_new(d.base, -1, EV_PERSIST, on_drain, &d);
	if (d.health == NULL || d.runner == NULL || !d.sig_term || !d.sig_int || !d.sig_hup ||
	    !d.drain || evsignal_add(d.sig_term, NULL) || evsignal_add(d.sig_int, NULL) ||
	    evsignal_add(d.sig_hup, NULL)) {
		og_error(NULL, "out of memory while starting");
		goto out;
	}

	og_info(json_pack("{s:s,s:i,s:s,s:s,s:i}", "host", cfg->listen_host, "port",
			  http_server_port(d.http), "version", OG_VERSION, "revision",
			  OG_GIT_REVISION, "schema_version_needed", store_schema_version_known()),
		"overgangd listening");
	d.exit_code = 0;
	event_base_dispatch(d.base);
	if (d.exit_code == 0)
		og_info(NULL, "stopped");
out:
	if (d.drain)
		event_free(d.drain);
	if (d.sig_term)
		event_free(d.sig_term);
	if (d.sig_int)
		event_free(d.sig_int);
	if (d.sig_hup)
		event_free(d.sig_hup);
	runner_free(d.runner);
	api_free(d.api);
	store_health_free(d.health);
	http_server_free(d.http);
	http_static_free(d.web);   /* after the server that serves it */
	plug_host_free(d.plugins); /* after the server that calls their routes */
	og_metrics_reset();
	event_base_free(d.base);
	return d.exit_code;
}
