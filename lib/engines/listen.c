/*
 * listen.c - cs-put --listen served over libmicrohttpd: connections and
 * their limits, the requests' bodies read, the decisions of listenreq.c
 * answered with their headers (CORS), and the records handed to the putter
 * and their fates back to the requests, between libmicrohttpd's thread and
 * the serving one (see listen.h).
 */
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

#include "listen.h"
#include "netaddr.h"

enum { Q_RECEIVING, Q_QUEUED, Q_ANSWERED };

/* one request; lives from its first callback to MHD's "completed" notice */
struct lreq {
	struct listener *l;
	struct MHD_Connection *conn;
	struct buf body;
	int too_large;
	int state;
	int close;                 /* answer with "Connection: close" */
	char peer[64];             /* the peer's address */
	uint64_t t0;               /* when it came (monotonic ms) */
	struct lreq *next;         /* in the inbox */
	size_t target_len;         /* the request target's length up to a NUL byte, if any */
	int begun;                 /* on_request has seen it */
	int nul;                   /* the target holds a NUL byte, raw or as %00: it names nothing */
	struct listen_batch b;     /* its records */
	size_t pending;            /* records without their fate yet */
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
	unsigned long in_flight;   /* requests received, not answered */
	struct listen_stats st;
};

/* --- libmicrohttpd ------------------------------------------------------------- */

/* the CORS headers of an answer to a request with ORIGIN (NULL: none) */
static void
add_cors(struct listener *l, struct lreq *q, struct MHD_Response *r, const char *origin)
{
	struct listen_answer *a = &q->ans;

	if (!origin) {
		MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	} else if (listen_origin_allowed(&l->cfg, origin)) {
		/*
		 * The origin itself and credentials allowed: "*" is refused for
		 * a request that carries credentials, as sendBeacon's always do.
		 */
		MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
		MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
	}
	if (origin || a->preflight)
		MHD_add_response_header(r, "Vary", a->preflight ?
		    "Origin, Access-Control-Request-Headers" : "Origin");
	if (a->preflight && (!origin || listen_origin_allowed(&l->cfg, origin))) {
		const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
		    "Access-Control-Request-Headers");
		const char *pn = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
		    "Access-Control-Request-Private-Network");

		MHD_add_response_header(r, "Access-Control-Allow-Methods", a->methods);
		MHD_add_response_header(r, "Access-Control-Allow-Headers", h && *h ? h : "Content-Type");
		MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
		if (pn && strcmp(pn, "true") == 0)
			MHD_add_response_header(r, "Access-Control-Allow-Private-Network", "true");
	}
}

static enum MHD_Result
respond(struct listener *l, struct lreq *q)
{
	struct listen_answer *a = &q->ans;
	struct MHD_Response *r;
	enum MHD_Result rc;
	const char *origin = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Origin");

	if (a->script)
		r = MHD_create_response_from_buffer(cs_beacon_js_len, (void *)cs_beacon_js,
		    MHD_RESPMEM_PERSISTENT);
	else
		r = MHD_create_response_from_buffer(a->body.len, a->body.data ? a->body.data : (char *)"",
		    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	add_cors(l, q, r, origin);
	if (a->script) {
		MHD_add_response_header(r, "Content-Type", "text/javascript; charset=utf-8");
		MHD_add_response_header(r, "Cache-Control", "public, max-age=3600");
	} else if (!a->preflight) {
		MHD_add_response_header(r, "Content-Type", "application/json");
	}
	if (a->allow)
		MHD_add_response_header(r, "Allow", a->methods);
	pthread_mutex_lock(&l->mu);
	if (l->stopping)
		q->close = 1;
	pthread_mutex_unlock(&l->mu);
	/* stopping: the client is told not to send another request on this connection */
	if (q->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(q->conn, (unsigned)a->status, r);
	MHD_destroy_response(r);
	if (l->cfg.metrics) {
		char code[32];

		snprintf(code, sizeof code, "code=\"%d\"", a->status);
		cs_metrics_add(l->cfg.metrics, "cs_put_http_requests_total", code, 1);
		cs_metrics_observe(l->cfg.metrics, "cs_put_http_request_duration_seconds", "",
		    (double)(cs_now_ms() - q->t0) / 1000.0);
	}
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

/* the peer's address as text, an IPv4-mapped IPv6 address as IPv4 */
static void
peer_text(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	*out = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		    (socklen_t)size);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6))
			inet_ntop(AF_INET, a6->s6_addr + 12, out, (socklen_t)size);
		else
			inet_ntop(AF_INET6, a6, out, (socklen_t)size);
	}
}

