/* util.c - environment, clocks, RFC 3339 times, numbers, whole files, hex and base64. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cs.h"

const char *
cs_getenv(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

uint64_t
cs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t
cs_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cs_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL); /* a signal cuts it short, as wanted */
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm) */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

void
cs_fmt_rfc3339(char out[32], int64_t unix_ms)
{
	int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
	int64_t ms = unix_ms - secs * 1000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400;
	int y;
	unsigned m, d;

	char tmp[96];

	civil_from_days(days, &y, &m, &d);
	snprintf(tmp, sizeof tmp, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)ms);
	snprintf(out, 32, "%.31s", tmp);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
cs_parse_rfc3339(const char *s, size_t n, int64_t *unix_ms)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, mi, sec, ms = 0, off = 0;
	size_t i;

	/* YYYY-MM-DDTHH:MM:SS */
	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &Y) || digits(s + 5, 2, &M) || digits(s + 8, 2, &D) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1)
		return -1;
	if (D > mdays[M - 1] + (M == 2 && is_leap(Y)))
		return -1;
	if (h > 23 || mi > 59 || sec > 60 || (sec == 60 && (h != 23 || mi != 59)))
		return -1;
	i = 19;
	if (s[i] == '.') {
		int nd = 0;

		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 3)
				ms = ms * 10 + (s[i] - '0');
		if (nd == 0)
			return -1;
		for (; nd < 3; nd++)
			ms *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int oh, om;

		if (n - i < 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
		    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	*unix_ms = ((days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 +
	    h * 3600 + mi * 60 + sec) - (int64_t)off * 60) * 1000 + ms;
	return 0;
}

int
cs_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cs_write_all(int fd, const void *buf, size_t n, const volatile sig_atomic_t *stop)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR && !(stop && *stop))
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cs_read_file(const char *path, size_t max, struct buf *b, int *not_opened)
{
	char chunk[65536];
	ssize_t got;
	int fd, saved;

	*not_opened = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*not_opened = 1;
		return -1;
	}
	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (max && b->len + (size_t)got > max) {
			errno = EFBIG;
			got = -1;
			break;
		}
		buf_add(b, chunk, (size_t)got);
	}
	saved = errno;
	explicit_bzero(chunk, sizeof chunk);
	close(fd);
	errno = saved;
	return got < 0 ? -1 : 0;
}

void
cs_hex(char *out, const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* every pair of base64 characters, by the 12 bits they encode (built by the compiler) */
#define B64C(v) ((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + (v) - 26 : (v) < 62 ? '0' + (v) - 52 : (v) == 62 ? '+' : '/')
#define B64P(i) { B64C((i) >> 6), B64C((i) & 63) }
#define B64P4(i) B64P(i), B64P((i) + 1), B64P((i) + 2), B64P((i) + 3)
#define B64P16(i) B64P4(i), B64P4((i) + 4), B64P4((i) + 8), B64P4((i) + 12)
#define B64P64(i) B64P16(i), B64P16((i) + 16), B64P16((i) + 32), B64P16((i) + 48)
#define B64P256(i) B64P64(i), B64P64((i) + 64), B64P64((i) + 128), B64P64((i) + 192)
#define B64P1024(i) B64P256(i), B64P256((i) + 256), B64P256((i) + 512), B64P256((i) + 768)
static const char b64pairs[4096][2] = {
	B64P1024(0), B64P1024(1024), B64P1024(2048), B64P1024(3072)
};

void
cs_base64_encode(struct buf *b, const unsigned char *p, size_t n)
{
	size_t i;
	char *o;

	buf_grow(b, (n + 2) / 3 * 4);
	o = b->data + b->len;
	/* three bytes as one 24-bit value, two 12-bit halves, two characters each */
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		memcpy(o, b64pairs[v >> 12], 2);
		memcpy(o + 2, b64pairs[v & 4095], 2);
		o += 4;
	}
	if (i < n) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

static const signed char b64rev[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * Four characters at a time straight into the buffer (the hot path of
 * GetRecords); on bad input B is as it was (nothing appended).
 */
int
cs_base64_decode(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, pad = 0, full;
	unsigned char *o;
	int a, c, d, e;

	if (n % 4)
		return -1;
	if (n && p[n - 1] == '=')
		pad = n >= 2 && p[n - 2] == '=' ? 2 : 1;
	buf_grow(b, n / 4 * 3);
	o = (unsigned char *)b->data + b->len;
	full = pad ? n - 4 : n;
	for (i = 0; i < full; i += 4) {
		a = b64rev[p[i]], c = b64rev[p[i + 1]], d = b64rev[p[i + 2]], e = b64rev[p[i + 3]];
		if ((a | c | d | e) < 0)
			goto bad;
		*o++ = (unsigned char)(a << 2 | c >> 4);
		*o++ = (unsigned char)(c << 4 | d >> 2);
		*o++ = (unsigned char)(d << 6 | e);
	}
	if (pad) {
		a = b64rev[p[i]], c = b64rev[p[i + 1]];
		d = pad == 1 ? b64rev[p[i + 2]] : 0;
		if ((a | c | d) < 0)
			goto bad;
		*o++ = (unsigned char)(a << 2 | c >> 4);
		if (pad == 1)
			*o++ = (unsigned char)(c << 4 | d >> 2);
	}
	b->len = (size_t)((char *)o - b->data);
	b->data[b->len] = '\0';
	return 0;
bad:
	b->data[b->len] = '\0';
	return -1;
}

/* SIGINT and SIGTERM so far: the one piece of global state, a signal flag */
volatile sig_atomic_t cs_signalled;

void
cs_count_signal(int sig)
{
	(void)sig;
	cs_signalled++;
}

void
cs_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (handler) {
		sa.sa_handler = handler;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
}
