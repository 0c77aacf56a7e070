#!/bin/bash
# t6000-aws-identities: the identities production users have (issue 14),
# end to end through cs-put:
#   - an assume-role chain of two profiles and credential_source =
#     Environment, against moto's server with its signature and IAM policy
#     checks on (skipped with a reason where moto is not installed);
#   - AssumeRole's signature, session name and external id, web identity
#     from the environment and from a profile with a rotated token file,
#     IAM Identity Center from a cached token (and the expired-token
#     message), refresh before expiry: against tests/stubs/sts.py, which
#     checks what it is sent (moto cannot answer AssumeRoleWithWebIdentity
#     with signature checks on, nor the portal's GetRoleCredentials);
#   - --profile over the environment keys (issue 10, defect 4);
#   - the config settings: services sections, max_attempts, retry_mode,
#     ca_bundle, and an unsupported setting warned about once;
#   - no secret, session token or web identity token in any output, -v -v.
. "$(dirname "$0")/lib.sh"
services_need

BASE_SECRET_FAKE=t6000baseSECRETneverShown0123456789abcd
WEBTOKEN1=eyJ0b2tlbi1vbmUiOiJ0NjAwMC13ZWItaWRlbnRpdHktb25lIn0.t6000WEBTOKENone
WEBTOKEN2=eyJ0b2tlbi10d28iOiJ0NjAwMC13ZWItaWRlbnRpdHktdHdvIn0.t6000WEBTOKENtwo
SSOTOKEN=t6000SSOaccessTOKENneverShown0123456789
mkdir -p out
printf '{"n":1}\n{"n":2}\n' >in

# run cs-put verbosely as scenario NAME (its stdout and stderr in out/NAME.*)
put() { # NAME ARGS...
	n=$1
	shift
	cs-put -v -v --retry-budget 3000 "$@" >"out/$n.out" 2>"out/$n.err"
	rc=$?
	cat "out/$n.err"
	return $rc
}

# --- moto: a chain of two roles, credential_source = Environment ----------
if python3 -c 'import moto, boto3' 2>/dev/null; then
	have_moto=1
else
	have_moto=
fi

test_expect_success_here 'moto: start it with signature and IAM policy checks' '
	if test -z "$have_moto"; then return 0; fi
	mport=$(services.sh freeport) &&
	{ INITIAL_NO_AUTH_ACTION_COUNT=8 python3 -m moto.server -p "$mport" >moto.log 2>&1 & } &&
	echo $! >moto.pid &&
	MOTO=http://127.0.0.1:$mport &&
	test_wait_for 30 "curl -s -o /dev/null $MOTO/moto-api/" &&
	python3 "$TEST_DIR/stubs/moto-iam.py" "$MOTO" ms >keys &&
	read BASE_AK BASE_SK <keys &&
	test -n "$BASE_SK"
'

moto_config() { # [SECRET]
	cat >moto.config <<-EOF
	[profile base]
	aws_access_key_id = $BASE_AK
	aws_secret_access_key = ${1:-$BASE_SK}
	[profile first]
	role_arn = arn:aws:iam::123456789012:role/first
	source_profile = base
	role_session_name = t6000-first
	[profile second]
	role_arn = arn:aws:iam::123456789012:role/second
	source_profile = first
	external_id = t6000-ext
	duration_seconds = 900
	[profile fromenv]
	role_arn = arn:aws:iam::123456789012:role/first
	credential_source = Environment
	[profile loop1]
	role_arn = arn:aws:iam::123456789012:role/first
	source_profile = loop2
	[profile loop2]
	role_arn = arn:aws:iam::123456789012:role/second
	source_profile = loop1
	EOF
}