/* GET /metrics: the text exposition format, not counted among the requests */
static enum MHD_Result
metrics_page(struct listener *l, struct lreq *q)
{
	struct MHD_Response *r;
	struct buf b = BUF_INIT;
	enum MHD_Result rc;

	l->cfg.metrics_text(l->cfg.metrics_ctx, &b);
	r = MHD_create_response_from_buffer(b.len, b.data ? b.data : (char *)"",
	    MHD_RESPMEM_MUST_COPY);
	buf_free(&b);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(q->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static struct lreq *
new_request(struct listener *l, struct MHD_Connection *conn)
{
	struct lreq *q = cs_calloc(1, sizeof *q);

	q->l = l;
	q->conn = conn;
	q->t0 = cs_now_ms();
	peer_text(conn, q->peer, sizeof q->peer);
	pthread_mutex_lock(&l->mu);
	l->in_flight++;
	pthread_mutex_unlock(&l->mu);
	return q;
}

/*
 * A request line was read (MHD_OPTION_URI_LOG_CALLBACK): URI is its target as
 * sent, up to a NUL byte if it holds one.  libmicrohttpd hands on_request the
 * target cut at a NUL, raw or unescaped from %00: "/report<NUL>x" would be
 * taken for "/report".  Its length here, against the target's whole length in
 * on_request, tells.
 */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct lreq *q = new_request(cls, conn);

	q->target_len = strlen(uri);
	q->nul = strstr(uri, "%00") != NULL;
	return q;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct lreq *q = *con_cls;
	struct listen_in in;
	ssize_t w;
	int n;

	if (!q || !q->begun) {
		if (!q)
			*con_cls = q = new_request(l, conn);
		q->begun = 1;
		/*
		 * The version follows the target in the request line, which
		 * libmicrohttpd keeps whole: a target longer than on_uri saw it
		 * holds a NUL byte.
		 */
		if (version > url && (size_t)(version - url) <= 65536 &&
		    (size_t)(version - url) - 1 > q->target_len)
			q->nul = 1;
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
	if (l->cfg.metrics_text && strcmp(url, "/metrics") == 0 &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
		return metrics_page(l, q);
	memset(&in, 0, sizeof in);
	in.method = method;
	in.url = q->nul ? "(a target with a NUL byte)" : url;
	in.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	in.forwarded = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
	in.peer = q->peer;
	in.body = q->body.data ? q->body.data : "";
	in.len = q->body.len;
	in.too_large = q->too_large;
	in.now_ms = cs_wall_ms();
	n = listen_request(&l->cfg, &in, &q->b, &q->ans);
	buf_free(&q->body);
	/* records refused at once are queued all the same: the rejects output is the serving thread's */
	if (n == 0 && q->b.n == 0)
		return respond(l, q);
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
		listen_batch_free(&q->b);
		listen_answer_error(&q->ans, 503, "ServiceUnavailable",
		    "the endpoint is stopping: send the request again later");
		q->close = 1;
		return respond(l, q);
	}
	l->st.records += q->b.n;
	q->pending = (size_t)n;
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
	pthread_mutex_lock(&l->mu);
	if (q->state != Q_RECEIVING)
		l->unsent--;
	l->in_flight--;
	pthread_mutex_unlock(&l->mu);
	buf_free(&q->body);
	listen_batch_free(&q->b);
	buf_free(&q->ans.body);
	free(q);
	*con_cls = NULL;
}

/* every record of request Q has its fate: answer it (on the serving thread) */
static void
answer(struct listener *l, struct lreq *q)
{
	listen_answer_batch(&q->ans, l->cfg.stream, &q->b);
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
	struct listen_item *it = rec->ctx;
	struct lreq *q;

	if (l->cfg.chain)
		l->cfg.chain(l->cfg.chain_arg, rec, res);
	if (!it)
		return;
	listen_item_result(it, res);
	q = it->owner;
	if (--q->pending == 0)
		answer(l, q);
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
	if (cs_parse_listen_addr("--listen", lc->addr, &l->sa, &l->salen, err) != 0) {
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
listen_load(struct listener *l, unsigned long *in_flight, unsigned long *connections)
{
	const union MHD_DaemonInfo *di = l->d ? MHD_get_daemon_info(l->d,
	    MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;

	pthread_mutex_lock(&l->mu);
	*in_flight = l->in_flight;
	pthread_mutex_unlock(&l->mu);
	*connections = di ? di->num_connections : 0;
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
		size_t i, last = 0;
		int any = 0;

		next = q->next;
		/* the records refused at once go to the rejects output (no fate to wait for) */
		for (i = 0; i < q->b.n; i++) {
			struct listen_item *it = &q->b.items[i];

			if (it->state == LI_PUT) {
				last = i;
				any = 1;
			} else {
				putter_reject(p, it->record.data ? it->record.data : "", it->record.len,
				    "POST /report", q->b.single ? 0 : it->line, it->code, it->message, NULL);
			}
		}
		if (!any) {
			answer(l, q);
			continue;
		}
		/*
		 * The fate of the last record to put may answer Q at once, and Q
		 * is gone when the answer is out: nothing of Q is read after it.
		 */
		for (i = 0; i <= last; i++) {
			struct listen_item *it = &q->b.items[i];
			uint64_t line = q->b.single ? 0 : it->line;
			struct cs_err err;

			if (it->state != LI_PUT)
				continue;
			it->owner = q;
			cs_err_clear(&err);
			if (putkey_get(k, it->record.data, it->record.len, key, ehk, &err) != 0)
				putter_reject(p, it->record.data, it->record.len, "POST /report", line,
				    err.code, err.msg, it);
			else
				putter_add(p, it->record.data, it->record.len, key->data, key->len,
				    ehk->len ? ehk->data : NULL, "POST /report", line, it);
		}
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
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
	    MHD_OPTION_END);
	if (!l->d) {
		cs_err_set(err, "cannot listen on '%s': %s", l->cfg.addr,
		    errno ? strerror(errno) : "libmicrohttpd refused");
		return -1;
	}
	if (l->cfg.verbose) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);

		cs_logf(&l->cfg.log, "listening on %s (port %u): POST /report; %u connections at most, "
		    "%u per address", l->cfg.addr, di ? (unsigned)di->port : 0, l->cfg.max_connections,
		    l->cfg.max_per_ip);
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
		if (l->cfg.tick)
			l->cfg.tick(l->cfg.metrics_ctx);
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
