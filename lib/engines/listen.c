/* listen.c - POST /report over libmicrohttpd, through the putter (see listen.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "listen.h"
#include "retry.h"

enum { Q_RECEIVING, Q_QUEUED, Q_ANSWERED };

/* one request; lives from its first callback to MHD's "completed" notice */
struct lreq {
	struct listener *l;
	struct MHD_Connection *conn;
	struct buf body;
	int too_large;
	int state;
	int close;                 /* answer with "Connection: close" */
	struct lreq *next;         /* in the inbox */
	struct buf record;         /* the record to put */
	struct listen_answer ans;
};

struct listener {
	struct listen_config cfg;
	struct sockaddr_storage sa;
	socklen_t salen;
	struct MHD_Daemon *d;
	int wake[2];
	pthread_mutex_t mu;
	struct lreq *inbox, **inbox_tail;
	int stopping;              /* a signal came: no new request is taken */
	unsigned long suspended;   /* requests waiting for their record's fate */
	unsigned long unsent;      /* requests queued whose answer has not gone out yet */
	struct listen_stats st;
};

/* --- request logic (no socket) ---------------------------------------------- */

void
listen_answer_error(struct listen_answer *ans, int status, const char *code, const char *msg)
{
	ans->status = status;
	buf_reset(&ans->body);
	buf_adds(&ans->body, "{\"Code\":");
	json_escape(&ans->body, code, strlen(code));
	buf_adds(&ans->body, ",\"Message\":");
	json_escape(&ans->body, msg, strlen(msg));
	buf_addc(&ans->body, '}');
}

void
listen_minify(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	int in_str = 0;

	buf_grow(out, n);
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if (ch == '"') {
			in_str = 1;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			buf_add(out, s + run, i - run);
			run = i + 1;
		}
	}
	if (run < n)
		buf_add(out, s + run, n - run);
}

static int
is_report_path(const char *url)
{
	return strcmp(url, "/report") == 0 || strcmp(url, "/Prod/report") == 0;
}

int
listen_request(const char *method, const char *url, const char *body, size_t len,
    int too_large, struct buf *record, struct listen_answer *ans)
{
	struct json_doc d;
	int rc = 0;

	ans->preflight = ans->allow = 0;
	if (!is_report_path(url)) {
		listen_answer_error(ans, 404, "NotFound", "no such resource: only POST /report is served");
		return 0;
	}
	if (strcmp(method, "OPTIONS") == 0) {
		ans->status = 204;
		ans->preflight = 1;
		buf_reset(&ans->body);
		return 0;
	}
	if (strcmp(method, "POST") != 0) {
		listen_answer_error(ans, 405, "MethodNotAllowed", "only POST is allowed on /report");
		ans->allow = 1;
		return 0;
	}
	if (too_large) {
		char m[128];

		snprintf(m, sizeof m, "request body is over the limit of %u bytes", LISTEN_MAX_BODY);
		listen_answer_error(ans, 413, "RecordTooLarge", m);
		return 0;
	}
	if (len == 0) {
		listen_answer_error(ans, 400, "InvalidJSON", "request body is empty: send one JSON record");
		return 0;
	}
	json_doc_init(&d, JSON_DEFAULT_DEPTH);
	if (json_parse(&d, body, len) != 0) {
		struct buf m = BUF_INIT;

		buf_printf(&m, "request body is not JSON: %s", d.err);
		listen_answer_error(ans, 400, "InvalidJSON", m.data);
		buf_free(&m);
	} else if (d.tok[0].type != JSON_OBJECT) {
		listen_answer_error(ans, 400, "InvalidJSON", "request body is not a JSON object");
	} else {
		buf_reset(record);
		listen_minify(record, body, len);
		rc = 1;
	}
	json_doc_free(&d);
	return rc;
}

