#!/bin/bash
# test-slow: 35
# t5040-e2e-secrets: neither the secret access key nor the session token
# appears in anything the tools write (stdout, stderr, rejects, results,
# checkpoints, on-failure files), with -v -v -v, on success and on every
# error path: an endpoint that refuses connections (one with the secret as
# the password of its URL too), a service that denies
# (AccessDenied, UnrecognizedClient, InvalidSignature, ExpiredToken), a
# broken credentials file, a credential_process that fails or prints
# garbage holding the secrets.
. "$(dirname "$0")/lib.sh"
services_need

SECRET=t5040SECRETkeyMustNeverShow0123456789ABCD
TOKEN=t5040TOKENsessionMustNeverShow+IQoJb3JpZ2luX2VjEPz//////////wEaCXVzLWVhc3QtMSJH
export AWS_SECRET_ACCESS_KEY=$SECRET AWS_SESSION_TOKEN=$TOKEN
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
export AWS_ENDPOINT_URL_DYNAMODB=$CS_DYNAMODB_ENDPOINT
stream=$(unique_name s)
table=$(unique_name t)
map=$SRC_DIR/scripts/sample-mapping.jq
# parts of the secrets too: a prefix of 16 characters is already a leak
SECRET16=$(printf %s "$SECRET" | cut -c1-16)
TOKEN16=$(printf %s "$TOKEN" | cut -c1-16)

# run every tool once, verbosely, in scenario NAME, writing into out/NAME.*;
# extra arguments go to every tool (e.g. --endpoint-url)
run_all() { # NAME [ARGS...]
	n=$1
	shift
	mkdir -p out
	cs-put -v -v -v --stats --retry-budget 1500 "$@" -s "$stream" --rejects out/$n.put.rej \
	    --results out/$n.put.res in.ndjson >out/$n.put.out 2>out/$n.put.err
	echo "$n cs-put $?" >>status
	cs-tail -v -v -v --retry-budget 1500 "$@" -s "$stream" -e --checkpoint out/$n.ck \
	    >out/$n.tail.out 2>out/$n.tail.err </dev/null
	echo "$n cs-tail $?" >>status
	cs-tail -v -v -v --retry-budget 1500 "$@" -s "$stream" -e --checkpoint out/$n.ck2 \
	    --max-retries 0 --on-failure out/$n.fail \
	    --exec "cs-store -v -v -v --stats --retry-budget 1500 $* -t $table -m @$map --rejects /dev/stdout" \
	    >out/$n.exec.out 2>out/$n.exec.err </dev/null
	echo "$n cs-tail--exec $?" >>status
	cs-store -v -v -v --stats --retry-budget 1500 "$@" -t "$table" -m @"$map" \
	    --rejects out/$n.store.rej in.ndjson >out/$n.store.out 2>out/$n.store.err
	echo "$n cs-store $?" >>status
	# the endpoint: its answers go to HTTP clients, they count too
	port=$(services.sh freeport)
	cs-put -v -v -v --retry-budget 1500 "$@" -s "$stream" --listen 127.0.0.1:$port \
	    >out/$n.listen.out 2>out/$n.listen.err </dev/null &
	lpid=$!
	i=0
	while ! curl -s -o /dev/null -X OPTIONS http://127.0.0.1:$port/report &&
	    kill -0 $lpid 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	head -n 1 in.ndjson | curl -s -i -X POST --data-binary @- \
	    http://127.0.0.1:$port/report >out/$n.listen.answer
	kill -TERM $lpid 2>/dev/null
	wait $lpid
	echo "$n cs-put--listen $?" >>status
	return 0
}