if test -n "$have_moto"; then
	test_expect_success 'moto: the base user alone may not write to Kinesis (the checks are on)' '
		moto_config &&
		AWS_CONFIG_FILE=$PWD/moto.config AWS_ENDPOINT_URL=$MOTO \
		    test_expect_code 5 put moto-base --profile base -s ms in &&
		grep -q "AccessDenied" out/moto-base.err
	'
	test_expect_success 'moto: an assume-role chain of two profiles (base -> first -> second)' '
		AWS_CONFIG_FILE=$PWD/moto.config AWS_ENDPOINT_URL=$MOTO \
		    put moto-chain --profile second -s ms in &&
		grep -q "2 delivered" out/moto-chain.err
	'
	test_expect_success 'moto: a wrong secret in the chain: STS says why, the chain is named' '
		moto_config "$BASE_SECRET_FAKE" &&
		AWS_CONFIG_FILE=$PWD/moto.config AWS_ENDPOINT_URL=$MOTO \
		    test_expect_code 5 put moto-badkey --profile second -s ms in &&
		grep -q "assume role arn:aws:iam::123456789012:role/first of profile .first. (with profile base)" out/moto-badkey.err &&
		grep -q "SignatureDoesNotMatch: The request signature" out/moto-badkey.err &&
		moto_config
	'
	test_expect_success 'moto: credential_source = Environment signs AssumeRole with the environment keys' '
		AWS_CONFIG_FILE=$PWD/moto.config AWS_ENDPOINT_URL=$MOTO \
		    AWS_ACCESS_KEY_ID=$BASE_AK AWS_SECRET_ACCESS_KEY=$BASE_SK \
		    put moto-env --profile fromenv -s ms in &&
		grep -q "2 delivered" out/moto-env.err
	'
	test_expect_success 'moto: credential_source = Environment never uses those keys directly' '
		AWS_CONFIG_FILE=$PWD/moto.config AWS_ENDPOINT_URL=$MOTO \
		    AWS_ACCESS_KEY_ID=$BASE_AK AWS_SECRET_ACCESS_KEY=$BASE_SECRET_FAKE \
		    test_expect_code 5 put moto-envbad --profile fromenv -s ms in &&
		grep -q "with environment" out/moto-envbad.err
	'
	test_expect_success 'a source_profile loop is refused, naming it' '
		AWS_CONFIG_FILE=$PWD/moto.config AWS_ENDPOINT_URL=$MOTO \
		    test_expect_code 5 put loop --profile loop1 -s ms in &&
		grep -q "source_profile makes a loop: loop1 -> loop2 -> loop1" out/loop.err
	'
	kill "$(cat moto.pid)" 2>/dev/null
else
	for t in 'the base user alone may not write' 'an assume-role chain of two profiles' \
	    'a wrong secret in the chain' 'credential_source = Environment' \
	    'credential_source = Environment never uses' 'a source_profile loop'; do
		test_skip_optional "moto: $t" "python3 module moto (or boto3) not installed"
	done
fi

# --- the checking stub: AssumeRole's signature, web identity, SSO --------
export AWS_ENDPOINT_URL_KINESIS=$CS_KINESIS_ENDPOINT
stream=$(unique_name s)
test_expect_success_here 'setup: a stream and the STS stub' '
	create_stream "$stream" 1 &&
	printf "%s\n" "$WEBTOKEN1" >webtoken &&
	stub_run sts.py sts --expires-in 200 --token-file "$PWD/webtoken" \
	    --key AKIDT6000STATIC:t6000staticSECRETneverShown00000000 \
	    --external-id arn:aws:iam::123456789012:role/ext=t6000-ext-id \
	    --sso-token "$SSOTOKEN" --sso-account 111122223333 --sso-role Developer &&
	STS=$STUB
'

