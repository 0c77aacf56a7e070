/*
 * json.h - a strict, fast JSON scanner (RFC 8259) over a byte buffer.
 *
 * json_parse() checks the whole text (syntax, UTF-8, escapes, nesting
 * depth) and fills a flat array of tokens in document order, like jsmn:
 * no copies, no numbers converted, so the exact text of every value
 * (a number's digits included) stays available.  Containers record how
 * many children they have and where their subtree ends, so a walker can
 * skip a value in O(1).
 */
#ifndef CS_JSON_H
#define CS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"

enum json_type {
	JSON_NONE = 0,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

struct json_tok {
	uint8_t type;     /* enum json_type */
	uint8_t escaped;  /* a string that holds backslash escapes */
	uint32_t start;   /* strings: first byte after the quote; others: first byte */
	uint32_t len;     /* strings: bytes between the quotes; containers: through the closing bracket */
	uint32_t size;    /* objects: members; arrays: elements */
	uint32_t next;    /* index of the first token after this value's subtree */
};

#define JSON_DEFAULT_DEPTH 256

struct json_doc {
	const char *text;
	size_t textlen;
	struct json_tok *tok;
	uint32_t ntok, cap;
	unsigned max_depth;
	char err[160];    /* why json_parse() failed, e.g. "invalid JSON at byte 12: expected ':'" */
	size_t errpos;
};

void json_doc_init(struct json_doc *d, unsigned max_depth);
void json_doc_free(struct json_doc *d);
/* Parse one JSON value (with optional surrounding blanks).  0, or -1 with d->err. */
int json_parse(struct json_doc *d, const char *s, size_t n);
/* In object token OBJ, the value token of member KEY (the last one when repeated), or -1. */
int json_obj_get(const struct json_doc *d, int obj, const char *key, size_t keylen);
/* 1 when string token T decodes to exactly S[0..n). */
int json_str_eq(const struct json_doc *d, int t, const char *s, size_t n);
/* Append the decoded (unescaped, UTF-8) value of string token T to OUT. */
void json_str_decode(const struct json_doc *d, int t, struct buf *out);
/* String token T decoded into a malloc'd string; NULL when T < 0 or not a string. */
char *json_str_dup(const struct json_doc *d, int t);
/* String member KEY of object OBJ: malloc'd (json_get_str, NULL when absent or not a string) */
char *json_get_str(const struct json_doc *d, int obj, const char *key);
/* ... or decoded into OUT (reset first; "" and 0 when absent or not a string, else 1). */
int json_get_str_buf(const struct json_doc *d, int obj, const char *key, struct buf *out);
/* Append S[0..n) as a JSON string literal, quotes included.  S must be valid UTF-8. */
void json_escape(struct buf *out, const char *s, size_t n);
/* The same for the C string S (NULL: ""). */
void json_escape_str(struct buf *out, const char *s);
/* 1 when S[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF); else 0 and *bad = offset. */
int utf8_valid(const char *s, size_t n, size_t *bad);
/* Number of Unicode code points in valid UTF-8 S[0..n). */
size_t utf8_len(const char *s, size_t n);

#endif
