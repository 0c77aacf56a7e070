/*
 * fuzz-config.c - arbitrary bytes as a shared config/credentials file:
 * the parser must not crash, leak or read out of bounds, and every entry
 * it keeps must be found again by the lookups.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "awsconf.h"
#include "ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct awsconf c;
	size_t i;

	memset(&c, 0, sizeof c);
	ini_init(&c.cred);
	ini_init(&c.conf);
	ini_parse(&c.cred, (const char *)data, size);
	ini_parse(&c.conf, (const char *)data, size);
	c.cred_found = c.conf_found = 1;

	for (i = 0; i < c.cred.n; i++) {
		const struct ini_entry *e = &c.cred.e[i];
		const char *v, *k;

		if (!ini_has_section(&c.cred, e->section) || strchr(e->section, '\n'))
			__builtin_trap();
		if (!e->key)
			continue;
		if (!*e->key || strchr(e->key, '\n') || !e->value)
			__builtin_trap();
		for (k = e->key; *k; k++)
			if (*k >= 'A' && *k <= 'Z')
				__builtin_trap();
		/* the lookup finds this key's value or a later one of the same name */
		v = ini_get(&c.cred, e->section, e->key);
		if (!v)
			__builtin_trap();
		/* a profile lookup through both files never crashes */
		(void)awsconf_value(&c, e->section, e->key);
		(void)awsconf_has_profile(&c, e->section);
	}
	(void)awsconf_value(&c, "default", "aws_access_key_id");
	(void)awsconf_value(&c, "default", "credential_process");
	ini_free(&c.cred);
	ini_free(&c.conf);
	return 0;
}
