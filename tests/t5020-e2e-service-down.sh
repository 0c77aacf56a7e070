#!/bin/bash
# test-slow: 165
# test-limit: 300 (seconds: tests/run.sh kills it after that; see there; about 55 s idle)
# t5020-e2e-service-down: kinesalite or dynalite stopped in the middle of a
# run and started again on the same port.  The services keep their data on
# disk here (--path: a real service does not forget its streams and tables
# when it has an outage), so what the test checks is the tools: they wait
# and retry within --retry-budget, or stop with a clear error, a correct
# checkpoint and every undelivered record in the rejects; and after the
# restart nothing is lost.
. "$(dirname "$0")/lib.sh"

nodebin=$SRC_DIR/scripts/node/node_modules/.bin
check="python3 $TEST_DIR/e2e-check.py"
N=${T5020_RECORDS:-2000}

# kinesalite/dynalite with their data in $TRASH, on fixed ports
svc_start() { # kinesis|dynamodb
	case $1 in
	kinesis)
		"$nodebin/kinesalite" --host 127.0.0.1 --port "$kport" --path "$TRASH/kdata" \
		    --createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 50 \
		    >>kinesalite.log 2>&1 &
		echo $! >kinesalite.pid
		test_wait_for 20 "curl -s -o /dev/null http://127.0.0.1:$kport/"
		;;
	dynamodb)
		"$nodebin/dynalite" --host 127.0.0.1 --port "$dport" --path "$TRASH/ddata" \
		    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 >>dynalite.log 2>&1 &
		echo $! >dynalite.pid
		test_wait_for 20 "curl -s -o /dev/null http://127.0.0.1:$dport/"
		;;
	esac
}
svc_stop() { # kinesis|dynamodb
	case $1 in kinesis) f=kinesalite.pid ;; dynamodb) f=dynalite.pid ;; esac
	[ -f $f ] || return 0
	pid=$(cat $f)
	kill "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	kill -9 "$pid" 2>/dev/null
	rm -f $f
	echo "$(date +%T.%N | cut -c1-12) $1 stopped" >>events.log
	return 0
}
cleanup_services() { svc_stop kinesis; svc_stop dynamodb; }

kport=$(services.sh freeport)
dport=$(services.sh freeport)
export CS_KINESIS_ENDPOINT=http://127.0.0.1:$kport CS_DYNAMODB_ENDPOINT=http://127.0.0.1:$dport
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT
trap 'cleanup_services; test_cleanup' INT TERM

# one scenario's input and its expected output
prepare() { # NAME SEED
	gen-records --count $N --seed "$2" --bad-ratio 0.05 >"$1.ndjson" &&
	cs-validate --rejects "$1.exp-rej" "$1.ndjson" >"$1.exp" &&
	$check keys "$1.exp" >"$1.exp-keys" &&
	create_stream "t5020$1" 2 &&
	create_table "t5020$1" IP Timestamp &&
	mkdir "rej-$1"
}
# the consumer's command for scenario NAME (cs-store's budget BUDGET ms)
consumer() { # NAME BUDGET
	e2e_consumer "$TRASH/consume-$1.sh" "$TRASH/rej-$1" "t5020$1" \
	    "--stats --retry-budget $2" "$TRASH/$1.store.log" &&
	echo "$TRASH/consume-$1.sh"
}
verify() { # NAME
	$check scan "$CS_DYNAMODB_ENDPOINT" "t5020$1" >"$1.got-keys" &&
	$check cmp-keys "$1.exp-keys" "$1.got-keys" &&
	$check cmp-rejects "$1.exp-rej" rej-"$1"/b.*
}

test_expect_success 'setup: kinesalite and dynalite keeping their data on disk' '
	svc_start kinesis && svc_start dynamodb
'

# --- A: dynalite down while cs-store is writing -------------------------
test_expect_success 'A: dynalite stopped for 4 s while the consumer stores: it waits, nothing lost' '
	{ prepare a 5021 && cs-put -q -s t5020a a.ndjson; } || exit 1
	(timeout 120 cs-tail -q -s t5020a -e --checkpoint a.ck --batch-size 50 \
	    --exec "$(consumer a 60000)" 2>a.tail.log </dev/null; echo $? >a.rc) &
	test_wait_for 30 "test -s a.ck" &&
	svc_stop dynamodb &&
	sleep 4 &&
	svc_start dynamodb &&
	test_wait_for 120 "test -f a.rc" &&
	cat a.tail.log &&
	test "$(cat a.rc)" = 0 &&
	verify a &&
	grep -q "[1-9][0-9]* retries" a.store.log
'

