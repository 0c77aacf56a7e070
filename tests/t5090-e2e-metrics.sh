#!/bin/sh
# --metrics-file and --stats-json (cs(7), METRICS): exact counts, a file that
# promtool accepts and node_exporter's textfile collector reads, rewritten
# while the tool runs and written at exit after SIGTERM.
. "$(dirname "$0")/lib.sh"
services_need
S=$(unique_name st)
T=$(unique_name tb)
P="--endpoint-url $CS_KINESIS_ENDPOINT"
D="--endpoint-url $CS_DYNAMODB_ENDPOINT"

# the value of series $2 (exactly as written, labels included) in file $1
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

test_expect_success 'setup: a stream, a table, 10 good records and 2 bad lines' '
	create_stream "$S" 2 &&
	create_table "$T" IP Timestamp &&
	gen-records --count 10 --seed 7 --bad-ratio 0 >good &&
	{ cat good; echo "{not json"; printf "\\377\\n"; } >in
'

test_expect_success 'cs-put: the metrics file counts what was delivered and rejected' '
	test_expect_code 1 cs-put $P -s "$S" -k .ip --metrics-file put.prom --rejects rej in &&
	test "$(metric put.prom "cs_put_records_read_total")" = 12 &&
	test "$(metric put.prom "cs_put_records_total{result=\"delivered\"}")" = 10 &&
	test "$(metric put.prom "cs_put_records_total{result=\"rejected\"}")" = 2 &&
	test "$(metric put.prom "cs_put_rejects_total{reason=\"InvalidJSON\"}")" = 2 &&
	test "$(metric put.prom "cs_put_putrecords_calls_total")" -ge 1 &&
	test "$(metric put.prom "cs_put_exit_status")" = 1 &&
	test "$(metric put.prom "cs_put_last_success_timestamp_seconds")" != 0 &&
	test "$(metric put.prom "cs_put_delivered_bytes_total")" = $(($(wc -c <good) - 10)) &&
	awk -v s="$(metric put.prom cs_put_start_time_seconds)" -v now="$(date +%s)" \
	    "BEGIN { exit !(s > now - 120 && s < now + 1) }" &&
	promtool check metrics <put.prom
'

