/*
 * Host names resolved off the event loop. getaddrinfo() blocks for as long as the resolver
 * takes (seconds when a name server does not answer), so it runs in a thread of its own and
 * the answer comes back through the loop. The system's resolver is used as is (hosts file,
 * nsswitch, resolv.conf), so a name resolves as libpq itself would resolve it.
 */
#ifndef OG_RESOLVE_H
#define OG_RESOLVE_H

#include <event2/event.h>

struct og_resolve;

/* The most addresses one answer gives. */
#define OG_RESOLVE_MAX 8

/* ADDRS is the name's addresses, numeric (IPv4 or IPv6), in the resolver's order, without
 * repeats, comma-separated, N of them (at most OG_RESOLVE_MAX); NULL when the name did not
 * resolve, and ERR then says why. Called from the event loop. */
typedef void (*og_resolve_fn)(const char *addrs, int n, const char *err, void *arg);

/* Starts resolving HOST; FN follows from the loop of BASE, once. NULL when the thread cannot
 * be started or out of memory (FN is not called). */
__attribute__((warn_unused_result)) struct og_resolve *
og_resolve_start(struct event_base *base, const char *host, og_resolve_fn fn, void *arg);

/* Stops waiting for R: FN is not called. The thread finishes on its own (when getaddrinfo
 * returns, within the resolver's own timeouts) and frees its part. */
void og_resolve_cancel(struct og_resolve *r);

/* Whether HOST is an address already (IPv4 or IPv6), which needs no resolving. */
int og_resolve_is_numeric(const char *host);

#endif
