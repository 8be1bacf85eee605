/* A stand-in for a slow or failing name server, preloaded into overgangd by
 * tests/e2e/db_host_test.sh: getaddrinfo() of "db.slow.test" takes 3 s and gives 127.0.0.1,
 * "db.two.test" gives 127.0.0.2 (where no server listens) and then 127.0.0.1, "db.none.test"
 * does not resolve; every other name resolves as the system resolves it. */
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	if (node && strcmp(node, "db.slow.test") == 0) {
		sleep(3);
		return real("127.0.0.1", service, hints, res);
	}
	if (node && strcmp(node, "db.none.test") == 0)
		return EAI_NONAME;
	if (node && strcmp(node, "db.two.test") == 0) {
		struct addrinfo *first = NULL, *second = NULL;
		int rc = real("127.0.0.2", service, hints, &first);
		if (rc != 0)
			return rc;
		if ((rc = real("127.0.0.1", service, hints, &second)) != 0) {
			freeaddrinfo(first);
			return rc;
		}
		struct addrinfo *last = first;
		while (last->ai_next)
			last = last->ai_next;
		last->ai_next = second;
		*res = first;
		return 0;
	}
	return real(node, service, hints, res);
}
