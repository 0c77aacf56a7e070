/* test-json.c - the strict JSON scanner (lib/json.c). */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

/* parse S; "ok" or the error message */
static const char *
parse(struct json_doc *d, const char *s)
{
	return json_parse(d, s, strlen(s)) == 0 ? "ok" : d->err;
}

static void
test_valid(void)
{
	static const char *good[] = { "{}", "[]", "0", "-0", "1.5e-3", "1E+5", "-12.25", "true", "false",
		"null", "\"\"", " \t\r\n{ \"a\" : [ 1 , { } , [ ] ] } \n", "\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\"",
		"\"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\"", "[[[[[[[[[[1]]]]]]]]]]" };
	struct json_doc d;
	size_t i;

	json_doc_init(&d, 0);
	for (i = 0; i < sizeof good / sizeof *good; i++)
		is_str(parse(&d, good[i]), "ok", "valid #%zu", i);

	is_str(parse(&d, "{\"a\":[1,{\"b\":null}],\"c\":\"x\\ty\"}"), "ok", "a small document");
	is_int(d.ntok, 9, "9 tokens");
	is_int(d.tok[0].type, JSON_OBJECT, "an object first");
	is_int(d.tok[0].size, 2, "of 2 members");
	is_int(d.tok[0].next, 9, "whose subtree ends at the end");
	is_int(d.tok[2].type, JSON_ARRAY, "an array value");
	is_int(d.tok[2].size, 2, "of 2 elements");
	is_int(d.tok[2].next, 7, "skipped in one step");
	is_int(d.tok[8].escaped, 1, "an escaped string is marked");
	is_int(d.tok[1].escaped, 0, "a plain one is not");
	is_int(json_obj_get(&d, 0, "c", 1), 8, "json_obj_get finds a member");
	is_int(json_obj_get(&d, 0, "b", 1), -1, "but not one of a nested object");
	is_int(json_obj_get(&d, 2, "a", 1), -1, "nor in an array");
	ok(json_str_eq(&d, 8, "x\ty", 3), "json_str_eq decodes escapes");
	ok(!json_str_eq(&d, 8, "x\\ty", 4), "and compares the decoded value");
	ok(!json_str_eq(&d, 2, "x", 1), "a non-string is never equal");

	is_str(parse(&d, "{\"k\":1,\"k\":2,\"\\u006b\":3}"), "ok", "repeated members");
	is_int(json_obj_get(&d, 0, "k", 1), 6, "the last one counts, escaped names too");

	json_doc_free(&d);
}

static void
test_invalid(void)
{
	static const char *bad[][2] = {
		{ "", "invalid JSON: truncated (expected a value)" },
		{ "   ", "invalid JSON: truncated (expected a value)" },
		{ "{", "invalid JSON: truncated (expected a member name)" },
		{ "{\"a\"", "invalid JSON: truncated (expected ':')" },
		{ "{\"a\":", "invalid JSON: truncated (expected a value)" },
		{ "{\"a\":1", "invalid JSON: truncated (expected ',' or '}')" },
		{ "[1,", "invalid JSON: truncated (expected a value)" },
		{ "\"abc", "invalid JSON: truncated (unterminated string)" },
		{ "{a:1}", "invalid JSON at byte 2: expected a member name" },
		{ "{\"a\" 1}", "invalid JSON at byte 6: expected ':'" },
		{ "{\"a\":1,}", "invalid JSON at byte 8: expected a member name" },
		{ "[1,]", "invalid JSON at byte 4: expected a value" },
		{ "[1 2]", "invalid JSON at byte 4: expected ',' or ']'" },
		{ "{}x", "invalid JSON at byte 3: unexpected data after the value" },
		{ "01", "invalid JSON at byte 2: unexpected data after the value" },
		{ "1.", "invalid JSON at byte 1: not a JSON value" },
		{ ".5", "invalid JSON at byte 1: not a JSON value" },
		{ "-", "invalid JSON at byte 1: not a JSON value" },
		{ "1e", "invalid JSON at byte 1: not a JSON value" },
		{ "tru", "invalid JSON at byte 1: unexpected character" },
		{ "nul", "invalid JSON at byte 1: unexpected character" },
		{ "'a'", "invalid JSON at byte 1: not a JSON value" },
		{ "\"\\x\"", "invalid JSON at byte 2: bad escape in string" },
		{ "\"\\u12\"", "invalid JSON at byte 2: bad \\u escape" },
		{ "\"\\udc00\"", "invalid JSON at byte 2: lone low surrogate in \\u escape" },
		{ "\"\\ud800\"", "invalid JSON at byte 2: lone high surrogate in \\u escape" },
		{ "\"\\ud800\\u0041\"", "invalid JSON at byte 2: lone high surrogate in \\u escape" },
		{ "\"a\tb\"", "invalid JSON at byte 3: control character in string" },
		{ "\"\xff\"", "invalid UTF-8 at byte 2" },
		{ "\"\xc0\xaf\"", "invalid UTF-8 at byte 2" },
		{ "\"\xe0\x80\xaf\"", "invalid UTF-8 at byte 2" },
		{ "\"\xed\xa0\x80\"", "invalid UTF-8 at byte 2" },
		{ "\"\xf4\x90\x80\x80\"", "invalid UTF-8 at byte 2" },
		{ "\"\xe6\x97\"", "invalid UTF-8 at byte 2" },
		{ "\xff", "invalid UTF-8 at byte 1" },
	};
	struct json_doc d;
	size_t i;

	json_doc_init(&d, 0);
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		is_str(parse(&d, bad[i][0]), bad[i][1], "invalid: %s", bad[i][0]);
	ok(json_parse(&d, "\"a\0b\"", 5) == -1 && strcmp(d.err, "NUL byte at byte 3") == 0,
	    "a NUL byte in a string: %s", d.err);
	ok(json_parse(&d, "{}\0", 3) == -1 && strcmp(d.err, "NUL byte at byte 3") == 0,
	    "a NUL byte after the value: %s", d.err);
	json_doc_free(&d);
}

