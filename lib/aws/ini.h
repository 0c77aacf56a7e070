/*
 * ini.h - the INI dialect of the shared AWS config and credentials files.
 *
 *   [section]            blanks inside the brackets are trimmed
 *   key = value          blanks around '=' and at both ends trimmed;
 *                        keys are compared case-insensitively
 *   # comment, ; comment whole lines only (a value may hold '#')
 *   s3 =                 a key with no value opens a sub-section: each
 *     max_bandwidth = 1  indented "key = value" below it is the entry
 *                        "s3.max_bandwidth" of the section
 *   key = a              an indented line under a key with a value
 *     b                  continues it ("a\nb")
 *
 * Lines outside any section, lines without '=' and lines holding a NUL
 * byte are ignored; a later value of a repeated key wins.  Parsing never
 * fails.
 */
#ifndef CS_INI_H
#define CS_INI_H

#include <stddef.h>

#include "cs.h"

struct ini_entry {
	char *section;
	char *key;     /* lower-cased */
	char *value;
};

struct ini {
	struct ini_entry *e;
	size_t n, cap;
};

void ini_init(struct ini *ini);
/* Wipes every value (they may be secret keys) before freeing. */
void ini_free(struct ini *ini);
/* Add the entries of TEXT[0..n) to INI. */
void ini_parse(struct ini *ini, const char *text, size_t n);
/*
 * Read and parse the file PATH: 1 when read, 0 when it does not exist
 * (INI left empty), -1 with ERR when it exists but cannot be read.
 */
int ini_load(struct ini *ini, const char *path, struct cs_err *err);
/* The value of KEY in SECTION (both as written, KEY any case), or NULL.  Borrowed. */
const char *ini_get(const struct ini *ini, const char *section, const char *key);
/* 1 when the file had a section named SECTION. */
int ini_has_section(const struct ini *ini, const char *section);

#endif
