#!/bin/sh
# cs-validate: the bad-input matrix.  No bad line stops the run; each ends
# as one reject with a clear reason; CRLF, a BOM, a missing last newline
# and empty lines are ordinary input.
. "$(dirname "$0")/lib.sh"

good='{"ip":"0.0.0.0","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/products/ultraesb-x","referrer":"http://adroitlogic.com","os":"Windows","country":"Sri Lanka","language":"en-us"}'
good2='{"ip":"::1","timestamp":"2018-02-04T23:18:33.000Z","browser":"Firefox","url":"https://example.com/","referrer":"","os":"Linux","country":"Česko","language":"cs-cz"}'

# the errors and reasons of a rejects file, one line each
reasons() { jq -r '"\(.line) \(.error) \(.reason)"' "$1"; }

test_expect_success 'every kind of bad line is rejected, the good ones pass, in order' '
	{
		printf "%s\n" "$good"
		printf "{\"ip\":\"1.2.3.4\",\n"
		printf "[1,2,3]\n"
		printf "{\"ip\":\"\\377\"}\n"
		printf "{\"ip\":\"a\\000b\"}\n"
		printf "{\"a\":%s%s}\n" "$(printf "%0300d" 0 | tr 0 "[")" "$(printf "%0300d" 0 | tr 0 "]")"
		printf "%s\n" "$good2"
	} >in &&
	rm -f rej && cs-validate --rejects rej in >out 2>err &&
	printf "%s\n%s\n" "$good" "$good2" >expect &&
	test_cmp expect out &&
	cat >expect <<-\EOT &&
	2 InvalidJSON invalid JSON: truncated (expected a member name)
	3 NotAnObject the record is an array, not an object
	4 InvalidUTF8 invalid UTF-8 at byte 8
	5 InvalidJSON NUL byte at byte 9
	6 TooDeep nesting deeper than 256 levels
	EOT
	reasons rej >got &&
	test_cmp expect got &&
	test_must_be_empty err
'

test_expect_success 'invalid UTF-8 is kept exactly as record_base64' '
	printf "{\"ip\":\"\\377\\376\"}\n" >in &&
	rm -f rej && cs-validate --rejects rej in &&
	jq -r ".record_base64" rej | base64 -d >got &&
	printf "{\"ip\":\"\\377\\376\"}" >expect &&
	cmp expect got &&
	test "$(jq -r "has(\"record\")" rej)" = false
'

test_expect_success 'a NUL byte round-trips in the reject as \u0000' '
	printf "{\"ip\":\"a\\000b\"}\n" >in &&
	rm -f rej && cs-validate --rejects rej in &&
	test "$(jq -c .record rej)" = "\"{\\\"ip\\\":\\\"a\\u0000b\\\"}\""
'

test_expect_success 'a line over the cap is rejected whole, its kept prefix marked truncated' '
	python3 -c "import sys; sys.stdout.write(\"{\\\"a\\\":\\\"\" + \"x\" * 3145720 + \"\\\"}\\n\")" >in &&
	printf "%s\n" "$good" >>in &&
	rm -f rej && cs-validate --rejects rej in >out &&
	printf "%s\n" "$good" >expect &&
	test_cmp expect out &&
	test "$(jq -r .reason rej)" = "line is 3145728 bytes, over the 2097152-byte limit" &&
	test "$(jq -r "[.error, .line, .truncated, (.record | length)] | @tsv" rej)" = "$(printf "LineTooLong\t1\ttrue\t1024")"
'