cat >stub.config <<EOF
[profile static]
aws_access_key_id = AKIDT6000STATIC
aws_secret_access_key = t6000staticSECRETneverShown00000000
[profile role]
role_arn = arn:aws:iam::123456789012:role/ext
source_profile = static
external_id = t6000-ext-id
role_session_name = t6000-session
duration_seconds = 3600
services = local
[profile chain2]
role_arn = arn:aws:iam::123456789012:role/second
source_profile = role
role_session_name = t6000-second
services = local
[profile envrole]
role_arn = arn:aws:iam::123456789012:role/fromenv
credential_source = Environment
role_session_name = t6000-fromenv
services = local
[profile wrongext]
role_arn = arn:aws:iam::123456789012:role/ext
source_profile = static
external_id = not-the-one
services = local
[profile mfa]
role_arn = arn:aws:iam::123456789012:role/ext
source_profile = static
mfa_serial = arn:aws:iam::123456789012:mfa/me
[profile web]
role_arn = arn:aws:iam::123456789012:role/web
web_identity_token_file = $PWD/webtoken
role_session_name = t6000-web
duration_seconds = 1800
services = local
[profile webbad]
role_arn = arn:aws:iam::123456789012:role/web
web_identity_token_file = $PWD/badtoken
services = local
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
services = local
[profile ssoenv]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
[profile legacy]
sso_start_url = https://t6000.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = Developer
services = local
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
[services local]
sts =
  endpoint_url = $STS
sso =
  endpoint_url = $STS
EOF
export AWS_CONFIG_FILE=$PWD/stub.config

test_expect_success 'assume role: signed with the source keys, session name and external id sent' '
	: >sts.log &&
	put role --profile role -s "$stream" --batch-size 1 in &&
	grep -q "2 delivered" out/role.err &&
	grep "^AssumeRole " sts.log >calls &&
	grep -q "key=AKIDT6000STATIC sig=ok role=arn:aws:iam::123456789012:role/ext session=t6000-session ext=t6000-ext-id duration=3600 .* -> 200" calls
'
test_expect_success 'refresh before expiry: credentials that end within 5 minutes are fetched again' '
	test $(grep -c " -> 200" calls) -ge 2
'
test_expect_success 'assume role, a chain of two profiles: the second signed with the first role'"'"'s keys' '
	: >sts.log &&
	put chain2 --profile chain2 -s "$stream" --batch-size 1 in &&
	grep -q "2 delivered" out/chain2.err &&
	grep "^AssumeRole " sts.log >calls2 &&
	cat calls2 &&
	sed -n 1p calls2 | grep -q "key=AKIDT6000STATIC sig=ok role=arn:aws:iam::123456789012:role/ext session=t6000-session ext=t6000-ext-id .* -> 200" &&
	sed -n 2p calls2 | grep -q "key=ASIASTUBSTS[0-9]* sig=ok role=arn:aws:iam::123456789012:role/second session=t6000-second .* -> 200"
'
test_expect_success 'credential_source = Environment: the environment keys sign AssumeRole (moto shows they sign nothing else)' '
	: >sts.log &&
	AWS_ACCESS_KEY_ID=AKIDT6000STATIC AWS_SECRET_ACCESS_KEY=t6000staticSECRETneverShown00000000 \
	    put envrole --profile envrole -s "$stream" --batch-size 1 in &&
	grep -q "2 delivered" out/envrole.err &&
	grep -q "^AssumeRole key=AKIDT6000STATIC sig=ok role=arn:aws:iam::123456789012:role/fromenv session=t6000-fromenv .* -> 200" sts.log
'
test_expect_success 'assume role: a wrong external id is refused by STS, and said' '
	: >sts.log &&
	test_expect_code 5 put wrongext --profile wrongext -s "$stream" in &&
	grep -q "^AssumeRole .* session=cs-session-[0-9][0-9]* ext=not-the-one " sts.log &&
	grep -q "AccessDenied: wrong external id" out/wrongext.err &&
	grep -q "assume role arn:aws:iam::123456789012:role/ext of profile .wrongext." out/wrongext.err
'
test_expect_success 'assume role: mfa_serial is refused with a clear line, STS not called' '
	: >sts.log &&
	test_expect_code 5 put mfa --profile mfa -s "$stream" in &&
	grep -q "has mfa_serial: assuming its role needs an MFA code" out/mfa.err &&
	test_must_be_empty sts.log
'
test_expect_success 'AWS_PROFILE alone: the environment keys come first, and a warning says so' '
	: >sts.log &&
	AWS_PROFILE=role put shadow -s "$stream" in &&
	grep -q "2 delivered" out/shadow.err &&
	grep -qx "cs-put: credentials from environment" out/shadow.err &&
	test_must_be_empty sts.log &&
	test $(grep -c "warning: AWS_PROFILE .role. has role_arn, but AWS_ACCESS_KEY_ID is set" out/shadow.err) -eq 1
