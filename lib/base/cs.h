/*
 * cs.h - what every part of the toolkit shares: exit codes, messages,
 * growable buffers, small helpers.
 *
 * The library never prints and never exits on its own: functions return
 * 0 on success and -1 on failure, filling a caller-provided error buffer
 * (struct cs_err), and what it has to say goes through a log callback
 * (struct cs_log below).  Only cmd/ and the tool layer (lib/tool: msg.h,
 * opts.h) print or exit.
 */
#ifndef CS_H
#define CS_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef CS_VERSION_STRING
#define CS_VERSION CS_VERSION_STRING
#else
#define CS_VERSION "0.1.0"
#endif

/* Exit status shared by every tool (documented in man/cs.7 and each page). */
enum cs_exit {
	CS_EXIT_OK = 0,          /* all input handled; everything delivered */
	CS_EXIT_UNDELIVERED = 1, /* some records went to the rejects output */
	CS_EXIT_USAGE = 2,       /* bad option or argument */
	CS_EXIT_INPUT = 3,       /* an input could not be opened or read */
	CS_EXIT_OUTPUT = 4,      /* stdout, rejects or results could not be written */
	CS_EXIT_SERVICE = 5,     /* credentials, configuration, or the service refused for good */
	CS_EXIT_INTERRUPTED = 6, /* stopped by a signal before the input was done */
};

/*
 * The exit status of a run from what went wrong, the first that applies: the
 * service failed for good, an output could not be written, interrupted, an
 * input could not be read, records were rejected; else CS_EXIT_OK.
 */
int cs_exit_status(int service, int output, int interrupted, int input, int undelivered);

/* An error message filled in by the library, printed by the tool. */
#define CS_ERRMAX 1024
struct cs_err {
	char msg[CS_ERRMAX];
	/* for AWS errors: the service's code ("ThrottlingException"), else "" */
	char code[128];
	int http_status;    /* 0 when no HTTP answer was had */
	int retryable;      /* the retry policy's verdict */
};
void cs_err_set(struct cs_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cs_err_clear(struct cs_err *e);

/*
 * --- the library's few messages (util.c) ------------------------------------
 * A part of the library that has something to say (the -v trace of the
 * AWS client, "listening on", a reject or a failed batch when no file
 * was given for them) says it through a log callback from its
 * configuration, as curl's debug callback: LINE[0..len) is one line
 * without its newline; the tool decides where it goes (lib/tool/msg.h
 * has the usual two).  0, or -1 with errno when it could not be written.
 */
typedef int (*cs_log_fn)(void *ctx, const char *line, size_t len);
struct cs_log {
	cs_log_fn fn;      /* NULL: the lines go nowhere */
	void *ctx;
};
/* Format one line and hand it to L (nothing when L or L->fn is NULL); L->fn's result, or 0. */
int cs_logf(const struct cs_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- growable byte buffer (buf.c) ----------------------------------------- */
struct buf {
	char *data;   /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
};
#define BUF_INIT { NULL, 0, 0 }
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);               /* len = 0, keep memory */
void buf_grow(struct buf *b, size_t extra);  /* aborts on out of memory */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
char *buf_detach(struct buf *b);             /* caller frees; b is reset */
void buf_wipe_free(struct buf *b);          /* zero the whole memory (secrets), then free */
void cs_wipe_free(char *s);                 /* the same for a string (NULL is fine) */

/*
 * --- memory (buf.c): out of memory ends the process ------------------------
 * cs_oom() calls the handler the tool set (lib/tool/msg.c prints
 * "PROG: out of memory"), then aborts.
 */
void cs_set_oom_handler(void (*handler)(void));
void cs_oom(void) __attribute__((noreturn));
void *cs_malloc(size_t n);
void *cs_calloc(size_t n, size_t sz);
void *cs_realloc(void *p, size_t n);
char *cs_strdup(const char *s);
char *cs_strndup(const char *s, size_t n);

/* --- signals (util.c) ---------------------------------------------------- */
/* Ignore SIGPIPE (writes then fail with EPIPE) and install HANDLER for SIGINT/SIGTERM (no SA_RESTART). */
void cs_signals(void (*handler)(int));
/* The handler most tools give cs_signals(): it only counts the signals in cs_signalled. */
void cs_count_signal(int sig);
extern volatile sig_atomic_t cs_signalled;

/* --- environment and time (util.c) ---------------------------------------- */
/* getenv() that treats an empty variable as unset. */
const char *cs_getenv(const char *name);
/* Monotonic milliseconds, for timeouts and rates. */
uint64_t cs_now_ms(void);
/* The wall clock in unix milliseconds (expiry times, arrival times). */
int64_t cs_wall_ms(void);
/* Sleep, returning early (with errno EINTR) when a signal arrives. */
void cs_sleep_ms(unsigned ms);
/* Format unix time (with milliseconds) as RFC 3339 UTC: 2018-02-04T23:18:32.866Z */
void cs_fmt_rfc3339(char out[32], int64_t unix_ms);
/* Parse an RFC 3339 date-time (Z or +hh:mm offset, optional fraction) to unix ms. -1 if invalid. */
int cs_parse_rfc3339(const char *s, size_t n, int64_t *unix_ms);
/* Parse a non-negative integer with an optional unit-free range check. -1 if invalid. */
int cs_parse_uint(const char *s, unsigned long long max, unsigned long long *out);
/*
 * Write all N bytes of P to FD, going on after a short write or a signal; 0, or -1 with
 * errno.  With STOP given, a signal that finds *STOP set gives up (-1, errno EINTR).
 */
int cs_write_all(int fd, const void *p, size_t n, const volatile sig_atomic_t *stop);
/*
 * Read the whole file PATH onto B, at most MAX bytes (0: no limit).  0, or -1
 * with errno (EFBIG: larger than MAX) and *NOT_OPENED saying whether it could
 * not even be opened.  The bytes pass through a buffer that is wiped after.
 */
int cs_read_file(const char *path, size_t max, struct buf *b, int *not_opened);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void cs_hex(char *out, const unsigned char *p, size_t n);
/* base64 (RFC 4648, padded) encode onto b; decode returns -1 on bad input, appending nothing then. */
void cs_base64_encode(struct buf *b, const unsigned char *p, size_t n);
int cs_base64_decode(struct buf *b, const char *s, size_t n);

#endif
