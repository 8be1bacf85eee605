/*
 * The webhook plugin: signed JSON over HTTP(S), both ways.
 *
 * Outbound, each configured endpoint is an outbox action of the same name: a workflow's
 * case:outbox { plugin = "webhook", action = "crm", key = ..., payload = {...} } is POSTed
 * to out.crm.url with its idempotency key and a signature (outbound.c). Inbound, a configured
 * sender posts signed events to POST /v1/plugins/webhook/in/NAME, and they land in their case
 * (inbound.c). The configuration keys are in README.md; this file reads and checks them.
 *
 * The host offers no way to list the keys of [plugin.webhook], so the names of endpoints and
 * senders are listed in `outbound` and `inbound`, and their keys are read by name.
 */
#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "webhook.h"

#define OUT_TIMEOUT_MS 10000
#define OUT_CONNECT_TIMEOUT_MS 5000
/* below [engine] outbox_lease's default (5 min), so a request ends before its lease does */
#define OUT_TIMEOUT_MAX_MS 240000
#define IN_WINDOW_MS 300000

int wh_parse_duration(const char *v, long *ms)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (end == v || errno != 0 || n < 0 || v[0] == '-' || v[0] == '+' || v[0] == ' ')
		return -1;
	long long scale;
	if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "s") == 0)
		scale = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		scale = 60000;
	else if (strcmp(end, "h") == 0)
		scale = 3600000;
	else
		return -1;
	if (n > LONG_MAX / scale)
		return -1;
	*ms = (long)(n * scale);
	return 0;
}

/* ---- reading the configuration ---- */

struct conf {
	struct webhook *wh;
	char key[160];
};

static const char *get(struct conf *c, const char *kind, const char *name, const char *what)
{
	snprintf(c->key, sizeof c->key, "%s.%s.%s", kind, name, what);
	return c->wh->host->config(c->wh->ctx, c->key);
}

__attribute__((format(printf, 2, 3))) static int bad(struct conf *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->wh->host->log(c->wh->ctx, OG_LOG_ERROR, "%s", msg);
	return -1;
}

static bool name_ok(const char *s)
{
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) ||
	    strlen(s) > WH_NAME_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return false;
	return true;
}