test_expect_success '--max-line: a short cap, the whole line kept when it fits the prefix' '
	printf "%s\n%s\n" "$good" "{}" >in &&
	rm -f rej && cs-validate --max-line 100 --rejects rej in >out &&
	test_must_be_empty out &&
	reasons rej >got &&
	cat >expect <<-EOT &&
	1 LineTooLong line is ${#good} bytes, over the 100-byte limit
	2 MissingField ip: missing
	EOT
	test_cmp expect got &&
	test "$(jq -r ".truncated // false" rej | head -n 1)" = false &&
	test "$(jq -r .record rej | head -n 1)" = "$good"
'

test_expect_success 'an overlong last line without a newline' '
	printf "%s\n" "$good" >in &&
	printf "%0400d" 0 >>in &&
	rm -f rej && cs-validate --max-line 300 --rejects rej in >out &&
	test_line_count out 1 &&
	test "$(reasons rej)" = "2 LineTooLong line is 400 bytes, over the 300-byte limit"
'

test_expect_success 'CRLF line ends: output uses LF, rejects hold the line without CR' '
	printf "%s\r\n{}\r\n%s\r\n" "$good" "$good2" >in &&
	rm -f rej && cs-validate --rejects rej in >out &&
	printf "%s\n%s\n" "$good" "$good2" >expect &&
	test_cmp expect out &&
	test "$(jq -r .record rej)" = "{}"
'

test_expect_success 'a UTF-8 BOM at the start of each file is dropped' '
	printf "\357\273\277%s\n" "$good" >a &&
	printf "\357\273\277%s\n" "$good2" >b &&
	cs-validate a b >out &&
	printf "%s\n%s\n" "$good" "$good2" >expect &&
	test_cmp expect out
'

test_expect_success 'a BOM anywhere else is bad input' '
	printf "%s\n\357\273\277%s\n" "$good" "$good" >in &&
	rm -f rej && cs-validate --rejects rej in >out &&
	test_line_count out 1 &&
	test "$(reasons rej)" = "2 InvalidJSON invalid JSON at byte 1: not a JSON value"
'

test_expect_success 'no final newline: the last record still counts' '
	printf "%s\n%s" "$good" "$good2" >in &&
	cs-validate in >out &&
	printf "%s\n%s\n" "$good" "$good2" >expect &&
	test_cmp expect out
'

test_expect_success 'empty and blank lines are skipped, but line numbers count them' '
	printf "\n%s\n\n   \n\t\n\r\n{}\n" "$good" >in &&
	rm -f rej && cs-validate --rejects rej in >out 2>err &&
	printf "%s\n" "$good" >expect &&
	test_cmp expect out &&
	test "$(reasons rej)" = "7 MissingField ip: missing" &&
	test_must_be_empty err
'

test_expect_success 'an empty file and an empty stdin are fine' '
	: >empty &&
	cs-validate empty </dev/null >out 2>err &&
	cs-validate </dev/null >>out 2>>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'stdin is named <stdin>; several files keep their own line numbers' '
	printf "%s\n{}\n" "$good" >a &&
	printf "[]\n" | cs-validate a - a >out 2>err &&
	cat >expect <<-\EOT &&
	cs-validate: a:2: ip: missing
	cs-validate: <stdin>:1: the record is an array, not an object
	cs-validate: a:2: ip: missing
	cs-validate: 5 read, 2 eligible, 3 rejected (ip: 2, NotAnObject: 1)
	EOT
	test_cmp expect err &&
	test_line_count out 2
'

test_expect_success 'double-encoded records, as the original proxy wrote them, are decoded' '
	jq -Rc . <<-EOT >in &&
	$good
	$good2
	EOT
	cs-validate in >out &&
	printf "%s\n%s\n" "$good" "$good2" >expect &&
	test_cmp expect out
'

test_expect_success 'a double-encoded pretty-printed object comes out on one line' '
	printf "%s\n" "$good" | jq . | jq -Rsc . >in &&
	cs-validate in >out &&
	test_line_count out 1 &&
	jq -c . out >got &&
	printf "%s\n" "$good" >expect &&
	test_cmp expect got
'

test_expect_success 'records bigger than the output buffer pass intact' '
	for n in 500000 500001 1500000; do
		printf "%s,\"pad\":\"%s\"}\n" "${good%\}}" "$(head -c $n /dev/zero | tr "\0" x)"
	done >in &&
	printf "%s\n" "$good" >>in &&
	cs-validate in >out &&
	cmp in out
'

test_expect_success 'generated records: exactly the bad ones are rejected' '
	gen-records --count 2000 --seed 7 --bad-ratio 0.1 --double-encoded-ratio 0.1 --crlf-ratio 0.1 >in &&
	rm -f rej && cs-validate --rejects rej -c in >out 2>err &&
	test_line_count out 1800 &&
	test_line_count rej 200 &&
	grep "^cs-validate: 2000 read, 1800 eligible, 200 rejected (" err
'

test_done
