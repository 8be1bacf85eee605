/*
 * The personregister plugin: imports citizens from a person-register extract into overgang,
 * so the start triggers of workflows (age, attributes) see them.
 *
 *   POST /v1/plugins/personregister/imports      {"file": "NAME"[, "format": "csv"|"jsonl"]}
 *        an administrator imports NAME from import_dir: 202 {"id": ..., "state": "queued"}
 *   GET  /v1/plugins/personregister/imports      the imports this daemon knows, newest first
 *   GET  /v1/plugins/personregister/imports/{id} one import's state and report
 *
 * With watch_interval set, a periodic job also imports the extracts dropped into import_dir
 * and moves each into import_dir/imported/ (or failed/) afterwards. One import runs at a
 * time; the others wait their turn. See README.md for the configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "personregister.h"

/* ---- configuration ---- */

static int config_size(struct pr_plugin *pr, const char *key, size_t def, size_t min, size_t max,
		       size_t *out)
{
	const char *v = pr->host->config(pr->ctx, key);
	if (v == NULL || v[0] == '\0') {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end != '\0' || v[0] == '-' || n < min || n > max) {
		pr->host->log(
			pr->ctx, OG_LOG_ERROR,
			"[plugin.personregister] %s: '%s' is not a whole number from %zu to %zu",
			key, v, min, max);
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

/* A duration: a whole number with ms, s, m or h; 0 alone is off. */
static int config_duration(struct pr_plugin *pr, const char *key, int *out_ms)
{
	const char *v = pr->host->config(pr->ctx, key);
	*out_ms = 0;
	if (v == NULL || v[0] == '\0' || strcmp(v, "0") == 0)
		return 0;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	long long unit = strcmp(end, "ms") == 0  ? 1
			 : strcmp(end, "s") == 0 ? 1000
			 : strcmp(end, "m") == 0 ? 60000
			 : strcmp(end, "h") == 0 ? 3600000
						 : 0;
	if (errno || end == v || unit == 0 || n <= 0 || n * unit < 1000 ||
	    n * unit > 24LL * 3600000) {
		pr->host->log(pr->ctx, OG_LOG_ERROR,
			      "[plugin.personregister] %s: '%s' is not a duration from 1s to 24h "
			      "(a whole number with ms, s, m or h), or 0 for off",
			      key, v);
		return -1;
	}
	*out_ms = (int)(n * unit);
	return 0;
}

/* Splits V at commas (and spaces) into its items; calls FN for each. */
static int each_item(const char *v, int (*fn)(struct pr_plugin *, const char *),
		     struct pr_plugin *pr)
{
	char item[128];
	while (v && *v) {
		size_t n = strcspn(v, ", \t");
		if (n >= sizeof item)
			return fn(pr, NULL);
		if (n > 0) {
			memcpy(item, v, n);
			item[n] = '\0';
			if (fn(pr, item) != 0)
				return -1;
		}
		v += n;
		v += strspn(v, ", \t");
	}
	return 0;
}

static int add_attribute(struct pr_plugin *pr, const char *name)
{
	bool ok = name && name[0] >= 'a' && name[0] <= 'z' && strlen(name) <= 40 &&
		  strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(name);
	if (!ok) {
		pr->host->log(pr->ctx, OG_LOG_ERROR,
			      "[plugin.personregister] attributes: each name is a-z, 0-9 and _, "
			      "starting with a letter, at most 40 long");
		return -1;
	}
	if (strcmp(name, "cpr") == 0 || strcmp(name, "name") == 0 ||
	    strcmp(name, "birth_date") == 0 || strcmp(name, "municipality") == 0 ||
	    strcmp(name, "attributes") == 0) {
		pr->host->log(
			pr->ctx, OG_LOG_ERROR,
			"[plugin.personregister] attributes: '%s' is a field, not an attribute",
			name);
		return -1;
	}
	if (pr->cfg.nattributes == PR_MAX_ATTRIBUTES) {
		pr->host->log(pr->ctx, OG_LOG_ERROR,
			      "[plugin.personregister] attributes: at most %d", PR_MAX_ATTRIBUTES);
		return -1;
	}
	for (size_t i = 0; i < pr->cfg.nattributes; i++)
		if (strcmp(pr->cfg.attributes[i], name) == 0)
			return 0;
	if ((pr->cfg.attributes[pr->cfg.nattributes] = strdup(name)) == NULL)
		return -1;
	pr->cfg.nattributes++;
	return 0;
}

static bool official_code(int code)
{
	for (size_t i = 0; i < pr_nmunicipality_codes; i++)
		if (pr_municipality_codes[i] == code)
			return true;
	return false;
}

static int add_municipality(struct pr_plugin *pr, const char *code)
{
	if (code && strlen(code) == 3 && strspn(code, "0123456789") == 3 &&
	    official_code(atoi(code))) {
		pr->cfg.municipality_allowed[atoi(code)] = true;
		return 0;
	}
	pr->host->log(pr->ctx, OG_LOG_ERROR,
		      "[plugin.personregister] municipalities: '%s' is not the 3-digit code of a "
		      "Danish municipality",
		      code ? code : "(too long)");
	return -1;
}

static int read_config(struct pr_plugin *pr)
{
	const struct og_host *h = pr->host;
	struct pr_config *cfg = &pr->cfg;
	const char *dir = h->config(pr->ctx, "import_dir");
	if (dir == NULL || dir[0] != '/' || strlen(dir) >= sizeof cfg->import_dir) {
		h->log(pr->ctx, OG_LOG_ERROR,
		       "[plugin.personregister] import_dir: set it to the absolute path of the "
		       "folder extracts are imported from");
		return -1;
	}
	snprintf(cfg->import_dir, sizeof cfg->import_dir, "%s", dir);
	size_t n = strlen(cfg->import_dir);
	while (n > 1 && cfg->import_dir[n - 1] == '/')
		cfg->import_dir[--n] = '\0';
	struct stat st;
	if (stat(cfg->import_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		h->log(pr->ctx, OG_LOG_ERROR,
		       "[plugin.personregister] import_dir: %s is not a folder", cfg->import_dir);
		return -1;
	}
	if (each_item(h->config(pr->ctx, "attributes"), add_attribute, pr) != 0)
		return -1;
	const char *m = h->config(pr->ctx, "municipalities");
	if (m == NULL || m[0] == '\0' || strcmp(m, "all") == 0) {
		for (size_t i = 0; i < pr_nmunicipality_codes; i++)
			cfg->municipality_allowed[pr_municipality_codes[i]] = true;
	} else if (each_item(m, add_municipality, pr) != 0) {
		return -1;
	}
	if (config_size(pr, "batch_size", 1000, 1, 10000, &cfg->batch_size) != 0 ||
	    config_size(pr, "report_refusals", 100, 0, 100000, &cfg->report_refusals) != 0 ||
	    config_size(pr, "keep_imports", 20, 1, 10000, &cfg->keep_imports) != 0 ||
	    config_duration(pr, "watch_interval", &cfg->watch_interval_ms) != 0)
		return -1;
	return 0;
}

/* ---- the imports ---- */

static void start_next(struct pr_plugin *pr);

static void reply_json(struct pr_plugin *pr, struct og_http_request *req, int status, json_t *j)
{
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		pr->host->http_problem(req, 503, "out-of-memory", "Try again.");
		return;
	}
	pr->host->http_reply(req, status, "application/json", body, strlen(body));
	free(body);
}

/* Forgets the oldest finished imports beyond keep_imports. */
static void trim(struct pr_plugin *pr)
{
	size_t kept = 0;
	for (struct pr_import **p = &pr->imports; *p;) {
		struct pr_import *imp = *p;
		bool finished = imp->state == PR_DONE || imp->state == PR_FAILED;
		if (finished && ++kept > pr->cfg.keep_imports) {
			*p = imp->next;
			pr_import_free(imp);
		} else {
			p = &imp->next;
		}
	}
}

/* Moves an extract the watch job imported into imported/ or failed/, so it is not imported
 * again; a report goes beside it. */
static void file_away(struct pr_plugin *pr, struct pr_import *imp)
{
	const char *sub = imp->state == PR_DONE ? "imported" : "failed";
	char from[sizeof pr->cfg.import_dir + 256], to[sizeof pr->cfg.import_dir + 300];
	snprintf(from, sizeof from, "%s/%s", pr->cfg.import_dir, imp->file);
	snprintf(to, sizeof to, "%s/%s", pr->cfg.import_dir, sub);
	if (mkdir(to, 0750) != 0 && errno != EEXIST) {
		pr->host->log(pr->ctx, OG_LOG_ERROR, "import %s: cannot make %s: %s", imp->id, to,
			      strerror(errno));
		return;
	}
	snprintf(to, sizeof to, "%s/%s/%s", pr->cfg.import_dir, sub, imp->file);
	if (rename(from, to) != 0) {
		pr->host->log(pr->ctx, OG_LOG_ERROR,
			      "import %s: cannot move the extract into %s/: %s", imp->id, sub,
			      strerror(errno));
		return;
	}
	snprintf(to, sizeof to, "%s/%s/%s.report.json", pr->cfg.import_dir, sub, imp->file);
	json_t *report = pr_import_report(imp);
	if (report == NULL || json_dump_file(report, to, JSON_INDENT(2)) != 0)
		pr->host->log(pr->ctx, OG_LOG_WARN, "import %s: cannot write its report beside it",
			      imp->id);
	json_decref(report);
}

static bool watch_busy(struct pr_plugin *pr)
{
	for (struct pr_import *imp = pr->imports; imp; imp = imp->next)
		if (imp->from_watch && (imp->state == PR_QUEUED || imp->state == PR_RUNNING))
			return true;
	return false;
}

static void on_import_done(struct pr_plugin *pr, struct pr_import *imp)
{
	pr->running = NULL;
	if (imp->from_watch)
		file_away(pr, imp);
	if (pr->watch_running && !watch_busy(pr)) {
		pr->watch_running = false;
		pr->host->job_done(pr->ctx, "watch", 1, NULL);
	}
	trim(pr);
	start_next(pr);
}

static void start_next(struct pr_plugin *pr)
{
	while (pr->running == NULL) {
		struct pr_import *oldest = NULL;
		for (struct pr_import *imp = pr->imports; imp; imp = imp->next)
			if (imp->state == PR_QUEUED)
				oldest = imp;
		if (oldest == NULL)
			return;
		if (pr_import_start(pr, oldest, on_import_done) == 0)
			pr->running = oldest;
	}
}

static struct pr_import *queue_import(struct pr_plugin *pr, const char *file,
				      const struct pr_source_ops *source, const char *by,
				      bool from_watch)
{
	struct pr_import *imp = calloc(1, sizeof *imp);
	unsigned char rnd[16];
	if (imp == NULL || getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		free(imp);
		return NULL;
	}
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(imp->id + 2 * i, 3, "%02x", rnd[i]);
	snprintf(imp->file, sizeof imp->file, "%s", file);
	snprintf(imp->by, sizeof imp->by, "%s", by ? by : "?");
	imp->source = source;
	imp->from_watch = from_watch;
	imp->created_at = pr_now_ms();
	imp->state = PR_QUEUED;
	imp->next = pr->imports;
	pr->imports = imp;
	start_next(pr);
	return imp;
}

/* ---- routes ---- */

static void on_post_import(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct pr_plugin *pr = arg;
	const struct og_host *h = pr->host;
	size_t len;
	const char *body = h->http_body(req, &len);
	json_t *doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
	const char *file = json_string_value(json_object_get(doc, "file"));
	json_t *fmt = json_object_get(doc, "format");
	if (!json_is_object(doc) || file == NULL || (fmt && !json_is_string(fmt))) {
		h->http_problem(
			req, 400, "bad-import",
			"Send a JSON object {\"file\": NAME} naming an extract in import_dir "
			"(and \"format\": \"csv\" or \"jsonl\" when its name does not end in "
			".csv, .jsonl or .ndjson).");
		goto out;
	}
	if (!pr_file_name_ok(file)) {
		h->http_problem(req, 400, "bad-file-name",
				"The file is named by its name alone, inside import_dir: letters, "
				"digits, '.', '_' and '-', not starting with '.' (no paths).");
		goto out;
	}
	const struct pr_source_ops *source = pr_source_for(json_string_value(fmt), file);
	if (source == NULL) {
		h->http_problem(
			req, 400, "unknown-format",
			"Say \"format\": \"csv\" or \"jsonl\", or name the file .csv, .jsonl "
			"or .ndjson.");
		goto out;
	}
	/* a look in one local folder, as a web server does for a static file */
	char path[sizeof pr->cfg.import_dir + 256];
	snprintf(path, sizeof path, "%s/%s", pr->cfg.import_dir, file);
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		h->http_problem(req, 404, "no-such-file",
				"There is no such regular file in import_dir.");
		goto out;
	}
	struct pr_import *imp = queue_import(pr, file, source, h->http_actor(req), false);
	if (imp == NULL) {
		h->http_problem(req, 503, "out-of-memory", "Try again.");
		goto out;
	}
	char href[128];
	snprintf(href, sizeof href, "/v1/plugins/personregister/imports/%s", imp->id);
	reply_json(pr, req, 202,
		   json_pack("{s:s,s:s,s:s}", "id", imp->id, "state",
			     imp->state == PR_QUEUED    ? "queued"
			     : imp->state == PR_RUNNING ? "running"
							: "failed",
			     "href", href));
out:
	json_decref(doc);
}

static void on_get_import(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct pr_plugin *pr = arg;
	const char *id = pr->host->http_param(req, "id");
	for (struct pr_import *imp = pr->imports; imp; imp = imp->next)
		if (id && strcmp(imp->id, id) == 0) {
			reply_json(pr, req, 200, pr_import_report(imp));
			return;
		}
	pr->host->http_problem(
		req, 404, "no-such-import",
		"This daemon knows no import with that id (imports are kept in "
		"memory by the daemon that ran them, the last keep_imports of them).");
}

static void on_list_imports(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct pr_plugin *pr = arg;
	json_t *items = json_array();
	for (struct pr_import *imp = pr->imports; items && imp; imp = imp->next) {
		json_t *r = pr_import_report(imp);
		json_object_del(r, "refused_lines");
		json_array_append_new(items, r);
	}
	reply_json(pr, req, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}

/* ---- the watch job ---- */

static bool known_file(struct pr_plugin *pr, const char *name)
{
	for (struct pr_import *imp = pr->imports; imp; imp = imp->next)
		if (imp->from_watch && (imp->state == PR_QUEUED || imp->state == PR_RUNNING) &&
		    strcmp(imp->file, name) == 0)
			return true;
	return false;
}

/* Queues an import of each extract in import_dir (a name ending .csv, .jsonl or .ndjson,
 * not written to in the last 10 seconds: one being copied in waits for the next run). */
static void on_watch(struct og_plugin_ctx *ctx, void *arg)
{
	struct pr_plugin *pr = arg;
	DIR *d = opendir(pr->cfg.import_dir);
	if (d == NULL) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read import_dir: %s", strerror(errno));
		pr->host->job_done(ctx, "watch", 0, msg);
		return;
	}
	int64_t now = pr_now_ms();
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const struct pr_source_ops *source = pr_source_for(NULL, e->d_name);
		struct stat st;
		if (source == NULL || !pr_file_name_ok(e->d_name) || known_file(pr, e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || (int64_t)st.st_mtime * 1000 > now - 10000)
			continue;
		if (queue_import(pr, e->d_name, source, "watch", true) == NULL)
			break;
	}
	closedir(d);
	/* the job's run lasts until its imports end, so no other daemon takes the same files */
	if (watch_busy(pr))
		pr->watch_running = true;
	else
		pr->host->job_done(ctx, "watch", 1, NULL);
}

/* ---- init and shutdown ---- */

static void free_plugin(struct pr_plugin *pr)
{
	while (pr->imports) {
		struct pr_import *imp = pr->imports;
		pr->imports = imp->next;
		pr_import_free(imp);
	}
	for (size_t i = 0; i < pr->cfg.nattributes; i++)
		free(pr->cfg.attributes[i]);
	free(pr);
}

static int personregister_init(struct og_plugin_ctx *ctx, const struct og_host *host, void **state)
{
	if (host->size < sizeof(struct og_host)) {
		host->log(ctx, OG_LOG_ERROR, "this host is older than the plugin's ABI");
		return -1;
	}
	struct pr_plugin *pr = calloc(1, sizeof *pr);
	if (pr == NULL)
		return -1;
	pr->ctx = ctx;
	pr->host = host;
	pr->base = host->event_base(ctx);
	if (read_config(pr) != 0)
		goto fail;
	if (host->register_route(ctx, "POST", "imports", OG_ROUTE_ADMIN, on_post_import, pr) != 0 ||
	    host->register_route(ctx, "GET", "imports", OG_ROUTE_ADMIN, on_list_imports, pr) != 0 ||
	    host->register_route(ctx, "GET", "imports/{id}", OG_ROUTE_ADMIN, on_get_import, pr) !=
		    0) {
		host->log(ctx, OG_LOG_ERROR, "cannot register the plugin's routes");
		goto fail;
	}
	if (pr->cfg.watch_interval_ms > 0 &&
	    host->register_job(ctx, "watch", pr->cfg.watch_interval_ms, on_watch, pr) != 0) {
		host->log(ctx, OG_LOG_ERROR,
			  "watch_interval is set, but this daemon cannot run periodic jobs");
		goto fail;
	}
	*state = pr;
	host->log(ctx, OG_LOG_INFO,
		  "personregister ready: import_dir %s, %zu attributes, batches of %zu%s",
		  pr->cfg.import_dir, pr->cfg.nattributes, pr->cfg.batch_size,
		  pr->cfg.watch_interval_ms ? ", watching import_dir" : "");
	return 0;
fail:
	free_plugin(pr);
	return -1;
}

static void personregister_shutdown(void *state) { free_plugin(state); }

OG_PLUGIN_EXPORT const struct og_plugin overgang_plugin = {
	.abi_major = OG_PLUGIN_ABI_MAJOR,
	.abi_minor = OG_PLUGIN_ABI_MINOR,
	.name = "personregister",
	.version = "1.0",
	.init = personregister_init,
	.shutdown = personregister_shutdown,
};
