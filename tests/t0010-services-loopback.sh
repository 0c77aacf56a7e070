#!/bin/sh
# scripts/services.sh: what the tests and the demo start listens on loopback
# only (README: "Nothing is started outside loopback"), kinesis-mock too,
# which has no setting for it (scripts/node/loopback.js); and stop stops
# every one of them.
. "$(dirname "$0")/lib.sh"

# the local addresses of the listening TCP sockets of process PID, one a line
listening() { # PID
	for i in $(ls -l "/proc/$1/fd" 2>/dev/null | sed -n "s/.*socket:\[\([0-9]*\)\].*/\1/p"); do
		awk -v i="$i" '$10 == i && $4 == "0A" { print $2 }' /proc/net/tcp /proc/net/tcp6
	done
}

test_expect_success 'setup: kinesalite, dynalite and kinesis-mock' '
	services.sh start "$TRASH/svc" all
'

test_expect_success 'each listens, on 127.0.0.1 only' '
	for n in kinesalite dynalite kinesis-mock; do
		pid=$(cat "$TRASH/svc/$n.pid") &&
		listening "$pid" >"$n.addrs" &&
		echo "$n: $(tr "\n" " " <"$n.addrs")" &&
		test -s "$n.addrs" &&
		! grep -v "^0100007F:" "$n.addrs" || return 1
	done &&
	# kinesis-mock: its plain port and its TLS port
	test_line_count kinesis-mock.addrs 2
'

test_expect_success 'stop: every one of them gone' '
	for n in kinesalite dynalite kinesis-mock; do cat "$TRASH/svc/$n.pid"; done >pids &&
	services.sh stop "$TRASH/svc" &&
	for p in $(cat pids); do
		test_wait_for 10 "! kill -0 $p 2>/dev/null" || return 1
	done
'

test_done
