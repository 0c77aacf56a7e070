#!/bin/bash
# cs-validate streams: its peak memory does not grow with the input, and
# stays under 16 MB (the issue's bound for a 1 GB file).  Measured on the
# optimised build (bin/, which 'make check' builds): the sanitizer build's
# allocator keeps freed memory in quarantine, so its RSS says nothing.
. "$(dirname "$0")/lib.sh"

cv=$SRC_DIR/bin/cs-validate
if ! [ -x "$cv" ] || ! [ -x /usr/bin/time ]; then
	test_skip 'flat memory' 'needs bin/cs-validate (make) and /usr/bin/time'
	test_done
fi

# peak RSS in kB of cs-validate ARGS, its stdin from the pipe before it
rss() { # OUT ARGS...
	out=$1
	shift
	/usr/bin/time -f %M -o "$out" "$cv" "$@" >/dev/null
}

test_expect_success 'setup: 20,000 generated records, 5% bad' '
	gen-records --count 20000 --seed 7 --bad-ratio 0.05 >in.ndjson &&
	test_line_count in.ndjson 20000
'

test_expect_success 'about 1 MB and 190 MB of records: the same peak memory, under 16 MB' '
	head -c 1000000 in.ndjson | rss small --rejects rejects.small &&
	for i in $(seq 40); do cat in.ndjson; done | rss big --rejects rejects.big &&
	test "$(wc -l <rejects.big)" -eq $((40 * 1000)) &&
	small=$(cat small) big=$(cat big) &&
	echo "peak RSS: $small kB on 1 MB, $big kB on 190 MB" &&
	test "$big" -lt 16384 &&
	test "$big" -le $((small + 2048))
'

test_expect_success 'one 100 MB line: rejected whole, memory flat' '
	{ head -c 100000000 /dev/zero | tr "\0" a; echo; cat in.ndjson; } |
		rss huge --rejects rejects.huge &&
	test "$(sed -n 1p rejects.huge | jq -r .error)" = LineTooLong &&
	test "$(sed -n 1p rejects.huge | jq -r .reason)" = "line is 100000000 bytes, over the 2097152-byte limit" &&
	test "$(wc -l <rejects.huge)" -eq 1001 &&
	echo "peak RSS: $(cat huge) kB" &&
	test "$(cat huge)" -lt 16384
'

test_done
