/* test-rejects.c - the rejects output (lib/rejects.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rejects.h"
#include "tap.h"

static const char *
fmt(const struct reject *rj)
{
	static struct buf b;

	buf_reset(&b);
	rejects_format(&b, rj);
	return b.data;
}

int
main(void)
{
	struct reject rj = { "capture.ndjson", 12, "InvalidField", "ip: '999.1.1.1' is not an IPv4 or IPv6 address",
		"{\"ip\":\"999.1.1.1\"}", 18, NULL };
	struct rejects *r;
	struct cs_err err;
	char path[] = "/tmp/test-rejects.XXXXXX", line[512];
	FILE *f;
	int fd;

	is_str(fmt(&rj),
	    "{\"source\":\"capture.ndjson\",\"line\":12,\"error\":\"InvalidField\","
	    "\"reason\":\"ip: '999.1.1.1' is not an IPv4 or IPv6 address\","
	    "\"record\":\"{\\\"ip\\\":\\\"999.1.1.1\\\"}\"}\n", "a reject line");
	rj.line = 0;
	rj.extra = "\"truncated\":true";
	ok(strstr(fmt(&rj), "\"line\"") == NULL, "no line number: no member");
	ok(strstr(fmt(&rj), ",\"truncated\":true,\"record\":") != NULL, "extra members before the record");
	rj.data = "a\xff" "b";
	rj.len = 3;
	ok(strstr(fmt(&rj), ",\"record_base64\":\"Yf9i\"}") != NULL, "invalid UTF-8: base64");
	ok(strstr(fmt(&rj), "\"record\"") == NULL, "and no record");
	rj.data = "a\0b\n";
	rj.len = 4;
	ok(strstr(fmt(&rj), ",\"record\":\"a\\u0000b\\n\"}") != NULL, "a NUL byte and a newline escaped");
	rj.data = NULL;
	ok(strstr(fmt(&rj), "record") == NULL, "no data: no record");
	rj.error = NULL;
	ok(strstr(fmt(&rj), "\"error\":\"Rejected\"") != NULL, "no error code: Rejected");

	/* to a file */
	fd = mkstemp(path);
	close(fd);
	cs_err_clear(&err);
	r = rejects_open(path, &err);
	ok(r != NULL, "open a rejects file");
	rj.error = "MissingField";
	rj.reason = "ip: missing";
	rj.line = 1;
	rj.extra = NULL;
	rj.data = "{}";
	rj.len = 2;
	ok(rejects_write(r, &rj) == 0 && rejects_write(r, &rj) == 0, "write two");
	is_int(rejects_count(r), 2, "counted");
	{
		struct rejects *r2 = rejects_open("/dev/null", &err);
		size_t ne;
		const struct rejects_by_error *be;

		rejects_write(r2, &rj);
		rj.error = "InvalidJSON";
		rejects_write(r2, &rj);
		rj.error = "MissingField";
		rejects_write(r2, &rj);
		be = rejects_errors(r2, &ne);
		ok(ne == 2 && strcmp(be[0].error, "MissingField") == 0 && be[0].count == 2 &&
		    strcmp(be[1].error, "InvalidJSON") == 0 && be[1].count == 1,
		    "counted by error code, in order of first sight");
		rejects_close(r2, &err);
	}
	ok(rejects_flush(r, &err) == 0, "flush");
	f = fopen(path, "r");
	ok(f && fgets(line, sizeof line, f) && fgets(line, sizeof line, f), "flushed: a reader sees both before the close");
	if (f)
		fclose(f);
	ok(rejects_close(r, &err) == 0, "close");
	f = fopen(path, "r");
	ok(f && fgets(line, sizeof line, f), "read back");
	is_str(line, "{\"source\":\"capture.ndjson\",\"line\":1,\"error\":\"MissingField\","
	    "\"reason\":\"ip: missing\",\"record\":\"{}\"}\n", "the first line");
	ok(fgets(line, sizeof line, f) && !fgets(line, sizeof line, f), "two lines in all");
	fclose(f);
	unlink(path);

	/* a full disk is an error at close at the latest */
	r = rejects_open("/dev/full", &err);
	ok(r != NULL, "open /dev/full");
	rejects_write(r, &rj);
	ok(rejects_flush(r, &err) == -1 && strstr(err.msg, "No space left on device"), "flushing to a full disk fails");
	ok(rejects_close(r, &err) == -1, "closing fails");
	is_str(err.msg, "write error on '/dev/full': No space left on device", "with a message");

	ok(rejects_open("/nonexistent/dir/rej", &err) == NULL, "a file that cannot be created");
	is_str(err.msg, "cannot open '/nonexistent/dir/rej': No such file or directory", "its message");
	is_int(rejects_count(NULL), 0, "count of nothing");
	r = rejects_open(NULL, &err);
	ok(r && rejects_flush(r, &err) == 0 && rejects_close(r, &err) == 0, "flushing stderr lines is a no-op");
	return done_testing();
}
