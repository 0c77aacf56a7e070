/*
 * fanout.h - read every shard of a stream as a registered consumer
 * (enhanced fan-out): one SubscribeToShard per shard, all of them
 * multiplexed on one HTTP/2 connection, the records pushed by the service
 * as an event stream.  It feeds the same consumer interface as the polling
 * shard reader (shardreader.h): the records of each event go to
 * cfg->on_records, which may hold the shard (SHARDREADER_HOLD: the stream is paused,
 * HTTP/2 flow control holding the service back, until fo_release()).
 *
 * As with polling: parents read to their end before their children (a
 * shard's end is its last event, the one without a continuation, or the
 * shard list showing it closed and the subscription caught up; its
 * children come from the shard list), starting positions from the
 * checkpoint or cfg->start, --until, -e.  A subscription lasts at most 5
 * minutes: ended after an event, it is renewed at once after the
 * ContinuationSequenceNumber of the last event handled, so nothing is
 * skipped or repeated; one refused because another is still active
 * (ResourceInUseException) is tried again after 5 seconds, as the service
 * documents; a corrupt frame, an exception event, a reset connection or a
 * subscription ended before its first event ends that subscription with a
 * note and it is tried again, with backoff, from the same place.
 *
 * Shared reading (cfg->may_read, a lease table) as with polling: only the
 * shards may_read() allows are subscribed to, each from the checkpoint; one
 * it stops allowing (or shardtable_drop()) loses its subscription at once, what
 * that brought and was not handed on discarded.
 *
 * Driven by the caller's loop like the shard reader: fo_step() starts what
 * is due and handles what arrived; aws_run() on the streams' client waits.
 */
#ifndef CS_FANOUT_H
#define CS_FANOUT_H

#include "aws.h"
#include "shardreader.h"

struct fanout;

/* a passing trouble the tool may show (a subscription ended and is retried) */
typedef void (*fo_note_fn)(void *ctx, const char *msg);

/*
 * A reader over C (the streams: made HTTP/2 with aws_client_use_http2) and
 * LC (blocking ListShards).  CFG as for shardreader_new (limit and min_interval_ms
 * unused); CONSUMER_ARN the registered consumer.  -1 with err when the
 * shard list cannot be had, or --shards names a shard that is not there.
 */
struct fanout *fo_new(struct aws_client *c, struct aws_client *lc, const struct shardreader_config *cfg,
    const char *consumer_arn, fo_note_fn note, struct cs_err *err);
void fo_free(struct fanout *f);
/* As shardreader_step: the ms until something is due, -1 when done (or on a fatal error). */
int fo_step(struct fanout *f, int *fatal, struct cs_err *err);
void fo_release(struct fanout *f, const char *shard);
void fo_stop(struct fanout *f);
/*
 * The reader's shards, as shardreader_shards() (the lag is MillisBehindLatest
 * of a shard's last event); shardtable_drop() ends a subscription at once,
 * what it brought unread (see may_read).
 */
struct shardtable *fo_shards(struct fanout *f);
/* Subscriptions made so far (renewals and retries included). */
unsigned long fo_subscriptions(const struct fanout *f);
/* For the tests: a subscription is renewed after MS (0: the service ends it at 5 minutes). */
void fo_set_renew_ms(struct fanout *f, unsigned ms);

#endif
