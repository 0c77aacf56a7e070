/*
 * fuzz-creds-answer.c - arbitrary bytes as the answer of a
 * credential_process, through the public credential chain (the JSON
 * reading is the one the container and instance-metadata answers use).
 * The answer is written to a file that the process ('cat') prints, so
 * every input costs a fork: slow, but no private function is needed.
 *
 * Checked: no crash, leak or bad read; credentials taken have a non-empty
 * access key and secret; an error message never holds the answer's secret
 * (the input's "SecretAccessKey" value, when it is 16 or more characters
 * of [A-Za-z0-9+/], which no fixed part of a message is).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/cs-fuzz-creds.XXXXXX";
static char answer_path[64], conf_path[96];

static void
cleanup(void)
{
	unlink(answer_path);
	unlink(conf_path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f;

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(answer_path, sizeof answer_path, "%s/answer", dir);
	snprintf(conf_path, sizeof conf_path, "%s/config", dir);
	atexit(cleanup);
	f = fopen(conf_path, "w");
	if (!f)
		abort();
	fprintf(f, "[default]\ncredential_process = cat %s\n", answer_path);
	fclose(f);
	setenv("AWS_CONFIG_FILE", conf_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	return 0;
}

/* the value of "SecretAccessKey":"..." in the input, if a plain one is there */
static size_t
secret_in(const uint8_t *data, size_t size, const char **out)
{
	static const char key[] = "\"SecretAccessKey\"";
	const char *s = (const char *)data, *p, *end = s + size, *v;

	p = memmem(s, size, key, sizeof key - 1);
	if (!p)
		return 0;
	p += sizeof key - 1;
	while (p < end && (*p == ' ' || *p == ':'))
		p++;
	if (p >= end || *p != '"')
		return 0;
	v = ++p;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    (*p >= '0' && *p <= '9') || *p == '+' || *p == '/'))
		p++;
	if (p >= end || *p != '"')
		return 0;
	*out = v;
	return (size_t)(p - v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct creds_provider *cp;
	const struct aws_creds *c = NULL;
	struct cs_err err;
	const char *secret = NULL;
	size_t slen;
	FILE *f;

	f = fopen(answer_path, "w");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	cs_err_clear(&err);
	cp = creds_provider_new(NULL);
	if (creds_get(cp, &c, &err) == 0) {
		if (!c || !c->access_key || !*c->access_key || !c->secret_key || !*c->secret_key)
			__builtin_trap();
	} else {
		slen = secret_in(data, size, &secret);
		if (slen >= 16 && memmem(err.msg, strlen(err.msg), secret, slen))
			__builtin_trap();
	}
	creds_provider_free(cp);
	return 0;
}
