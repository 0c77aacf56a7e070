/*
 * ddbitem.h - JSON text to a DynamoDB item (AttributeValue JSON).
 *
 * The conversion works on lib/json.h tokens and copies the exact text of
 * every value: a string keeps its bytes (escapes included), a number its
 * digits, so nothing is ever rounded.
 *
 *   string -> S    number -> N    true/false -> BOOL    null -> NULL
 *   array  -> L    object -> M
 *
 * Numbers are checked against DynamoDB's limits (38 significant digits,
 * magnitude 1E-130 .. 9.9999999999999999999999999999999999999E+125);
 * the key attributes against the table's key schema (present, right
 * type, not empty); the whole item against the 400 KB limit, sized by
 * DynamoDB's rules.  A member name that appears twice in one object
 * keeps its last value, as JSON.parse and jq do.
 */
#ifndef CS_DDBITEM_H
#define CS_DDBITEM_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"
#include "json.h"

#define DDB_MAX_ITEM_SIZE 409600u   /* 400 KB */
#define DDB_MAX_DEPTH 32u           /* nesting levels of L and M */
#define DDB_MAX_DIGITS 38

/* The key schema of a table: a hash key and an optional range key. */
struct ddb_keyschema {
	char *hash;        /* attribute name */
	char hash_type;    /* 'S', 'N' or 'B' */
	char *range;       /* NULL when the table has none */
	char range_type;
};
void ddb_keyschema_free(struct ddb_keyschema *ks);

/* Why an item was refused: the short code written to the rejects output. */
enum ddb_item_error {
	DDB_ITEM_OK = 0,
	DDB_ITEM_NOT_OBJECT,     /* "NotAnObject" */
	DDB_ITEM_MISSING_KEY,    /* "MissingKey" */
	DDB_ITEM_KEY_TYPE,       /* "KeyType" */
	DDB_ITEM_EMPTY_KEY,      /* "EmptyKey" */
	DDB_ITEM_TOO_LARGE,      /* "ItemTooLarge" */
	DDB_ITEM_NUMBER,         /* "InvalidNumber": beyond DynamoDB's limits */
	DDB_ITEM_INVALID,        /* "InvalidItem": too deep, empty attribute name, ... */
};
const char *ddb_item_error_code(enum ddb_item_error e);

/* What the conversion needs to know; set up once. */
struct ddb_conv {
	const struct ddb_keyschema *ks;
	const char *ttl_attr;     /* NULL, or the attribute --ttl stamps (dropped from the record) */
	int64_t ttl_value;        /* its value, unix seconds */
	struct buf scratch;       /* internal */
};
void ddb_conv_init(struct ddb_conv *cv, const struct ddb_keyschema *ks);
void ddb_conv_free(struct ddb_conv *cv);

/* The result of converting one record. */
struct ddb_item {
	struct buf json;   /* {"IP":{"S":"1.2.3.4"},...}: the Item of a PutRequest */
	struct buf key;    /* the key in canonical form: equal keys give equal bytes */
	size_t size;       /* the item's size by DynamoDB's rules */
	enum ddb_item_error error;
	char reason[256];  /* when error: one human sentence */
};
void ddb_item_init(struct ddb_item *it);
void ddb_item_free(struct ddb_item *it);

/*
 * Convert value token T of DOC (the record) into IT.  0, or -1 with
 * it->error and it->reason.  IT is reset first.
 */
int ddb_item_from_json(struct ddb_conv *cv, const struct json_doc *doc, int t,
    struct ddb_item *it);

/*
 * Check a JSON number's text against DynamoDB's limits.  0, with its
 * canonical form appended to CANON (may be NULL) and its stored size in
 * *SIZE (may be NULL); -1 with a reason in WHY (may be NULL).
 */
int ddb_number(const char *s, size_t n, struct buf *canon, size_t *size,
    char *why, size_t whylen);

/*
 * The canonical key of an item given as AttributeValue JSON (object token
 * ITEM of DOC, e.g. from UnprocessedItems): appended to KEY.  0, or -1
 * when a key attribute is missing or not of the schema's type.
 */
int ddb_key_from_av(const struct ddb_keyschema *ks, const struct json_doc *doc, int item,
    struct buf *key);

#endif
