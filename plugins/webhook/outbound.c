/*
 * Outbound deliveries: each outbox row is one POST on libcurl's multi interface, whose sockets
 * and timeout are events on the host's loop (libcurl's hiperfifo example is the model), so
 * nothing here blocks the loop. Name lookups do not block either when libcurl resolves
 * asynchronously (its threaded resolver, as Debian builds it); init warns when it does not.
 *
 * The outcome goes to the host as the issue asks: 2xx delivered; 408, 429, 5xx, connection
 * errors, TLS errors and timeouts retried (Retry-After honoured); any other answer parked at
 * once, as it will not work as it is. Error texts name the endpoint and what went wrong,
 * never the payload.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhook.h"

#define RETRY_AFTER_MAX_S 3600

/* One delivery: a request in flight, or an answer decided without one (waiting for SOON). */
struct wh_xfer {
	struct wh_xfer *next;
	struct wh_endpoint *ep;
	const struct og_delivery *d; /* the host's, valid until we answer */
	CURL *easy;                  /* NULL: answered from SOON */
	struct curl_slist *headers;
	struct timespec started;
	char error[CURL_ERROR_SIZE];
	/* for an answer from SOON */
	enum og_delivery_result outcome;
	char why[256];
};

/* A socket libcurl asked us to watch. */
struct wh_sock {
	struct wh_sock *next;
	curl_socket_t fd;
	struct event *ev;
};

static void check_done(struct webhook *wh);

/* ---- libcurl on the loop ---- */

static void sock_free(struct webhook *wh, struct wh_sock *sk)
{
	struct wh_sock **p = &wh->sockets;
	while (*p && *p != sk)
		p = &(*p)->next;
	if (*p)
		*p = sk->next;
	if (sk->ev)
		event_free(sk->ev);
	free(sk);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *wh = arg;
	int flags =
		(what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(wh->multi, fd, flags, &running);
	check_done(wh);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *wh = arg;
	int running;
	curl_multi_socket_action(wh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(wh);
}

/* libcurl: watch S for WHAT (or stop watching it). */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct webhook *wh = userp;
	struct wh_sock *sk = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (sk) {
			curl_multi_assign(wh->multi, s, NULL);
			sock_free(wh, sk);
		}
		return 0;
	}
	if (sk == NULL) {
		sk = calloc(1, sizeof *sk);
		if (sk == NULL)
			return -1; /* libcurl fails the transfer: retried */
		sk->fd = s;
		sk->next = wh->sockets;
		wh->sockets = sk;
		curl_multi_assign(wh->multi, s, sk);
	} else if (sk->ev) {
		event_free(sk->ev);
		sk->ev = NULL;
	}
	short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
			     (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	sk->ev = event_new(wh->base, s, kind, on_socket, wh);
	if (sk->ev == NULL || event_add(sk->ev, NULL) != 0)
		return -1;
	return 0;
}

/* libcurl: call back in TIMEOUT_MS (-1: no timeout needed now). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct webhook *wh = userp;
	if (timeout_ms < 0) {
		event_del(wh->timer);
		return 0;
	}
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	return event_add(wh->timer, &tv) == 0 ? 0 : -1;
}

/* ---- answering the host ---- */

static void xfer_unlink(struct webhook *wh, struct wh_xfer *x)
{
	struct wh_xfer **p = &wh->xfers;
	while (*p && *p != x)
		p = &(*p)->next;
	if (*p)
		*p = x->next;
}

static void xfer_free(struct webhook *wh, struct wh_xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(wh->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	free(x);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

static bool transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_AGAIN: return true;
	default: return false;
	}
}

/* What the request came to; answers the host and frees X. */
static void finish(struct webhook *wh, struct wh_xfer *x, CURLcode rc)
{
	const struct og_host *h = wh->host;
	struct wh_endpoint *ep = x->ep;
	const struct og_delivery *d = x->d;
	long status = 0;
	curl_off_t wait_s = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	long ms = ms_since(&x->started);
	enum og_delivery_result outcome;
	int retry_ms = 0;
	char why[512], result[64] = "";

	if (rc == CURLE_OK && status >= 200 && status < 300) {
		outcome = OG_DELIVERED;
		snprintf(result, sizeof result, "{\"status\":%ld}", status);
		snprintf(why, sizeof why, "HTTP %ld", status);
	} else if (rc == CURLE_OK && (status == 408 || status == 429 || status >= 500)) {
		outcome = OG_RETRY;
		if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &wait_s) != CURLE_OK ||
		    wait_s < 0)
			wait_s = 0;
		if (wait_s > RETRY_AFTER_MAX_S)
			wait_s = RETRY_AFTER_MAX_S;
		retry_ms = (int)wait_s * 1000;
		if (wait_s > 0)
			snprintf(
				why, sizeof why,
				"endpoint %s: HTTP %ld from the receiver, which asked to wait %lds",
				ep->name, status, (long)wait_s);
		else
			snprintf(why, sizeof why, "endpoint %s: HTTP %ld from the receiver",
				 ep->name, status);
	} else if (rc == CURLE_OK && status >= 300 && status < 400) {
		outcome = OG_FAILED;
		snprintf(why, sizeof why,
			 "endpoint %s: HTTP %ld, a redirect, which is not followed: set out.%s.url "
			 "to where the receiver is now",
			 ep->name, status, ep->name);
	} else if (rc == CURLE_OK) {
		outcome = OG_FAILED;
		snprintf(
			why, sizeof why,
			"endpoint %s: HTTP %ld from the receiver, which refused the delivery as it "
			"is; not retried",
			ep->name, status);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		outcome = OG_RETRY;
		snprintf(why, sizeof why, "endpoint %s: no answer within %ld ms (out.%s.timeout)",
			 ep->name, ep->timeout_ms, ep->name);
	} else {
		outcome = transient(rc) ? OG_RETRY : OG_FAILED;
		bool tls = rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
			   rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
			   rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
		snprintf(why, sizeof why, "endpoint %s: %s%s", ep->name,
			 tls                           ? "TLS: "
			 : rc == CURLE_COULDNT_CONNECT ? "cannot connect: "
						       : "",
			 x->error[0] ? x->error : curl_easy_strerror(rc));
	}

	if (outcome == OG_DELIVERED)
		h->log(wh->ctx, OG_LOG_INFO,
		       "endpoint %s: delivery %lld (attempt %d) delivered: HTTP %ld in %ld ms",
		       ep->name, (long long)d->id, d->attempt, status, ms);
	else
		h->log(wh->ctx, OG_LOG_WARN, "delivery %lld (attempt %d) %s (%ld ms): %s",
		       (long long)d->id, d->attempt,
		       outcome == OG_RETRY ? "not delivered, to be tried again"
					   : "refused, parked for an administrator",
		       ms, why);
	xfer_unlink(wh, x);
	xfer_free(wh, x);
	h->delivered(wh->ctx, d, outcome, retry_ms, outcome == OG_DELIVERED ? NULL : why,
		     outcome == OG_DELIVERED ? result : NULL);
}