/* the HTTP status of a record's failure */
static int
fail_status(const struct put_result *res)
{
	if (res->http_status >= 400)
		return res->http_status;
	if (strcmp(res->code, "RecordTooLarge") == 0)
		return 413;
	if (retry_is_throttle(res->code) || strncmp(res->code, "Invalid", 7) == 0)
		return 400;
	if (strcmp(res->code, "NetworkError") == 0 || strcmp(res->code, "Interrupted") == 0)
		return 503;
	return 500;
}

void
listen_answer_put(struct listen_answer *ans, const char *stream, const struct put_result *res)
{
	struct buf *b = &ans->body;

	ans->preflight = ans->allow = 0;
	if (!res->ok) {
		/*
		 * The service's own errors are passed on, as the sample did; ours
		 * (credentials, signing, the network) would tell a stranger about
		 * this machine's files and addresses: they stay in our own log.
		 */
		if (strcmp(res->code, "CredentialsError") == 0 || strcmp(res->code, "SigningError") == 0 ||
		    strcmp(res->code, "NetworkError") == 0 || strcmp(res->code, "Interrupted") == 0)
			listen_answer_error(ans, fail_status(res), res->code,
			    "the record could not be put to the stream; the endpoint's log says why");
		else
			listen_answer_error(ans, fail_status(res), res->code, res->message);
		return;
	}
	ans->status = 200;
	buf_reset(b);
	buf_adds(b, "{\"Code\":\"PutRecordSuccessful\",\"Message\":");
	{
		struct buf m = BUF_INIT;

		buf_adds(&m, "Record was successfully put to ");
		buf_adds(&m, stream);
		json_escape(b, m.data, m.len);
		buf_free(&m);
	}
	buf_adds(b, ",\"Data\":{\"ShardId\":");
	json_escape(b, res->shard_id, strlen(res->shard_id));
	buf_adds(b, ",\"SequenceNumber\":");
	json_escape(b, res->sequence_number, strlen(res->sequence_number));
	buf_adds(b, "}}");
}

/* --- libmicrohttpd ------------------------------------------------------------- */

static enum MHD_Result
respond(struct listener *l, struct lreq *q)
{
	struct listen_answer *a = &q->ans;
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(a->body.len, a->body.data ? a->body.data : (char *)"",
	    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	if (a->preflight) {
		const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
		    "Access-Control-Request-Headers");

		MHD_add_response_header(r, "Access-Control-Allow-Methods", "POST, OPTIONS");
		MHD_add_response_header(r, "Access-Control-Allow-Headers", h && *h ? h : "Content-Type");
		MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
	} else {
		MHD_add_response_header(r, "Content-Type", "application/json");
	}
	if (a->allow)
		MHD_add_response_header(r, "Allow", "POST, OPTIONS");
	pthread_mutex_lock(&l->mu);
	if (l->stopping)
		q->close = 1;
	pthread_mutex_unlock(&l->mu);
	/* stopping: the client is told not to send another request on this connection */
	if (q->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(q->conn, (unsigned)a->status, r);
	MHD_destroy_response(r);
	pthread_mutex_lock(&l->mu);
	l->st.requests++;
	if (a->status == 200)
		l->st.ok++;
	else if (a->status < 300)
		l->st.other++;
	else if (a->status < 500)
		l->st.client_errors++;
	else
		l->st.server_errors++;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct lreq *q = *con_cls;
	ssize_t w;

	(void)version;
	if (!q) {
		q = cs_calloc(1, sizeof *q);
		q->l = l;
		q->conn = conn;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!q->too_large && q->body.len + *upload_size <= LISTEN_MAX_BODY)
			buf_add(&q->body, upload, *upload_size);
		else
			q->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->state == Q_ANSWERED)
		return respond(l, q);
	if (q->state == Q_QUEUED)
		return MHD_YES; /* not for us: still waiting */
	if (!listen_request(method, url, q->body.data ? q->body.data : "", q->body.len,
	    q->too_large, &q->record, &q->ans))
		return respond(l, q);
	buf_free(&q->body);
	/*
	 * Queue it, unless the endpoint is stopping: then a request that
	 * arrives on a connection kept alive is refused, so that no
	 * connection is suspended once the serving loop has seen the last
	 * one answered (libmicrohttpd aborts when stopped with one).  The
	 * check and the count are under one lock with the flag's setting.
	 */
	pthread_mutex_lock(&l->mu);
	if (l->stopping) {
		pthread_mutex_unlock(&l->mu);
		listen_answer_error(&q->ans, 503, "ServiceUnavailable",
		    "the endpoint is stopping: send the request again later");
		q->close = 1;
		return respond(l, q);
	}
	q->state = Q_QUEUED;
	MHD_suspend_connection(conn);
	l->suspended++;
	l->unsent++;
	q->next = NULL;
	*l->inbox_tail = q;
	l->inbox_tail = &q->next;
	pthread_mutex_unlock(&l->mu);
	do
		w = write(l->wake[1], "", 1);
	while (w < 0 && errno == EINTR);
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct lreq *q = *con_cls;

	(void)conn;
	(void)toe;
	if (!q)
		return;
	if (q->state != Q_RECEIVING) {
		pthread_mutex_lock(&l->mu);
		l->unsent--;
		pthread_mutex_unlock(&l->mu);
	}
	buf_free(&q->body);
	buf_free(&q->record);
	buf_free(&q->ans.body);
	free(q);
	*con_cls = NULL;
}

