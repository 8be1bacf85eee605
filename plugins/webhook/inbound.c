/*
 * Inbound events: POST /v1/plugins/webhook/in/NAME from a configured sender, signed as
 * webhook.h says, with an Idempotency-Key and a JSON body
 *
 *     {"case": 42, "type": "tick", "payload": {...}}    or
 *     {"ref": "N-42", "type": "tick", "payload": {...}} (found by in.NAME.ref_system) or
 *     {"cpr": "0101001234", "type": "stu_sidste_aar", "payload": {...}}
 *
 * becomes an event of TYPE in the case, once per key and sender; named by the citizen's CPR
 * number, an event about the citizen (og_event.cpr: it starts the workflows that start on
 * TYPE and goes into the citizen's running cases that handle it). The answers, all but 200
 * and 202 as problem+json: 202 taken; 200 {"status": "ignored"} for a citizen's event that
 * nothing receives; 400 malformed; 401 no, a bad or a stale signature (nothing is read beyond
 * it, nothing is added); 404 no such sender, case or citizen; 409 a replay of a key already
 * taken, or a closed case; 503 the database cannot be reached now.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhook.h"

/* A request waiting for the host's emit to answer. */
struct wh_pending {
	struct wh_pending *next;
	struct webhook *wh;
	struct og_http_request *req;
};

static void pending_unlink(struct webhook *wh, struct wh_pending *p)
{
	struct wh_pending **pp = &wh->pending;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
}

static void on_emitted(void *arg, int ok, int64_t case_id, const char *error)
{
	struct wh_pending *p = arg;
	struct webhook *wh = p->wh;
	const struct og_host *h = wh->host;
	struct og_http_request *req = p->req;
	pending_unlink(wh, p);
	free(p);
	if (ok == OG_EMIT_ADDED) {
		char body[64];
		int n = snprintf(body, sizeof body, "{\"case\":%lld,\"status\":\"accepted\"}",
				 (long long)case_id);
		h->http_reply(req, 202, "application/json", body, (size_t)n);
	} else if (ok == OG_EMIT_KNOWN) {
		h->http_problem(req, 409, "replay",
				"An event with this Idempotency-Key was taken before; it is not "
				"added again.");
	} else if (error && strcmp(error, "nothing receives this event") == 0) {
		static const char ignored[] = "{\"status\":\"ignored\"}";
		h->http_reply(req, 200, "application/json", ignored, sizeof ignored - 1);
	} else if (error && strcmp(error, "no such citizen") == 0) {
		h->http_problem(req, 404, "no-citizen",
				"There is no citizen with that CPR number.");
	} else if (error && strcmp(error, "no such case") == 0) {
		h->http_problem(req, 404, "no-case",
				"There is no case with that number or reference.");
	} else if (error && strcmp(error, "the case is closed") == 0) {
		h->http_problem(req, 409, "case-closed",
				"The case is closed; it takes no more events.");
	} else {
		h->http_problem(req, 503, "unavailable",
				"The event could not be stored now; send it again later with the "
				"same Idempotency-Key.");
	}
}

static bool wh_cpr_ok(const char *cpr)
{
	size_t n = 0;
	while (cpr[n] >= '0' && cpr[n] <= '9')
		n++;
	return n == 10 && cpr[n] == '\0';
}