'
test_expect_success 'web identity from the environment: unsigned, the token and role sent' '
	: >sts.log &&
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
		AWS_WEB_IDENTITY_TOKEN_FILE=$PWD/webtoken \
		AWS_ROLE_ARN=arn:aws:iam::123456789012:role/web \
		AWS_ROLE_SESSION_NAME=t6000-envsession AWS_ENDPOINT_URL_STS=$STS \
		put webenv -s "$stream" in
	) &&
	grep -q "2 delivered" out/webenv.err &&
	grep -q "^AssumeRoleWithWebIdentity key=- sig=none role=arn:aws:iam::123456789012:role/web session=t6000-envsession .*token=ok -> 200" sts.log &&
	# -v names the source once, and when the credentials run out (no secret: t5040)
	test $(grep -c "^cs-put: credentials from " out/webenv.err) -eq 1 &&
	grep -q "^cs-put: credentials from web identity (environment), temporary, until 20[0-9-]*T[0-9:.]*Z\$" out/webenv.err
'
test_expect_success 'web identity: environment keys come first, as in the SDKs' '
	: >sts.log &&
	AWS_WEB_IDENTITY_TOKEN_FILE=$PWD/webtoken AWS_ROLE_ARN=arn:aws:iam::123456789012:role/web \
	    AWS_ENDPOINT_URL_STS=$STS put webkeys -s "$stream" in &&
	test_must_be_empty sts.log
'
test_expect_success 'web identity from a profile: the token file is read again at each refresh' '
	: >sts.log &&
	mkfifo feed &&
	{ put webprof --profile web -s "$stream" --batch-size 1 feed >/dev/null & } &&
	exec 8>feed &&
	echo "{\"n\":1}" >&8 &&
	test_wait_for 20 "grep -q token=ok sts.log" &&
	printf "%s\n" "$WEBTOKEN2" >webtoken.new && mv webtoken.new webtoken &&
	sleep 1 &&
	echo "{\"n\":2}" >&8 &&
	exec 8>&- &&
	wait $! &&
	grep -q "2 delivered" out/webprof.err &&
	grep "^AssumeRoleWithWebIdentity" sts.log >calls &&
	cat calls &&
	# -v names each renewal: as many lines as STS calls
	test $(grep -c "^cs-put: credentials from profile web (web identity), temporary, until " out/webprof.err) -eq $(grep -c "" calls) &&
	! grep -q "token=bad" calls &&
	test $(grep -c "session=t6000-web ext=- duration=1800 token=ok -> 200" calls) -ge 2
'
test_expect_success 'web identity: a token STS refuses is said, the token is not' '
	printf "not-the-token-t6000\n" >badtoken &&
	test_expect_code 5 put webbad --profile webbad -s "$stream" in &&
	grep -q "InvalidIdentityToken" out/webbad.err &&
	grep -q "token file .$PWD/badtoken." out/webbad.err &&
	! grep -q "not-the-token-t6000" out/webbad.err
'

# the SDKs name the cached token after the SHA-1 of the session name (legacy: of the start URL)
sso_cache() { # KEY EXPIRES
	mkdir -p home/.aws/sso/cache &&
	f=home/.aws/sso/cache/$(printf %s "$1" | sha1sum | cut -c1-40).json &&
	printf '{"startUrl": "x", "region": "us-east-1", "accessToken": "%s", "expiresAt": "%s"}\n' \
	    "$SSOTOKEN" "$2" >"$f"
}
test_expect_success 'IAM Identity Center: an sso-session profile from the cached token' '
	sso_cache corp "$(date -u -d "+1 hour" +%Y-%m-%dT%H:%M:%SZ)" &&
	: >sts.log &&
	HOME=$PWD/home put sso --profile dev -s "$stream" in &&
	grep -q "2 delivered" out/sso.err &&
	grep -q "^GetRoleCredentials account=111122223333 role=Developer token=ok -> 200" sts.log
