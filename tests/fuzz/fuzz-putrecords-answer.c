/*
 * fuzz-putrecords-answer.c - arbitrary bytes as the answer to PutRecords,
 * through the whole delivery engine of cs-put (putter), from a loopback
 * HTTP server in a thread of the harness.
 *
 * Input: byte 0 picks the HTTP status (200 mostly, else 400, 500, 503);
 * the rest is the answer's body.  Four records (two share a key) go in one
 * batch, with one attempt allowed.  Checked: no crash, leak or bad read;
 * DONE is called exactly once per record; a delivered record has a shard
 * id and a sequence number when the answer was read for them, a failed
 * one an error code.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws.h"
#include "cs.h"
#include "opts.h"
#include "putter.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NREC 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *answer;       /* under lock */
static size_t answer_len;
static int answer_status;
static char endpoint[64];
static struct aws_client *client;

/* read one request (headers and Content-Length body); -1 when the peer is gone */
static int
read_request(int fd)
{
	char buf[65536];
	size_t have = 0;
	char *end;
	long clen = 0;
	ssize_t n;
	size_t hdr;

	for (;;) {
		if (have == sizeof buf - 1)
			return -1;
		n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = 0;
		if ((end = strstr(buf, "\r\n\r\n")))
			break;
	}
	hdr = (size_t)(end - buf) + 4;
	for (char *p = buf; p < end; p++) {
		if (strncasecmp(p, "\r\ncontent-length:", 17) == 0) {
			clen = strtol(p + 17, NULL, 10);
			break;
		}
	}
	/* the body: what came with the headers, then the rest */
	have -= hdr;
	while ((long)have < clen) {
		n = read(fd, buf, sizeof buf);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return 0;
}

static void *
serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct buf out = BUF_INIT;
	int ok;

	/* the answer in one write: headers and body apart meet Nagle and a delayed ACK */
	while (read_request(fd) == 0) {
		buf_reset(&out);
		pthread_mutex_lock(&lock);
		buf_printf(&out, "HTTP/1.1 %d X\r\nContent-Type: application/x-amz-json-1.1\r\n"
		    "Content-Length: %zu\r\n\r\n", answer_status, answer_len);
		buf_add(&out, answer, answer_len);
		pthread_mutex_unlock(&lock);
		ok = write(fd, out.data, out.len) == (ssize_t)out.len;
		if (!ok)
			break;
	}
	buf_free(&out);
	close(fd);
	return NULL;
}

static void *
serve(void *arg)
{
	int ls = (int)(intptr_t)arg, fd;
	pthread_t t;

	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	struct cs_opts o;
	struct cs_err err;
	pthread_t t;
	int ls;

	(void)argc;
	(void)argv;
	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 16) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0)
		abort();
	snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", ntohs(a.sin_port));
	if (pthread_create(&t, NULL, serve, (void *)(intptr_t)ls) != 0)
		abort();
	pthread_detach(t);

	setenv("AWS_ACCESS_KEY_ID", "AKIDFUZZ", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "fuzzsecret", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	unsetenv("AWS_SESSION_TOKEN");
	cs_opts_init(&o);
	o.endpoint_url = endpoint;
	o.retry_budget_ms = 0;
	o.max_attempts = 1;
	o.timeout_ms = 5000;
	client = aws_client_new(&o, "kinesis", &err);
	if (!client)
		abort();
	return 0;
}

struct tally {
	int done[NREC];
	int calls;
};

static void
on_done(void *arg, const struct put_record *rec, const struct put_result *res)
{
	struct tally *t = arg;

	if (rec->seq >= NREC || t->done[rec->seq]++)
		__builtin_trap();
	t->calls++;
	if (res->ok && (!res->shard_id || !res->sequence_number))
		__builtin_trap();
	if (!res->ok && (!res->code || !*res->code || !res->message))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 200, 200, 200, 200, 200, 400, 500, 503 };
	static const char *keys[NREC] = { "a", "b", "a", "c" };
	struct put_config cfg;
	struct tally t;
	struct putter *p;
	int i;

	if (size < 1)
		return 0;
	pthread_mutex_lock(&lock);
	free(answer);
	answer_len = size - 1;
	answer = cs_malloc(answer_len + 1);
	memcpy(answer, data + 1, answer_len);
	answer_status = statuses[data[0] & 7];
	pthread_mutex_unlock(&lock);

	memset(&t, 0, sizeof t);
	memset(&cfg, 0, sizeof cfg);
	cfg.stream = "fuzz";
	cfg.parallel = 1;
	cfg.linger_ms = 0;
	cfg.max_records = 500;
	cfg.ordered = data[0] & 8;
	cfg.ordered_keys = data[0] & 16;
	cfg.keep_going = data[0] & 32;
	cfg.want_ids = 1;
	cfg.retry_budget_ms = 1;
	cfg.max_attempts = 1;
	cfg.done = on_done;
	cfg.arg = &t;
	p = putter_new(&cfg, client);
	for (i = 0; i < NREC; i++)
		putter_add(p, "{\"x\":1}", 7, keys[i], 1, NULL, "fuzz", (uint64_t)i + 1, NULL);
	putter_flush(p);
	for (i = 0; i < 200 && putter_run(p, 100, -1) > 0; i++)
		;
	if (putter_outstanding(p) != 0 || t.calls != NREC)
		__builtin_trap();
	putter_free(p);
	return 0;
}
