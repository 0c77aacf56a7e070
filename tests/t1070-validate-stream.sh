#!/bin/bash
# cs-validate in a pipeline that trickles (cs-tail -f | cs-validate |
# cs-store): each record is handed on as it comes, eligible ones to stdout
# and rejected ones to the rejects file, never held until a buffer fills
# or the input ends.
. "$(dirname "$0")/lib.sh"

good='{"ip":"0.0.0.0","timestamp":"2018-02-04T23:18:32.866Z","browser":"Chrome","url":"http://adroitlogic.com/products/ultraesb-x","referrer":"http://adroitlogic.com","os":"Windows","country":"Sri Lanka","language":"en-us"}'

test_expect_success 'a slow pipe: each record comes out before the next goes in' '
	mkfifo in.fifo &&
	rm -f rej && { cs-validate --rejects rej in.fifo >out 2>err & } &&
	pid=$! &&
	exec 3>in.fifo &&
	printf "%s\n" "$good" >&3 &&
	test_wait_for 5 "test -s out" &&
	printf "{}\n" >&3 &&
	test_wait_for 5 "test -s rej" &&
	printf "%s\n" "$good" >&3 &&
	test_wait_for 5 "test \$(wc -l <out) -eq 2" &&
	exec 3>&- &&
	wait $pid &&
	printf "%s\n%s\n" "$good" "$good" >expect &&
	test_cmp expect out &&
	test "$(jq -r .error rej)" = MissingField &&
	test_must_be_empty err
'

test_expect_success 'the same from stdin' '
	mkfifo in2.fifo &&
	{ cs-validate <in2.fifo >out2 & } &&
	pid=$! &&
	exec 3>in2.fifo &&
	printf "%s\n" "$good" >&3 &&
	test_wait_for 5 "test -s out2" &&
	exec 3>&- &&
	wait $pid
'

test_expect_success 'a fast pipe still gives every record once, in order' '
	gen-records --count 20000 --seed 9 --bad-ratio 0.05 >in &&
	rm -f rej.file && cs-validate --rejects rej.file in >out.file &&
	rm -f rej.pipe && cat in | cs-validate --rejects rej.pipe >out.pipe &&
	test_cmp out.file out.pipe &&
	sed "s/\"source\":\"<stdin>\"/\"source\":\"in\"/" rej.pipe >rej.pipe.named &&
	test_cmp rej.file rej.pipe.named
'

# run cs-validate ARGS with stdin and stdout non-blocking pipes (as some
# parents leave them): stdin fed slowly, stdout read only after a pause;
# prints the exit status and the number of lines that came out
nonblocking() {
	python3 - "$@" <<-\EOS
	import fcntl, os, subprocess, sys, threading, time
	def nb(fd):
	    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
	ir, iw = os.pipe()
	orr, ow = os.pipe()
	nb(ir); nb(ow)
	p = subprocess.Popen(["cs-validate"] + sys.argv[1:], stdin=ir, stdout=ow)
	os.close(ir); os.close(ow)
	def feed():
	    data = open("in", "rb").read()
	    with os.fdopen(iw, "wb") as f:
	        half = len(data) // 2
	        f.write(data[:half]); f.flush()
	        time.sleep(0.5)
	        f.write(data[half:])
	t = threading.Thread(target=feed); t.start()
	time.sleep(1)
	with os.fdopen(orr, "rb") as f:
	    n = sum(1 for _ in f)
	t.join()
	print(p.wait(), n)
	EOS
}

test_expect_success 'non-blocking stdin and stdout: waited on, nothing lost' '
	gen-records --count 20000 --seed 11 --bad-ratio 0.05 >in &&
	rm -f rej && test "$(nonblocking --rejects rej)" = "0 19000" &&
	test_line_count rej 1000
'

test_done
