# bench/lib.sh - what the bench scripts share; sourced, not run (bench/run.sh
# passes it over):
#
#   . "$(dirname "$0")/lib.sh"
#
# Moves to the top of the tree ($top), puts bin/ and scripts/ first on PATH,
# pins the locale and local credentials, and names the script in $bench
# (the prefix of its log lines).  Then, as a script needs them:
#   bench_need FILE|COMMAND...  exit unless each is built or installed
#   bench_tmp                   $tmp, a scratch folder removed at exit with
#                               the services and $bench_pids below
#   bench_own_services KIND     private kinesalite or dynalite in $tmp/svc
#   bench_services              bench/run.sh's services, else private ones
#   bench_time CMD...           CMD timed: sets wall user sys cpu rss_kb
#   bench_read NAME CMD...      a reader timed, its stdout ($tmp/out) checked
#                               to hold $RECORDS lines
#   bench_fresh_stream SHARDS   kinesalite of bench_own_services restarted
#                               (empty), a stream $S of SHARDS shards in it
#   bench_count_stream E S      records in stream S, over every shard
#   bench_wait_listen PORT LOG  until cs-put --listen answers on PORT
#   ratio, at_most, us_per, per_s, boto3_version: the figures of a report
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
bench=$(basename "$0" .sh)
export PATH=$top/bin:$top/scripts:$PATH
export LC_ALL=C.UTF-8
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDLOCAL}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-localsecret}
export AWS_REGION=${AWS_REGION:-us-east-1}

# each a tool of bin/ (bin/cs-put), boto3, or a command on PATH
bench_need() { # WHAT...
	for w in "$@"; do
		case $w in
		bin/*) [ -x "$w" ] || { echo "$bench: build first (make)" >&2; exit 1; } ;;
		/usr/bin/time) [ -x "$w" ] || { echo "$bench: needs /usr/bin/time (Debian package 'time')" >&2; exit 1; } ;;
		boto3) /usr/bin/python3 -c 'import boto3' 2>/dev/null ||
		    { echo "$bench: needs python3-boto3" >&2; exit 1; } ;;
		*) command -v "$w" >/dev/null || { echo "$bench: needs $w" >&2; exit 1; } ;;
		esac
	done
}

bench_svc= # services started in $tmp/svc
bench_pids= # background processes: sent SIGTERM and waited for at exit
bench_cleanup() {
	for p in $bench_pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $bench_pids; do wait "$p" 2>/dev/null || true; done
	[ -z "$bench_svc" ] || scripts/services.sh stop "$tmp/svc" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
bench_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench-$bench.XXXXXX")
	trap bench_cleanup EXIT
}

# a private kinesalite or dynalite, for the script alone (restart it with
# scripts/services.sh restart "$tmp/svc" KIND); E is its endpoint
bench_own_services() { # kinesis|dynamodb
	bench_svc=1
	scripts/services.sh start "$tmp/svc" "$1" >&2
	. "$tmp/svc/services.env"
	case $1 in
	kinesis) E=$CS_KINESIS_ENDPOINT ;;
	dynamodb) E=$CS_DYNAMODB_ENDPOINT ;;
	esac
}

# the services of bench/run.sh, else both started here; the tools find them
# without --endpoint-url
bench_services() {
	if [ -z "${CS_KINESIS_ENDPOINT:-}" ] || [ -z "${CS_DYNAMODB_ENDPOINT:-}" ]; then
		bench_svc=1
		scripts/services.sh start "$tmp/svc" >/dev/null
		. "$tmp/svc/services.env"
	fi
	export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
	export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT
}

# run CMD under /usr/bin/time (its stdin, stdout and stderr as the caller
# gives them); sets wall (s), user, sys, cpu (user + sys, s) and rss_kb (peak)
bench_time() { # CMD...
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" || return
	read -r wall user sys rss_kb <"$tmp/time"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}

# run reader NAME, CMD..., timed: its stdout in $tmp/out must hold $RECORDS
# records, else the log is shown and the bench stops; sets what bench_time does
bench_read() { # NAME CMD...
	_name=$1
	shift
	echo "$bench: $_name" >&2
	bench_time "$@" >"$tmp/out" 2>>"$tmp/log"
	_n=$(wc -l <"$tmp/out")
	[ "$_n" = "$RECORDS" ] ||
	    { echo "$bench: $_name read $_n records, not $RECORDS" >&2; cat "$tmp/log" >&2; exit 1; }
}

# a fresh kinesalite (the one of bench_own_services kinesis, restarted: it
# slows down as it fills) and in it a new stream, named in S
bench_streams=0
bench_fresh_stream() { # SHARDS
	bench_streams=$((bench_streams + 1))
	S=bench-$bench-$bench_streams
	scripts/services.sh restart "$tmp/svc" kinesis >&2
	scripts/services.sh create-stream "$E" "$S" "$1"
}

bench_count_stream() { # ENDPOINT STREAM: records in it, over every shard
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys, boto3
c = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1")
n = 0
for s in c.list_shards(StreamName=sys.argv[2])["Shards"]:
    it = c.get_shard_iterator(StreamName=sys.argv[2], ShardId=s["ShardId"],
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while it:
        r = c.get_records(ShardIterator=it, Limit=10000)
        n += len(r["Records"])
        if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
            break
        it = r.get("NextShardIterator")
print(n)
PY
}

# wait up to 10 s for cs-put --listen to answer on PORT; else show its LOG, exit
bench_wait_listen() { # PORT LOG
	i=0
	until curl -s -o /dev/null -X OPTIONS "http://127.0.0.1:$1/report"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "$bench: cs-put did not start" >&2; cat "$2" >&2; exit 1; }
		sleep 0.1
	done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
at_most() { awk -v r="$1" -v lim="$2" 'BEGIN { print (r <= lim ? "met" : "NOT met") }'; } # R LIMIT
us_per() { awk -v c="$1" -v n="$RECORDS" 'BEGIN { printf "%.1f", c * 1e6 / n }'; } # CPU s a record
per_s() { awk -v w="$1" -v n="$RECORDS" 'BEGIN { printf "%d", (w > 0 ? n / w : 0) }'; } # records a wall s
boto3_version() { /usr/bin/python3 -c 'import boto3; print(boto3.__version__)'; }
