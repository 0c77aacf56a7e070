/*
 * clickstream.h - the eligibility rules of a clickstream record.
 *
 * A record is eligible when it is a JSON object whose eight fields
 * (ip, timestamp, browser, url, referrer, os, country, language) are
 * strings that pass the rules below.  Extra members are allowed.  A
 * record written by the original sample's proxy is a JSON string literal
 * holding the object ("double-encoded"): cs_record_parse() decodes it and
 * the rules apply to the inner object.
 *
 * The single-value checks take a byte range (the decoded string value)
 * and return 1 when it is valid, 0 when it is not; they never print.
 */
#ifndef CS_CLICKSTREAM_H
#define CS_CLICKSTREAM_H

#include <stddef.h>

#include "cs.h"
#include "json.h"

enum cs_field {
	CS_F_IP,
	CS_F_TIMESTAMP,
	CS_F_BROWSER,
	CS_F_URL,
	CS_F_REFERRER,
	CS_F_OS,
	CS_F_COUNTRY,
	CS_F_LANGUAGE,
	CS_NFIELDS
};

/* "ip", "timestamp", ... in the order of enum cs_field (the seed's order). */
extern const char *const cs_field_names[CS_NFIELDS];

/* IPv4 dotted quad: four decimal octets 0-255, no leading zeros ("01"), nothing else. */
int cs_valid_ipv4(const char *s, size_t n);
/* IPv6 text form (RFC 4291 2.2): hex groups, one "::" at most, an embedded IPv4 at the end; no zone. */
int cs_valid_ipv6(const char *s, size_t n);
int cs_valid_ip(const char *s, size_t n);
/* RFC 3339 UTC date-time as the seed has it: 2018-02-04T23:18:32.866Z (fraction optional), real calendar. */
int cs_valid_timestamp(const char *s, size_t n);
/* An absolute http or https URL with a host (name, IPv4 or [IPv6]), optional port, no blanks or controls. */
int cs_valid_url(const char *s, size_t n);
/* Empty, or a URL as cs_valid_url. */
int cs_valid_referrer(const char *s, size_t n);
/* A language tag such as en-us: 2-3 letters, then "-" subtags of 1-8 letters or digits. */
int cs_valid_language(const char *s, size_t n);

/* Why a record is not eligible. */
struct cs_verdict {
	const char *error;  /* "InvalidJSON", "InvalidField", ...; NULL when eligible */
	char field[64];     /* the field blamed, "" for whole-record problems */
	char reason[400];   /* "ip: '999.1.1.1' is not an IPv4 or IPv6 address" */
};

/* One parsed record: reuse it for every line (it keeps its memory). */
struct cs_record {
	struct json_doc doc;
	struct buf inner;     /* a double-encoded record's decoded text */
	struct buf scratch;   /* decoded field values */
	const char *text;     /* the object's text: the line, or inner */
	size_t len;
	int double_encoded;
};

void cs_record_init(struct cs_record *r, unsigned max_depth);
void cs_record_free(struct cs_record *r);
/*
 * Parse LINE[0..n) as a record: a JSON object, or a JSON string holding
 * one.  0, or -1 with V filled: InvalidJSON, InvalidUTF8, TooDeep,
 * NotAnObject.  LINE must stay valid while R is used.
 */
int cs_record_parse(struct cs_record *r, const char *line, size_t n, struct cs_verdict *v);
/* The eight built-in rules, on a parsed record.  0, or -1 with V (MissingField, InvalidField). */
int cs_record_check(struct cs_record *r, struct cs_verdict *v);
/* FIELD (a top-level member) must be a non-empty string.  0, or -1 with V. */
int cs_record_require(struct cs_record *r, const char *field, struct cs_verdict *v);

/*
 * Append VALUE[0..n) to OUT for a message, in single quotes: at most
 * MAX bytes (cut on a character boundary, "..." added), control
 * characters, quotes and backslashes escaped.
 */
void cs_quote_value(struct buf *out, const char *value, size_t n, size_t max);

#endif
