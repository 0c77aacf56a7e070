#!/bin/sh
# cs-put: the man page is clean, documents every option, and its EXAMPLES
# print what they say, run against a private kinesalite.
. "$(dirname "$0")/lib.sh"

man=$SRC_DIR/man/cs-put.1

test_expect_success 'mandoc -Tlint is clean' '
	mandoc -Tlint -W warning "$man"
'

test_expect_success 'the page documents every option of --help, and every exit status' '
	cs-put --help | grep -o -e "--[a-z-]*" | sort -u >opts &&
	while read -r o; do
		grep -q -F -e "Fl -${o#--}" "$man" || { echo "undocumented: $o"; exit 1; }
	done <opts &&
	for s in 0 1 2 3 4 5 6; do
		sed -n "/^\.Sh EXIT STATUS/,/^\.Sh/p" "$man" | grep -qx ".It $s" || exit 1
	done
'

test_expect_success_here 'setup: a private kinesalite, the streams and the capture of the examples' '
	services_start "$TRASH/svc" kinesis &&
	create_stream click-stream 2 &&
	create_stream click-stream-copy 2 &&
	gen-records --count 100 --seed 3 --bad-ratio 0.1 >capture.ndjson &&
	printf "{\"ip\":\"0.0.0.0\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\"}\n" >click.json &&
	python3 "$SRC_DIR/tests/put/man-examples.py" "$man" . >count &&
	test $(cat count) -ge 7
'

PORT=$("$SRC_DIR/scripts/services.sh" freeport)
for d in ex-*; do
	[ -d "$d" ] || continue
	test_expect_success "example: $(head -n 1 "$d/cmd")" "
		. \"\$TRASH/svc/services.env\" &&
		AWS_ENDPOINT_URL_KINESIS=\$CS_KINESIS_ENDPOINT &&
		export AWS_ENDPOINT_URL_KINESIS &&
		sed 's/8080/$PORT/g' $d/cmd >$d/script &&
		sh $d/script >$d/out 2>&1;
		python3 \"\$SRC_DIR/tests/put/man-examples.py\" --check $d
	"
done

test_done
