#!/bin/bash
# lease.sh - the cost and the failover of cs-tail --lease-table.
#
#   bench/lease.sh            (or via bench/run.sh; not part of make check)
#
# Cost: two workers (bin/cs-tail) share a SHARDS-shard stream (default 8)
# through a lease table while cs-put keeps putting records, for STEADY
# seconds (default 60) after they are balanced; their summaries count the
# lease table's requests (renewals, table scans, takes, checkpoints), given
# per lease per minute, beside the KCL 2.x defaults.
# Failover: three workers with --failover-time FAILOVER (default 3000) on a
# 6-shard stream, every batch logged by the batch itself; KILLS times
# (default 10) one worker is killed with SIGKILL and the time until each of
# its shards ran a batch on a survivor is measured, then a new worker joins
# and the three balance again.  Prints a Markdown section on stdout.
. "$(dirname "$0")/lib.sh"

SHARDS=${SHARDS:-8}
STEADY=${STEADY:-60}
FAILOVER=${FAILOVER:-3000}
KILLS=${KILLS:-10}

bench_need bin/cs-tail bin/cs-put jq
bench_tmp
bench_services
svc=scripts/services.sh
cd "$tmp"

leases() { # TABLE: "SHARD OWNER"
	"$top/$svc" call "$CS_DYNAMODB_ENDPOINT" dynamodb Scan "{\"TableName\":\"$1\",\"ConsistentRead\":true}" |
	    jq -r '.Items[] | "\(.leaseKey.S) \(.leaseOwner.S // "-")"'
}
held() { leases "$1" | awk -v w="$2" '$2 == w' | wc -l; } # TABLE WORKER
now_ms() { date +%s%3N; }
# a producer of N records a second until killed
producer() { # STREAM RATE
	gen-records --count 1000000 --seed 7 --bad-ratio 0 |
	    cs-put -q -s "$1" --rate "$2" 2>>producer.log &
	bench_pids="$bench_pids $!"
}

# --- cost: two workers, SHARDS shards, the default failover time ----------------
S=bench-lease-cost-$$ LT=bench-lease-cost-leases-$$
"$top/$svc" create-stream "$CS_KINESIS_ENDPOINT" "$S" "$SHARDS" >/dev/null
producer "$S" 100
for w in a b; do
	cs-tail -s "$S" --lease-table "$LT" --worker-id "cost-$w" --stats >/dev/null 2>"cost-$w.err" &
	echo $! >"cost-$w.pid"
done
i=0
until [ "$(held "$LT" cost-a)" = $((SHARDS / 2)) ] && [ "$(held "$LT" cost-b)" = $((SHARDS / 2)) ]; do
	i=$((i + 1)); [ $i -lt 600 ] || { echo "$bench: the workers did not balance" >&2; exit 1; }
	sleep 0.1
done
echo "$bench: balanced; steady state for $STEADY s" >&2
# the requests of the start (table, sync, takes, steals) are taken out: a first
# pair of workers is stopped once balanced, a second pair runs STEADY s from there
for w in a b; do kill -TERM "$(cat "cost-$w.pid")"; done
for w in a b; do while kill -0 "$(cat "cost-$w.pid")" 2>/dev/null; do sleep 0.1; done; done
t0=$(now_ms)
for w in c d; do
	cs-tail -s "$S" --lease-table "$LT" --worker-id "cost-$w" --stats >/dev/null 2>"cost-$w.err" &
	echo $! >"cost-$w.pid"
done
sleep 5
t1=$(now_ms)
for w in c d; do kill -TERM "$(cat "cost-$w.pid")"; done
for w in c d; do while kill -0 "$(cat "cost-$w.pid")" 2>/dev/null; do sleep 0.1; done; done
short=$(( $(now_ms) - t0 ))
cat cost-c.err cost-d.err | sed -n 's/.*lease table: \([0-9]*\) requests.*/\1/p' | awk '{ s += $1 } END { print s }' >short.req
for w in e f; do
	cs-tail -s "$S" --lease-table "$LT" --worker-id "cost-$w" --stats >/dev/null 2>"cost-$w.err" &
	echo $! >"cost-$w.pid"
done
t0=$(now_ms)
sleep $((STEADY + 5))
for w in e f; do kill -TERM "$(cat "cost-$w.pid")"; done
for w in e f; do while kill -0 "$(cat "cost-$w.pid")" 2>/dev/null; do sleep 0.1; done; done
long=$(( $(now_ms) - t0 ))
counts() { # FIELD: in the summaries, the sum of "N FIELD" of workers e and f less that of c and d
	a=$(cat cost-e.err cost-f.err | grep -o "[0-9]* $1" | awk '{ s += $1 } END { print s + 0 }')
	b=$(cat cost-c.err cost-d.err | grep -o "[0-9]* $1" | awk '{ s += $1 } END { print s + 0 }')
	echo $((a - b))
}
long_req=$(cat cost-e.err cost-f.err | sed -n 's/.*lease table: \([0-9]*\) requests.*/\1/p' | awk '{ s += $1 } END { print s }')
renewals=$(counts renewals) scans=$(counts scans) cks=$(counts checkpoints) takes=$(counts takes)
kill -TERM $bench_pids 2>/dev/null || true
# per lease per minute, over the difference of the long and the short run (start and leave cancelled out)
per() { awk -v n="$1" -v ms="$2" -v l="$SHARDS" 'BEGIN { printf "%.1f", n / l / (ms / 60000) }'; }
steady_req=$((long_req - $(cat short.req)))
steady_ms=$((long - short))

