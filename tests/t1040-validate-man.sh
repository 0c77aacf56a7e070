#!/bin/sh
# cs-validate: the man page is clean and its EXAMPLES do what they say.
# Each ".Bd -literal" block of EXAMPLES whose first line starts with "$ "
# is run with sh in a directory holding the capture the page names; the
# block's other lines are the expected output (stdout and stderr).
. "$(dirname "$0")/lib.sh"

test_man_page cs-validate
test_man_examples_split 05

test_expect_success 'setup: the capture of the examples' '
	gen-records --count 100 --seed 3 --bad-ratio 0.1 >capture.ndjson
'

test_man_examples_run

test_done
