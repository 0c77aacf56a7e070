// subscribe-faults.js PORTFILE LOGFILE [ends] - a loopback stand-in for what
// no local Kinesis offers: SubscribeToShard answers that go wrong.  One closed
// shard of 12 records (sequence numbers 101..112).  Its subscriptions, in
// turn: the first sends records 101..104, then a frame whose CRC is wrong;
// the second an exception event (InternalFailure); the third the records
// after the StartingPosition it was asked for, then the shard's last event
// (no ContinuationSequenceNumber, no children).  The other calls get what a
// reader needs (stream ARN, an ACTIVE consumer, the shard list), over
// HTTP/1.1 or HTTP/2 (by prior knowledge) on the same port.  Each
// SubscribeToShard body is logged, one line each.
//
// With "ends": the service ending subscriptions early, as it does after 5
// minutes.  One open shard whose 40 records (sequence numbers 101, 103 ...
// 179) arrive one every 30 ms from the first subscription on.  Each
// subscription sends the records after its StartingPosition as they arrive,
// an event each with the ContinuationSequenceNumber one past its last record
// (an even number no record has), and after three such events completes its
// response; the one that has sent the 40th record then sends the shard's last
// event.  Logged, a line each subscription at its end: the StartingPosition's
// type, its sequence number (- for none) and the last continuation sent (END
// for the shard's end).
//
// With "reset [CHECKPOINT]": a connection reset in the middle of a
// subscription.  The closed shard of 12 records again; the first subscription
// sends records 101..103 and 104..106 (continuations 103 and 106), then, a
// moment later, the first half of an event with 107..109, and then resets the
// TCP connection (SO_LINGER 0 and close: an RST, not a FIN).  Every later one
// sends the records after its StartingPosition and the shard's last event;
// given CHECKPOINT (cs-tail's --checkpoint file), it first waits 500 ms
// (longer than the checkpoint's 200 ms cadence) and logs the file as it is
// then, on a line of its own after the subscription's.
//
// With "silent": subscriptions that end cleanly without a single event.  The
// closed shard of 12 records again; its first three subscriptions are
// answered 200 and ended with no event; later ones send the records after
// their StartingPosition and the shard's last event.  Logged, a line each
// subscription: the ms since the first one, then its body.
//
// With "aggempty AGGFILE": a first event with no records.  A closed shard of
// three records: 101 the KPL aggregate whose data is AGGFILE's dataBase64
// (a line of tests/data/kinesis-agg.js agg), 102 and 103 plain ({"n":100},
// {"n":101}).  Each subscription sends an event with no records (its
// continuation just before its StartingPosition, MillisBehindLatest 1000),
// then, 100 ms on, the records from its StartingPosition (AT_SEQUENCE_NUMBER
// included), then the shard's last event.  Each SubscribeToShard body is
// logged.
'use strict';
const fs = require('fs');
const net = require('net');
const http = require('http');
const http2 = require('http2');

const [portFile, logFile, mode, checkpoint] = process.argv.slice(2);
const ends = mode === 'ends', reset = mode === 'reset', silent = mode === 'silent';
const aggempty = mode === 'aggempty';
const crcTable = new Int32Array(256).map((_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c;
});
const crc32 = (b) => {
	let c = -1;
	for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
	return (c ^ -1) >>> 0;
};
function frame(headers, payload) {
	const hs = Buffer.concat(Object.entries(headers).map(([k, v]) => {
		const kb = Buffer.from(k), vb = Buffer.from(v), h = Buffer.alloc(1 + kb.length + 3 + vb.length);
		h[0] = kb.length; kb.copy(h, 1); h[1 + kb.length] = 7;
		h.writeUInt16BE(vb.length, 2 + kb.length); vb.copy(h, 4 + kb.length);
		return h;
	}));
	const p = Buffer.from(payload), total = 12 + hs.length + p.length + 4, b = Buffer.alloc(total);
	b.writeUInt32BE(total, 0); b.writeUInt32BE(hs.length, 4);
	b.writeUInt32BE(crc32(b.subarray(0, 8)), 8);
	hs.copy(b, 12); p.copy(b, 12 + hs.length);
	b.writeUInt32BE(crc32(b.subarray(0, total - 4)), total - 4);
	return b;
}
const record = (seq) => ({ SequenceNumber: String(seq), PartitionKey: 'k',
	Data: Buffer.from(JSON.stringify({ n: seq - 101 })).toString('base64'),
	ApproximateArrivalTimestamp: Date.now() / 1000 });