static void
test_depth(void)
{
	struct json_doc d;
	char s[1024];
	int n;

	json_doc_init(&d, 3);
	is_str(parse(&d, "[[[1]]]"), "ok", "depth 3 within a limit of 3");
	is_str(parse(&d, "[[[[1]]]]"), "nesting deeper than 3 levels", "depth 4 is not");
	json_doc_free(&d);

	json_doc_init(&d, 0);
	for (n = 100; n <= 300; n += 200) {
		memset(s, '[', (size_t)n);
		memset(s + n, ']', (size_t)n);
		s[2 * n] = '\0';
		is_str(parse(&d, s), n <= JSON_DEFAULT_DEPTH ? "ok" : "nesting deeper than 256 levels",
		    "depth %d with the default limit", n);
	}
	memset(s, '[', 256);
	memset(s + 256, ']', 256);
	s[512] = '\0';
	is_str(parse(&d, s), "ok", "depth 256 exactly");
	json_doc_free(&d);
}

static void
test_strings(void)
{
	struct json_doc d;
	struct buf b = BUF_INIT;
	size_t bad = 99;

	json_doc_init(&d, 0);
	parse(&d, "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u65e5\\ud83d\\ude00\\u0000z\"");
	json_str_decode(&d, 0, &b);
	is_int(b.len, 20, "decoded length");
	ok(memcmp(b.data, "a\"\\/\b\f\n\r\t\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\0z", 20) == 0,
	    "every escape decodes to UTF-8");
	buf_reset(&b);
	json_escape(&b, "a\"\\\n\r\t\b\f\x01\x1f\xc3\xa9", 12);
	is_str(b.data, "\"a\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\xc3\xa9\"", "json_escape");
	buf_reset(&b);
	json_escape(&b, "a\0b", 3);
	is_str(b.data, "\"a\\u0000b\"", "json_escape keeps a NUL byte");

	ok(utf8_valid("", 0, NULL), "empty is valid UTF-8");
	ok(utf8_valid("\xf0\x9f\x98\x80\xc3\xa9", 6, NULL), "4- and 2-byte sequences");
	ok(!utf8_valid("ab\xc3", 3, &bad) && bad == 2, "a cut sequence at its offset");
	ok(!utf8_valid("\xf5\x80\x80\x80", 4, &bad) && bad == 0, "above U+10FFFF");
	ok(!utf8_valid("\x80", 1, NULL), "a lone continuation byte");
	buf_free(&b);
	json_doc_free(&d);
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_depth();
	test_strings();
	return done_testing();
}