'
test_expect_success 'IAM Identity Center: a legacy sso_start_url profile' '
	sso_cache https://t6000.awsapps.com/start "$(date -u -d "+1 hour" +%Y-%m-%dT%H:%M:%SZ)" &&
	HOME=$PWD/home put ssolegacy --profile legacy -s "$stream" in &&
	grep -q "2 delivered" out/ssolegacy.err
'
test_expect_success 'IAM Identity Center: the portal at AWS_ENDPOINT_URL_SSO' '
	sso_cache corp "$(date -u -d "+1 hour" +%Y-%m-%dT%H:%M:%SZ)" &&
	: >sts.log &&
	HOME=$PWD/home AWS_ENDPOINT_URL_SSO=$STS put ssoenv --profile ssoenv -s "$stream" in &&
	grep -q "2 delivered" out/ssoenv.err &&
	grep -q "^GetRoleCredentials account=111122223333 role=Developer token=ok -> 200" sts.log
'
test_expect_success 'IAM Identity Center: an expired token says to run aws sso login' '
	sso_cache corp "2020-01-01T00:00:00Z" &&
	: >sts.log &&
	HOME=$PWD/home test_expect_code 5 put ssoexp --profile dev -s "$stream" in &&
	grep -q "expired at 2020-01-01T00:00:00.000Z: run .aws sso login --sso-session corp." out/ssoexp.err &&
	test_must_be_empty sts.log
'
test_expect_success 'IAM Identity Center: no cached token says to run aws sso login' '
	HOME=$PWD/nohome test_expect_code 5 put ssonone --profile dev -s "$stream" in &&
	grep -q "no cached token .*: run .aws sso login --sso-session corp." out/ssonone.err
'

# --- shared config settings ------------------------------------------------
dead=http://127.0.0.1:$(services.sh freeport)
cat >set.config <<EOF
[default]
max_attempts = 2
services = dead
[profile three]
max_attempts = 3
[profile mode]
retry_mode = sideways
[profile adaptive]
retry_mode = adaptive
max_attempts = 1
aws_access_key_id = AKIDT6000SET
aws_secret_access_key = t6000setSECRETneverShown000000000
[profile ca]
ca_bundle = $PWD/no-such-ca.pem
[profile odd]
aws_access_key_id = AKIDT6000SET
aws_secret_access_key = t6000setSECRETneverShown000000000
use_fips_endpoint = true
sts_regional_endpoints = legacy
[services dead]
kinesis =
  endpoint_url = $dead
EOF
attempts() { grep -c "PutRecords -> 0" "out/$1.err"; }
test_expect_success 'services section: the Kinesis endpoint_url; max_attempts caps the attempts' '
	(unset AWS_ENDPOINT_URL_KINESIS; AWS_CONFIG_FILE=$PWD/set.config \
	    test_expect_code 5 put maxcfg -s "$stream" in) &&
	grep -q "$dead" out/maxcfg.err &&
	test "$(attempts maxcfg)" -eq 2
'
test_expect_success 'services section: the DynamoDB endpoint_url, for cs-store' '
	table=$(unique_name t) &&
	create_table "$table" IP Timestamp &&
	printf "[default]\nservices = live\n[services live]\ndynamodb =\n  endpoint_url = %s\n" \
	    "$CS_DYNAMODB_ENDPOINT" >live.config &&
	printf "{\"ip\":\"10.0.0.1\",\"timestamp\":\"2018-02-04T23:18:32.866Z\"}\n" >item.ndjson &&
	(unset AWS_ENDPOINT_URL_DYNAMODB; AWS_CONFIG_FILE=$PWD/live.config \
	    cs-store -v -t "$table" -m @"$SRC_DIR/scripts/sample-mapping.jq" item.ndjson 2>out/ddbcfg.err) &&
	grep -q "POST $CS_DYNAMODB_ENDPOINT BatchWriteItem -> 200" out/ddbcfg.err &&
	test "$(dynamodb Scan "{\"TableName\":\"$table\"}" | jq .Count)" = 1