# --- failover: ten kills of one of three workers ----------------------------------
S2=bench-lease-fo-$$ LT2=bench-lease-fo-leases-$$
"$top/$svc" create-stream "$CS_KINESIS_ENDPOINT" "$S2" 6 >/dev/null
bench_pids=
producer "$S2" 300
n=0
start_worker() { # NAME
	cs-tail -s "$S2" --lease-table "$LT2" --worker-id "$1" --failover-time "$FAILOVER" \
	    --exec "s=\$(date +%s%3N); cat >/dev/null; echo \"\$s $1 \$CS_SHARD_ID\" >>'$tmp/batches.log'" \
	    2>"$1.err" &
	echo $! >"$1.pid"
	live="$live $1"
}
live=
for k in 0 1 2; do start_worker "w$k"; done
balanced() { for w in $live; do [ "$(held "$LT2" "$w")" = 2 ] || return 1; done; }
k=3
: >failover.ms
while [ $n -lt "$KILLS" ]; do
	i=0
	until balanced; do i=$((i + 1)); [ $i -lt 600 ] || { echo "$bench: no balance" >&2; exit 1; }; sleep 0.1; done
	sleep 1
	victim=${live# }; victim=${victim%% *}
	leases "$LT2" | awk -v w="$victim" '$2 == w { print $1 }' >victim.shards
	kill -KILL "$(cat "$victim.pid")"
	t0=$(now_ms)
	live=$(echo "$live" | tr ' ' '\n' | grep -vx "$victim" | grep . | tr '\n' ' ')
	i=0
	until [ "$(for s in $(cat victim.shards); do awk -v s="$s" -v t="$t0" '$3 == s && $1 >= t' batches.log | head -n 1; done | grep -c .)" = 2 ]; do
		i=$((i + 1)); [ $i -lt 300 ] || { echo "$bench: no failover" >&2; exit 1; }; sleep 0.1
	done
	ms=$(for s in $(cat victim.shards); do awk -v s="$s" -v t="$t0" '$3 == s && $1 >= t { print $1 - t; exit }' batches.log; done | sort -n | tail -n 1)
	echo "$ms" >>failover.ms
	n=$((n + 1))
	echo "$bench: kill $n of $victim: its shards ran again after $ms ms" >&2
	start_worker "w$k"
	k=$((k + 1))
done
for w in $live; do kill -TERM "$(cat "$w.pid")" 2>/dev/null; done
sort -n failover.ms >f.sorted
median=$(awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }' f.sorted)
max=$(tail -n 1 f.sorted)
min=$(head -n 1 f.sorted)

cat <<EOF
## cs-tail --lease-table: the lease table's cost and failover (bench/lease.sh)

Cost: two workers (bin/cs-tail, default --failover-time 10000) share a
$SHARDS-shard stream while cs-put puts 100 records/s; the requests of the
start and of leaving are cancelled out (a run of $((steady_ms / 1000)) s more than
another, same setup).  In the steady state:

| | cs-tail | KCL 2.x defaults |
|---|---:|---:|
| writes per lease per minute: renewals, a checkpoint riding on one | **$(per $((renewals + cks)) "$steady_ms")** | 18.2 renewals (every 3.3 s), plus one write per checkpoint the application makes |
| table scans per worker per minute | $(awk -v n="$scans" -v ms="$steady_ms" 'BEGIN { printf "%.1f", n / 2 / (ms / 60000) }') (every failover/6) | 3 (the taker, every 20 s) |
| all lease-table requests per lease per minute (2 workers, $SHARDS leases) | **$(per "$steady_req" "$steady_ms")** | $(awk -v l="$SHARDS" 'BEGIN { printf "%.1f", 18.2 + 3 * 2 / l }'), plus the checkpoints |

Of the writes, $(per "$cks" "$steady_ms") per lease per minute carried a checkpoint (records
kept coming); takes in the steady state: $takes.  cs-tail reads the table six
times as often as the KCL's taker, to bound a failover by the failover
time plus a third of it (the KCL: plus twice the failover time); a scan
of a table of $SHARDS leases is one request.  The machine's load average
at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores, shared with other work).

Failover: three workers with --failover-time $FAILOVER on a 6-shard stream,
cs-put putting 300 records/s; $KILLS times one worker was killed (SIGKILL),
and the time until each of its shards ran a batch on a survivor measured
by the batches' own clocks; a new worker joined after each kill.

| kills | median | max | min | bound (F + F/3) | KCL worst case (F + 2F) |
|---:|---:|---:|---:|---:|---:|
| $KILLS | **$median ms** | **$max ms** | $min ms | $((FAILOVER + FAILOVER / 3)) ms + requests | $((3 * FAILOVER)) ms |

EOF
