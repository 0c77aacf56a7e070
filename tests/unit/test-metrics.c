/* test-metrics.c - the metrics registry and its two renderings (lib/base/metrics.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs.h"
#include "metrics.h"
#include "tap.h"

static void
test_text(void)
{
	struct cs_metrics *m = cs_metrics_new();
	struct buf out = BUF_INIT, l = BUF_INIT;

	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_put_records_total", "Records by result.", NULL, 0);
	cs_metrics_declare(m, CS_METRIC_GAUGE, "cs_up", "1 while running.", NULL, 0);
	cs_metrics_declare(m, CS_METRIC_COUNTER, "cs_put_records_total", "declared twice", NULL, 0);
	cs_metrics_set(m, "cs_up", "", 1);
	cs_metrics_label(&l, "result", "delivered");
	cs_metrics_set(m, "cs_put_records_total", l.data, 1000);
	buf_reset(&l);
	cs_metrics_label(&l, "result", "rejected");
	cs_metrics_label(&l, "reason", "a \"quoted\\\" one\nwith a newline");
	cs_metrics_add(m, "cs_put_records_total", l.data, 2);
	cs_metrics_add(m, "cs_put_records_total", l.data, 3);
	cs_metrics_set(m, "not_declared", "", 7);
	cs_metrics_render(m, &out);
	is_str(out.data,
	    "# HELP cs_put_records_total Records by result.\n"
	    "# TYPE cs_put_records_total counter\n"
	    "cs_put_records_total{result=\"delivered\"} 1000\n"
	    "cs_put_records_total{result=\"rejected\",reason=\"a \\\"quoted\\\\\\\" one\\nwith a newline\"} 5\n"
	    "# HELP cs_up 1 while running.\n"
	    "# TYPE cs_up gauge\n"
	    "cs_up 1\n",
	    "text format: HELP and TYPE once per family, labels escaped, values added, undeclared ignored");
	is_int(cs_metrics_get(m, "cs_put_records_total", l.data), 5, "get reads a series back");
	is_int(cs_metrics_get(m, "cs_put_records_total", "x=\"y\""), 0, "a missing series is 0");
	cs_metrics_set(m, "cs_up", "shard=\"a\"", 2);
	cs_metrics_clear(m, "cs_up");
	is_int(cs_metrics_get(m, "cs_up", "shard=\"a\""), 0, "clear forgets every series of a family");
	cs_metrics_set(m, "cs_up", "", 1);

	buf_reset(&out);
	cs_metrics_render_json(m, &out);
	is_str(out.data,
	    "{\"cs_put_records_total\":[{\"result\":\"delivered\",\"value\":1000},"
	    "{\"result\":\"rejected\",\"reason\":\"a \\\"quoted\\\\\\\" one\\nwith a newline\",\"value\":5}],"
	    "\"cs_up\":1}",
	    "JSON: labelled series as objects, an unlabelled one as a number");
	buf_free(&out);
	buf_free(&l);
	cs_metrics_free(m);
}

static void
test_histogram(void)
{
	struct cs_metrics *m = cs_metrics_new();
	struct buf out = BUF_INIT;
	static const double b[] = { 0.1, 1 };

	cs_metrics_declare(m, CS_METRIC_HISTOGRAM, "cs_req_seconds", "Time.", b, 2);
	cs_metrics_observe(m, "cs_req_seconds", "", 0.05);
	cs_metrics_observe(m, "cs_req_seconds", "", 0.1);
	cs_metrics_observe(m, "cs_req_seconds", "", 0.5);
	cs_metrics_observe(m, "cs_req_seconds", "", 30);
	cs_metrics_render(m, &out);
	is_str(out.data,
	    "# HELP cs_req_seconds Time.\n"
	    "# TYPE cs_req_seconds histogram\n"
	    "cs_req_seconds_bucket{le=\"0.1\"} 2\n"
	    "cs_req_seconds_bucket{le=\"1\"} 3\n"
	    "cs_req_seconds_bucket{le=\"+Inf\"} 4\n"
	    "cs_req_seconds_sum 30.65\n"
	    "cs_req_seconds_count 4\n",
	    "histogram: cumulative buckets, a bound is inclusive, sum and count");
	buf_reset(&out);
	cs_metrics_render_json(m, &out);
	is_str(out.data, "{\"cs_req_seconds\":{\"count\":4,\"sum\":30.65}}", "histogram in JSON");
	is_int(cs_metrics_get(m, "cs_req_seconds", ""), 4, "get of a histogram is its count");
	buf_free(&out);
	cs_metrics_free(m);

	m = cs_metrics_new();
	out = (struct buf)BUF_INIT;
	cs_metrics_declare(m, CS_METRIC_HISTOGRAM, "d_seconds", "Default buckets.", NULL, 0);
	cs_metrics_observe(m, "d_seconds", "op=\"x\"", 0.003);
	cs_metrics_render(m, &out);
	ok(strstr(out.data, "d_seconds_bucket{op=\"x\",le=\"0.001\"} 0\n") &&
	    strstr(out.data, "d_seconds_bucket{op=\"x\",le=\"0.005\"} 1\n") &&
	    strstr(out.data, "d_seconds_bucket{op=\"x\",le=\"10\"} 1\n") &&
	    strstr(out.data, "d_seconds_count{op=\"x\"} 1\n"),
	    "default buckets from 1 ms to 10 s, labels before le");
	buf_free(&out);
	cs_metrics_free(m);
}

static void
test_file(void)
{
	struct cs_metrics *m = cs_metrics_new();
	struct cs_err err;
	char dir[] = "/tmp/test-metrics.XXXXXX", path[256], bad[300];
	struct buf b = BUF_INIT;
	int not_opened;
	struct stat st;

	ok(mkdtemp(dir) != NULL, "a temporary folder");
	snprintf(path, sizeof path, "%s/cs.prom", dir);
	cs_metrics_declare_set(m, CS_METRIC_GAUGE, "cs_x", "X.", 2);
	cs_metrics_declare_set(m, CS_METRIC_COUNTER, "cs_x", "Y.", 3);
	is_int(cs_metrics_write_file(m, path, &err), 0, "write the file");
	is_int(cs_read_file(path, 0, &b, &not_opened), 0, "read it back");
	is_str(b.data, "# HELP cs_x X.\n# TYPE cs_x gauge\ncs_x 3\n", "what the file holds (declare_set: declared once, set each time)");
	snprintf(bad, sizeof bad, "%s.tmp.%ld", path, (long)getpid());
	ok(stat(bad, &st) != 0, "no temporary file is left behind");
	snprintf(bad, sizeof bad, "%s/missing/cs.prom", dir);
	is_int(cs_metrics_write_file(m, bad, &err), -1, "a folder that does not exist fails");
	ok(strstr(err.msg, "missing/cs.prom.tmp.") != NULL, "and names the file: %s", err.msg);
	unlink(path);
	rmdir(dir);
	buf_free(&b);
	cs_metrics_free(m);
}

int
main(void)
{
	test_text();
	test_histogram();
	test_file();
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
