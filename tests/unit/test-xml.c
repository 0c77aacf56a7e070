/* test-xml.c - the strict XML element reader: the STS answer shapes, what it decodes, what it refuses. */
#include <string.h>

#include "tap.h"
#include "xml.h"

static int
parses(const char *text)
{
	struct xml_doc d;
	struct cs_err err;
	int rc = xml_parse(&d, text, strlen(text), &err);

	if (rc == 0)
		xml_free(&d);
	return rc == 0;
}

int
main(void)
{
	static const char sts[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
	    "  <AssumeRoleResult>\n"
	    "    <Credentials>\n"
	    "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
	    "      <SecretAccessKey>se&lt;cr&amp;et</SecretAccessKey>\n"
	    "      <SessionToken><![CDATA[tok<en>]]>&#x41;&#66;&#x20AC;</SessionToken>\n"
	    "      <Expiration>2026-11-30T12:00:00Z</Expiration>\n"
	    "    </Credentials>\n"
	    "  </AssumeRoleResult>\n"
	    "  <!-- a comment -->\n"
	    "  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\n"
	    "</AssumeRoleResponse>\n";
	static const char *bad[] = {
		"", "   ", "text", "<a>", "<a></b>", "<a><b></a></b>", "<a/><b/>", "<a></a>x",
		"x<a></a>", "<a>&bogus;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>", "<a>&#;</a>",
		"<a>&#x110000;</a>", "<a b=1></a>", "<a b=\"1\" b=\"2\"></a>", "<a b=\"1\"c=\"2\"></a>",
		"<a b=\"<\"></a>", "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", "<a><!-- x -- y --></a>",
		"<a>]]></a>", "<a><![CDATA[x</a>", "<:a></:a>", "<a:></a:>", "<1a></1a>", "<a / >",
		"<?xml version=\"1.0\"", "<a>\n<b>\n",
	};
	static const char prefixed[] = "<s:Env xmlns:s=\"u\"><s:Body a='1' >x<e/>y</s:Body></s:Env>";
	struct xml_doc d;
	struct cs_err err;
	char deep[2 * 4 * 40 + 1], nul[] = "<a>x\0y</a>";
	size_t i;
	int n;

	ok(xml_parse(&d, sts, sizeof sts - 1, &err) == 0, "an AssumeRole answer parses");
	is_str(xml_path_text(&d, "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId"),
	    "ASIAEXAMPLE", "the access key by path");
	is_str(xml_path_text(&d, "AssumeRoleResponse/AssumeRoleResult/Credentials/SecretAccessKey"),
	    "se<cr&et", "the predefined entities decoded");
	is_str(xml_path_text(&d, "AssumeRoleResponse/AssumeRoleResult/Credentials/SessionToken"),
	    "tok<en>AB\xE2\x82\xAC", "CDATA kept as is, character references as UTF-8");
	is_str(xml_path_text(&d, "AssumeRoleResponse/ResponseMetadata/RequestId"), "r-1",
	    "an element after a comment");
	ok(xml_path_text(&d, "AssumeRoleResponse/Missing") == NULL, "a missing element is NULL");
	ok(xml_path(&d, "Other/AssumeRoleResult") == -1, "the path starts at the root's name");
	n = xml_path(&d, "AssumeRoleResponse/AssumeRoleResult/Credentials");
	ok(n > 0 && xml_child(&d, n, "Expiration") > n, "xml_child finds a later sibling");
	xml_free(&d);

	ok(xml_parse(&d, prefixed, strlen(prefixed), &err) == 0,
	    "prefixes dropped, single quotes, an empty element");
	is_str(xml_path_text(&d, "Env/Body"), "xy", "an element's own text, children excluded");
	xml_free(&d);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok(!parses(bad[i]), "refused: %s", bad[i]);
	}
	ok(xml_parse(&d, nul, sizeof nul - 1, &err) < 0 && strstr(err.msg, "NUL"), "a NUL byte refused");
	ok(strstr(err.msg, "at byte 4") != NULL, "the error names the byte: %s", err.msg);

	memset(deep, 0, sizeof deep);
	for (i = 0; i < 40; i++)
		memcpy(deep + 3 * i, "<a>", 3);
	for (i = 0; i < 40; i++)
		memcpy(deep + 120 + 4 * i, "</a>", 4);
	ok(xml_parse(&d, deep, strlen(deep), &err) < 0 && strstr(err.msg, "too deep"),
	    "nesting past XML_MAX_DEPTH refused");
	ok(parses("\xEF\xBB\xBF<a>\xC3\xA9</a>"), "a byte order mark and UTF-8 text accepted");
	return done_testing();
}