test_expect_success 'cs-put --stats-json: one JSON object on stderr, the same names and counts' '
	cs-put $P -s "$S" --stats-json good 2>err &&
	test_line_count err 1 &&
	jq -e ".cs_put_records_read_total == 10 and
	    (.cs_put_records_total[] | select(.result == \"delivered\") | .value) == 10 and
	    .cs_put_exit_status == 0" err
'

test_expect_success 'cs-validate: counts by reason, in the file and in JSON' '
	cs-validate --metrics-file val.prom --stats-json --rejects vrej in >valid 2>err &&
	test "$(metric val.prom "cs_validate_records_read_total")" = 12 &&
	test "$(metric val.prom "cs_validate_records_total{result=\"eligible\"}")" = "$(wc -l <valid)" &&
	test "$(metric val.prom "cs_validate_rejects_total{reason=\"InvalidJSON\"}")" = 1 &&
	promtool check metrics <val.prom &&
	jq -e ".cs_validate_records_read_total == 12" err
'

test_expect_success 'cs-store: written, skipped and rejected, in the file and in JSON' '
	cs-validate --rejects /dev/null in |
	    cs-store $D -t "$T" -m @"$SRC_DIR/scripts/sample-mapping.jq" \
	    --metrics-file store.prom --stats-json 2>err &&
	n=$(cs-validate --rejects /dev/null in | wc -l) &&
	test "$(metric store.prom "cs_store_records_read_total")" = "$n" &&
	test "$(metric store.prom "cs_store_records_total{result=\"written\"}")" = "$n" &&
	test "$(metric store.prom "cs_store_batch_writes_total")" -ge 1 &&
	test "$(metric store.prom "cs_store_requests_total")" -ge 1 &&
	promtool check metrics <store.prom &&
	jq -e ".cs_store_exit_status == 0" err
'

test_expect_success 'cs-tail: records read and handled, the lag of each shard, in the file and in JSON' '
	cs-tail $P -s "$S" -e --metrics-file tail.prom --stats-json >out 2>err &&
	nr=$(wc -l <out) &&
	test "$nr" -ge 10 &&
	test "$(metric tail.prom "cs_tail_records_read_total")" = "$nr" &&
	test "$(metric tail.prom "cs_tail_records_handled_total")" = "$nr" &&
	test "$(metric tail.prom "cs_tail_handled_bytes_total")" = "$(wc -c <out)" &&
	test "$(grep -c "^cs_tail_behind_latest_seconds{shard=" tail.prom)" = 2 &&
	test "$(grep -c "^cs_tail_last_record_age_seconds{shard=" tail.prom)" = 2 &&
	promtool check metrics <tail.prom &&
	test_line_count err 1 &&
	jq -e ".cs_tail_records_read_total == $nr and (.cs_tail_behind_latest_seconds | length) == 2" err
'

test_expect_success 'cs-tail --exec: batches by result, runs, retries and their durations' '
	ip1=$(head -n 1 good | jq -r .ip) &&
	test "$(grep -c "\"$ip1\"" good)" = 1 &&
	cs-tail $P -s "$S" -e --exec "! grep -q \"$ip1\"" --batch-size 1 \
	    --max-retries 1 --on-failure fail.out --metrics-file exec.prom >/dev/null 2>err;
	test $? = 1 &&
	nb=$(metric exec.prom "cs_tail_records_handled_total") &&
	test "$nb" -ge 10 &&
	ok=$(metric exec.prom "cs_tail_batches_total{result=\"ok\"}") &&
	failed=$(metric exec.prom "cs_tail_batches_total{result=\"failed\"}") &&
	test "$failed" = "$(wc -l <fail.out)" &&
	test "$failed" -ge 1 &&
	test $((ok + failed)) = "$nb" &&
	test "$(metric exec.prom "cs_tail_batch_retries_total")" = "$failed" &&
	test "$(metric exec.prom "cs_tail_batch_runs_total")" = $((nb + failed)) &&
	test "$(metric exec.prom "cs_tail_batch_duration_seconds_count")" = "$nb" &&
	test "$(metric exec.prom "cs_tail_failed_records_total")" = "$failed" &&
	test "$(metric exec.prom "cs_tail_exit_status")" = 1 &&
	promtool check metrics <exec.prom
'

test_expect_success 'cs-tail --lease-table: the lag of each shard it holds, with its worker' '
	{ AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT \
	    cs-tail -s "$S" --lease-table "$(unique_name leases)" --worker-id w1 --failover-time 3000 \
	    --metrics-file lease.prom --metrics-interval 200 >/dev/null 2>lease.err & echo $! >lpid; } &&
	test_wait_for 30 "grep -q \"^cs_tail_leases_held{worker=\\\"w1\\\"} 2\$\" lease.prom 2>/dev/null" &&
	test_wait_for 10 "test \$(grep -c \"^cs_tail_behind_latest_seconds{shard=\\\"shardId-00000000000[01]\\\",worker=\\\"w1\\\"}\" lease.prom) = 2" &&
	kill -TERM "$(cat lpid)" &&
	test_wait_for 20 "! kill -0 $(cat lpid) 2>/dev/null" &&
	promtool check metrics <lease.prom
'

test_expect_success 'the file is rewritten while the tool runs, and at exit after SIGTERM' '
	mkfifo fifo &&
	{ cs-put $P -s "$S" --metrics-file live.prom <fifo 2>err & echo $! >pid; } &&
	exec 7>fifo &&
	cat good >&7 &&
	test_wait_for 15 "test -f live.prom && grep -q \"^cs_put_records_total{result=\\\"delivered\\\"} 10\$\" live.prom" &&
	! grep -q cs_put_exit_status live.prom &&
	kill -TERM "$(cat pid)" &&
	test_wait_for 10 "! kill -0 $(cat pid) 2>/dev/null" &&
	exec 7>&- &&
	test "$(metric live.prom "cs_put_exit_status")" = 6 &&
	test "$(metric live.prom "cs_put_records_total{result=\"delivered\"}")" = 10 &&
	promtool check metrics <live.prom &&
	! ls live.prom.tmp.* 2>/dev/null
'

test_expect_success 'node_exporter reads the files through its textfile collector' '
	mkdir tf && cp store.prom val.prom live.prom exec.prom tf/ &&
	port=$("$SRC_DIR/scripts/services.sh" freeport) &&
	{ prometheus-node-exporter --web.listen-address=127.0.0.1:$port \
	    --collector.disable-defaults --collector.textfile \
	    --collector.textfile.directory="$TRASH/tf" >ne.log 2>&1 & echo $! >ne.pid; } &&
	test_wait_for 20 "curl -sf http://127.0.0.1:$port/metrics >scrape" &&
	kill "$(cat ne.pid)" &&
	grep "^node_textfile_scrape_error 0\$" scrape &&
	grep "^cs_put_records_total{result=\"delivered\"} 10\$" scrape &&
	grep "^cs_store_exit_status 0\$" scrape &&
	grep "^cs_validate_rejects_total{reason=\"InvalidJSON\"} 1\$" scrape &&
	grep "^cs_put_exit_status 6\$" scrape &&
	grep "^cs_tail_exit_status 1\$" scrape &&
	grep "^cs_tail_batch_duration_seconds_count [1-9]" scrape
'

test_expect_success '--metrics-interval: at least 100 (cs(7)), else a usage error' '
	for t in cs-put cs-tail cs-store cs-validate; do
		test_expect_code 2 $t --metrics-interval 99 </dev/null 2>err &&
		grep -q "metrics-interval" err || return 1
	done &&
	cs-validate --metrics-file v100.prom --metrics-interval 100 </dev/null &&
	test "$(metric v100.prom cs_validate_exit_status)" = 0
'

test_expect_success '--metrics-file in a folder that does not exist: said, exit 4' '
	test_expect_code 4 cs-put $P -s "$S" --metrics-file nowhere/x.prom good 2>err &&
	grep "cannot write .nowhere/x.prom.tmp" err
'

test_done
