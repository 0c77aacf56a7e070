/*
 * geoip.h - the country of an IP address from a MaxMind DB file
 * (GeoLite2-Country, GeoIP2-City, DB-IP's, or any database with the
 * same "country" map), through libmaxminddb.  The file is mapped once;
 * lookups are safe from any thread.
 */
#ifndef CS_GEOIP_H
#define CS_GEOIP_H

#include "cs.h"

struct geoip;

/* Open PATH (a .mmdb file); NULL with ERR when it cannot be opened or read. */
struct geoip *geoip_open(const char *path, struct cs_err *err);
void geoip_close(struct geoip *g);
/*
 * The country of IP (text, IPv4 or IPv6) appended to OUT: its English
 * name (country.names.en), else its ISO code (country.iso_code).  1 when
 * found, 0 when the address is not in the database or has no country.
 */
int geoip_country(const struct geoip *g, const char *ip, struct buf *out);

#endif
