/*
 * test-awsconf.c - the shared config and credentials files, profiles,
 * region and endpoint precedence, with temporary files.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awsconf.h"
#include "ini.h"
#include "tap.h"

static char dir[] = "/tmp/cs-awsconf.XXXXXX";

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void
clear_env(void)
{
	static const char *vars[] = {
		"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL_DYNAMODB",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CONFIG_FILE",
		"AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL_STS", "AWS_MAX_ATTEMPTS",
		"AWS_RETRY_MODE", "AWS_CA_BUNDLE",
	};
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* awsconf_get, compared and freed */
static void
get_is(const char *profile, const char *key, const char *want, const char *what)
{
	char *v = awsconf_get(profile, key);

	is_str(v, want, "%s", what);
	free(v);
}

/* issue 14: services sections, max_attempts, retry_mode, ca_bundle, unsupported settings */
static void
test_settings(void)
{
	char path[256], *v;
	unsigned n = 99;
	struct cs_err err;
	struct buf w = BUF_INIT;
	const char *from;

	write_file("config",
	    "[default]\nservices = svc\nendpoint_url = http://profile:1\nmax_attempts = 4\n"
	    "retry_mode = adaptive\nca_bundle = ~/ca.pem\noutput = json\ncli_pager =\n"
	    "use_fips_endpoint = true\nsts_regional_endpoints = legacy\n"
	    "s3 =\n  max_concurrent_requests = 2\n"
	    "[profile bad]\nmax_attempts = zero\n[profile mode]\nretry_mode = sideways\n"
	    "[services svc]\nkinesis =\n  endpoint_url = http://kinesis-svc:2\n"
	    "sts =\n  endpoint_url = http://sts-svc:3\n");
	write_file("credentials", "");
	snprintf(path, sizeof path, "%s/config", dir);
	setenv("AWS_CONFIG_FILE", path, 1);
	snprintf(path, sizeof path, "%s/credentials", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);

	v = awsconf_endpoint(NULL, "kinesis", "eu-west-1");
	is_str(v, "http://kinesis-svc:2", "services: the service's endpoint_url first");
	free(v);
	v = awsconf_endpoint(NULL, "dynamodb", "eu-west-1");
	is_str(v, "http://profile:1", "services: else the profile's endpoint_url");
	free(v);
	v = awsconf_endpoint(NULL, "sts", "eu-west-1");
	is_str(v, "http://sts-svc:3", "services: sts too");
	free(v);
	setenv("AWS_ENDPOINT_URL_STS", "http://env-sts:4", 1);
	v = awsconf_endpoint(NULL, "sts", "eu-west-1");
	is_str(v, "http://env-sts:4", "services: AWS_ENDPOINT_URL_STS wins over the section");
	free(v);
	unsetenv("AWS_ENDPOINT_URL_STS");
	v = awsconf_endpoint_profile(NULL, "sts", "eu-west-1", "mode");
	is_str(v, "https://sts.eu-west-1.amazonaws.com", "sts: regional by default");
	free(v);

	ok(awsconf_retry(NULL, &n, &err) == 0 && n == 4, "max_attempts from the config");
	setenv("AWS_MAX_ATTEMPTS", "7", 1);
	ok(awsconf_retry(NULL, &n, &err) == 0 && n == 7, "AWS_MAX_ATTEMPTS wins");
	setenv("AWS_MAX_ATTEMPTS", "0", 1);
	ok(awsconf_retry(NULL, &n, &err) < 0 && strstr(err.msg, "AWS_MAX_ATTEMPTS '0'"),
	    "AWS_MAX_ATTEMPTS 0 refused: %s", err.msg);
	unsetenv("AWS_MAX_ATTEMPTS");
	ok(awsconf_retry("bad", &n, &err) < 0 && strstr(err.msg, "max_attempts in the config file 'zero'"),
	    "a bad max_attempts named: %s", err.msg);
	ok(awsconf_retry("mode", &n, &err) < 0 && strstr(err.msg, "'sideways'") && n == 0,
	    "a bad retry_mode named: %s", err.msg);
	setenv("AWS_RETRY_MODE", "standard", 1);
	ok(awsconf_retry("mode", &n, &err) == 0, "AWS_RETRY_MODE wins over the config");
	unsetenv("AWS_RETRY_MODE");

	setenv("HOME", dir, 1);
	v = awsconf_ca_bundle(NULL, &from);
	snprintf(path, sizeof path, "%s/ca.pem", dir);
	is_str(v, path, "ca_bundle from the config, ~/ expanded");
	is_str(from, "ca_bundle in the config file", "ca_bundle: where from");
	free(v);
	setenv("AWS_CA_BUNDLE", "/env/ca.pem", 1);
	v = awsconf_ca_bundle(NULL, &from);
	is_str(v, "/env/ca.pem", "AWS_CA_BUNDLE wins");
	free(v);
	unsetenv("AWS_CA_BUNDLE");

	awsconf_unsupported(NULL, &w);
	ok(w.data && strstr(w.data, "setting 'use_fips_endpoint' of profile 'default'") &&
	    strstr(w.data, "'sts_regional_endpoints'"), "unsupported settings named: %s",
	    w.data ? w.data : "");
	ok(w.data && !strstr(w.data, "'output'") && !strstr(w.data, "cli_pager") &&
	    !strstr(w.data, "s3") && !strstr(w.data, "max_attempts") && !strstr(w.data, "services"),
	    "supported and CLI-only settings not named");
	is_int(count_lines(w.data), 2, "one line each");
	buf_free(&w);
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	snprintf(path, sizeof path, "%s/config", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/credentials", dir);
	unlink(path);
}

static void
test_ini(void)
{
	static const char text[] =
	    "top = ignored\n"
	    "[ default ]\r\n"
	    "# a comment\n"
	    "; another = no\n"
	    "  Region=eu-west-1  \r\n"
	    "s3 =\n"
	    "  region = nested\n"
	    "  max_concurrent_requests = 10\n"
	    "output = json\n"
	    "note = first\n"
	    "  second\n"
	    "no equals sign\n"
	    "= no key\n"
	    "[profile    spaced   name]\n"
	    "k = v # not a comment\n"
	    "[broken\n"
	    "lost = yes\n"
	    "[empty]\n";
	struct ini ini;

	ini_init(&ini);
	ini_parse(&ini, text, sizeof text - 1);
	is_str(ini_get(&ini, "default", "region"), "eu-west-1", "ini: trimmed, CRLF, key any case");
	is_str(ini_get(&ini, "default", "REGION"), "eu-west-1", "ini: lookup any case");
	is_str(ini_get(&ini, "default", "max_concurrent_requests"), NULL, "ini: sub-section lines are not keys of the section");
	is_str(ini_get(&ini, "default", "s3.max_concurrent_requests"), "10",
	    "ini: a sub-section line is the key PARENT.KEY");
	is_str(ini_get(&ini, "default", "s3"), "", "ini: sub-section key has an empty value");
	is_str(ini_get(&ini, "default", "output"), "json", "ini: key after a sub-section");
	is_str(ini_get(&ini, "default", "note"), "first\nsecond", "ini: continuation line");
	is_str(ini_get(&ini, "default", "another"), NULL, "ini: ';' comment");
	is_str(ini_get(&ini, "default", "top"), NULL, "ini: keys before any section ignored");
	is_str(ini_get(&ini, "profile spaced name", "k"), "v # not a comment",
	    "ini: blanks in a section name collapsed; '#' inside a value kept");
	is_str(ini_get(&ini, "broken", "lost"), NULL, "ini: a broken section header owns nothing");
	ok(ini_has_section(&ini, "empty"), "ini: an empty section is known");
	ok(!ini_has_section(&ini, "absent"), "ini: an absent section is not");
	ini_free(&ini);
}

static void
test_files(void)
{
	char cred[256], conf[256], *v;
	struct cs_err err;

	snprintf(cred, sizeof cred, "%s/credentials", dir);
	snprintf(conf, sizeof conf, "%s/config", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);

	get_is(NULL, "region", NULL, "no files: nothing found");
	ok(awsconf_lookup(NULL, "region", &v, &err) == 0 && v == NULL, "no files: not an error");

	write_file("credentials",
	    "[default]\n"
	    "aws_access_key_id = AKIDDEFAULT\n"
	    "aws_secret_access_key = secret/default\n"
	    "[dev]\n"
	    "aws_access_key_id=AKIDDEV\n"
	    "[profile dev]\n"
	    "aws_access_key_id = WRONG\n");
	write_file("config",
	    "[default]\n"
	    "region = us-west-2\n"
	    "aws_access_key_id = FROMCONFIG\n"
	    "[profile dev]\n"
	    "region = eu-central-1\n"
	    "endpoint_url = http://127.0.0.1:9999\n"
	    "[ops]\n"
	    "region = ap-south-1\n"
	    "[profile   ops]\n"
	    "output = text\n"
	    "[profile onlyconf]\n"
	    "region = sa-east-1\n");

	get_is(NULL, "aws_access_key_id", "AKIDDEFAULT", "default profile: credentials file first");
	get_is(NULL, "region", "us-west-2", "default profile: config [default]");
	get_is("dev", "aws_access_key_id", "AKIDDEV", "credentials file: [dev], not [profile dev]");
	get_is("dev", "region", "eu-central-1", "config file: [profile dev]");
	get_is("ops", "region", NULL, "config file: [ops] is not profile ops");
	get_is("ops", "output", "text", "config file: [profile   ops] with blanks");
	get_is("onlyconf", "REGION", "sa-east-1", "key looked up in any case");
	setenv("AWS_PROFILE", "dev", 1);
	get_is(NULL, "region", "eu-central-1", "AWS_PROFILE picks the profile");
	get_is("onlyconf", "region", "sa-east-1", "--profile beats AWS_PROFILE");
	is_str(awsconf_profile_name(NULL), "dev", "profile name from AWS_PROFILE");
	is_str(awsconf_profile_name("cli"), "cli", "profile name from --profile");
	setenv("AWS_PROFILE", "", 1);
	is_str(awsconf_profile_name(NULL), "default", "an empty AWS_PROFILE counts as unset");
	unsetenv("AWS_PROFILE");

	/* region precedence */
	v = awsconf_region(NULL, NULL, &err);
	is_str(v, "us-west-2", "region: the profile's");
	free(v);
	setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
	v = awsconf_region(NULL, NULL, &err);
	is_str(v, "eu-north-1", "region: AWS_DEFAULT_REGION beats the profile");
	free(v);
	setenv("AWS_REGION", "eu-west-3", 1);
	v = awsconf_region(NULL, NULL, &err);
	is_str(v, "eu-west-3", "region: AWS_REGION beats AWS_DEFAULT_REGION");
	free(v);
	v = awsconf_region("ca-central-1", NULL, &err);
	is_str(v, "ca-central-1", "region: --region beats everything");
	free(v);
	setenv("AWS_REGION", "", 1);
	v = awsconf_region(NULL, NULL, &err);
	is_str(v, "eu-north-1", "region: an empty AWS_REGION counts as unset");
	free(v);
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	v = awsconf_region(NULL, "dev", &err);
	is_str(v, "eu-central-1", "region: of the named profile");
	free(v);
	v = awsconf_region(NULL, "ops", &err);
	ok(v == NULL && strstr(err.msg, "no AWS region: tried --region, AWS_REGION, AWS_DEFAULT_REGION") &&
	    strstr(err.msg, "profile 'ops'") && strstr(err.msg, conf),
	    "region: none found names what was tried: %s", err.msg);
	free(v);
	v = awsconf_region("us-east-1/../x", NULL, &err);
	ok(v == NULL && strstr(err.msg, "invalid region"), "region: an invalid one refused: %s", err.msg);
	free(v);

	/* endpoint precedence */
	v = awsconf_endpoint(NULL, "kinesis", "us-east-1");
	is_str(v, "https://kinesis.us-east-1.amazonaws.com", "endpoint: regional default");
	free(v);
	v = awsconf_endpoint(NULL, "dynamodb", "cn-north-1");
	is_str(v, "https://dynamodb.cn-north-1.amazonaws.com.cn", "endpoint: China regions");
	free(v);
	v = awsconf_endpoint_profile(NULL, "kinesis", "us-east-1", "dev");
	is_str(v, "http://127.0.0.1:9999", "endpoint: the profile's endpoint_url");
	free(v);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	v = awsconf_endpoint_profile(NULL, "kinesis", "us-east-1", "dev");
	is_str(v, "http://127.0.0.1:1", "endpoint: AWS_ENDPOINT_URL beats the profile");
	free(v);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:3", 1);
	setenv("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:2", 1);
	v = awsconf_endpoint(NULL, "kinesis", "us-east-1");
	is_str(v, "http://127.0.0.1:2", "endpoint: AWS_ENDPOINT_URL_KINESIS beats AWS_ENDPOINT_URL");
	free(v);
	v = awsconf_endpoint(NULL, "dynamodb", "us-east-1");
	is_str(v, "http://127.0.0.1:3", "endpoint: AWS_ENDPOINT_URL_DYNAMODB for dynamodb");
	free(v);
	v = awsconf_endpoint("http://127.0.0.1:4", "kinesis", "us-east-1");
	is_str(v, "http://127.0.0.1:4", "endpoint: --endpoint-url beats everything");
	free(v);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	v = awsconf_endpoint_profile(NULL, "kinesis", "us-east-1", "dev");
	is_str(v, "https://kinesis.us-east-1.amazonaws.com", "endpoint: AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	free(v);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL_KINESIS");
	unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
	unsetenv("AWS_ENDPOINT_URL");
	v = awsconf_endpoint(NULL, "kinesis", NULL);
	is_str(v, NULL, "endpoint: no region, nothing configured: NULL");
	free(v);

	/* an unreadable file is an error, a missing one is not */
	unlink(cred);
	mkdir(cred, 0700);
	ok(awsconf_lookup(NULL, "region", &v, &err) == -1 && strstr(err.msg, cred) &&
	    strstr(err.msg, "cannot read"), "an unreadable credentials file is an error: %s", err.msg);
	free(v);
	v = awsconf_region(NULL, NULL, &err);
	ok(v == NULL && strstr(err.msg, "cannot read"), "region: an unreadable file is reported");
	free(v);
	rmdir(cred);
	unlink(conf);
}

static void
test_home(void)
{
	char aws[256], *v;

	clear_env();
	setenv("HOME", dir, 1);
	snprintf(aws, sizeof aws, "%s/.aws", dir);
	mkdir(aws, 0700);
	write_file(".aws/config", "[default]\nregion = us-east-2\n");
	get_is(NULL, "region", "us-east-2", "files default to ~/.aws/config");
	setenv("AWS_CONFIG_FILE", "~/.aws/config", 1);
	get_is(NULL, "region", "us-east-2", "a '~/' in AWS_CONFIG_FILE is the home folder");
	setenv("AWS_CONFIG_FILE", "", 1);
	v = awsconf_get(NULL, "region");
	is_str(v, "us-east-2", "an empty AWS_CONFIG_FILE counts as unset");
	free(v);
	snprintf(aws, sizeof aws, "%s/.aws/config", dir);
	unlink(aws);
	snprintf(aws, sizeof aws, "%s/.aws", dir);
	rmdir(aws);
}

int
main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	clear_env();
	test_ini();
	test_files();
	test_home();
	test_settings();
	is_int(rmdir(dir), 0, "the temporary folder is left empty");
	return done_testing();
}
