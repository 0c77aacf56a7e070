/*
 * xml.h - a small, strict reader of the XML answers of AWS Query-protocol
 * services (STS) and of AWS XML error bodies:
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
 *     <AssumeRoleResult><Credentials><AccessKeyId>...</AccessKeyId>...
 *
 * The whole document is read into a tree of elements; anything that is
 * not well-formed is refused (mismatched or unclosed tags, a second root,
 * text outside the root, a bad entity or character reference, a
 * DOCTYPE, a NUL byte, attributes without quotes or repeated, nesting
 * deeper than XML_MAX_DEPTH).  Attributes are checked, then dropped; a
 * namespace prefix is dropped from element names; the five predefined
 * entities, character references and CDATA sections are decoded;
 * comments and processing instructions are skipped.  The text of an
 * element is its own character data, children excluded.
 */
#ifndef CS_XML_H
#define CS_XML_H

#include <stddef.h>

#include "cs.h"

#define XML_MAX_DEPTH 32
#define XML_MAX_NODES 4096

struct xml_node {
	char *name;      /* local name, prefix dropped */
	char *text;      /* character data, decoded ("" when none) */
	int parent;      /* -1 for the root */
	int first_child; /* -1 when none */
	int next;        /* next sibling, -1 when none */
};

struct xml_doc {
	struct xml_node *n;  /* n[0] is the root element */
	int count, cap;
};

/* 0, or -1 with err saying what is wrong and at which byte (never quoting the text). */
int xml_parse(struct xml_doc *d, const char *text, size_t len, struct cs_err *err);
/* Wipes the texts (they may be credentials) and frees. */
void xml_free(struct xml_doc *d);
/* The first child of NODE named NAME, or -1. */
int xml_child(const struct xml_doc *d, int node, const char *name);
/*
 * The element at PATH, names separated by '/', the first one the root's
 * ("ErrorResponse/Error/Code"), or -1.
 */
int xml_path(const struct xml_doc *d, const char *path);
/* The text of the element at PATH, or NULL.  Borrowed. */
const char *xml_path_text(const struct xml_doc *d, const char *path);

#endif
