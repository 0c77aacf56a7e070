/*
 * netaddr.h - the ADDR:PORT of a listening option: "127.0.0.1:8080",
 * "[::1]:8080", "localhost:8080", or ":8080" for every address.
 */
#ifndef CS_NETADDR_H
#define CS_NETADDR_H

#include <sys/socket.h>

#include "cs.h"

/*
 * Resolve ADDR (numeric port) for binding into SA/SALEN.  OPT names the
 * option in messages ("--listen").  0, or -1 with ERR set.
 */
int cs_parse_listen_addr(const char *opt, const char *addr, struct sockaddr_storage *sa,
    socklen_t *salen, struct cs_err *err);

#endif
