#!/bin/bash
# scripts/services.sh: kinesalite and dynalite on loopback ports of the
# caller's choice, two instances side by side, and 'stop' ending exactly
# the processes its 'start' started.
. "$(dirname "$0")/lib.sh"

svc=$SRC_DIR/scripts/services.sh
alive() { kill -0 "$1" 2>/dev/null; }
answers() { curl -s -o /dev/null --max-time 2 "$1"; }
test_services_dirs="$TRASH/a $TRASH/b $TRASH/c"

test_expect_success_here 'start on ports the caller chose' '
	kp=$("$svc" freeport) && dp=$("$svc" freeport) &&
	"$svc" start a both "$kp" "$dp" &&
	printf "CS_KINESIS_ENDPOINT=http://127.0.0.1:%s\nCS_DYNAMODB_ENDPOINT=http://127.0.0.1:%s\n" "$kp" "$dp" >expect &&
	test_cmp expect a/services.env &&
	"$svc" call "http://127.0.0.1:$kp" kinesis ListStreams "{}" | grep -q StreamNames &&
	"$svc" call "http://127.0.0.1:$dp" dynamodb ListTables "{}" | grep -q TableNames &&
	apid_k=$(cat a/kinesalite.pid) && apid_d=$(cat a/dynalite.pid) &&
	alive "$apid_k" && alive "$apid_d"
'

test_expect_success_here 'a second instance side by side, on other free ports, with its own data' '
	"$svc" start b &&
	. b/services.env &&
	bk=$CS_KINESIS_ENDPOINT bd=$CS_DYNAMODB_ENDPOINT &&
	test "$bk" != "http://127.0.0.1:$kp" && test "$bd" != "http://127.0.0.1:$dp" &&
	"$svc" create-stream "http://127.0.0.1:$kp" only-in-a &&
	"$svc" create-table "http://127.0.0.1:$dp" only-in-a id &&
	"$svc" call "http://127.0.0.1:$kp" kinesis ListStreams "{}" | grep -q only-in-a &&
	"$svc" call "http://127.0.0.1:$dp" dynamodb ListTables "{}" | grep -q only-in-a &&
	! "$svc" call "$bk" kinesis ListStreams "{}" | grep -q only-in-a &&
	! "$svc" call "$bd" dynamodb ListTables "{}" | grep -q only-in-a
'

test_expect_success 'a port already taken: a clear failure, nothing left running' '
	test_must_fail "$svc" start c kinesis "$kp" 2>err &&
	grep -q "kinesalite did not start on http://127.0.0.1:$kp" err &&
	! test -f c/kinesalite.pid &&
	! grep -q CS_KINESIS c/services.env 2>/dev/null &&
	alive "$apid_k" && answers "http://127.0.0.1:$kp"
'

test_expect_success 'a failed start stops what that call had started' '
	kc=$("$svc" freeport) &&
	test_must_fail "$svc" start c both "$kc" "$dp" 2>err &&
	grep -q "dynalite did not start" err &&
	! test -f c/kinesalite.pid && ! test -f c/dynalite.pid &&
	! answers "http://127.0.0.1:$kc" &&
	alive "$apid_d"
'

test_expect_success 'starting a folder that already runs is refused' '
	test_must_fail "$svc" start a 2>err &&
	grep -q "already runs" err &&
	test "$(cat a/kinesalite.pid)" = "$apid_k" && alive "$apid_k"
'

test_expect_success_here 'stop ends exactly what its start started' '
	bpid_k=$(cat b/kinesalite.pid) && bpid_d=$(cat b/dynalite.pid) &&
	"$svc" stop a &&
	! alive "$apid_k" && ! alive "$apid_d" &&
	! answers "http://127.0.0.1:$kp" && ! answers "http://127.0.0.1:$dp" &&
	! test -f a/kinesalite.pid && ! test -f a/dynalite.pid &&
	alive "$bpid_k" && alive "$bpid_d" &&
	"$svc" call "$bk" kinesis ListStreams "{}" | grep -q StreamNames &&
	"$svc" call "$bd" dynamodb ListTables "{}" | grep -q TableNames
'

test_expect_success 'a pid file naming another process: that process is left alone' '
	sleep 60 &
	other=$! &&
	mkdir -p d && echo "$other" >d/kinesalite.pid && echo 1 >d/kinesalite.port &&
	"$svc" stop d &&
	alive "$other" && ! test -f d/kinesalite.pid &&
	kill "$other"
'

test_expect_success 'stopping twice, or a folder never started, is fine' '
	"$svc" stop a && "$svc" stop nowhere &&
	"$svc" stop b &&
	! alive "$bpid_k" && ! alive "$bpid_d"
'

test_done
