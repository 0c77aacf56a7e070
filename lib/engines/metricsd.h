/*
 * metricsd.h - a small HTTP server that answers GET /metrics, for
 * --metrics-listen: Prometheus scrapes it on an address of its own, apart
 * from an endpoint that faces the internet.  Anything else is 404, a method
 * other than GET or HEAD 405.  Runs on libmicrohttpd's thread: RENDER must
 * be safe to call from there (cs_report_cached is).
 */
#ifndef CS_METRICSD_H
#define CS_METRICSD_H

#include "cs.h"

typedef void (*metricsd_render_fn)(void *ctx, struct buf *out);

struct metricsd;

/* Listen on ADDR (as --listen takes it) and serve.  NULL with ERR set. */
struct metricsd *metricsd_start(const char *addr, metricsd_render_fn render, void *ctx,
    struct cs_err *err);
void metricsd_stop(struct metricsd *d);
/* The content type of the text exposition format. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
