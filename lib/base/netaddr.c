/* netaddr.c - the ADDR:PORT of a listening option (see netaddr.h). */
#include <netdb.h>
#include <string.h>

#include "netaddr.h"

int
cs_parse_listen_addr(const char *opt, const char *addr, struct sockaddr_storage *sa,
    socklen_t *salen, struct cs_err *err)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	const char *colon = strrchr(addr, ':'), *h = addr;
	size_t hl;
	int rc;

	if (!colon || !colon[1]) {
		cs_err_set(err, "%s: '%s' is not ADDR:PORT", opt, addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		h = addr + 1;
		hl -= 2;
	}
	if (hl >= sizeof host) {
		cs_err_set(err, "%s: '%s': address too long", opt, addr);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0 || !ai) {
		cs_err_set(err, "%s: '%s': %s", opt, addr, gai_strerror(rc));
		return -1;
	}
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	*salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}