static void check_done(struct webhook *wh)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(wh->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct wh_xfer *x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			finish(wh, x, msg->data.result);
	}
}

/* Answers decided without a request, from the loop rather than inside deliver. */
static void on_soon(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *wh = arg;
	struct wh_xfer **p = &wh->xfers;
	while (*p) {
		struct wh_xfer *x = *p;
		if (x->easy) {
			p = &x->next;
			continue;
		}
		*p = x->next;
		const struct og_delivery *d = x->d;
		enum og_delivery_result outcome = x->outcome;
		char why[sizeof x->why];
		memcpy(why, x->why, sizeof why);
		xfer_free(wh, x);
		wh->host->log(wh->ctx, OG_LOG_WARN,
			      "delivery %lld (attempt %d) refused, parked for an administrator: %s",
			      (long long)d->id, d->attempt, why);
		wh->host->delivered(wh->ctx, d, outcome, 0, why, NULL);
	}
}

/* ---- delivering ---- */

static size_t discard(char *data, size_t size, size_t n, void *arg) { return size * n; }

static int start(struct webhook *wh, struct wh_xfer *x)
{
	struct wh_endpoint *ep = x->ep;
	const struct og_delivery *d = x->d;
	size_t len = strlen(d->payload);
	long long now = (long long)time(NULL);
	char sig[65], line[WH_KEY_MAX + 128];

	wh_sign(ep->secret, ep->secret_len, now, d->idem_key, d->payload, len, sig);
	struct curl_slist *hs = NULL, *t;
#define HEADER(...)                                            \
	do {                                                   \
		snprintf(line, sizeof line, __VA_ARGS__);      \
		if ((t = curl_slist_append(hs, line)) == NULL) \
			goto fail;                             \
		hs = t;                                        \
	} while (0)
	HEADER("Content-Type: application/json");
	HEADER("Idempotency-Key: %s", d->idem_key);
	HEADER("%s: t=%lld,v1=%s", WH_SIG_HEADER, now, sig);
	HEADER("Overgang-Attempt: %d", d->attempt);
	HEADER("Expect:"); /* no 100-continue round trip for large bodies */
#undef HEADER
	x->headers = hs;

	CURL *e = curl_easy_init();
	if (e == NULL)
		goto fail;
	x->easy = e;
	bool ok = curl_easy_setopt(e, CURLOPT_URL, ep->url) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->payload) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_HTTPHEADER, hs) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_USERAGENT, "overgang-webhook/1.0") == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ep->timeout_ms) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ep->connect_timeout_ms) ==
			  CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->error) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK &&
		  (ep->ca_file == NULL ||
		   curl_easy_setopt(e, CURLOPT_CAINFO, ep->ca_file) == CURLE_OK);
	if (!ok || curl_multi_add_handle(wh->multi, e) != CURLM_OK)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	return 0;
