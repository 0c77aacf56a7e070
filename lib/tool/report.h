/*
 * report.h - what a run tells its operators besides its output: the
 * --metrics-file (node_exporter's textfile collector format, rewritten
 * atomically every few seconds and at exit) and --stats-json (the closing
 * summary as one JSON object on stderr).  Both carry the same names.
 *
 * The tool gives a FILL function that copies its counters into the
 * registry; the report calls it before each writing, so counting costs the
 * tool nothing more than it did.  Every tool's metrics start with its
 * prefix (cs_put_, cs_tail_, cs_store_, cs_validate_); the report adds
 *   PREFIX_start_time_seconds             when the run began (unix time)
 *   PREFIX_last_success_timestamp_seconds the last time work was done
 *   PREFIX_exit_status                    at the end only: the exit status
 */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include "aws.h"
#include "metrics.h"
#include "rejects.h"

/*
 * Copy the tool's counters into M; return how much work is done so far (records
 * delivered, say): when that number moves, the time of the last success does.
 */
typedef uint64_t (*cs_report_fill_fn)(struct cs_metrics *m, const char *prefix, void *ctx);

struct cs_report;

/*
 * PREFIX: "cs_put" and so on.  METRICS_FILE NULL: none.  STATS_JSON: write
 * the JSON summary at the end.  FILL may be NULL.
 */
struct cs_report *cs_report_new(const char *prefix, const char *metrics_file, int stats_json,
    cs_report_fill_fn fill, void *ctx);
/* Rewrite the metrics file every MS milliseconds (default CS_REPORT_PERIOD_MS). */
void cs_report_period(struct cs_report *r, unsigned ms);
void cs_report_free(struct cs_report *r);
/* The registry, for the tool's own histograms and for GET /metrics. */
struct cs_metrics *cs_report_metrics(struct cs_report *r);
/* Fill the registry now (before a counter's owner goes away: FILL sees it no more after). */
void cs_report_snapshot(struct cs_report *r);
/* Call often: rewrites the metrics file when its period has passed. */
#define CS_REPORT_PERIOD_MS 5000
void cs_report_tick(struct cs_report *r);
/* The registry as it is now, refilled: Prometheus text onto OUT. */
void cs_report_render(struct cs_report *r, struct buf *out);
/*
 * For GET /metrics, served on another thread: from now on cs_report_tick
 * also renders the registry every CS_REPORT_PUBLISH_MS into a copy that
 * cs_report_cached (safe from any thread; R is the report) hands out.
 */
#define CS_REPORT_PUBLISH_MS 200
void cs_report_publish(struct cs_report *r);
void cs_report_cached(void *r, struct buf *out);
/*
 * The end of the run, with its EXIT status: the metrics file written a last
 * time (with PREFIX_exit_status), the JSON summary on stderr.  Returns -1
 * when the metrics file could not be written (said on stderr).
 */
int cs_report_final(struct cs_report *r, int exit_status);
/*
 * The end of a run that reads inputs: cs_report_final (R may be NULL), then
 * R freed, then UNREAD, where the input stopped before its end ("stopped
 * before FILE:LINE", empty when it did not), said on stderr and freed.
 * Returns STATUS, or CS_EXIT_OUTPUT when it was CS_EXIT_OK and the metrics
 * file could not be written.
 */
int cs_report_end(struct cs_report *r, int status, struct buf *unread);

/* Shared fillers: an AWS client's requests, and the rejects by error code. */
void cs_report_aws(struct cs_metrics *m, const char *prefix, const struct aws_stats *s);
void cs_report_rejects(struct cs_metrics *m, const char *prefix, const struct rejects *rj);

#endif