static struct wh_sender *sender(struct webhook *wh, const char *name)
{
	for (struct wh_sender *s = wh->senders; s && name; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static bool type_allowed(const struct wh_sender *s, const char *type)
{
	if (s->types == NULL)
		return true;
	for (size_t i = 0; i < s->types->n; i++)
		if (strcmp(s->types->v[i], type) == 0)
			return true;
	return false;
}

void wh_in_route(struct og_plugin_ctx *ctx, struct og_http_request *req, void *arg)
{
	struct webhook *wh = arg;
	const struct og_host *h = wh->host;
	struct wh_sender *s = sender(wh, h->http_param(req, "name"));
	if (s == NULL) {
		h->http_problem(req, 404, "no-sender",
				"No inbound webhook sender is configured by that name.");
		return;
	}
	const char *key = h->http_header(req, "Idempotency-Key");
	const char *sig = h->http_header(req, WH_SIG_HEADER);
	size_t len = 0;
	const char *body = h->http_body(req, &len);
	if (body == NULL)
		body = "";
	if (sig == NULL || sig[0] == '\0') {
		h->http_problem(req, 401, "signature-required",
				"Sign the request: " WH_SIG_HEADER ": t=UNIX-TIME,v1=HEX of "
				"HMAC-SHA256(secret, \"UNIX-TIME.IDEMPOTENCY-KEY.BODY\").");
		return;
	}
	if (!wh_key_ok(key)) {
		h->http_problem(req, 400, "idempotency-key-required",
				"Send an Idempotency-Key header of 1 to 255 visible ASCII "
				"characters, the same for every try of one event.");
		return;
	}
	switch (wh_verify(s->secret, s->secret_len, sig, key, body, len, (long long)time(NULL),
			  s->window_s)) {
	case WH_SIG_OK: break;
	case WH_SIG_MALFORMED:
		h->http_problem(req, 401, "bad-signature",
				"The " WH_SIG_HEADER
				" header is not t=UNIX-TIME,v1=64 hex digits.");
		return;
	case WH_SIG_MISMATCH:
		h->log(ctx, OG_LOG_WARN, "sender %s: a request with a wrong signature was refused",
		       s->name);
		h->http_problem(req, 401, "bad-signature",
				"The signature does not match this request under the sender's "
				"secret.");
		return;
	case WH_SIG_STALE: {
		char detail[160];
		snprintf(detail, sizeof detail,
			 "The signature's time is more than %ld seconds from this server's clock; "
			 "sign the request again when it is sent.",
			 s->window_s);
		h->http_problem(req, 401, "stale-signature", detail);
		return;
	}
	}

	/* signed by the sender: now the body is read */
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *jcase = json_object_get(root, "case"), *jref = json_object_get(root, "ref");
	json_t *jcpr = json_object_get(root, "cpr");
	json_t *jtype = json_object_get(root, "type"), *jpayload = json_object_get(root, "payload");
	const char *problem = NULL;
	if (!json_is_object(root))
		problem = "The body is not a JSON object.";
	else if ((jcase != NULL) + (jref != NULL) + (jcpr != NULL) != 1)
		problem = "Name the case by exactly one of \"case\" (its number) and \"ref\" (your "
			  "reference for it), or the citizen by \"cpr\".";
	else if (jcpr && (!json_is_string(jcpr) || !wh_cpr_ok(json_string_value(jcpr))))
		problem = "\"cpr\" must be a CPR number of 10 digits, as a string.";
	else if (jcase && (!json_is_integer(jcase) || json_integer_value(jcase) <= 0))
		problem = "\"case\" must be a case number (a positive integer).";
	else if (jref && (!json_is_string(jref) || json_string_length(jref) == 0 ||
			  json_string_length(jref) > 200))
		problem = "\"ref\" must be a string of 1 to 200 characters.";
	else if (jref && s->ref_system == NULL)
		problem = "This sender has no ref_system configured, so cases are named by "
			  "\"case\" only.";
	else if (!json_is_string(jtype) || !og_event_type_allowed(json_string_value(jtype)))
		problem = "\"type\" must be an event type (a-z first, then a-z, 0-9 and _) that "
			  "the engine does not reserve.";
	else if (!type_allowed(s, json_string_value(jtype)))
		problem = "This sender may not send events of that type (in.NAME.types).";
	else if (jpayload && !json_is_object(jpayload))
		problem = "\"payload\" must be a JSON object.";
	if (problem) {
		json_decref(root);
		h->http_problem(req, 400, "bad-event", problem);
		return;
	}

	char *payload = jpayload ? json_dumps(jpayload, JSON_COMPACT) : NULL;
	size_t klen = strlen(s->name) + strlen(key) + 2;
	char *idem = malloc(klen);
	struct wh_pending *p = calloc(1, sizeof *p);
	if ((jpayload && payload == NULL) || idem == NULL || p == NULL) {
		h->http_problem(req, 503, "out-of-memory", "Try again.");
		goto out;
	}
	/* the sender's name keeps two senders' keys apart */
	snprintf(idem, klen, "%s:%s", s->name, key);
	struct og_event ev = {
		.size = sizeof ev,
		.case_id = jcase ? (int64_t)json_integer_value(jcase) : 0,
		.ref_system = jref ? s->ref_system : NULL,
		.ref = jref ? json_string_value(jref) : NULL,
		.type = json_string_value(jtype),
		.payload = payload,
		.idem_key = idem,
		.cpr = jcpr ? json_string_value(jcpr) : NULL,
	};
	*p = (struct wh_pending){.wh = wh, .req = req};
	if (h->emit(ctx, &ev, on_emitted, p) != 0) {
		h->http_problem(req, 503, "unavailable",
				"The event could not be stored now; send it again later with the "
				"same Idempotency-Key.");
		goto out;
	}
	p->next = wh->pending;
	wh->pending = p;
	p = NULL;
out:
	free(p);
	free(idem);
	free(payload);
	json_decref(root);
}

void wh_in_free(struct webhook *wh)
{
	/* the host answers no emit after shutdown; the requests go with the daemon */
	while (wh->pending) {
		struct wh_pending *p = wh->pending;
		wh->pending = p->next;
		free(p);
	}
}