fail:
	if (x->easy) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(hs);
	x->headers = NULL;
	return -1;
}

int wh_out_deliver(struct og_plugin_ctx *ctx, const struct og_delivery *d, void *arg)
{
	struct wh_endpoint *ep = arg;
	struct webhook *wh = ep->wh;
	struct wh_xfer *x = calloc(1, sizeof *x);
	if (x == NULL)
		return -1;
	x->ep = ep;
	x->d = d;
	if (!wh_key_ok(d->idem_key)) {
		/* a key a header cannot carry will never be sent: parked, answered from the loop */
		x->outcome = OG_FAILED;
		snprintf(x->why, sizeof x->why,
			 "endpoint %s: the idempotency key is not 1 to %d visible ASCII "
			 "characters, so it cannot be sent as a header",
			 ep->name, WH_KEY_MAX);
		x->next = wh->xfers;
		wh->xfers = x;
		event_active(wh->soon, EV_TIMEOUT, 0);
		return 0;
	}
	if (start(wh, x) != 0) {
		free(x);
		return -1; /* the host tries again later */
	}
	x->next = wh->xfers;
	wh->xfers = x;
	return 0;
}

/* ---- setting up and tearing down ---- */

int wh_out_init(struct webhook *wh)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	wh->curl_ready = true;
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	if (!(v->features & CURL_VERSION_ASYNCHDNS))
		wh->host->log(wh->ctx, OG_LOG_WARN,
			      "this libcurl (%s) looks names up blocking, which stalls the daemon "
			      "while it waits: use IP addresses in out.*.url, or a libcurl with an "
			      "asynchronous resolver",
			      v->version);
	wh->multi = curl_multi_init();
	wh->timer = evtimer_new(wh->base, on_timeout, wh);
	wh->soon = event_new(wh->base, -1, 0, on_soon, wh);
	if (wh->multi == NULL || wh->timer == NULL || wh->soon == NULL)
		return -1;
	if (curl_multi_setopt(wh->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) != CURLM_OK ||
	    curl_multi_setopt(wh->multi, CURLMOPT_SOCKETDATA, wh) != CURLM_OK ||
	    curl_multi_setopt(wh->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
	    curl_multi_setopt(wh->multi, CURLMOPT_TIMERDATA, wh) != CURLM_OK)
		return -1;
	return 0;
}

void wh_out_free(struct webhook *wh)
{
	/* deliveries in flight are abandoned: the host hands their rows out again */
	while (wh->xfers) {
		struct wh_xfer *x = wh->xfers;
		wh->xfers = x->next;
		xfer_free(wh, x);
	}
	if (wh->multi)
		curl_multi_cleanup(wh->multi);
	while (wh->sockets)
		sock_free(wh, wh->sockets);
	if (wh->timer)
		event_free(wh->timer);
	if (wh->soon)
		event_free(wh->soon);
	if (wh->curl_ready)
		curl_global_cleanup();
	wh->multi = NULL;
	wh->timer = wh->soon = NULL;
	wh->curl_ready = false;
}
