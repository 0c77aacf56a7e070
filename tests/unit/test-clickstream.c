/* test-clickstream.c - the eligibility rules (lib/clickstream.c). */
#include <arpa/inet.h>
#include <string.h>

#include "clickstream.h"
#include "tap.h"

#define V(f, s) f(s, strlen(s))
#define V2(f, r, s, v) f(r, s, strlen(s), v)

static const char seed[] =
    "{\"ip\":\"0.0.0.0\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\","
    "\"url\":\"http://adroitlogic.com/products/ultraesb-x\",\"referrer\":\"http://adroitlogic.com\","
    "\"os\":\"Windows\",\"country\":\"Sri Lanka\",\"language\":\"en-us\"}";

static void
test_ip(void)
{
	static const char *good4[] = { "0.0.0.0", "255.255.255.255", "192.168.1.10", "10.0.0.1", "1.2.3.4" };
	static const char *bad4[] = { "256.1.1.1", "999.1.1.1", "01.2.3.4", "1.02.3.4", "00.1.1.1", "1.2.3",
		"1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\t", "0x1.2.3.4",
		"1.2.3.-4", "+1.2.3.4", "1.2.3.4/8", "", "1234.1.1.1", "a.b.c.d" };
	static const char *good6[] = { "::", "::1", "1::", "fe80::1", "2001:db8::8a2e:370:7334",
		"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "::ffff:192.0.2.128", "64:ff9b::192.0.2.33",
		"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "ABCD:EF01::1", "0:0:0:0:0:0:0:0" };
	static const char *bad6[] = { ":", ":::", "::1::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
		"1::2:3:4:5:6:7:8", "12345::1", "gggg::1", "fe80::1%eth0", "1:2:3:4:5:6:7:1.2.3.4",
		"::ffff:1.2.3.256", "::ffff:01.2.3.4", "1.2.3.4::", ":1::", "1::2:", "[::1]", "::1/128",
		"1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8", "::ffff:1.2.3", "::1.2.3.4:1" };
	unsigned char a[16];
	size_t i;

	for (i = 0; i < sizeof good4 / sizeof *good4; i++)
		ok(V(cs_valid_ip, good4[i]), "ip '%s' is valid", good4[i]);
	for (i = 0; i < sizeof bad4 / sizeof *bad4; i++)
		ok(!V(cs_valid_ip, bad4[i]), "ip '%s' is not", bad4[i]);
	for (i = 0; i < sizeof good6 / sizeof *good6; i++) {
		ok(V(cs_valid_ip, good6[i]), "ip '%s' is valid", good6[i]);
		ok(inet_pton(AF_INET6, good6[i], a) == 1, "inet_pton agrees on '%s'", good6[i]);
	}
	for (i = 0; i < sizeof bad6 / sizeof *bad6; i++) {
		ok(!V(cs_valid_ip, bad6[i]), "ip '%s' is not", bad6[i]);
		ok(inet_pton(AF_INET6, bad6[i], a) != 1, "inet_pton agrees on '%s'", bad6[i]);
	}
	ok(!cs_valid_ip("1.2.3.4\0", 8), "a NUL byte after the address is not valid");
	ok(V(cs_valid_ipv4, "1.2.3.4") && !V(cs_valid_ipv4, "::1"), "cs_valid_ipv4 takes IPv4 only");
	ok(V(cs_valid_ipv6, "::1") && !V(cs_valid_ipv6, "1.2.3.4"), "cs_valid_ipv6 takes IPv6 only");
}

static void
test_timestamp(void)
{
	static const char *good[] = { "2018-02-04T23:18:32.866Z", "2018-02-04T23:18:32Z",
		"2018-02-04T23:18:32.8Z", "2018-02-04T23:18:32.123456789Z", "2020-02-29T00:00:00Z",
		"2000-02-29T12:00:00.000Z", "1999-12-31T23:59:59.999Z", "2018-04-30T00:00:00Z" };
	static const char *bad[] = { "2018-02-30T10:00:00.000Z", "2019-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2018-04-31T00:00:00Z", "2018-13-01T00:00:00Z", "2018-00-01T00:00:00Z",
		"2018-01-00T00:00:00Z", "2018-02-04T24:00:00Z", "2018-02-04T25:61:00Z", "2018-02-04T23:60:00Z",
		"2018-02-04T23:18:32.866", "2018-02-04 23:18:32.866Z", "2018-02-04t23:18:32.866Z",
		"2018-02-04T23:18:32.866z", "2018-02-04T23:18:32.866+00:00", "2018-02-04T23:18:32.Z",
		"2018-02-04T23:18:32.1234567890Z", "2018-2-04T23:18:32Z", "2018-02-04", "", "Z",
		"20180204T231832Z", "2018-02-04T23:18:32.866Z ", " 2018-02-04T23:18:32.866Z" };
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		ok(V(cs_valid_timestamp, good[i]), "timestamp '%s' is valid", good[i]);
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(!V(cs_valid_timestamp, bad[i]), "timestamp '%s' is not", bad[i]);
}

static void
test_url(void)
{
	static const char *good[] = { "http://adroitlogic.com", "http://adroitlogic.com/products/ultraesb-x",
		"https://a.b.c:8443/p?q=1&r=%20#frag", "HTTPS://EXAMPLE.COM/", "http://192.0.2.1",
		"http://[2001:db8::1]:8080/x", "https://user:pw@example.com/", "http://localhost:3000",
		"https://例え.jp/パス", "http://example.com.", "http://ex_am-ple.com?x", "http://x.com#",
		"http://xn--bcher-kva.example/", "http://a:65535/" };
	static const char *bad[] = { "", "ftp://a.com/", "adroitlogic.com/x", "//a.com/x", "http://",
		"https:///p", "http://a b/", "http://a.com/ b", "http://a.com:99999/", "http://a.com:0/",
		"http://a.com:/", "http://:80/", "http://999.1.1.1/", "http://1.2.3/", "http://a..com/",
		"http://.a.com/", "http://[::1::]/", "http://[::1]x/", "http://[::1/", "javascript:alert(1)",
		"http:/a.com", "http://a.com/\"", "http://a.com/<x>", "http://a\\b.com/", "http://a.com/\tx",
		"http://a.com\x7f", "http://a!b.com/", "http://%zz.com/" };
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		ok(V(cs_valid_url, good[i]), "url '%s' is valid", good[i]);
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(!V(cs_valid_url, bad[i]), "url '%s' is not", bad[i]);
	ok(V(cs_valid_referrer, ""), "an empty referrer is valid");
	ok(V(cs_valid_referrer, "https://a.com/"), "a URL referrer is valid");
	ok(!V(cs_valid_referrer, "-"), "'-' is not a referrer");
}

static void
test_language(void)
{
	static const char *good[] = { "en", "en-us", "EN-US", "zh-Hant-TW", "fil-ph", "de-CH-1996",
		"sr-Latn-RS", "es-419" };
	static const char *bad[] = { "", "e", "english", "en_US", "en-", "-us", "en--us", "en-abcdefghi",
		"12-us", "en us", "en-us ", "日本語", "abcd" };
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		ok(V(cs_valid_language, good[i]), "language '%s' is valid", good[i]);
	ok(!V(cs_valid_language, "x-a"), "language 'x-a' is not (a one-letter primary)");
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(!V(cs_valid_language, bad[i]), "language '%s' is not", bad[i]);
}

/* the verdict on LINE as "ERROR reason", or "ok" */
static const char *
judge(const char *line)
{
	static char out[512];
	struct cs_record r;
	struct cs_verdict v;

	cs_record_init(&r, 0);
	if (cs_record_parse(&r, line, strlen(line), &v) == 0 && cs_record_check(&r, &v) == 0)
		snprintf(out, sizeof out, "ok");
	else
		snprintf(out, sizeof out, "%s %s", v.error, v.reason);
	cs_record_free(&r);
	return out;
}

static void
test_records(void)
{
	struct cs_record r;
	struct cs_verdict v;
	char line[1024];

	is_str(judge(seed), "ok", "the seed's record is eligible");
	is_str(judge("{}"), "MissingField ip: missing", "an empty object");
	is_str(judge("[]"), "NotAnObject the record is an array, not an object", "an array");
	is_str(judge("\"x\""), "NotAnObject the record is a string, not an object", "a string");
	is_str(judge("{\"ip\":"), "InvalidJSON invalid JSON: truncated (expected a value)", "truncated");
	is_str(judge("{\"ip\":\"\xff\"}"), "InvalidUTF8 invalid UTF-8 at byte 8", "bad UTF-8");
	is_str(judge("{\"ip\":1}"), "InvalidField ip: a number, not a string", "a number");
	snprintf(line, sizeof line, "%.*s,\"ip\":\"1.2.3.4\"}", (int)strlen(seed) - 1, seed);
	is_str(judge(line), "ok", "a repeated member: the last one counts");
	snprintf(line, sizeof line, "%.*s,\"ip\":\"x\"}", (int)strlen(seed) - 1, seed);
	is_str(judge(line), "InvalidField ip: 'x' is not an IPv4 or IPv6 address",
	    "a repeated member: the last one counts, bad too");

	/* double-encoded */
	cs_record_init(&r, 0);
	ok(V2(cs_record_parse, &r, "\"{\\\"a\\\":\\n1}\"", &v) == 0, "a double-encoded object parses");
	ok(r.double_encoded, "and is marked double-encoded");
	is_int(r.len, 8, "its decoded text");
	ok(memcmp(r.text, "{\"a\": 1}", 8) == 0, "line ends inside became blanks");
	ok(V2(cs_record_parse, &r, "\"{\\\"a\\\"}\"", &v) == -1 && strcmp(v.error, "InvalidJSON") == 0,
	    "a broken double-encoded object is InvalidJSON");
	is_str(v.reason, "double-encoded record: invalid JSON at byte 5: expected ':'", "its reason");

	/* --require */
	ok(cs_record_parse(&r, "{\"a\":\"x\",\"b\":\"\",\"c\":[]}", 23, &v) == 0, "parse for --require");
	ok(cs_record_require(&r, "a", &v) == 0, "a present string passes");
	ok(cs_record_require(&r, "b", &v) == -1 && strcmp(v.reason, "b: empty") == 0, "an empty one does not");
	ok(cs_record_require(&r, "c", &v) == -1 && strcmp(v.reason, "c: an array, not a string") == 0,
	    "an array does not");
	ok(cs_record_require(&r, "d", &v) == -1 && strcmp(v.error, "MissingField") == 0 &&
	    strcmp(v.field, "d") == 0, "a missing one does not");
	cs_record_free(&r);
}

static void
test_quote(void)
{
	struct buf b = BUF_INIT;

	cs_quote_value(&b, "a'b\\c\n", 6, 80);
	is_str(b.data, "'a\\'b\\\\c\\x0a'", "quotes, backslashes and controls are escaped");
	buf_reset(&b);
	cs_quote_value(&b, "abcdef", 6, 3);
	is_str(b.data, "'abc...'", "a long value is cut");
	buf_reset(&b);
	cs_quote_value(&b, "a\xc3\xa9\xc3\xa9", 5, 4);
	is_str(b.data, "'a\xc3\xa9...'", "on a character boundary");
	buf_free(&b);
}

int
main(void)
{
	test_ip();
	test_timestamp();
	test_url();
	test_language();
	test_records();
	test_quote();
	return done_testing();
}
