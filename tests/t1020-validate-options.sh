#!/bin/sh
# cs-validate: --rejects, --where, --require, --no-default-rules, --stats,
# -q, --help, --version and usage errors
. "$(dirname "$0")/lib.sh"

good='{"ip":"0.0.0.0","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/products/ultraesb-x","referrer":"http://adroitlogic.com","os":"Windows","country":"Sri Lanka","language":"en-us"}'
lk='{"ip":"10.1.2.3","timestamp":"2018-02-04T23:18:33.000Z","browser":"Safari","url":"https://example.com/a","referrer":"","os":"iOS","country":"X","language":"si-lk","session":"s1"}'
badip='{"ip":"999.1.1.1","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/","referrer":"","os":"Windows","country":"Sri Lanka","language":"en-us"}'

test_expect_success 'setup' '
	printf "%s\n" "$good" "$lk" "$badip" "[]" "{\"user\":\"u1\",\"session\":\"\"}" >in
'

test_expect_success '--rejects: the file holds exactly one NDJSON line per reject' '
	rm -f rej && cs-validate --rejects rej in >out 2>err &&
	printf "%s\n" "$good" "$lk" >expect &&
	test_cmp expect out &&
	cat >expect <<-\EOT &&
	{"source":"in","line":3,"error":"InvalidField","reason":"ip: '"'"'999.1.1.1'"'"' is not an IPv4 or IPv6 address","record":"{\"ip\":\"999.1.1.1\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\",\"url\":\"http://adroitlogic.com/\",\"referrer\":\"\",\"os\":\"Windows\",\"country\":\"Sri Lanka\",\"language\":\"en-us\"}"}
	{"source":"in","line":4,"error":"NotAnObject","reason":"the record is an array, not an object","record":"[]"}
	{"source":"in","line":5,"error":"MissingField","reason":"ip: missing","record":"{\"user\":\"u1\",\"session\":\"\"}"}
	EOT
	test_cmp expect rej &&
	test_must_be_empty err
'

test_expect_success '--rejects: an existing file is appended to, never truncated' '
	echo old >rej &&
	cs-validate --rejects rej in >/dev/null &&
	test_line_count rej 4 &&
	test "$(head -n 1 rej)" = old &&
	cs-validate --rejects rej in >/dev/null &&
	test_line_count rej 7
'

test_expect_success 'without --rejects: one line per reject on stderr, then a summary' '
	cs-validate in >out 2>err &&
	cat >expect <<-\EOT &&
	cs-validate: in:3: ip: '"'"'999.1.1.1'"'"' is not an IPv4 or IPv6 address
	cs-validate: in:4: the record is an array, not an object
	cs-validate: in:5: ip: missing
	cs-validate: 5 read, 2 eligible, 3 rejected (ip: 2, NotAnObject: 1)
	EOT
	test_cmp expect err
'

test_expect_success '-q: the rejects are still reported, the summary is not' '
	cs-validate -q in >out 2>err &&
	test_line_count err 3
'

test_expect_success '--stats and -c: the summary even with --rejects' '
	rm -f rej && cs-validate --stats --rejects rej in >out 2>err &&
	echo "cs-validate: 5 read, 2 eligible, 3 rejected (ip: 2, NotAnObject: 1)" >expect &&
	test_cmp expect err &&
	rm -f rej && cs-validate -c --rejects rej in >out 2>err &&
	test_cmp expect err &&
	rm -f rej && cs-validate --count -q --rejects rej in >out 2>err &&
	test_cmp expect err
'

test_expect_success 'no rejects, no --stats, stderr not a terminal: silent' '
	printf "%s\n" "$good" | cs-validate >out 2>err &&
	test_must_be_empty err
'

test_expect_success '--where: a record passes only when the expression gives true' '
	rm -f rej && cs-validate --where ".country != \"X\"" --rejects rej in >out &&
	printf "%s\n" "$good" >expect &&
	test_cmp expect out &&
	jq -r "\"\(.line) \(.error) \(.reason)\"" rej >got &&
	cat >expect <<-\EOT &&
	2 WhereFailed --where '"'"'.country != "X"'"'"' was not true
	3 InvalidField ip: '"'"'999.1.1.1'"'"' is not an IPv4 or IPv6 address
	4 NotAnObject the record is an array, not an object
	5 MissingField ip: missing
	EOT
	test_cmp expect got
'

test_expect_success '--where: a truthy value that is not true fails; no output fails' '
	printf "%s\n" "$good" >one &&
	rm -f rej && cs-validate --where .ip --rejects rej one >out &&
	test_must_be_empty out &&
	test "$(jq -r .error rej)" = WhereFailed &&
	rm -f rej && cs-validate --where empty --rejects rej one >out &&
	test_must_be_empty out &&
	test "$(jq -r .error rej)" = WhereFailed
