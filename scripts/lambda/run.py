"""run.py - one invocation of a Python Lambda handler (see scripts/lambda-run).

    python3 run.py FILE FN     the event on stdin, the answer on stdout

The handler is called as Lambda's Python runtime calls it, FN(event,
context); its return value is written as JSON (None as null).  An
exception is written as Lambda's error document and the exit status is 1.
"""
import datetime
import importlib.util
import json
import os
import signal
import sys
import time
import traceback
import uuid

FILE, FN = sys.argv[1], sys.argv[2]
TIMEOUT = float(os.environ.get("LAMBDA_RUN_TIMEOUT") or "3")
NAME = os.environ.get("LAMBDA_RUN_NAME") or "handler"
MEMORY = int(os.environ.get("LAMBDA_RUN_MEMORY") or "128")
DEADLINE = time.monotonic() + TIMEOUT
REQUEST_ID = str(uuid.uuid4())
REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

# stdout is the answer's: what the handler prints goes to stderr, the function's log
answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr


class Context:
    """The attributes and method of Lambda's Python context object."""

    def __init__(self, account):
        self.function_name = NAME
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{account}:function:{NAME}"
        self.memory_limit_in_mb = MEMORY
        self.aws_request_id = REQUEST_ID
        self.log_group_name = f"/aws/lambda/{NAME}"
        day = datetime.date.today().strftime("%Y/%m/%d")
        self.log_stream_name = f"{day}/[$LATEST]{REQUEST_ID.replace('-', '')}"
        self.identity = None
        self.client_context = None

    @staticmethod
    def get_remaining_time_in_millis():
        return max(0, int((DEADLINE - time.monotonic()) * 1000))


def fail(doc, status=1):
    line = json.dumps(doc)
    sys.stderr.write(f"[ERROR] {doc.get('errorType')}: {doc.get('errorMessage')}\n")
    answer.write(line + "\n")
    answer.flush()
    os._exit(status)


def error_doc(e, kind=None):
    return {
        "errorMessage": str(e),
        "errorType": kind or type(e).__name__,
        "requestId": REQUEST_ID,
        "stackTrace": traceback.format_tb(e.__traceback__),
    }


def timed_out(signum, frame):
    fail({"errorMessage": f"Task timed out after {TIMEOUT:.2f} seconds",
          "errorType": "Sandbox.Timedout", "requestId": REQUEST_ID, "stackTrace": []})


def main():
    try:
        event = json.loads(sys.stdin.buffer.read())
    except ValueError as e:
        fail(error_doc(e, "Runtime.InvalidEvent"), 2)
    try:
        account = str(event["Records"][0]["eventSourceARN"]).split(":")[4]
    except (KeyError, IndexError, TypeError):
        account = "000000000000"
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = NAME
    os.environ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
    os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(MEMORY)
    os.environ["_HANDLER"] = f"{FILE}:{FN}"
    # the module's folder is on the path, as the task root is under Lambda
    path = os.path.abspath(FILE)
    sys.path.insert(0, os.path.dirname(path))
    signal.signal(signal.SIGALRM, timed_out)
    signal.setitimer(signal.ITIMER_REAL, max(TIMEOUT, 0.001))
    try:
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    except Exception as e:  # noqa: BLE001 - every import failure is the function's
        fail(error_doc(e, "Runtime.ImportModuleError"), 2)
    fn = getattr(mod, FN, None)
    if not callable(fn):
        fail({"errorMessage": f"Handler '{FN}' missing on module '{name}'",
              "errorType": "Runtime.HandlerNotFound", "requestId": REQUEST_ID,
              "stackTrace": []}, 2)
    try:
        result = fn(event, Context(account))
    except Exception as e:  # noqa: BLE001 - a handler's error fails the batch
        fail(error_doc(e))
    signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as e:
        fail(error_doc(e, "Runtime.MarshalError"))
    answer.write(text + "\n")
    answer.flush()


main()