'
test_expect_success 'AWS_MAX_ATTEMPTS wins over max_attempts; --max-attempts over both' '
	(unset AWS_ENDPOINT_URL_KINESIS; AWS_CONFIG_FILE=$PWD/set.config AWS_MAX_ATTEMPTS=3 \
	    test_expect_code 5 put maxenv -s "$stream" in) &&
	test "$(attempts maxenv)" -eq 3 &&
	(unset AWS_ENDPOINT_URL_KINESIS; AWS_CONFIG_FILE=$PWD/set.config AWS_MAX_ATTEMPTS=3 \
	    test_expect_code 5 put maxcli --max-attempts 1 -s "$stream" in) &&
	test "$(attempts maxcli)" -eq 1
'
test_expect_success 'retry_mode: standard, adaptive and legacy accepted, anything else refused' '
	AWS_CONFIG_FILE=$PWD/set.config put adaptive --profile adaptive -s "$stream" in &&
	AWS_CONFIG_FILE=$PWD/set.config test_expect_code 5 put mode --profile mode -s "$stream" in &&
	grep -q "retry_mode in the config file .sideways. is not standard, adaptive or legacy" out/mode.err &&
	AWS_CONFIG_FILE=$PWD/set.config AWS_RETRY_MODE=bogus test_expect_code 5 put modeenv -s "$stream" in &&
	grep -q "AWS_RETRY_MODE .bogus." out/modeenv.err
'
test_expect_success 'ca_bundle in the config file is used (a missing one fails at once)' '
	AWS_CONFIG_FILE=$PWD/set.config test_expect_code 5 put ca --profile ca -s "$stream" in &&
	grep -q "ca_bundle in the config file .$PWD/no-such-ca.pem." out/ca.err
'
test_expect_success 'a setting cs does not support is named in a warning, once' '
	AWS_CONFIG_FILE=$PWD/set.config put odd --profile odd -s "$stream" in &&
	test $(grep -c "use_fips_endpoint" out/odd.err) -eq 1 &&
	test $(grep -c "sts_regional_endpoints" out/odd.err) -eq 1 &&
	AWS_CONFIG_FILE=$PWD/set.config cs-tail --profile odd -s "$stream" -e -n 1 \
	    >out/oddtail.out 2>out/oddtail.err </dev/null &&
	test $(grep -c "use_fips_endpoint" out/oddtail.err) -eq 1
'

# --- an error answer that is not JSON (issue 10, defect 5) -----------------
test_expect_success_here 'a 403 in XML, and an HTML page of a proxy: the code and message, the status line' '
	cat >answers.json <<-\EOF &&
	[{"status": 403, "body": "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>"},
	 {"status": 403, "body": "<html>\n<head><title>403 Forbidden</title></head>\n<body>blocked by policy</body></html>\n"}]
	EOF
	{ python3 "$TEST_DIR/stubs/scripted.py" answers.json answers.port answers.log & } &&
	test_wait_for 20 "test -s answers.port" &&
	ep=http://127.0.0.1:$(cat answers.port) &&
	test_expect_code 5 put xmlerr --endpoint-url "$ep" --max-attempts 1 -s "$stream" in &&
	grep -q "InvalidClientTokenId: The security token included in the request is invalid." out/xmlerr.err &&
	test_expect_code 5 put htmlerr --endpoint-url "$ep" --max-attempts 1 -s "$stream" in &&
	grep -q "HTTP403: HTTP 403 Forbidden: 403 Forbidden" out/htmlerr.err
'

# --- nothing secret in any output ---------------------------------------------
test_expect_success 'no secret key, session token or web identity token in any output' '
	stub_stop sts &&
	ls out | wc -l &&
	for s in "$BASE_SK" "$BASE_SECRET_FAKE" t6000staticSECRET stub-sts-secret stub-sts-token \
	    "$WEBTOKEN1" "$WEBTOKEN2" t6000WEBTOKEN t6000setSECRET not-the-token-t6000 "$SSOTOKEN" \
	    cstestSecretKeyDoNotPrint; do
		test -z "$s" && continue
		! grep -rF -- "$s" out || { echo "found: $s"; return 1; }
	done
'
test_done
