/*
 * metrics.h - a small registry of counters, gauges and histograms, written
 * in the Prometheus text exposition format (GET /metrics, and the files of
 * node_exporter's textfile collector) and as one JSON object (--stats-json).
 *
 * Names follow the Prometheus conventions: base units (_seconds, _bytes),
 * counters end in _total.  A series is a family name and a label set, given
 * as the text between the braces, already escaped (cs_metrics_label builds
 * it): `result="delivered",reason="too-long"`, or "" for none.
 *
 * The tools keep their own counters where they are cheapest to count and copy
 * them into the registry when it is rendered (cs_metrics_set); histograms are
 * fed one observation at a time.  Every call takes the registry's lock, so a
 * server thread may observe while the main thread renders.
 */
#ifndef CS_METRICS_H
#define CS_METRICS_H

#include "cs.h"

enum cs_metric_type { CS_METRIC_COUNTER, CS_METRIC_GAUGE, CS_METRIC_HISTOGRAM };

struct cs_metrics;

struct cs_metrics *cs_metrics_new(void);
void cs_metrics_free(struct cs_metrics *m);

/*
 * Declare family NAME with its TYPE and HELP text (a second call changes
 * nothing).  Families are written in the order they were declared; a family
 * with no series is written with its HELP and TYPE only for counters and
 * gauges that have an unlabelled series.  BUCKETS (upper bounds, ascending,
 * NBUCKETS of them; +Inf is implied) only for histograms: NULL takes the
 * default latency buckets, 1 ms to 10 s.
 */
void cs_metrics_declare(struct cs_metrics *m, enum cs_metric_type type, const char *name,
    const char *help, const double *buckets, size_t nbuckets);

/*
 * Declare counter or gauge NAME (as cs_metrics_declare) and set its
 * unlabelled series to V: the one call a tool's fill function makes for
 * each plain number it copies in.
 */
void cs_metrics_declare_set(struct cs_metrics *m, enum cs_metric_type type, const char *name,
    const char *help, double v);
/* Set, or add to, the value of series NAME{LABELS} (the family must be declared). */
void cs_metrics_set(struct cs_metrics *m, const char *name, const char *labels, double v);
void cs_metrics_add(struct cs_metrics *m, const char *name, const char *labels, double v);
/* Forget every series of family NAME (a gauge of shards held, say, before it is set anew). */
void cs_metrics_clear(struct cs_metrics *m, const char *name);
/* One observation V of histogram NAME{LABELS}. */
void cs_metrics_observe(struct cs_metrics *m, const char *name, const char *labels, double v);
/* The value of series NAME{LABELS} (a histogram's count), 0 when there is none. */
double cs_metrics_get(struct cs_metrics *m, const char *name, const char *labels);

/*
 * Append KEY="VALUE" to the label set in B (with a comma when B is not
 * empty), VALUE escaped as the format wants (backslash, double quote, newline).
 */
void cs_metrics_label(struct buf *b, const char *key, const char *value);

/* The whole registry in the text exposition format (version 0.0.4). */
void cs_metrics_render(struct cs_metrics *m, struct buf *out);
/*
 * The whole registry as one JSON object: each family a member; an
 * unlabelled counter or gauge is a number, a labelled one an array of
 * objects (its labels and "value"), a histogram {"count","sum"} (or an
 * array of those with labels).
 */
void cs_metrics_render_json(struct cs_metrics *m, struct buf *out);

/*
 * Write the registry to PATH atomically: into PATH.tmp.PID beside it, then
 * rename, so a collector never reads half a file.  0, or -1 with ERR set.
 */
int cs_metrics_write_file(struct cs_metrics *m, const char *path, struct cs_err *err);

#endif