'

test_expect_success '--where: repeated, every expression must hold' '
	cs-validate --where "true" --where ".os == \"Windows\"" in >out 2>/dev/null &&
	printf "%s\n" "$good" >expect &&
	test_cmp expect out
'

test_expect_success '--where: a jq error rejects the record as WhereError' '
	printf "%s\n" "$good" >one &&
	rm -f rej && cs-validate --where ".ip | tonumber > 0" --rejects rej one >out &&
	test_must_be_empty out &&
	test "$(jq -r .error rej)" = WhereError &&
	jq -r .reason rej | grep "^--where '"'"'.ip | tonumber > 0'"'"': "
'

test_expect_success '--where @FILE reads the expression from a file' '
	echo ".browser == \"Safari\"" >expr.jq &&
	cs-validate --where @expr.jq in >out 2>/dev/null &&
	printf "%s\n" "$lk" >expect &&
	test_cmp expect out
'

test_expect_success '--where: an expression that does not compile is a usage error' '
	test_expect_code 2 cs-validate --where ".a |||" in >out 2>err &&
	test_must_be_empty out &&
	grep "^cs-validate: --where: invalid jq program" err
'

test_expect_success '--where works on the decoded double-encoded record' '
	printf "%s\n" "$lk" | jq -Rc . >dbl &&
	cs-validate --where ".session == \"s1\"" dbl >out &&
	printf "%s\n" "$lk" >expect &&
	test_cmp expect out
'

test_expect_success '--require: the field must be a non-empty string' '
	rm -f rej && cs-validate --require session --rejects rej in >out &&
	printf "%s\n" "$lk" >expect &&
	test_cmp expect out &&
	jq -r "\"\(.line) \(.error) \(.reason)\"" rej >got &&
	cat >expect <<-\EOT &&
	1 MissingField session: missing
	3 InvalidField ip: '"'"'999.1.1.1'"'"' is not an IPv4 or IPv6 address
	4 NotAnObject the record is an array, not an object
	5 MissingField ip: missing
	EOT
	test_cmp expect got
'

test_expect_success '--no-default-rules: any object passes, --require and --where still apply' '
	rm -f rej && cs-validate --no-default-rules --rejects rej in >out &&
	printf "%s\n" "$good" "$lk" "$badip" "{\"user\":\"u1\",\"session\":\"\"}" >expect &&
	test_cmp expect out &&
	test "$(jq -r .error rej)" = NotAnObject &&
	rm -f rej && cs-validate --no-default-rules --require user --require session --rejects rej in >out &&
	test_must_be_empty out &&
	test "$(jq -r .reason rej | tail -n 1)" = "session: empty" &&
	rm -f rej && cs-validate --no-default-rules --where "has(\"user\")" --rejects rej in >out &&
	echo "{\"user\":\"u1\",\"session\":\"\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'stderr a terminal: progress and the summary there' '
	gen-records --count 1000 --seed 2 --bad-ratio 0.01 >many &&
	rm -f rej && script -qec "cs-validate --rejects rej many >out" /dev/null >tty &&
	grep "1000 read, 990 eligible, 10 rejected, [0-9]* records/s" tty &&
	grep "cs-validate: 1000 read, 990 eligible, 10 rejected (" tty &&
	rm -f rej && script -qec "cs-validate -q --rejects rej many >out" /dev/null >tty &&
	test_must_be_empty tty
'

test_expect_success '-v: the lines of each input' '
	rm -f rej && cs-validate -v --rejects rej in >out 2>err &&
	echo "cs-validate: in: 5 lines" >expect &&
	test_cmp expect err
'

test_expect_success '--help goes to stdout and exits 0' '
	cs-validate --help >out 2>err &&
	test_must_be_empty err &&
	grep "^usage: cs-validate" out &&
	rm -f FILE && grep -e "--rejects FILE" out &&
	grep -e "--no-default-rules" out &&
	grep -e "--version" out
'

test_expect_success '--version' '
	cs-validate --version >out &&
	grep "^cs-validate [0-9]" out
'

test_expect_success 'usage errors exit 2 with a hint' '
	test_expect_code 2 cs-validate --bogus in >out 2>err &&
	test_must_be_empty out &&
	grep "try '"'"'cs-validate --help'"'"'" err &&
	test_expect_code 2 cs-validate --rejects - in 2>err &&
	grep "^cs-validate: --rejects: standard output carries the eligible records" err &&
	test_expect_code 2 cs-validate --max-line 0 in 2>err &&
	test_expect_code 2 cs-validate --max-line 12x in 2>err &&
	grep "^cs-validate: --max-line: '"'"'12x'"'"' is not a number" err &&
	test_expect_code 2 cs-validate --require "" in 2>err &&
	test_expect_code 2 cs-validate --where 2>err
'

test_done
