#!/bin/sh
# cs(7): "cs-validate is deterministic: the same input gives the same
# output and the same rejects; each input line ends either on stdout or
# in the rejects output, never both."
. "$(dirname "$0")/lib.sh"

test_expect_success 'two runs, same output, same rejects; every line in exactly one' '
	gen-records --count 2000 --seed 7 --bad-ratio 0.05 >in &&
	cs-validate --rejects rej1 in >out1 &&
	cs-validate --rejects rej2 in >out2 &&
	test_cmp out1 out2 &&
	test_cmp rej1 rej2 &&
	test -s out1 && test -s rej1 &&
	test $(($(wc -l <out1) + $(wc -l <rej1))) -eq 2000 &&
	jq -r .line rej1 | sort -n >rejlines &&
	sort -u -n rejlines >rejlines.u &&
	test_cmp rejlines rejlines.u &&
	awk "NR==FNR { r[\$1]; next } !(FNR in r)" rejlines in >kept &&
	test_cmp kept out1
'

test_done
