/* metricsd.c - GET /metrics on an address of its own (see metricsd.h). */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "metricsd.h"
#include "netaddr.h"

struct metricsd {
	struct MHD_Daemon *d;
	metricsd_render_fn render;
	void *ctx;
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type, struct buf *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(body->len, body->data ? body->data : (char *)"",
	    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct metricsd *d = cls;
	struct buf b = BUF_INIT;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	if (!*con_cls) {        /* the headers: wait for the (ignored) body */
		*con_cls = d;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0) {
		buf_adds(&b, "not found: metrics are at /metrics\n");
		ret = reply(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", &b);
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		buf_adds(&b, "only GET\n");
		ret = reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", &b);
	} else {
		d->render(d->ctx, &b);
		ret = reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, &b);
	}
	buf_free(&b);
	return ret;
}

struct metricsd *
metricsd_start(const char *addr, metricsd_render_fn render, void *ctx, struct cs_err *err)
{
	struct metricsd *d = cs_calloc(1, sizeof *d);
	struct sockaddr_storage sa;
	socklen_t salen;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	if (cs_parse_listen_addr("--metrics-listen", addr, &sa, &salen, err) != 0) {
		free(d);
		return NULL;
	}
	(void)salen;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d->render = render;
	d->ctx = ctx;
	d->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, d,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
	    MHD_OPTION_END);
	if (!d->d) {
		cs_err_set(err, "--metrics-listen: cannot listen on '%s'", addr);
		free(d);
		return NULL;
	}
	return d;
}

void
metricsd_stop(struct metricsd *d)
{
	if (!d)
		return;
	MHD_stop_daemon(d->d);
	free(d);
}
