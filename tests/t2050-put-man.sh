#!/bin/sh
# kinesis: kinesalite only (checks the man page's text and examples; Kinesis only incidental)
# cs-put: the man page is clean, documents every option, and its EXAMPLES
# print what they say, run against a private kinesalite.
. "$(dirname "$0")/lib.sh"

test_man_page cs-put 0 1 2 3 4 5 6

test_expect_success_here 'setup: a private kinesalite, the streams and the capture of the examples' '
	services_start "$TRASH/svc" kinesis &&
	create_stream click-stream 2 &&
	create_stream click-stream-copy 2 &&
	gen-records --count 100 --seed 3 --bad-ratio 0.1 >capture.ndjson &&
	printf "{\"ip\":\"0.0.0.0\",\"timestamp\":\"2018-02-04T23:18:32.866Z\",\"browser\":\"Chrome\"}\n" >click.json &&
	python3 "$SRC_DIR/tests/put/man-examples.py" "$man_page" . >count &&
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
