// run.mjs - one invocation of a Node.js Lambda handler (see scripts/lambda-run).
//
//   node run.mjs FILE FN     the event on stdin, the answer on stdout
//
// The handler is called as Lambda's Node.js runtime calls it: (event,
// context) for an async handler or one returning a promise, (event,
// context, callback) for a callback-style one.  Its answer is written
// as JSON (undefined as null, as Lambda does); an error is written as
// Lambda's error document and the exit status is 1.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, fnName] = process.argv.slice(2);
const timeoutSec = Number(process.env.LAMBDA_RUN_TIMEOUT || '3');
const functionName = process.env.LAMBDA_RUN_NAME || 'handler';
const memory = process.env.LAMBDA_RUN_MEMORY || '128';
const deadline = Date.now() + timeoutSec * 1000;

// stdout is the answer's: what the handler prints goes to stderr, the function's log
const answerFd = 1;
process.stdout.write = process.stderr.write.bind(process.stderr);

let answered = false;

function writeAnswer(text) {
	const b = Buffer.from(text + '\n');
	let off = 0;
	while (off < b.length) {
		try {
			off += writeSync(answerFd, b, off, b.length - off);
		} catch (e) {
			if (e.code !== 'EAGAIN')
				throw e;
		}
	}
}

function succeed(value) {
	if (answered)
		return;
	answered = true;
	let text;
	try {
		text = JSON.stringify(value === undefined ? null : value);
	} catch (e) {
		answered = false;
		fail(e, 'Runtime.ResponseSerializationError');
		return;
	}
	writeAnswer(text === undefined ? 'null' : text);
	if (!context.callbackWaitsForEmptyEventLoop || !callbackStyle)
		process.exit(0);
	// a callback-style handler: Lambda answers once the event loop is empty
	process.exitCode = 0;
}

function errorDoc(err, type) {
	if (err instanceof Error)
		return {
			errorType: type || err.name || 'Error',
			errorMessage: err.message,
			trace: String(err.stack || '').split('\n'),
		};
	return { errorType: type || 'Error', errorMessage: String(err), trace: [] };
}

function fail(err, type, status = 1) {
	if (answered)
		return;
	answered = true;
	const doc = errorDoc(err, type);
	// as Lambda logs it, then as the answer
	process.stderr.write(`${new Date().toISOString()}\t${context.awsRequestId}\tERROR\tInvoke Error \t${JSON.stringify(doc)}\n`);
	writeAnswer(JSON.stringify(doc));
	process.exit(status);
}

let event, callbackStyle = false;
const account = (() => {
	try {
		return String(event?.Records?.[0]?.eventSourceARN || '').split(':')[4] || '000000000000';
	} catch {
		return '000000000000';
	}
});
const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
const requestId = randomUUID();
const context = {
	functionName,
	functionVersion: '$LATEST',
	get invokedFunctionArn() {
		return `arn:aws:lambda:${region}:${account()}:function:${functionName}`;
	},
	memoryLimitInMB: memory,
	awsRequestId: requestId,
	logGroupName: `/aws/lambda/${functionName}`,
	logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${requestId.replace(/-/g, '')}`,
	callbackWaitsForEmptyEventLoop: true,
	getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
	// the legacy ones, still honoured by Lambda's runtime
	succeed: (v) => succeed(v),
	fail: (e) => fail(e),
	done: (e, v) => (e ? fail(e) : succeed(v)),
};

process.env.AWS_LAMBDA_FUNCTION_NAME = functionName;
process.env.AWS_LAMBDA_FUNCTION_VERSION = '$LATEST';
process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = String(memory);
process.env._HANDLER = `${file}:${fnName}`;

// the timeout, as Lambda's: it does not keep the process alive by itself
setTimeout(() => {
	if (answered)
		process.exit(process.exitCode || 0);
	fail(`Task timed out after ${timeoutSec.toFixed(2)} seconds`, 'Sandbox.Timedout');
}, Math.max(0, deadline - Date.now())).unref();

// a handler whose promise never settles, or that never calls back, once nothing is left to run
process.on('beforeExit', () => {
	if (!answered)
		succeed(null);
});
process.on('uncaughtException', (e) => fail(e));
process.on('unhandledRejection', (e) => fail(e, 'Runtime.UnhandledPromiseRejection'));

try {
	event = JSON.parse(readFileSync(0, 'utf8'));
} catch (e) {
	fail(e, 'Runtime.InvalidEvent', 2);
}

let handler;
try {
	const mod = await import(pathToFileURL(resolve(file)).href);
	handler = mod[fnName] ?? mod.default?.[fnName];
} catch (e) {
	fail(e, 'Runtime.ImportModuleError', 2);
}
if (!answered && typeof handler !== 'function')
	fail(new Error(`${file} does not export a function '${fnName}'`), 'Runtime.HandlerNotFound', 2);

if (!answered) {
	callbackStyle = handler.length >= 3;
	const callback = (err, value) => (err ? fail(err) : succeed(value));
	try {
		const r = handler(event, context, callback);
		if (r && typeof r.then === 'function')
			r.then(succeed, (e) => fail(e));
		else if (!callbackStyle)
			succeed(r);
	} catch (e) {
		fail(e);
	}
}
