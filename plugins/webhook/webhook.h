/*
 * The webhook plugin's parts, shared between its files: the configuration it read at init
 * (endpoints it posts to, senders it accepts), the outbound deliveries on libcurl's multi
 * interface driven by the host's event loop, the inbound route, and the signature both
 * directions use.
 *
 * The signature: Overgang-Signature: t=UNIX,v1=HEX, where HEX is the lower-case hex of
 * HMAC-SHA256(secret, "UNIX.IDEMPOTENCY-KEY.BODY") and IDEMPOTENCY-KEY is the request's
 * Idempotency-Key header. The key is signed with the body so that a receiver which
 * deduplicates by it can trust it: were only "UNIX.BODY" signed, a captured request could be
 * sent again within the timestamp window under a new key and be taken twice.
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <curl/curl.h>
#include <overgang/plugin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WH_NAME_MAX 64
#define WH_SECRET_MAX 1024
#define WH_SECRET_MIN 16
#define WH_KEY_MAX 255
#define WH_SIG_HEADER "Overgang-Signature"

struct event;
struct event_base;
struct wh_xfer;
struct wh_sock;
struct wh_pending;

/* Names from a list in the configuration ("a, b c"). */
struct wh_list {
	char *buf; /* the copy V points into */
	char **v;
	size_t n;
};

/* One configured endpoint deliveries are posted to: the outbox action of the same name. */
struct wh_endpoint {
	struct webhook *wh;
	struct wh_endpoint *next;
	char name[WH_NAME_MAX + 1];
	char *url;
	char *ca_file; /* NULL: the system's CAs */
	unsigned char secret[WH_SECRET_MAX];
	size_t secret_len;
	long timeout_ms;
	long connect_timeout_ms;
};

/* One configured sender that may post events to POST /v1/plugins/webhook/in/NAME. */
struct wh_sender {
	struct wh_sender *next;
	char name[WH_NAME_MAX + 1];
	char *ref_system;      /* NULL: only {"case": id} */
	struct wh_list *types; /* NULL: any type the engine does not reserve */
	unsigned char secret[WH_SECRET_MAX];
	size_t secret_len;
	long window_s;
};

struct webhook {
	struct og_plugin_ctx *ctx;
	const struct og_host *host;
	struct event_base *base;
	struct wh_endpoint *endpoints;
	struct wh_sender *senders;

	/* outbound: one multi handle on the host's loop */
	CURLM *multi;
	struct event *timer;     /* libcurl's timeout */
	struct event *soon;      /* answers decided without a request (see outbound.c) */
	struct wh_xfer *xfers;   /* in flight, and answers waiting for SOON */
	struct wh_sock *sockets; /* sockets libcurl asked us to watch */
	bool curl_ready;         /* curl_global_init succeeded */

	/* inbound: requests waiting for the host's emit to answer */
	struct wh_pending *pending;
};

/* ---- webhook.c: configuration helpers ---- */

/* Reads a duration like the daemon's ("500ms", "10s", "5m", "1h") into MS; -1 if it is not one.
 */
int wh_parse_duration(const char *v, long *ms) __attribute__((warn_unused_result));

void wh_list_free(struct wh_list *l);

/* ---- sign.c ---- */

/* HMAC-SHA256(secret, "T.KEY.BODY") as 64 lower-case hex digits and a NUL into HEX. */
void wh_sign(const unsigned char *secret, size_t secret_len, long long t, const char *key,
	     const char *body, size_t len, char hex[65]);

enum wh_verdict {
	WH_SIG_OK = 0,
	WH_SIG_MALFORMED, /* not t=DIGITS,v1=64 HEX[,v1=...] */
	WH_SIG_MISMATCH,  /* no v1 is the signature of this request under the secret */
	WH_SIG_STALE,     /* signed correctly, but T is outside the window */
};

/* Checks HEADER (the Overgang-Signature value) for KEY and BODY against SECRET in constant
 * time per candidate, and its timestamp against NOW within WINDOW_S seconds either way. */
enum wh_verdict wh_verify(const unsigned char *secret, size_t secret_len, const char *header,
			  const char *key, const char *body, size_t len, long long now,
			  long window_s);

/* Whether KEY may travel as a header value and be used as an idempotency key: 1 to
 * WH_KEY_MAX visible ASCII characters. */
bool wh_key_ok(const char *key);

/* ---- outbound.c ---- */

int wh_out_init(struct webhook *wh) __attribute__((warn_unused_result));
/* Delivers an outbox row of the action named as ARG's endpoint. */
int wh_out_deliver(struct og_plugin_ctx *ctx, const struct og_delivery *d, void *arg);
/* Abandons what is in flight without answering (the host hands those rows out again). */
void wh_out_free(struct webhook *wh);

/* ---- inbound.c ---- */

void wh_in_route(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg);
/* Forgets requests still waiting for the host (the host answers no more at shutdown). */
void wh_in_free(struct webhook *wh);

#endif