/* the record of request Q has its fate: answer it (on the serving thread) */
static void
answer(struct listener *l, struct lreq *q)
{
	pthread_mutex_lock(&l->mu);
	q->state = Q_ANSWERED;
	l->suspended--;
	pthread_mutex_unlock(&l->mu);
	MHD_resume_connection(q->conn);
}

void
listen_put_done(void *arg, const struct put_record *rec, const struct put_result *res)
{
	struct listener *l = arg;
	struct lreq *q = rec->ctx;

	if (l->cfg.chain)
		l->cfg.chain(l->cfg.chain_arg, rec, res);
	if (!q)
		return;
	listen_answer_put(&q->ans, l->cfg.stream, res);
	answer(l, q);
}

static int
parse_addr(struct listener *l, const char *addr, struct cs_err *err)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	const char *colon = strrchr(addr, ':'), *h = addr;
	size_t hl;
	int rc;

	if (!colon || !colon[1]) {
		cs_err_set(err, "--listen: '%s' is not ADDR:PORT", addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		h = addr + 1;
		hl -= 2;
	}
	if (hl >= sizeof host) {
		cs_err_set(err, "--listen: '%s': address too long", addr);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0 || !ai) {
		cs_err_set(err, "--listen: '%s': %s", addr, gai_strerror(rc));
		return -1;
	}
	memcpy(&l->sa, ai->ai_addr, ai->ai_addrlen);
	l->salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/*
 * The connections that fit under the file-descriptor limit (its soft
 * limit raised to the hard one first), less what the rest of the
 * process needs; WANT (0: as many as fit) is lowered to that.
 */
static unsigned
connection_room(unsigned want)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want ? want : 1024;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max;
		if (up.rlim_cur == RLIM_INFINITY || up.rlim_cur > LISTEN_MAX_FDS)
			up.rlim_cur = LISTEN_MAX_FDS;
		if (up.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	room = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > LISTEN_MAX_FDS ? LISTEN_MAX_FDS :
	    rl.rlim_cur;
	room = room > LISTEN_FD_RESERVE + 16 ? room - LISTEN_FD_RESERVE : 16;
	if (want && want < room)
		return want;
	return (unsigned)room;
}

void
listen_limits(const struct listener *l, unsigned *max_connections, unsigned *per_ip)
{
	*max_connections = l->cfg.max_connections;
	*per_ip = l->cfg.max_per_ip;
}

struct listener *
listen_new(const struct listen_config *lc, struct cs_err *err)
{
	struct listener *l = cs_calloc(1, sizeof *l);

	l->cfg = *lc;
	l->cfg.max_connections = connection_room(lc->max_connections);
	l->wake[0] = l->wake[1] = -1;
	if (parse_addr(l, lc->addr, err) != 0) {
		free(l);
		return NULL;
	}
	if (pipe2(l->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		cs_err_set(err, "cannot make a pipe: %s", strerror(errno));
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->inbox_tail = &l->inbox;
	return l;
}

void
listen_free(struct listener *l)
{
	if (!l)
		return;
	if (l->d)
		MHD_stop_daemon(l->d);
	close(l->wake[0]);
	close(l->wake[1]);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void
listen_get_stats(const struct listener *l, struct listen_stats *s)
{
	*s = l->st;
}

/* hand what came in over to the putter */
static void
take_inbox(struct listener *l, struct putter *p, struct putkey *k, struct buf *key,
    struct buf *ehk)
{
	struct lreq *q, *next;
	char drain[256];

	while (read(l->wake[0], drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&l->mu);
	q = l->inbox;
	l->inbox = NULL;
	l->inbox_tail = &l->inbox;
	pthread_mutex_unlock(&l->mu);
	for (; q; q = next) {
		struct cs_err err;

		next = q->next;
		cs_err_clear(&err);
		if (putkey_get(k, q->record.data, q->record.len, key, ehk, &err) != 0)
			putter_reject(p, q->record.data, q->record.len, "POST /report", 0, err.code,
			    err.msg, q);
		else
			putter_add(p, q->record.data, q->record.len, key->data, key->len,
			    ehk->len ? ehk->data : NULL, "POST /report", 0, q);
	}
}

int
listen_serve(struct listener *l, struct putter *p, struct putkey *k,
    volatile sig_atomic_t *stop, struct cs_err *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
	struct buf key = BUF_INIT, ehk = BUF_INIT;
	sig_atomic_t seen = *stop;
	int stopping = 0;

	if (l->sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&l->sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)l->cfg.max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)l->cfg.max_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LISTEN_IDLE_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
	    MHD_OPTION_END);
	if (!l->d) {
		cs_err_set(err, "cannot listen on '%s': %s", l->cfg.addr,
		    errno ? strerror(errno) : "libmicrohttpd refused");
		return -1;
	}
	if (l->cfg.verbose) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);

		cs_warnx("listening on %s (port %u): POST /report; %u connections at most, %u per address",
		    l->cfg.addr, di ? (unsigned)di->port : 0, l->cfg.max_connections, l->cfg.max_per_ip);
	}
	for (;;) {
		unsigned long waiting;

		if (*stop != seen) {
			seen = *stop;
			if (!stopping) {
				MHD_socket fd;

				stopping = 1;
				/* from now on no request is queued (on_request refuses) */
				pthread_mutex_lock(&l->mu);
				l->stopping = 1;
				pthread_mutex_unlock(&l->mu);
				/* no new connections: the listening socket is ours to close */
				fd = MHD_quiesce_daemon(l->d);
				if (fd != MHD_INVALID_SOCKET)
					close(fd);
				putter_flush(p);
			} else {
				putter_interrupt(p, 1);
			}
		}
		take_inbox(l, p, k, &key, &ehk);
		putter_run(p, stopping ? 50 : 200, l->wake[0]);
		pthread_mutex_lock(&l->mu);
		waiting = l->suspended + (l->inbox != NULL);
		pthread_mutex_unlock(&l->mu);
		if (stopping && waiting == 0 && putter_outstanding(p) == 0)
			break;
	}
	buf_free(&key);
	buf_free(&ehk);
	/*
	 * Every queued request has its answer and none can be queued any
	 * more: let the answers go out (LISTEN_GRACE_MS at most, for clients
	 * that do not read them) before the daemon and its connections go.
	 */
	{
		uint64_t until = cs_now_ms() + LISTEN_GRACE_MS;
		unsigned long unsent = 1;

		while (unsent && cs_now_ms() < until) {
			pthread_mutex_lock(&l->mu);
			unsent = l->unsent;
			pthread_mutex_unlock(&l->mu);
			if (unsent)
				cs_sleep_ms(5);
		}
	}
	MHD_stop_daemon(l->d);
	l->d = NULL;
	return 0;
}
