# tests/lease.sh - what the cs-tail --lease-table tests (t35*) share:
# workers of one stream and a producer in the background, the lease table read back.
# Sourced after tests/lib.sh; STREAM and LT (the lease table) set by the test.

services_need
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT
F=${F:-3000}          # --failover-time of the workers
RENEW=$((F / 3))      # their renewal period

now_ms() { date +%s%3N; }

# start worker NAME in the background (pid in NAME.pid, stdout NAME.out, stderr NAME.err;
# once it has exited, its status in NAME.rc, written by a shell that waits for it)
worker() { # NAME [OPTIONS...]
	_w=$1
	shift
	rm -f "$_w.pid" "$_w.rc"
	(
		cs-tail -s "$STREAM" --lease-table "$LT" --worker-id "$_w" --failover-time "$F" -v "$@" \
		    >>"$_w.out" 2>>"$_w.err" </dev/null &
		echo $! >"$_w.pid.tmp" && mv "$_w.pid.tmp" "$_w.pid"
		wait $!
		echo $? >"$_w.rc"
	) &
	_i=0
	while [ ! -s "$_w.pid" ] && [ $_i -lt 200 ]; do sleep 0.01; _i=$((_i + 1)); done
	test -s "$_w.pid"
}

# the same, every batch of --exec that ends logged in batches.log: "START END WORKER SHARD
# FIRST LAST" (ms); CMD runs the batch (a batch killed with its worker leaves no line)
exec_worker() { # NAME CMD [OPTIONS...]
	_w=$1 _c=$2
	shift 2
	worker "$_w" --exec "s=\$(date +%s%3N); $_c; rc=\$?; echo \"\$s \$(date +%s%3N) $_w \$CS_SHARD_ID \$CS_FIRST_SEQUENCE \$CS_LAST_SEQUENCE\" >>'$TRASH/batches.log'; exit \$rc" "$@"
}

# a producer in the background: records n = FIRST, FIRST+1, ..., ROUND at a time
# every PAUSE seconds, until 'producing' is removed; then the next n in 'produced'
produce() { # FIRST ROUND PAUSE
	mkdir -p prod && (
		cd prod && n=$1 &&
		while [ -f ../producing ]; do
			put_records "$STREAM" $n $2 || exit 1
			n=$((n + $2))
			sleep $3
		done
		echo $n >../produced
	) &
}

alive() { kill -0 "$(cat "$1.pid")" 2>/dev/null; } # NAME

# SIGTERM worker NAME and wait until it exits, with status 6 (interrupted, cs-tail(1))
stop_worker() { # NAME
	kill -TERM "$(cat "$1.pid")" 2>/dev/null
	_i=0
	while { alive "$1" || [ ! -s "$1.rc" ]; } && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	! alive "$1" &&
	{ [ "$(cat "$1.rc" 2>/dev/null)" = 6 ] || { echo "worker $1 exited $(cat "$1.rc" 2>/dev/null) after SIGTERM, not 6" >&2; return 1; }; }
}

# every lease: "SHARD OWNER COUNTER CHECKPOINT" ("-" for no owner), sorted by shard
leases() {
	dynamodb Scan "{\"TableName\":\"$LT\",\"ConsistentRead\":true}" |
	    jq -r '.Items[] | "\(.leaseKey.S) \(.leaseOwner.S // "-") \(.leaseCounter.N) \(.checkpoint.S)"' |
	    sort
}

# how many leases NAME holds
held_by() { leases | awk -v w="$1" '$2 == w' | wc -l; } # NAME

# wait until CONDITION holds, at most MS milliseconds; the ms it took on stdout
wait_ms() { # MS CONDITION
	_t0=$(now_ms)
	while ! eval "$2"; do
		if [ $(($(now_ms) - _t0)) -gt "$1" ]; then
			echo "not within $1 ms: $2" >&2
			return 1
		fi
		sleep 0.1
	done
	echo $(($(now_ms) - _t0))
}

# stop every worker still running (each must exit 6); one killed before is left alone
stop_all() {
	_rc=0
	for _p in *.pid; do
		[ -f "$_p" ] && alive "${_p%.pid}" && { stop_worker "${_p%.pid}" || _rc=1; }
	done
	return $_rc
}