/* Splits LIST ("a, b c") into names, checking each: NULL after logging what is wrong. */
static struct wh_list *split_names(struct conf *c, const char *key, const char *list)
{
	struct wh_list *l = calloc(1, sizeof *l);
	if (l == NULL || (l->buf = strdup(list ? list : "")) == NULL ||
	    (l->v = calloc(strlen(l->buf) / 2 + 2, sizeof *l->v)) == NULL) {
		bad(c, "out of memory");
		goto fail;
	}
	char *save = NULL;
	for (char *tok = strtok_r(l->buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (!name_ok(tok)) {
			bad(c, "%s: '%s' is not a name (a-z, 0-9, - and _, at most %d characters)",
			    key, tok, WH_NAME_MAX);
			goto fail;
		}
		for (size_t i = 0; i < l->n; i++)
			if (strcmp(l->v[i], tok) == 0) {
				bad(c, "%s: '%s' is listed twice", key, tok);
				goto fail;
			}
		l->v[l->n++] = tok;
	}
	return l;
fail:
	wh_list_free(l);
	return NULL;
}

void wh_list_free(struct wh_list *l)
{
	if (l) {
		free(l->buf);
		free(l->v);
		free(l);
	}
}

/* Reads the secret in FILE: its bytes, less a trailing newline, at least WH_SECRET_MIN. */
static int read_secret(struct conf *c, const char *key, const char *file, unsigned char *secret,
		       size_t *len)
{
	if (file == NULL || file[0] == '\0')
		return bad(c,
			   "%s is required: a file holding the shared secret (at least %d "
			   "bytes, e.g. 32 random bytes in hex)",
			   key, WH_SECRET_MIN);
	FILE *f = fopen(file, "rb");
	if (f == NULL)
		return bad(c, "%s: cannot read %s: %s", key, file, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		c->wh->host->log(c->wh->ctx, OG_LOG_WARN,
				 "%s: %s can be read by others than its owner; chmod 600 it", key,
				 file);
	unsigned char buf[WH_SECRET_MAX + 1];
	size_t n = fread(buf, 1, sizeof buf, f);
	bool err = ferror(f) != 0;
	fclose(f);
	if (err) {
		sodium_memzero(buf, sizeof buf);
		return bad(c, "%s: cannot read %s", key, file);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n > WH_SECRET_MAX || n < WH_SECRET_MIN) {
		sodium_memzero(buf, sizeof buf);
		return bad(c, "%s: the secret in %s must be %d to %d bytes long", key, file,
			   WH_SECRET_MIN, WH_SECRET_MAX);
	}
	memcpy(secret, buf, n);
	*len = n;
	sodium_memzero(buf, sizeof buf);
	return 0;
}

static int duration(struct conf *c, const char *kind, const char *name, const char *what, long dflt,
		    long min, long max, long *ms)
{
	const char *v = get(c, kind, name, what);
	*ms = dflt;
	if (v == NULL)
		return 0;
	if (wh_parse_duration(v, ms) != 0)
		return bad(c, "%s: '%s' is not a duration (a whole number with ms, s, m or h)",
			   c->key, v);
	if (*ms < min || *ms > max)
		return bad(c, "%s: %s is outside %ldms..%ldms", c->key, v, min, max);
	return 0;
}

static int url_check(struct conf *c, const char *key, const char *url)
{
	if (url == NULL || url[0] == '\0')
		return bad(c, "%s is required: the http:// or https:// address to POST to", key);
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -1;
	if (u == NULL) {
		bad(c, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		bad(c, "%s: '%s' is not a URL", key, url);
		goto out;
	}
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		bad(c, "%s: '%s' is neither http:// nor https://", key, url);
		goto out;
	}
	if (strcmp(scheme, "http") == 0 && strcmp(host, "127.0.0.1") != 0 &&
	    strcmp(host, "localhost") != 0 && strcmp(host, "[::1]") != 0)
		c->wh->host->log(
			c->wh->ctx, OG_LOG_WARN,
			"%s: plain http:// to another host: the payload crosses the network "
			"unencrypted; use https://",
			key);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static int read_endpoint(struct conf *c, const char *name)
{
	struct webhook *wh = c->wh;
	struct wh_endpoint *ep = calloc(1, sizeof *ep);
	if (ep == NULL)
		return bad(c, "out of memory");
	ep->wh = wh;
	snprintf(ep->name, sizeof ep->name, "%s", name);
	ep->next = wh->endpoints;
	wh->endpoints = ep; /* freed with the rest on failure */

	const char *url = get(c, "out", name, "url");
	char key[160];
	snprintf(key, sizeof key, "%s", c->key);
	if (url_check(c, key, url) != 0 || (ep->url = strdup(url)) == NULL)
		return -1;
	const char *file = get(c, "out", name, "secret_file");
	snprintf(key, sizeof key, "%s", c->key);
	if (read_secret(c, key, file, ep->secret, &ep->secret_len) != 0)
		return -1;
	const char *ca = get(c, "out", name, "ca_file");
	if (ca != NULL) {
		if (access(ca, R_OK) != 0)
			return bad(c, "%s: cannot read %s: %s", c->key, ca, strerror(errno));
		if ((ep->ca_file = strdup(ca)) == NULL)
			return bad(c, "out of memory");
	}
	if (duration(c, "out", name, "timeout", OUT_TIMEOUT_MS, 100, OUT_TIMEOUT_MAX_MS,
		     &ep->timeout_ms) != 0 ||
	    duration(c, "out", name, "connect_timeout", OUT_CONNECT_TIMEOUT_MS, 100,
		     OUT_TIMEOUT_MAX_MS, &ep->connect_timeout_ms) != 0)
		return -1;
	if (ep->connect_timeout_ms > ep->timeout_ms)
		ep->connect_timeout_ms = ep->timeout_ms;
	if (wh->host->register_action(wh->ctx, name, wh_out_deliver, ep) != 0)
		return bad(c, "cannot register the outbox action '%s'", name);
	return 0;
}

static int read_sender(struct conf *c, const char *name)
{
	struct webhook *wh = c->wh;
	struct wh_sender *s = calloc(1, sizeof *s);
	if (s == NULL)
		return bad(c, "out of memory");
	snprintf(s->name, sizeof s->name, "%s", name);
	s->next = wh->senders;
	wh->senders = s;

	const char *file = get(c, "in", name, "secret_file");
	char key[160];
	snprintf(key, sizeof key, "%s", c->key);
	if (read_secret(c, key, file, s->secret, &s->secret_len) != 0)
		return -1;
	const char *sys = get(c, "in", name, "ref_system");
	if (sys != NULL) {
		bool ok = sys[0] >= 'a' && sys[0] <= 'z' && strlen(sys) <= WH_NAME_MAX;
		for (const char *p = sys; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
		if (!ok)
			return bad(c, "%s: '%s' is not a system name (a-z first, then a-z, 0-9, -)",
				   c->key, sys);
		if ((s->ref_system = strdup(sys)) == NULL)
			return bad(c, "out of memory");
	}
	const char *types = get(c, "in", name, "types");
	if (types != NULL) {
		snprintf(key, sizeof key, "%s", c->key);
		if ((s->types = split_names(c, key, types)) == NULL)
			return -1;
		if (s->types->n == 0)
			return bad(c, "%s is empty: leave it out to accept any event type", key);
	}
	long window_ms;
	if (duration(c, "in", name, "window", IN_WINDOW_MS, 1000, 3600000, &window_ms) != 0)
		return -1;
	s->window_s = window_ms / 1000;
	return 0;
}

/* ---- init and shutdown ---- */

static void webhook_free(struct webhook *wh)
{
	wh_in_free(wh);
	wh_out_free(wh);
	while (wh->endpoints) {
		struct wh_endpoint *ep = wh->endpoints;
		wh->endpoints = ep->next;
		sodium_memzero(ep->secret, sizeof ep->secret);
		free(ep->url);
		free(ep->ca_file);
		free(ep);
	}
	while (wh->senders) {
		struct wh_sender *s = wh->senders;
		wh->senders = s->next;
		sodium_memzero(s->secret, sizeof s->secret);
		free(s->ref_system);
		wh_list_free(s->types);
		free(s);
	}
	free(wh);
}

static int webhook_init(struct og_plugin_ctx *ctx, const struct og_host *host, void **state)
{
	if (host->size < sizeof(struct og_host)) {
		host->log(ctx, OG_LOG_ERROR, "this host is older than the plugin's ABI");
		return -1;
	}
	if (sodium_init() < 0) {
		host->log(ctx, OG_LOG_ERROR, "libsodium could not be initialised");
		return -1;
	}
	struct webhook *wh = calloc(1, sizeof *wh);
	if (wh == NULL)
		return -1;
	wh->ctx = ctx;
	wh->host = host;
	wh->base = host->event_base(ctx);
	struct conf c = {.wh = wh};
	struct wh_list *out = split_names(&c, "outbound", host->config(ctx, "outbound"));
	struct wh_list *in = out ? split_names(&c, "inbound", host->config(ctx, "inbound")) : NULL;
	if (out == NULL || in == NULL)
		goto fail;
	size_t nout = out->n, nin = in->n;
	if (nout == 0 && nin == 0) {
		bad(&c, "no endpoint configured: list the endpoints to post to in outbound = NAME, "
			"... (with out.NAME.url and out.NAME.secret_file) and/or the senders to "
			"accept in inbound = NAME, ... (with in.NAME.secret_file)");
		goto fail;
	}
	if (wh_out_init(wh) != 0) {
		bad(&c, "libcurl could not be set up");
		goto fail;
	}
	for (size_t i = 0; i < nout; i++)
		if (read_endpoint(&c, out->v[i]) != 0)
			goto fail;
	for (size_t i = 0; i < nin; i++)
		if (read_sender(&c, in->v[i]) != 0)
			goto fail;
	if (nin > 0 &&
	    host->register_route(ctx, "POST", "in/{name}", OG_ROUTE_OPEN, wh_in_route, wh) != 0) {
		bad(&c, "cannot register the route POST /v1/plugins/webhook/in/{name}");
		goto fail;
	}
	host->log(ctx, OG_LOG_INFO, "webhook plugin ready: %zu endpoint(s) out, %zu sender(s) in",
		  nout, nin);
	wh_list_free(out);
	wh_list_free(in);
	*state = wh;
	return 0;
fail:
	wh_list_free(out);
	wh_list_free(in);
	webhook_free(wh);
	return -1;
}

static void webhook_shutdown(void *state) { webhook_free(state); }

OG_PLUGIN_EXPORT const struct og_plugin overgang_plugin = {
	.abi_major = OG_PLUGIN_ABI_MAJOR,
	.abi_minor = OG_PLUGIN_ABI_MINOR,
	.name = "webhook",
	.version = "1.0",
	.init = webhook_init,
	.shutdown = webhook_shutdown,
};
