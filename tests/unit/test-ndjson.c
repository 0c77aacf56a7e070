/* test-ndjson.c - the line reader (lib/ndjson.c). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ndjson.h"
#include "tap.h"

/* a reader over the bytes S[0..n) */
static void
open_bytes(struct ndjson_reader *r, const char *s, size_t n, size_t maxline)
{
	int fd = memfd_create("test", 0);

	if (fd < 0 || (n && write(fd, s, n) != (ssize_t)n)) {
		perror("memfd");
		exit(1);
	}
	lseek(fd, 0, SEEK_SET);
	ndjson_init_fd(r, fd, "mem", maxline);
	r->own_fd = 1;
}

/* every line of S as "LINENO:status:text|", overlong ones with their length */
static const char *
lines(const char *s, size_t n, size_t maxline)
{
	static struct buf out;
	struct ndjson_reader r;
	const char *line;
	size_t len;
	enum ndjson_status st;

	buf_reset(&out);
	open_bytes(&r, s, n, maxline);
	while ((st = ndjson_next(&r, &line, &len)) != NDJSON_EOF) {
		if (st == NDJSON_LINE) {
			buf_printf(&out, "%llu:", (unsigned long long)r.lineno);
			buf_add(&out, line, len);
			buf_addc(&out, '|');
		} else if (st == NDJSON_TOOLONG) {
			buf_printf(&out, "%llu:LONG %llu %zu|", (unsigned long long)r.lineno,
			    (unsigned long long)r.toolong_len, len);
		} else {
			buf_adds(&out, "ERR|");
			break;
		}
	}
	ndjson_close(&r);
	return out.data ? out.data : "";
}

#define L(s, cap) lines(s, sizeof(s) - 1, cap)

int
main(void)
{
	struct ndjson_reader r;
	struct cs_err err;
	char *big;
	const char *line;
	size_t len, n;

	is_str(L("a\nb\n", 0), "1:a|2:b|", "two lines");
	is_str(L("a\nb", 0), "1:a|2:b|", "no final newline");
	is_str(L("a\r\nb\r\n", 0), "1:a|2:b|", "CRLF");
	is_str(L("a\rb\n", 0), "1:a\rb|", "a CR inside a line stays");
	is_str(L("\n\n  \n\t\n\r\nx\n\n", 0), "6:x|", "empty and blank lines are skipped, counted");
	is_str(L("\xef\xbb\xbfx\n", 0), "1:x|", "a BOM at the start is dropped");
	is_str(L("\xef\xbb\xbf", 0), "", "a BOM alone is nothing");
	is_str(L("\xef\xbb", 0), "1:\xef\xbb|", "a partial BOM is data");
	is_str(L("x\n\xef\xbb\xbfy\n", 0), "1:x|2:\xef\xbb\xbfy|", "a BOM later is data");
	is_str(L("", 0), "", "empty input");
	is_str(L("a\0b\n", 0), "1:a", "a NUL byte is passed on (the line is 3 bytes)");
	is_str(L("12345\n123456\n1234567\nok\n", 5), "1:12345|2:LONG 6 6|3:LONG 7 7|4:ok|",
	    "the cap: a line of the cap's length passes, longer ones are reported whole");
	is_str(L("12345\r\n", 5), "1:12345|", "the CR does not count against the cap");
	is_str(L("ok\n1234567", 5), "1:ok|2:LONG 7 7|", "an overlong last line without a newline");

	/* an overlong line across many reads: skipped whole, its prefix kept */
	n = 3u << 20;
	big = malloc(n + 16);
	memset(big, 'x', n);
	memcpy(big + n, "\nok\n", 4);
	open_bytes(&r, big, n + 4, 1u << 20);
	ok(ndjson_next(&r, &line, &len) == NDJSON_TOOLONG, "a 3 MiB line over a 1 MiB cap");
	is_int(r.toolong_len, n, "its whole length is known");
	is_int(len, NDJSON_PREFIX_MAX, "its first bytes are kept");
	ok(ndjson_next(&r, &line, &len) == NDJSON_LINE && len == 2 && memcmp(line, "ok", 2) == 0,
	    "the next line is intact");
	is_int(r.lineno, 2, "and is line 2");
	ok(ndjson_next(&r, &line, &len) == NDJSON_EOF, "then the end");
	is_int(r.bytes, n + 4, "every byte was read");
	ndjson_close(&r);

	/* a long line under the cap, across the reader's chunks */
	memset(big, 'y', 300000);
	memcpy(big + 300000, "\n", 1);
	open_bytes(&r, big, 300001, 0);
	ok(ndjson_next(&r, &line, &len) == NDJSON_LINE && len == 300000, "a 300 kB line under the default cap");
	ndjson_close(&r);
	free(big);

	{
		/* a non-blocking pipe (left so by a parent): waited on like a blocking one */
		int fds[2], calls = 0;
		enum ndjson_status st;
		pid_t pid;

		if (pipe2(fds, O_NONBLOCK) == 0) {
			pid = fork();
			if (pid == 0) {
				close(fds[0]);
				usleep(200000);
				if (write(fds[1], "a\n", 2) != 2)
					_exit(1);
				usleep(100000);
				_exit(0);
			}
			close(fds[1]);
			ndjson_init_fd(&r, fds[0], "pipe", 0);
			while ((st = ndjson_next(&r, &line, &len)) == NDJSON_AGAIN && calls < 1000)
				calls++;
			ok(st == NDJSON_LINE && len == 1 && line[0] == 'a',
			    "a non-blocking pipe: the line, once it comes (%d NDJSON_AGAIN)", calls);
			while ((st = ndjson_next(&r, &line, &len)) == NDJSON_AGAIN && calls < 2000)
				calls++;
			ok(st == NDJSON_EOF && calls < 20, "then the end, without spinning (%d NDJSON_AGAIN)", calls);
			ndjson_close(&r);
			close(fds[0]);
			waitpid(pid, NULL, 0);
		}
	}

	cs_err_clear(&err);
	ok(ndjson_open(&r, "/nonexistent/x", 0, &err) == -1, "a missing file");
	is_str(err.msg, "cannot open '/nonexistent/x': No such file or directory", "its message");
	ok(ndjson_open(&r, "-", 0, &err) == 0 && strcmp(r.name, "<stdin>") == 0, "'-' is <stdin>");
	ndjson_close(&r);
	return done_testing();
}