# no file under out/ holds a secret; no tool crashed
no_leak() {
	if grep -rl -e "$SECRET16" -e "$TOKEN16" out/; then
		echo "a secret leaked:" >&2
		grep -r -o -e ".\{0,60\}$SECRET16.\{0,20\}" -e ".\{0,60\}$TOKEN16.\{0,20\}" out/ | head >&2
		return 1
	fi
	if awk '$3 >= 126 || $3 == 99' status | grep .; then
		echo "a tool crashed" >&2
		return 1
	fi
	! grep -n "Sanitizer\|runtime error" out/*.err
}

# run_all cpNAME with no keys in the environment, the credentials coming
# from credential_process = cp-NAME.sh, the script given on stdin
credential_process_run() { # NAME <SCRIPT
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
		cat >"cp-$1.sh" &&
		chmod +x "cp-$1.sh" &&
		printf "[default]\ncredential_process = %s/cp-%s.sh\n" "$TRASH" "$1" >"$AWS_CONFIG_FILE" &&
		rm -f "$AWS_SHARED_CREDENTIALS_FILE" &&
		run_all "cp$1"
	)
}

test_expect_success 'setup: input, stream, table' '
	gen-records --count 20 --seed 5040 --bad-ratio 0.1 >in.ndjson &&
	create_stream "$stream" 1 &&
	create_table "$table" IP Timestamp
'

test_expect_success 'success, with -v -v -v: no secret in any output' '
	run_all ok &&
	cat status &&
	grep -q "^ok cs-put 0" status &&
	grep -q "PutRecordSuccessful" out/ok.listen.answer &&
	test -s out/ok.tail.out &&
	no_leak
'

test_expect_success 'an endpoint refusing connections: no secret in the errors' '
	run_all refused --endpoint-url http://127.0.0.1:9 &&
	grep -v " 0$" status | grep -q refused &&
	head -n 3 out/refused.put.err &&
	no_leak
'

test_expect_success 'an endpoint URL holding user:password: left out of every message' '
	run_all userinfo --endpoint-url "http://cs:$SECRET@127.0.0.1:9" &&
	grep -v " 0$" status | grep -q userinfo &&
	grep -q "bad endpoint URL .http://127.0.0.1:9." out/userinfo.put.err &&
	grep -q "bad endpoint URL .http://127.0.0.1:9." out/userinfo.tail.err &&
	no_leak
'

for answer in \
    '400 AccessDeniedException User: arn:aws:iam::123456789012:user/x is not authorized to perform this action' \
    '400 UnrecognizedClientException The security token included in the request is invalid.' \
    '400 InvalidSignatureException The request signature we calculated does not match the signature you provided.' \
    '400 ExpiredTokenException The security token included in the request is expired' \
    '403 IncompleteSignatureException Authorization header requires Credential parameter.'
do
	set -- $answer
	code=$2
	test_expect_success "a service that denies ($code): no secret in the errors" '
		printf "%s" "$answer" | python3 -c "import json, sys
s, c, m = sys.stdin.read().split(\" \", 2)
json.dump([{\"status\": int(s), \"body\": {\"__type\": c, \"message\": m}}], open(\"deny.json\", \"w\"))" &&
		rm -f deny.port &&
		{ python3 "$TEST_DIR/stubs/scripted.py" deny.json deny.port deny.log & } &&
		spid=$! &&
		test_wait_for 20 "test -s deny.port" &&
		run_all "$code" --endpoint-url "http://127.0.0.1:$(cat deny.port)";
		kill $spid
		grep "$code" out/$code.put.err | head -n 2 &&
		grep "$code" out/$code.listen.answer &&
		grep -q "$TOKEN" deny.log &&
		no_leak
	'
done

test_expect_success 'a broken credentials file holding the secret: no secret in the errors' '
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
		cat >"$AWS_SHARED_CREDENTIALS_FILE" <<-EOF
		[default
		aws_access_key_id = AKIDCSTESTEXAMPLE
		aws_secret_access_key $SECRET
		aws_session_token=$TOKEN=
		= $SECRET
		$TOKEN
		EOF
		run_all badfile
	) &&
	cat status | grep badfile &&
	head -n 3 out/badfile.put.err &&
	no_leak
'

test_expect_success 'a credential_process that fails after printing the secrets' '
	credential_process_run fail <<-EOF &&
	#!/bin/sh
	echo "{\"Version\": 1, \"AccessKeyId\": \"AKIDCP\", \"SecretAccessKey\": \"$SECRET\", \"SessionToken\": \"$TOKEN\"}"
	exit 3
	EOF
	head -n 3 out/cpfail.put.err &&
	grep -q "credential_process" out/cpfail.put.err &&
	no_leak
'

test_expect_success 'a credential_process printing garbage that holds the secrets' '
	credential_process_run junk <<-EOF &&
	#!/bin/sh
	echo "{\"Version\": 1, \"AccessKeyId\": \"AKIDCP\", \"SecretAccessKey\": \"$SECRET\", \"SessionToken\": \"$TOKEN\", oops"
	echo "SecretAccessKey=$SECRET"
	EOF
	head -n 3 out/cpjunk.put.err &&
	no_leak
'

test_expect_success 'a credential_process with good keys' '
	credential_process_run ok <<-EOF &&
	#!/bin/sh
	echo "{\"Version\": 1, \"AccessKeyId\": \"AKIDCP\", \"SecretAccessKey\": \"$SECRET\", \"SessionToken\": \"$TOKEN\", \"Expiration\": \"2099-01-01T00:00:00Z\"}"
	EOF
	grep "^cpok cs-put 0" status &&
	no_leak
'

test_done
