#!/usr/bin/env node
// kinesis-agg.js - AWS Labs' aggregation library (npm aws-kinesis-agg,
// pinned in scripts/node) on NDJSON, to check cs-put and cs-tail against
// an implementation we did not write.
//
//   node kinesis-agg.js deagg <records >users
//     each input line a Kinesis record as GetRecords gives it
//     ({"ShardId", "SequenceNumber", "PartitionKey", "Data": base64});
//     each output line a user record the library splits from it:
//     {"shardId", "sequenceNumber", "subSequenceNumber" (absent when the
//     record is not an aggregate), "partitionKey", "data": base64}.
//     Checksums are verified: a bad one fails the run.  (The library's
//     explicit hash key of a user record is left out: it reports the
//     table's first one for records that have none.)
//   node kinesis-agg.js agg <users >envelopes
//     input lines {"partitionKey", "explicitHashKey"?, "data": a JSON
//     value}; the library's RecordAggregator packs them (each data as its
//     JSON text); output lines are cs-tail -J envelopes of the aggregated
//     Kinesis records, for cs-put --envelope.
'use strict';
const path = require('path');
const readline = require('readline');
const agg = require(path.join(__dirname, '..', '..', 'scripts', 'node', 'node_modules', 'aws-kinesis-agg'));

const mode = process.argv[2];
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
let failed = 0;

function flush() {
	process.stdout.write(out.join(''));
	out.length = 0;
}

if (mode === 'deagg') {
	rl.on('line', (line) => {
		if (!line)
			return;
		const r = JSON.parse(line);
		const kr = { partitionKey: r.PartitionKey, sequenceNumber: r.SequenceNumber, data: r.Data };
		agg.deaggregateSync(kr, true, (err, users) => {
			if (err) {
				process.stderr.write(`kinesis-agg: ${r.ShardId} ${r.SequenceNumber}: ${err}\n`);
				failed = 1;
				return;
			}
			for (const u of users) {
				const o = { shardId: r.ShardId, sequenceNumber: u.sequenceNumber };
				if (u.subSequenceNumber !== undefined)
					o.subSequenceNumber = u.subSequenceNumber;
				o.partitionKey = u.partitionKey;
				o.data = u.data;
				out.push(JSON.stringify(o) + '\n');
			}
		});
		if (out.length > 1000)
			flush();
	});
	rl.on('close', () => { flush(); process.exitCode = failed; });
} else if (mode === 'agg') {
	const users = [];
	rl.on('line', (line) => {
		if (!line)
			return;
		const u = JSON.parse(line);
		const rec = { partitionKey: u.partitionKey, data: Buffer.from(JSON.stringify(u.data)) };
		if (u.explicitHashKey !== undefined)
			rec.explicitHashKey = u.explicitHashKey;
		users.push(rec);
	});
	rl.on('close', () => {
		const a = new agg.RecordAggregator();
		a.aggregateRecords(users, true, (err, encoded) => {
			if (err) {
				process.stderr.write(`kinesis-agg: ${err}\n`);
				failed = 1;
				return;
			}
			const e = { stream: '-', shardId: '-', sequenceNumber: '0', partitionKey: encoded.partitionKey };
			if (encoded.ExplicitHashKey !== undefined)
				e.explicitHashKey = encoded.ExplicitHashKey;
			e.dataBase64 = encoded.data.toString('base64');
			out.push(JSON.stringify(e) + '\n');
		});
		flush();
		process.exitCode = failed;
	});
} else {
	process.stderr.write('usage: kinesis-agg.js deagg|agg <in >out\n');
	process.exitCode = 2;
}