const event = (recs, cont, behind = 0) => frame({ ':message-type': 'event', ':event-type': 'SubscribeToShardEvent',
	':content-type': 'application/json' }, JSON.stringify({ Records: recs, MillisBehindLatest: behind,
	ContinuationSequenceNumber: cont, ...(cont ? {} : { ChildShards: [] }) }));
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => record(a + i));

const NREC = 40, seqOf = (i) => 101 + 2 * i;
let firstSub = 0;
// the records after FROM that have arrived by now
function arrived(from) {
	const n = Math.min(NREC, Math.floor((Date.now() - firstSub) / 30) + 1), out = [];
	for (let i = 0; i < n; i++)
		if (seqOf(i) > from)
			out.push({ ...record(seqOf(i)), Data: Buffer.from(JSON.stringify({ n: i })).toString('base64') });
	return out;
}
function endingSubscription(start, send) {
	let from = start.Type === 'AFTER_SEQUENCE_NUMBER' ? Number(start.SequenceNumber) : 0, events = 0, cont = '-';
	if (!firstSub)
		firstSub = Date.now();
	send(200, 'application/vnd.amazon.eventstream', [], (write, end) => {
		const tick = setInterval(() => {
			const recs = arrived(from);
			if (!recs.length)
				return;
			from = Number(recs[recs.length - 1].SequenceNumber);
			cont = String(from + 1);
			write(event(recs, cont));
			events++;
			if (from === seqOf(NREC - 1)) {
				write(event([], null));
				cont = 'END';
			} else if (events < 3) {
				return;
			}
			clearInterval(tick);
			fs.appendFileSync(logFile, `${start.Type} ${start.SequenceNumber || '-'} ${cont}\n`);
			end();
		}, 20);
	});
}

let subscriptions = 0;
function resetSubscription(body, send) {
	const start = JSON.parse(body).StartingPosition;
	const from = start.Type === 'AFTER_SEQUENCE_NUMBER' ? Number(start.SequenceNumber) + 1 : 101;
	fs.appendFileSync(logFile, body + '\n');
	if (++subscriptions === 1)
		return send(200, 'application/vnd.amazon.eventstream', [], (write, end, rst) => {
			write(event(range(101, 103), '103'));
			write(event(range(104, 106), '106'));
			setTimeout(() => {
				const torn = event(range(107, 109), '109');
				write(torn.subarray(0, torn.length >> 1));
				setTimeout(rst, 200);
			}, 300);
		});
	const answer = () => send(200, 'application/vnd.amazon.eventstream',
		[event(range(from, 112), '112'), event([], null)]);
	if (!checkpoint)
		return answer();
	setTimeout(() => {
		let text;
		try { text = fs.readFileSync(checkpoint, 'utf8').replace(/\s+/g, ''); } catch (e) { text = 'none'; }
		fs.appendFileSync(logFile, 'checkpoint ' + text + '\n');
		answer();
	}, 500);
}

let t0 = 0;
function silentSubscription(body, send) {
	const start = JSON.parse(body).StartingPosition;
	const from = start.Type === 'AFTER_SEQUENCE_NUMBER' ? Number(start.SequenceNumber) + 1 : 101;
	if (!t0)
		t0 = Date.now();
	fs.appendFileSync(logFile, `${Date.now() - t0} ${body}\n`);
	if (++subscriptions <= 3)
		return send(200, 'application/vnd.amazon.eventstream', []);
	send(200, 'application/vnd.amazon.eventstream', [event(range(from, 112), '112'), event([], null)]);
}

function aggSubscription(body, send) {
	const start = JSON.parse(body).StartingPosition, agg = JSON.parse(fs.readFileSync(checkpoint, 'utf8'));
	const from = start.Type === 'AFTER_SEQUENCE_NUMBER' ? Number(start.SequenceNumber) + 1 :
		start.Type === 'AT_SEQUENCE_NUMBER' ? Number(start.SequenceNumber) : 101;
	const recs = [101, 102, 103].filter((q) => q >= from).map((q) => q === 101 ?
		{ ...record(101), Data: agg.dataBase64 } :
		{ ...record(q), Data: Buffer.from(JSON.stringify({ n: q - 2 })).toString('base64') });
	fs.appendFileSync(logFile, body + '\n');
	send(200, 'application/vnd.amazon.eventstream', [], (write, end) => {
		// behind: not taken for the end of the closed shard
		write(event([], String(from - 1), 1000));
		setTimeout(() => {
			write(event(recs, '103'));
			write(event([], null));
			end();
		}, 100);
	});
}

