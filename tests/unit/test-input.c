/* test-input.c - the lines of FILE... or stdin, without blocking (lib/input.c). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "tap.h"

static char dir[] = "/tmp/test-input.XXXXXX";

static char *
file(const char *name, const char *text)
{
	struct buf path = BUF_INIT;
	int fd;

	buf_printf(&path, "%s/%s", dir, name);
	fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(path.data);
		exit(1);
	}
	close(fd);
	return buf_detach(&path);
}

/* every answer of input_next() over FILES, as "status:source:line:text|" */
static const char *
run(char **files, int nfiles)
{
	static struct buf out;
	struct input in;
	struct cs_err err;
	const char *s;
	size_t n;
	enum input_status st;

	buf_reset(&out);
	input_init(&in, files, nfiles, 8);
	while (cs_err_clear(&err), (st = input_next(&in, &s, &n, &err)) != INPUT_END) {
		if (st == INPUT_LINE)
			buf_printf(&out, "L:%s:%llu:%.*s|", strrchr(in.source, '/') + 1,
			    (unsigned long long)in.r.lineno, (int)n, s);
		else if (st == INPUT_TOOLONG)
			buf_printf(&out, "T:%llu:%llu|", (unsigned long long)in.r.lineno,
			    (unsigned long long)in.r.toolong_len);
		else if (st == INPUT_ERROR)
			buf_printf(&out, "E:%s|", strstr(err.msg, "No such") ? "missing" : err.msg);
		else
			buf_printf(&out, "?%d|", (int)st);
	}
	ok(input_fd(&in) < 0, "no descriptor after the end");
	input_close(&in);
	return out.data ? out.data : "";
}

int
main(void)
{
	char *a, *b, *missing;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	a = file("a", "one\ntwo\n");
	b = file("b", "\nthree\n123456789\nfour");
	missing = file("m", "");
	unlink(missing);
	{
		char *files[] = { a, b };

		is_str(run(files, 2), "L:a:1:one|L:a:2:two|L:b:2:three|T:3:9|L:b:4:four|",
		    "two files, one after the other; an overlong line reported");
	}
	{
		char *files[] = { a, missing, b };

		is_str(run(files, 3),
		    "L:a:1:one|L:a:2:two|E:missing|L:b:2:three|T:3:9|L:b:4:four|",
		    "a file that cannot be opened is one error, then the next file");
	}
	{
		char *files[] = { missing };

		is_str(run(files, 1), "E:missing|", "only a missing file");
	}
	{
		/* input_unread: where a run that stops early stopped (the first line not taken) */
		char *files[] = { a, b };
		struct input in;
		struct cs_err err;
		struct buf where = BUF_INIT, later = BUF_INIT, m = BUF_INIT;
		const char *s;
		size_t n;

		input_init(&in, files, 2, 8);
		ok(input_unread(&in, &where, &later) == 1 && strcmp(strrchr(where.data, '/'), "/a:1") == 0 &&
		    strcmp(strrchr(later.data, '/'), "/b") == 0, "nothing read: a:1, then b");
		cs_err_clear(&err);
		input_next(&in, &s, &n, &err);
		buf_reset(&where);
		buf_reset(&later);
		ok(input_unread(&in, &where, &later) == 1 && strcmp(strrchr(where.data, '/'), "/a:2") == 0,
		    "one line taken: a:2 (%s)", where.data);
		input_next(&in, &s, &n, &err);
		input_next(&in, &s, &n, &err); /* b's line 2: its blank line 1 is skipped */
		buf_reset(&where);
		buf_reset(&later);
		ok(input_unread(&in, &where, &later) == 1 && strcmp(strrchr(where.data, '/'), "/b:3") == 0 &&
		    later.len == 0, "into the last file: b:3, nothing after (%s)", where.data);
		is_int(input_unread_msg(&in, &m), 1, "a message when not all was read");
		ok(m.data && strstr(m.data, "stopped before ") &&
		    strstr(m.data, "/b:3: it and the lines after it were not read"), "the message: %s", m.data);
		while (input_next(&in, &s, &n, &err) != INPUT_END)
			;
		buf_reset(&where);
		ok(input_unread(&in, &where, &later) == 0 && where.len == 0, "all read: nothing to name");
		input_close(&in);
		buf_free(&where);
		buf_free(&later);
		buf_free(&m);
	}
	{
		struct input in;

		input_init(&in, NULL, 0, 0);
		is_int(in.nfiles, 1, "no file: standard input");
		is_str(in.files[0], "-", "named '-'");
		input_close(&in);
	}
	{
		/* an empty pipe: wait for it, then the line */
		struct input in;
		struct cs_err err;
		struct buf path = BUF_INIT;
		char *files[1];
		const char *s;
		size_t n;
		int fds[2];

		if (pipe(fds) != 0) {
			perror("pipe");
			return 1;
		}
		buf_printf(&path, "/dev/fd/%d", fds[0]);
		files[0] = path.data;
		input_init(&in, files, 1, 0);
		cs_err_clear(&err);
		is_int(input_next(&in, &s, &n, &err), INPUT_WAIT, "nothing there yet: wait");
		ok(input_fd(&in) >= 0, "with a descriptor to wait on");
		if (write(fds[1], "part\n", 5) != 5)
			perror("write");
		close(fds[1]);
		ok(input_next(&in, &s, &n, &err) == INPUT_LINE && n == 4 && memcmp(s, "part", 4) == 0,
		    "then the line");
		is_int(input_next(&in, &s, &n, &err), INPUT_END, "then the end");
		input_close(&in);
		close(fds[0]);
		buf_free(&path);
	}
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
	free(missing);
	return done_testing();
}
