/* test-util-io.c - whole writes and whole files (cs_write_all, cs_read_file in lib/util.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/test-util-io.XXXXXX";
	struct buf path = BUF_INIT, b = BUF_INIT;
	volatile sig_atomic_t stop = 0;
	int fd, not_opened = -1;
	char big[100000];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	buf_printf(&path, "%s/f", dir);
	memset(big, 'x', sizeof big);
	fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(cs_write_all(fd, big, sizeof big, NULL) == 0, "a whole write");
	ok(cs_write_all(fd, "end", 3, &stop) == 0, "with a STOP flag that is not set");
	close(fd);
	ok(cs_write_all(-1, "x", 1, NULL) == -1 && errno == EBADF, "a bad descriptor: -1, errno");

	ok(cs_read_file(path.data, 0, &b, &not_opened) == 0, "the file read back");
	ok(b.len == sizeof big + 3 && memcmp(b.data + sizeof big, "end", 3) == 0, "all of it");
	is_int(not_opened, 0, "opened");
	buf_reset(&b);
	ok(cs_read_file(path.data, sizeof big + 3, &b, &not_opened) == 0, "exactly at the limit");
	buf_reset(&b);
	ok(cs_read_file(path.data, sizeof big + 2, &b, &not_opened) == -1 && errno == EFBIG &&
	    !not_opened, "one byte over: EFBIG");
	buf_reset(&b);
	ok(cs_read_file(dir, 0, &b, &not_opened) == -1 && errno == EISDIR && !not_opened,
	    "a directory opens but cannot be read");
	unlink(path.data);
	ok(cs_read_file(path.data, 0, &b, &not_opened) == -1 && errno == ENOENT && not_opened,
	    "a missing file cannot be opened");
	rmdir(dir);
	buf_free(&path);
	buf_free(&b);
	return done_testing();
}
