#!/bin/bash
# cs-store: every JSON type written and read back with DynamoDB's own API
# (GetItem), numbers exact at DynamoDB's limits, non-ASCII text intact.
. "$(dirname "$0")/lib.sh"
services_need
E=$CS_DYNAMODB_ENDPOINT
T=$(unique_name types)

# same_item EXPECTED_RECORD GETITEM_ANSWER: equal as values, types included, numbers exact
same_item() {
	python3 -c '
import json, sys
from decimal import Decimal
def num(s): return ("N", Decimal(s))
def plain(v):
    (t, x), = v.items()
    if t == "S": return x
    if t == "N": return num(x)
    if t == "BOOL": return x
    if t == "NULL": return None
    if t == "L": return [plain(e) for e in x]
    if t == "M": return {k: plain(e) for k, e in x.items()}
    raise SystemExit("unexpected type " + t)
want = json.loads(sys.argv[1], parse_float=num, parse_int=num)
got = {k: plain(v) for k, v in json.loads(sys.argv[2])["Item"].items()}
if want != got:
    print("want", want)
    print("got ", got)
    sys.exit(1)
' "$1" "$2"
}

get() { dynamodb GetItem "{\"TableName\":\"$T\",\"Key\":{\"id\":{\"S\":\"$1\"}},\"ConsistentRead\":true}"; }

cat >records <<'EOF'
{"id":"types","s":"text","e":"","t":true,"f":false,"z":null,"l":[1,"two",[3],{"four":4},null,false],"m":{"a":{"b":{"c":[]}},"empty":""},"em":{},"el":[]}
{"id":"big","n38":12345678901234567890123456789012345678,"f38":1.2345678901234567890123456789012345678,"max":9.9999999999999999999999999999999999999E+125,"min":-9.9999999999999999999999999999999999999E+125,"small":1E-130,"negsmall":-1E-130,"exp":1.5e10,"expneg":25E-3,"zero":0,"negzero":-0,"frac":0.1,"int":-42,"zeros":100000000000000000000000000000000000000000000000000,"nested":[12345678901234567890123456789012345678]}
{"id":"utf8","fr":"Côte d'Ivoire","ja":"日本語","emoji":"😀","esc":"tab\tquote\"back\\slash\u00e9\ud83d\ude00","nul":"a\u0000b","Länge":"ключ"}
{"id":"ключ-😀","v":1}
EOF

test_expect_success 'setup: a table keyed by id (S)' '
	create_table "$T" id
'

test_expect_success 'every record written: exit 0, nothing on stdout or stderr' '
	cs-store -t "$T" --endpoint-url "$E" records >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'string, boolean, null, list, map, empty string, empty list and map read back' '
	same_item "$(sed -n 1p records)" "$(get types)"
'

test_expect_success 'numbers exact: 38 digits, 1E-130, the extremes, exponent forms, negative, zero' '
	same_item "$(sed -n 2p records)" "$(get big)"
'

test_expect_success 'non-ASCII text, escapes, surrogate pairs and NUL read back intact' '
	same_item "$(sed -n 3p records)" "$(get utf8)"
'

test_expect_success 'a non-ASCII key' '
	same_item "$(sed -n 4p records)" "$(get "ключ-😀")"
'

test_expect_success 'the same through -m . : jq does not round the 38-digit numbers' '
	T2=$(unique_name typesm) &&
	create_table "$T2" id &&
	cs-store -t "$T2" --endpoint-url "$E" -m . records &&
	same_item "$(sed -n 2p records)" "$(dynamodb GetItem "{\"TableName\":\"$T2\",\"Key\":{\"id\":{\"S\":\"big\"}}}")" &&
	same_item "$(sed -n 3p records)" "$(dynamodb GetItem "{\"TableName\":\"$T2\",\"Key\":{\"id\":{\"S\":\"utf8\"}}}")"
'

test_expect_success 'a number key (N) in any spelling is one key' '
	T3=$(unique_name numkey) &&
	dynamodb CreateTable "{\"TableName\":\"$T3\",\"AttributeDefinitions\":[{\"AttributeName\":\"n\",\"AttributeType\":\"N\"}],\"KeySchema\":[{\"AttributeName\":\"n\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}" >/dev/null &&
	printf "%s\n" "{\"n\":1,\"v\":\"a\"}" "{\"n\":1.0,\"v\":\"b\"}" "{\"n\":10e-1,\"v\":\"c\"}" "{\"n\":12345678901234567890123456789012345678,\"v\":\"d\"}" >nums &&
	cs-store -t "$T3" --endpoint-url "$E" --stats nums 2>err &&
	grep "4 records: 2 written, 2 collapsed" err &&
	dynamodb GetItem "{\"TableName\":\"$T3\",\"Key\":{\"n\":{\"N\":\"1\"}}}" >got &&
	grep "\"v\":{\"S\":\"c\"}" got &&
	dynamodb GetItem "{\"TableName\":\"$T3\",\"Key\":{\"n\":{\"N\":\"12345678901234567890123456789012345678\"}}}" >got &&
	grep "\"v\":{\"S\":\"d\"}" got
'

test_done
