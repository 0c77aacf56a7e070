/*
 * test-eventstream.c - the event stream decoder on a frame kinesis-mock sent
 * (tests/unit/data/kinesis-mock-event.bin, an implementation we did not
 * write), on every way a frame can be cut or corrupt, and the
 * SubscribeToShardEvent payload parse.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "eventstream.h"
#include "kinesis.h"
#include "tap.h"

static int
parse_ev(const char *s, struct kinesis_records *rs, struct kinesis_subscribe_event *ev,
    struct cs_err *err)
{
	return kinesis_parse_subscribe_event(s, strlen(s), rs, ev, err);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* set both CRCs of the frame P of N bytes right again */
static void
fix_crcs(unsigned char *p, size_t n)
{
	put32(p + 8, (uint32_t)crc32(0L, p, 8));
	put32(p + n - 4, (uint32_t)crc32(0L, p, (uInt)(n - 4)));
}

int
main(void)
{
	struct buf f = BUF_INIT, e = BUF_INIT;
	struct es_message m;
	struct cs_err err;
	struct kinesis_records rs;
	struct kinesis_subscribe_event ev;
	size_t used, need, i;
	int nf, short_ok = 1;
	unsigned char *p;
	const char *names[] = { ":message-type", ":exception-type", ":content-type" };
	const char *values[] = { "exception", "ResourceInUseException", "application/json" };

	ok(cs_read_file(SRCDIR "/tests/unit/data/kinesis-mock-event.bin", 1 << 20, &f, &nf) == 0,
	    "the captured frame is there");
	p = (unsigned char *)f.data;
	is_int(es_decode(p, f.len, &m, &used, &need, &err), 1, "kinesis-mock's frame decodes");
	is_int(used, f.len, "all of it, once");
	is_str(m.message_type, "event", ":message-type");
	is_str(m.event_type, "SubscribeToShardEvent", ":event-type");
	is_str(m.content_type, "application/json", ":content-type");
	ok(m.payload_len > 2 && m.payload[0] == '{' && m.payload[m.payload_len - 1] == '}',
	    "the payload is the JSON event");

	kinesis_records_init(&rs);
	kinesis_subscribe_event_init(&ev);
	ok(kinesis_parse_subscribe_event((const char *)m.payload, m.payload_len, &rs, &ev, &err) == 0,
	    "its payload parses");
	is_int(rs.n, 2, "two records");
	ok(ev.continuation && strlen(ev.continuation) > 20, "a ContinuationSequenceNumber");
	is_int(rs.millis_behind, 0, "MillisBehindLatest");
	ok(!ev.has_children, "ChildShards null: none");

	for (i = 0; i < f.len; i++)
		if (es_decode(p, i, &m, &used, &need, &err) != 0 || used != 0 ||
		    need != (i < 12 ? 12 : f.len))
			short_ok = 0;
	ok(short_ok, "every cut short frame asks for more, and says how much");

	p[8] ^= 1;
	ok(es_decode(p, f.len, &m, &used, &need, &err) < 0 && strstr(err.msg, "prelude"),
	    "a bad prelude CRC: %s", err.msg);
	p[8] ^= 1;
	p[200] ^= 0x20;
	ok(es_decode(p, f.len, &m, &used, &need, &err) < 0 && strstr(err.msg, "message's CRC"),
	    "a changed byte of the payload: %s", err.msg);
	p[200] ^= 0x20;

	/* lengths out of range, with CRCs that match them */
	put32(p, 15);
	fix_crcs(p, 16);
	ok(es_decode(p, f.len, &m, &used, &need, &err) < 0, "a total length under 16 refused");
	put32(p, (uint32_t)f.len);
	put32(p + 4, (uint32_t)f.len);
	fix_crcs(p, f.len);
	ok(es_decode(p, f.len, &m, &used, &need, &err) < 0 && strstr(err.msg, "headers"),
	    "headers longer than the message refused");
	put32(p, ES_MAX_MESSAGE + 1);
	put32(p + 4, 0);
	fix_crcs(p, 12 + 4);
	ok(es_decode(p, 12, &m, &used, &need, &err) < 0, "a message over 16 MB refused at once");

	/* an exception frame, as kinesis-mock and the service send one */
	es_encode(&e, names, values, 3, "{\"message\":\"busy\"}", 18);
	ok(es_decode((unsigned char *)e.data, e.len, &m, &used, &need, &err) == 1 &&
	    used == e.len, "an encoded frame decodes");
	is_str(m.message_type, "exception", "an exception");
	is_str(m.exception_type, "ResourceInUseException", "its type");
	/* a header type the format does not have */
	p = (unsigned char *)e.data;
	p[12 + 1 + strlen(names[0])] = 10;
	fix_crcs(p, e.len);
	ok(es_decode(p, e.len, &m, &used, &need, &err) < 0 && strstr(err.msg, "unknown type"),
	    "a header of unknown type refused: %s", err.msg);
	/* a header name running past the headers */
	p[12 + 1 + strlen(names[0])] = 7;
	p[12] = 200;
	fix_crcs(p, e.len);
	ok(es_decode(p, e.len, &m, &used, &need, &err) < 0, "a header name past the end refused");

	/* the last event of a shard: no continuation, its children */
	ok(parse_ev("{\"Records\":[],\"MillisBehindLatest\":0,\"ChildShards\":"
	    "[{\"ShardId\":\"shardId-000000000002\",\"ParentShards\":[\"shardId-000000000000\"]},"
	    "{\"ShardId\":\"shardId-000000000003\"}]}", &rs, &ev, &err) == 0, "a last event parses");
	ok(!ev.continuation && ev.has_children && ev.nchildren == 2 &&
	    strcmp(ev.children[1], "shardId-000000000003") == 0, "no continuation, two children");
	ok(parse_ev("{\"ContinuationSequenceNumber\":\"1\"}", &rs, &ev, &err) < 0,
	    "no Records: refused (%s)", err.msg);
	ok(parse_ev("{\"Records\":[{\"Data\":\"!!\",\"PartitionKey\":\"k\","
	    "\"SequenceNumber\":\"1\"}]}", &rs, &ev, &err) < 0, "bad base64 refused");

	kinesis_subscribe_event_free(&ev);
	kinesis_records_free(&rs);
	buf_free(&f);
	buf_free(&e);
	return done_testing();
}