# --- B: kinesalite down while cs-put puts and cs-tail follows -----------
test_expect_success 'B: kinesalite stopped for 4 s under cs-put and cs-tail: both wait, nothing lost' '
	prepare b 5022 || exit 1
	(cs-tail -q -s t5020b --checkpoint b.ck --batch-size 100 \
	    --exec "$(consumer b 60000)" 2>b.tail.log </dev/null & echo $! >b.tail.pid;
	 wait; echo $? >b.tail.rc) &
	(cs-put --stats --rate 1000 --retry-budget 60000 -s t5020b --rejects b.put-rej b.ndjson \
	    2>b.put.log; echo $? >b.put.rc) &
	sleep 1 &&
	svc_stop kinesis &&
	sleep 4 &&
	svc_start kinesis &&
	test_wait_for 60 "test -f b.put.rc" &&
	cat b.put.log &&
	test "$(cat b.put.rc)" = 0 &&
	test_must_be_empty b.put-rej &&
	grep " [1-9][0-9]* requests re-sent" b.put.log &&
	test_wait_for 60 "test \$(cat rej-b/b.* | wc -l) -ge \$(wc -l <b.exp-rej) &&
	    test \$($check scan \$CS_DYNAMODB_ENDPOINT t5020b | wc -l) -ge \$(wc -l <b.exp-keys)" &&
	kill -TERM $(cat b.tail.pid) &&
	test_wait_for 30 "test -f b.tail.rc" &&
	cat b.tail.log &&
	verify b
'

# --- C: the consumer outlives its budget: clear error, checkpoint kept ---
test_expect_success 'C: kinesalite down past cs-tail'"'"'s budget: a clear error, the checkpoint kept' '
	prepare c 5023 &&
	cs-put -q -s t5020c c.ndjson &&
	timeout 60 cs-tail -q -s t5020c -e --checkpoint c.ck --batch-size 100 \
	    --exec "$(consumer c 60000)" 2>c.tail1.log </dev/null &&
	cp c.ck c.ck.before &&
	svc_stop kinesis &&
	test_expect_code 5 cs-tail -q -s t5020c -e --checkpoint c.ck --retry-budget 2000 \
	    --batch-size 100 --exec "$(consumer c 60000)" 2>c.tail2.log </dev/null;
	rc=$?
	cat c.tail2.log
	test $rc = 0 &&
	grep "127.0.0.1:$kport\|connect\|refused" c.tail2.log &&
	test $(wc -l <c.tail2.log) -le 3 &&
	test_cmp c.ck.before c.ck &&
	svc_start kinesis &&
	timeout 120 cs-tail -q -s t5020c -e --checkpoint c.ck --batch-size 100 \
	    --exec "$(consumer c 60000)" 2>c.tail3.log </dev/null &&
	verify c
'

# --- E: the stream goes away in the middle of a read ---------------------
test_expect_success 'E: kinesalite down mid-read past cs-tail'"'"'s budget: clear error, checkpoint right, nothing lost' '
	{ prepare e 5025 && cs-put -q -s t5020e e.ndjson; } || exit 1
	(cs-tail -q -s t5020e --checkpoint e.ck --batch-size 50 --retry-budget 3000 \
	    --exec "$(consumer e 60000)" 2>e.tail1.log </dev/null; echo $? >e.rc) &
	test_wait_for 30 "test -s e.ck" &&
	svc_stop kinesis &&
	test_wait_for 60 "test -f e.rc" &&
	cat e.tail1.log e.rc &&
	test "$(cat e.rc)" != 0 && test "$(cat e.rc)" -lt 126 && test "$(cat e.rc)" != 99 &&
	grep "cannot reach\|refused\|connect" e.tail1.log &&
	python3 -c "import json; json.load(open(\"e.ck\"))" &&
	svc_start kinesis &&
	timeout 120 cs-tail -q -s t5020e -e --checkpoint e.ck --batch-size 50 \
	    --exec "$(consumer e 60000)" 2>e.tail2.log </dev/null &&
	verify e
'

# --- D: cs-put outlives its budget: every record in its rejects ----------
test_expect_success 'D: kinesalite down past cs-put'"'"'s budget: every record rejected, none lost' '
	prepare d 5024 &&
	svc_stop kinesis &&
	test_expect_code 5 cs-put --stats --retry-budget 2000 -s t5020d --rejects d.put-rej d.ndjson \
	    2>d.put.log;
	rc=$?
	cat d.put.log | head -n 5
	test $rc = 0 &&
	test_line_count d.put-rej $N &&
	svc_start kinesis &&
	python3 -c "import json, sys, base64
out = sys.stdout.buffer
for l in open(\"d.put-rej\", \"rb\"):
    r = json.loads(l)
    out.write(base64.b64decode(r[\"record_base64\"]) if \"record_base64\" in r else r[\"record\"].encode())
    out.write(b\"\\n\")" >d.again.ndjson &&
	cmp d.again.ndjson d.ndjson &&
	cs-put -q -s t5020d d.again.ndjson &&
	timeout 120 cs-tail -q -s t5020d -e --checkpoint d.ck --batch-size 100 \
	    --exec "$(consumer d 60000)" 2>d.tail.log </dev/null &&
	verify d
'

test_expect_success 'no sanitizer report from any run of the tools' '
	! grep -n "Sanitizer\|runtime error" *.log
'

cleanup_services
test_done