function answer(target, body, send) {
	const op = (target || '').split('.')[1];
	const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/s';
	if (op === 'SubscribeToShard' && silent)
		return silentSubscription(body, send);
	if (op === 'SubscribeToShard' && aggempty)
		return aggSubscription(body, send);
	if (op === 'SubscribeToShard' && ends)
		return endingSubscription(JSON.parse(body).StartingPosition, send);
	if (op === 'SubscribeToShard' && reset)
		return resetSubscription(body, send);
	if (op === 'SubscribeToShard') {
		fs.appendFileSync(logFile, body + '\n');
		const n = ++subscriptions, start = JSON.parse(body).StartingPosition;
		const from = start.Type === 'AFTER_SEQUENCE_NUMBER' ? Number(start.SequenceNumber) + 1 : 101;
		if (n === 1) {
			const bad = event([], '104');
			bad[bad.length - 1] ^= 0xff;
			return send(200, 'application/vnd.amazon.eventstream', [event(range(101, 104), '104'), bad]);
		}
		if (n === 2)
			return send(200, 'application/vnd.amazon.eventstream', [frame({ ':message-type': 'exception',
				':exception-type': 'InternalFailure', ':content-type': 'application/json' },
				'{"message":"stub failure"}')]);
		return send(200, 'application/vnd.amazon.eventstream', [event(range(from, 112), '112'), event([], null)]);
	}
	const json = {
		DescribeStreamSummary: { StreamDescriptionSummary: { StreamARN: arn, StreamName: 's', StreamStatus: 'ACTIVE' } },
		DescribeStreamConsumer: { ConsumerDescription: { ConsumerName: 'c', ConsumerARN: arn + '/consumer/c:1',
			ConsumerStatus: 'ACTIVE' } },
		ListShards: { Shards: [{ ShardId: 'shardId-000000000000',
			HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
			SequenceNumberRange: { StartingSequenceNumber: '100', ...(ends ? {} : { EndingSequenceNumber: '999' }) } }] },
	}[op];
	if (json) return send(200, 'application/x-amz-json-1.1', [JSON.stringify(json)]);
	send(400, 'application/x-amz-json-1.1', [JSON.stringify({ __type: 'InvalidArgumentException', message: 'stub: ' + op })]);
}

const h1 = http.createServer((req, res) => {
	let body = '';
	req.on('data', (d) => { body += d; });
	req.on('end', () => answer(req.headers['x-amz-target'], body, (status, type, parts) => {
		res.writeHead(status, { 'Content-Type': type });
		for (const p of parts) res.write(p);
		res.end();
	}));
});
const h2 = http2.createServer();
h2.on('stream', (stream, headers) => {
	let body = '';
	stream.on('data', (d) => { body += d; });
	stream.on('end', () => answer(headers['x-amz-target'], body, (status, type, parts, pump) => {
		if (stream.destroyed)
			return;   // the client went away before the answer was ready
		stream.respond({ ':status': status, 'content-type': type });
		for (const p of parts) stream.write(p);
		if (pump)
			pump((b) => stream.destroyed || stream.write(b), () => stream.end(), () => {
				// the client's own TCP connection, the one relayed to us
				const front = fronts.get(stream.session.socket.remotePort);
				if (front)
					front.resetAndDestroy();
			});
		else
			setTimeout(() => stream.end(), 100);
	}));
});
// one port for both: HTTP/2 connections (they open with the preface) are
// relayed to the HTTP/2 server on a port of its own, the others handed to
// the HTTP/1.1 one
const fronts = new Map();   // the relay's local port -> the client's socket
h2.listen(0, '127.0.0.1', () => {
	const server = net.createServer((sock) => {
		sock.once('data', (b) => {
			if (b.toString('latin1').startsWith('PRI * HTTP/2.0')) {
				const up = net.connect(h2.address().port, '127.0.0.1');
				up.on('connect', () => fronts.set(up.localPort, sock));
				sock.on('close', () => { fronts.delete(up.localPort); up.destroy(); });
				up.write(b);
				sock.pipe(up).pipe(sock);
				up.on('error', () => sock.destroy());
				sock.on('error', () => up.destroy());
			} else {
				sock.pause();
				sock.unshift(b);
				h1.emit('connection', sock);
				sock.resume();
			}
		});
	});
	server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
});
