#include "util/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ADDRS_LEN (OG_RESOLVE_MAX * (NI_MAXHOST + 1))

/* What the thread and the loop share; the last of the two to let go frees it. */
struct job {
	atomic_int refs;
	char *host;
	int fd; /* the thread's end of the socket pair: one byte when the answer is ready */
	int n;  /* addresses found */
	char addrs[ADDRS_LEN];
	char err[256];
};

struct og_resolve {
	struct job *job;
	struct event *ev;
	int fd; /* the loop's end */
	og_resolve_fn fn;
	void *arg;
};

static void job_release(struct job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) == 1) {
		free(j->host);
		free(j);
	}
}

/* Whether the comma-separated LIST holds ADDR. */
static bool listed(const char *list, const char *addr)
{
	size_t len = strlen(addr);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, addr, len) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* The addresses of the name into J, each once (getaddrinfo gives one per socket type). */
static void collect(struct job *j, const struct addrinfo *ai)
{
	size_t used = 0;
	for (const struct addrinfo *a = ai; a && j->n < OG_RESOLVE_MAX; a = a->ai_next) {
		char one[NI_MAXHOST];
		if (getnameinfo(a->ai_addr, a->ai_addrlen, one, sizeof one, NULL, 0,
				NI_NUMERICHOST) != 0 ||
		    listed(j->addrs, one))
			continue;
		int w = snprintf(j->addrs + used, sizeof j->addrs - used, "%s%s", j->n ? "," : "",
				 one);
		if (w < 0 || (size_t)w >= sizeof j->addrs - used)
			break;
		used += (size_t)w;
		j->n++;
	}
}

static void *run(void *arg)
{
	struct job *j = arg;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(j->host, NULL, &hints, &ai);
	if (rc != 0) {
		snprintf(j->err, sizeof j->err,
			 "could not translate host name \"%s\" to address: %s", j->host,
			 gai_strerror(rc));
	} else {
		collect(j, ai);
		freeaddrinfo(ai);
		if (j->n == 0)
			snprintf(j->err, sizeof j->err,
				 "host name \"%s\" gave no address that can be used", j->host);
	}
	/* the loop may have given up meanwhile: then its end is closed and this fails quietly */
	ssize_t n;
	do
		n = send(j->fd, "x", 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	close(j->fd);
	job_release(j);
	return NULL;
}

static void finish(struct og_resolve *r)
{
	event_free(r->ev);
	close(r->fd);
	job_release(r->job);
	free(r);
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct og_resolve *r = arg;
	char byte;
	ssize_t n = recv(fd, &byte, 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	og_resolve_fn fn = r->fn;
	void *fn_arg = r->arg;
	struct job *j = r->job;
	char addrs[ADDRS_LEN], err[256];
	int found = n == 1 ? j->n : 0;
	snprintf(addrs, sizeof addrs, "%s", j->addrs);
	snprintf(err, sizeof err, "%s", n == 1 ? j->err : "the resolver stopped without an answer");
	finish(r);
	fn(found ? addrs : NULL, found, found ? NULL : err, fn_arg);
}

struct og_resolve *og_resolve_start(struct event_base *base, const char *host, og_resolve_fn fn,
				    void *arg)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return NULL;
	struct og_resolve *r = calloc(1, sizeof *r);
	struct job *j = calloc(1, sizeof *j);
	if (r == NULL || j == NULL || (j->host = strdup(host)) == NULL)
		goto fail;
	atomic_init(&j->refs, 2);
	j->fd = sv[1];
	r->job = j;
	r->fd = sv[0];
	r->fn = fn;
	r->arg = arg;
	evutil_make_socket_nonblocking(r->fd);
	r->ev = event_new(base, r->fd, EV_READ | EV_PERSIST, on_ready, r);
	if (r->ev == NULL || event_add(r->ev, NULL) != 0)
		goto fail;
	pthread_attr_t attr;
	pthread_t t;
	if (pthread_attr_init(&attr) != 0)
		goto fail;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, run, j);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		goto fail;
	return r;
fail:
	if (r && r->ev)
		event_free(r->ev);
	if (j)
		free(j->host);
	free(j);
	free(r);
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

void og_resolve_cancel(struct og_resolve *r)
{
	if (r)
		finish(r);
}

int og_resolve_is_numeric(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}
