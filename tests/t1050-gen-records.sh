#!/bin/sh
# scripts/gen-records: the generator other tests and benches rely on
. "$(dirname "$0")/lib.sh"

test_expect_success 'deterministic for a seed, different for another' '
	gen-records --count 500 --seed 5 --bad-ratio 0.1 >a &&
	gen-records --count 500 --seed 5 --bad-ratio 0.1 >b &&
	gen-records --count 500 --seed 6 --bad-ratio 0.1 >c &&
	cmp a b &&
	! cmp -s a c
'

test_expect_success 'exactly COUNT lines, exactly floor(COUNT*R) of them bad' '
	gen-records --count 1000 --seed 1 --bad-ratio 0.05 >in &&
	test_line_count in 1000 &&
	cs-validate --rejects rej in >ok &&
	test_line_count ok 950 &&
	test_line_count rej 50
'

test_expect_success 'valid records: the seed fields in order, unique (ip, timestamp)' '
	gen-records --count 3000 --seed 9 >in &&
	jq -c "keys_unsorted" in | sort -u >keys &&
	echo "[\"ip\",\"timestamp\",\"browser\",\"url\",\"referrer\",\"os\",\"country\",\"language\"]" >expect &&
	test_cmp expect keys &&
	jq -r "[.ip, .timestamp] | @tsv" in | sort | uniq -d >dups &&
	test_must_be_empty dups &&
	grep -q "日本" in && grep -q "Česko" in && grep -q "Sri Lanka" in
'

test_expect_success '--start-time is the first timestamp'"'"'s base; time moves forward' '
	gen-records --count 50 --seed 1 --start-time 2020-01-01T00:00:00.000Z >in &&
	jq -r .timestamp in >ts &&
	sort -c ts &&
	head -n 1 ts | grep "^2020-01-01T00:00:0"
'

test_expect_success '--double-encoded-ratio and --crlf-ratio' '
	gen-records --count 200 --seed 1 --double-encoded-ratio 1 --crlf-ratio 1 >in &&
	test "$(grep -c "^\"{" in)" = 200 &&
	test "$(grep -c "$(printf "\r")\$" in)" = 200 &&
	cs-validate in >out &&
	test_line_count out 200
'

test_expect_success '--kinds picks the kinds of bad record' '
	gen-records --count 100 --seed 1 --bad-ratio 1 --kinds ip >in &&
	cs-validate -c --rejects rej in >out 2>err &&
	test_must_be_empty out &&
	echo "cs-validate: 100 read, 0 eligible, 100 rejected (ip: 100)" >expect &&
	test_cmp expect err
'

test_expect_success 'bad arguments are refused' '
	test_must_fail gen-records --count 10 --bad-ratio 2 2>err &&
	test_must_fail gen-records --count 10 --kinds nope 2>err &&
	test_must_fail gen-records 2>err
'

test_done
