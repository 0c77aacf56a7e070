#!/bin/sh
# cs-put --listen's partition key: by default not the sample's constant
# "0" (records spread), and -k '"0"' restores the sample's single key;
# an IPv6 address in brackets is served too.
. "$(dirname "$0")/lib.sh"
services_need

# listen STREAM [OPTION...]: POSTs {"n":1}..{"n":20}, then SIGTERM; exit 0
# (on $HOST, 127.0.0.1 unless set)
listen() {
	s=$1; shift
	h=${HOST:-127.0.0.1}
	port=$("$SRC_DIR/scripts/services.sh" freeport) || return 1
	cs-put -s "$s" --endpoint-url "$CS_KINESIS_ENDPOINT" --listen "$h:$port" --no-enrich "$@" 2>err &
	pid=$!
	test_wait_for 20 "curl -sg -o /dev/null -X OPTIONS http://$h:$port/report" || { kill $pid; return 1; }
	for i in $(seq 20); do
		curl -sg -o /dev/null -w "%{http_code}\n" -X POST --data-binary "{\"n\":$i}" \
			"http://$h:$port/report" >>codes
	done
	kill -TERM $pid
	wait $pid
}

test_expect_success 'default key: 20 records, not all under the key "0"' '
	S=$(unique_name lkdef) &&
	create_stream "$S" 4 &&
	rm -f codes && listen "$S" &&
	test $(grep -c "^200$" codes) -eq 20 &&
	readback --keys "$S" >back &&
	test_line_count back 20 &&
	cut -f1 back | sort -u >keys &&
	test $(wc -l <keys) -gt 1
'

test_expect_success '-k '"'"'"0"'"'"': every record under the key "0", as the sample did' '
	S=$(unique_name lkzero) &&
	create_stream "$S" 4 &&
	rm -f codes && listen "$S" -k "\"0\"" &&
	test $(grep -c "^200$" codes) -eq 20 &&
	readback --keys "$S" >back &&
	test_line_count back 20 &&
	cut -f1 back | sort -u >keys &&
	echo 0 >want &&
	test_cmp want keys
'

test_expect_success '--listen [::1]:PORT: served on IPv6 loopback' '
	S=$(unique_name lkv6) &&
	create_stream "$S" 1 &&
	rm -f codes && HOST="[::1]" listen "$S" &&
	test $(grep -c "^200$" codes) -eq 20 &&
	readback "$S" | sort -n -t: -k2 >back &&
	seq 20 | sed "s/.*/{\"n\":&}/" >want &&
	test_cmp want back
'

test_done
