#!/bin/sh
# cs-tail's lag in its metrics (cs(7), METRICS), on kinesis-mock, where
# MillisBehindLatest is real: about 0 while it keeps up; seconds once it
# resumes after a SIGSTOP while records kept coming (for 3 s: kinesis-mock
# measures from the record read to the newest one, so the records are spread
# over that time); back to 0 when it has caught up.  Nothing read twice,
# nothing missed.
. "$(dirname "$0")/lib.sh"
kinesis_mock_need
S=$(unique_name lag)

km() { "$SRC_DIR/scripts/services.sh" call "$KM" kinesis "$@"; }
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# put records FIRST..FIRST+COUNT-1 ({"n":N}), one PutRecords call each
put_km() { # FIRST COUNT
	i=$1
	while [ "$i" -lt $(($1 + $2)) ]; do
		d=$(printf '{"n":%d}' "$i" | base64 -w0) &&
		km PutRecords "{\"StreamName\":\"$S\",\"Records\":[{\"PartitionKey\":\"k$i\",\"Data\":\"$d\"}]}" \
		    >/dev/null || return 1
		i=$((i + 1))
	done
}

behind() { metric m.prom "cs_tail_behind_latest_seconds{shard=\"shardId-000000000000\"}"; }

test_expect_success 'setup: one shard, a consumer reading 5 records a call' '
	"$SRC_DIR/scripts/services.sh" create-stream "$KM" "$S" 1 &&
	{ cs-tail --endpoint-url "$KM" -s "$S" --limit 5 --metrics-file m.prom \
	    --metrics-interval 100 >out 2>err & echo $! >pid; } &&
	put_km 0 5 &&
	test_wait_for 30 "test \"\$(wc -l <out)\" -ge 5"
'

test_expect_success 'keeping up: less than a second behind' '
	test_wait_for 10 "test -n \"\$(behind)\"" &&
	awk -v b="$(behind)" "BEGIN { exit !(b < 1) }"
'

test_expect_success 'paused while records come: seconds behind when it resumes' '
	kill -STOP "$(cat pid)" &&
	for i in 0 1 2 3 4 5; do put_km $((5 + i * 10)) 10 && sleep 0.5 || exit 1; done &&
	sleep 1 &&
	kill -CONT "$(cat pid)" &&
	test_wait_for 20 "b=\$(behind); awk -v b=\"\$b\" \"BEGIN { exit !(b >= 1.5) }\"" &&
	echo "behind after SIGCONT: $(behind) s"
'

test_expect_success 'caught up: back under a second, every record once' '
	test_wait_for 60 "test \"\$(wc -l <out)\" -ge 65" &&
	test_wait_for 10 "b=\$(behind); awk -v b=\"\$b\" \"BEGIN { exit !(b < 1) }\"" &&
	kill -TERM "$(cat pid)" &&
	test_wait_for 20 "! kill -0 $(cat pid) 2>/dev/null" &&
	jq -c .n out | sort -n >got &&
	seq 0 64 >want &&
	test_cmp want got &&
	test "$(metric m.prom cs_tail_exit_status)" = 6 &&
	promtool check metrics <m.prom
'

test_expect_success 'the lag on the progress line, and in --stats when stopped behind' '
	script -qfec "cs-tail --endpoint-url $KM -s $S --limit 1 -n 20 --stats >/dev/null" \
	    /dev/null >tty &&
	tr "\r" "\n" <tty >lines &&
	cat lines &&
	grep -q "^cs-tail: .* s behind (shardId-000000000000)" lines &&
	grep -q "cs-tail: 20 records from 1 shards: .*; at most [0-9.]* s behind (shardId-000000000000)" lines
'

test_done
