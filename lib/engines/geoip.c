/* geoip.c - country lookups in a MaxMind DB file (see geoip.h). */
#include <errno.h>
#include <maxminddb.h>
#include <stdlib.h>
#include <string.h>

#include "geoip.h"
#include "json.h"

struct geoip {
	MMDB_s db;
};

struct geoip *
geoip_open(const char *path, struct cs_err *err)
{
	struct geoip *g = cs_calloc(1, sizeof *g);
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db);

	if (rc != MMDB_SUCCESS) {
		if (rc == MMDB_IO_ERROR)
			cs_err_set(err, "--geoip: cannot read '%s': %s", path, strerror(errno));
		else
			cs_err_set(err, "--geoip: '%s': %s", path, MMDB_strerror(rc));
		free(g);
		return NULL;
	}
	return g;
}

void
geoip_close(struct geoip *g)
{
	if (!g)
		return;
	MMDB_close(&g->db);
	free(g);
}

static int
string_at(MMDB_entry_s *e, struct buf *out, const char *const *path)
{
	MMDB_entry_data_s d;
	size_t bad;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
		return 0;
	if (!utf8_valid(d.utf8_string, d.data_size, &bad))
		return 0;
	buf_add(out, d.utf8_string, d.data_size);
	return 1;
}

int
geoip_country(const struct geoip *g, const char *ip, struct buf *out)
{
	static const char *const name[] = { "country", "names", "en", NULL };
	static const char *const iso[] = { "country", "iso_code", NULL };
	MMDB_lookup_result_s r;
	int gai = 0, mmdb = 0;

	r = MMDB_lookup_string(&g->db, ip, &gai, &mmdb);
	if (gai != 0 || mmdb != MMDB_SUCCESS || !r.found_entry)
		return 0;
	return string_at(&r.entry, out, name) || string_at(&r.entry, out, iso);
}
