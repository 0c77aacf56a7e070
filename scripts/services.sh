#!/bin/sh
# services.sh - kinesalite, dynalite and kinesis-mock on loopback, for the
# demo and the tests.
#
#   scripts/services.sh start DIR [WHAT[,WHAT]] [KPORT] [DPORT] [MPORT]
#       WHAT: both (default), all, kinesis, dynamodb, kinesis-mock
#       start the services on free loopback ports (or the ones given), wait
#       until they answer, and write DIR/services.env:
#         CS_KINESIS_ENDPOINT=http://127.0.0.1:PORT        (kinesalite)
#         CS_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT       (dynalite)
#         CS_KINESIS_MOCK_ENDPOINT=http://127.0.0.1:PORT   (kinesis-mock)
#       and their pids in DIR/NAME.pid.  both (the default) is kinesalite
#       and dynalite; all adds kinesis-mock (a second Kinesis, the one
#       LocalStack uses: npm kinesis-local; it takes seconds to start)
#   scripts/services.sh stop DIR [WHAT[,WHAT]]
#       stop exactly the processes that 'start DIR' started (all of them
#       when WHAT is not given)
#   scripts/services.sh restart DIR kinesis|dynamodb|kinesis-mock
#       stop one and start it again on the same port (state is lost: in memory)
#   scripts/services.sh call ENDPOINT kinesis|dynamodb OPERATION JSON
#       one signed API call with curl; prints the answer, fails on HTTP >= 400
#   scripts/services.sh create-stream ENDPOINT NAME [SHARDS]
#   scripts/services.sh create-table ENDPOINT NAME HASHKEY [RANGEKEY]
#   scripts/services.sh freeport
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/node/node_modules/.bin

freeport() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait until the service we started says it listens and answers on URL: a
# port someone else holds makes ours exit, and is never taken for ours
wait_up() { # URL NAME PIDFILE LOG [WHAT-IT-SAYS]
	i=0
	until grep -qi -e "${5:-listening at}" "$4" 2>/dev/null &&
	    curl -s -o /dev/null --max-time 1 "$1"; do
		if ! kill -0 "$(cat "$3")" 2>/dev/null; then
			echo "services: $2 did not start on $1:" >&2
			tail -n 5 "$4" >&2
			return 1
		fi
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "services: $2 did not answer on $1 within 60 s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# is PID the NAME we started on PORT (and not a pid reused since)?
ours() { # PID NAME PORT
	[ -r "/proc/$1/cmdline" ] || return 1
	case $2 in
	kinesis-mock) # its ports come in its environment
		tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "kinesis-local/main.js" &&
		    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qx "KINESIS_MOCK_PLAIN_PORT=$3"
		;;
	*) tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2 .*--port $3 " ;;
	esac
}

# launch NAME on PORT in the background; wait_one waits until it answers
launch_one() { # DIR NAME PORT
	dir=$1 name=$2 port=$3
	case $port in
	''|*[!0-9]*) echo "services: bad port '$port'" >&2; return 1 ;;
	esac
	rm -f "$dir/$name.log"
	case $name in
	kinesalite)
		# kinesalite takes --host but does not use it (it listened on every
		# interface): scripts/node/loopback.js holds it to 127.0.0.1
		node -r "$here/node/loopback.js" "$bin/kinesalite" --port "$port" --host 127.0.0.1 --createStreamMs 0 \
		    --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 200 \
		    >"$dir/kinesalite.log" 2>&1 &
		;;
	dynalite)
		"$bin/dynalite" --port "$port" --host 127.0.0.1 --createTableMs 0 \
		    --deleteTableMs 0 --updateTableMs 0 >"$dir/dynalite.log" 2>&1 &
		;;
	kinesis-mock)
		# no delay for what is asynchronous in Kinesis (the tests wait for
		# ACTIVE all the same), and room for every stream of a test run
		tls=$(freeport)
		env KINESIS_MOCK_PLAIN_PORT="$port" KINESIS_MOCK_TLS_PORT="$tls" \
		    KINESIS_MOCK_CERT_PATH="$here/node/node_modules/kinesis-local/server.json" \
		    CREATE_STREAM_DURATION=0ms DELETE_STREAM_DURATION=0ms \
		    REGISTER_STREAM_CONSUMER_DURATION=0ms DEREGISTER_STREAM_CONSUMER_DURATION=0ms \
		    MERGE_SHARDS_DURATION=0ms SPLIT_SHARD_DURATION=0ms \
		    UPDATE_SHARD_COUNT_DURATION=0ms UPDATE_STREAM_MODE_DURATION=0ms \
		    START_STREAM_ENCRYPTION_DURATION=0ms STOP_STREAM_ENCRYPTION_DURATION=0ms \
		    SHARD_LIMIT=10000 ON_DEMAND_STREAM_COUNT_LIMIT=1000 \
		    SHOULD_PERSIST_DATA=false LOG_LEVEL=INFO \
		    node -r "$here/node/loopback.js" "$here/node/node_modules/kinesis-local/main.js" \
		    >"$dir/kinesis-mock.log" 2>&1 &
		;;
	esac
	echo $! >"$dir/$name.pid"
	echo "$port" >"$dir/$name.port"
}

wait_one() { # DIR NAME
	port=$(cat "$1/$2.port")
	case $2 in
	kinesis-mock) says="listening at 127.0.0.1:$port\$" ;; # the plain port (scripts/node/loopback.js)
	*) says="listening at" ;;
	esac
	wait_up "http://127.0.0.1:$port/" "$2" "$1/$2.pid" "$1/$2.log" "$says"
}

start_one() { launch_one "$@" && wait_one "$1" "$2"; } # DIR NAME PORT

stop_one() { # DIR NAME
	f=$1/$2.pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	# only the process this DIR started: a pid reused since is left alone
	if ours "$pid" "$2" "$(cat "$1/$2.port" 2>/dev/null)" && kill "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

write_env() { # DIR
	{
		[ -f "$1/kinesalite.port" ] && echo "CS_KINESIS_ENDPOINT=http://127.0.0.1:$(cat "$1/kinesalite.port")"
		[ -f "$1/dynalite.port" ] && echo "CS_DYNAMODB_ENDPOINT=http://127.0.0.1:$(cat "$1/dynalite.port")"
		[ -f "$1/kinesis-mock.port" ] && echo "CS_KINESIS_MOCK_ENDPOINT=http://127.0.0.1:$(cat "$1/kinesis-mock.port")"
		true # one service alone is fine
	} >"$1/services.env"
}

names() { # WHAT[,WHAT...]
	for w in $(echo "${1:-both}" | tr , ' '); do
		case $w in
		both) echo kinesalite dynalite ;;
		all) echo kinesis-mock kinesalite dynalite ;;
		kinesis|kinesalite) echo kinesalite ;;
		kinesis-mock|kinesis-local) echo kinesis-mock ;;
		dynamodb|dynalite) echo dynalite ;;
		*) echo "services: unknown service '$w'" >&2; exit 2 ;;
		esac
	done
}

call() { # ENDPOINT SERVICE OP JSON
	case $2 in
	kinesis) target=Kinesis_20131202 ct=application/x-amz-json-1.1 ;;
	dynamodb) target=DynamoDB_20120810 ct=application/x-amz-json-1.0 ;;
	*) echo "services: unknown service '$2'" >&2; exit 2 ;;
	esac
	curl -sS --fail-with-body -X POST "$1/" \
	    --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:$2" \
	    -u "${AWS_ACCESS_KEY_ID:-AKIDLOCAL}:${AWS_SECRET_ACCESS_KEY:-localsecret}" \
	    -H "X-Amz-Target: $target.$3" -H "Content-Type: $ct" --data-binary "$4"
}

[ $# -ge 1 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
cmd=$1
shift
case $cmd in
start)
	dir=$1
	mkdir -p "$dir"
	kport=${3:-} dport=${4:-} mport=${5:-}
	for n in $(names "${2:-both}"); do
		if [ -f "$dir/$n.pid" ] && ours "$(cat "$dir/$n.pid")" "$n" "$(cat "$dir/$n.port" 2>/dev/null)"; then
			echo "services: $n already runs from '$dir' (stop it first)" >&2
			exit 1
		fi
	done
	# all launched at once, then waited for (kinesis-mock takes seconds)
	started=
	for n in $(names "${2:-both}"); do
		case $n in
		kinesalite) p=${kport:-$(freeport)} ;;
		dynalite) p=${dport:-$(freeport)} ;;
		kinesis-mock) p=${mport:-$(freeport)} ;;
		esac
		if ! launch_one "$dir" "$n" "$p"; then
			for s in $started; do stop_one "$dir" "$s"; done
			exit 1
		fi
		started="$started $n"
	done
	for n in $started; do
		if ! wait_one "$dir" "$n"; then
			# leave nothing behind: stop what this call started
			for s in $started; do stop_one "$dir" "$s"; done
			exit 1
		fi
	done
	write_env "$dir"
	;;
stop)
	for n in $(names "${2:-all}"); do stop_one "$1" "$n"; done
	;;
restart)
	for n in $(names "$2"); do
		stop_one "$1" "$n"
		start_one "$1" "$n" "$(cat "$1/$n.port")"
	done
	;;
call)
	call "$@"
	echo
	;;
create-stream)
	call "$1" kinesis CreateStream "{\"StreamName\":\"$2\",\"ShardCount\":${3:-1}}" >/dev/null
	i=0
	while ! call "$1" kinesis DescribeStream "{\"StreamName\":\"$2\",\"Limit\":1}" | grep -q '"StreamStatus":"ACTIVE"'; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "services: stream $2 not active" >&2; exit 1; }
		sleep 0.1
	done
	;;
create-table)
	if [ -n "${4:-}" ]; then
		attrs="{\"AttributeName\":\"$3\",\"AttributeType\":\"S\"},{\"AttributeName\":\"$4\",\"AttributeType\":\"S\"}"
		keys="{\"AttributeName\":\"$3\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"$4\",\"KeyType\":\"RANGE\"}"
	else
		attrs="{\"AttributeName\":\"$3\",\"AttributeType\":\"S\"}"
		keys="{\"AttributeName\":\"$3\",\"KeyType\":\"HASH\"}"
	fi
	call "$1" dynamodb CreateTable "{\"TableName\":\"$2\",\"AttributeDefinitions\":[$attrs],\"KeySchema\":[$keys],\"BillingMode\":\"PAY_PER_REQUEST\"}" >/dev/null
	i=0
	while ! call "$1" dynamodb DescribeTable "{\"TableName\":\"$2\"}" | grep -q '"TableStatus":"ACTIVE"'; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "services: table $2 not active" >&2; exit 1; }
		sleep 0.1
	done
	;;
freeport)
	freeport
	;;
*)
	echo "services: unknown command '$cmd'" >&2
	exit 2
	;;
esac
